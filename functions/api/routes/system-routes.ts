import type { Route } from '../http.js';
import { getHealth } from '../health-handler.js';

export const systemRoutes: Route[] = [
  { method: 'GET', path: '/health', handler: getHealth, group: 'system', auth: 'public', summary: 'Health of DynamoDB, S3 and Step Functions' },
];
