import type { Route } from '../http.js';
import { getHealth } from '../health-handler.js';
import { getMetrics } from '../metrics-handler.js';

export const systemRoutes: Route[] = [
  { method: 'GET', path: '/health', handler: getHealth, group: 'system', auth: 'public', summary: 'Health of DynamoDB, S3 and Step Functions' },
  { method: 'GET', path: '/metrics', handler: getMetrics, group: 'system', auth: 'public', summary: 'Operational metrics in Prometheus text format (local runtime; on AWS they are EMF in CloudWatch)' },
];
