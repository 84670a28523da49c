import { apiHandler } from '../../../platform/api/lambda-handler.js';
import { failoverRoutes } from '../routes/failover-routes.js';

/** Lambda entry of route group `failover` (API Gateway). */
export const handler = apiHandler(failoverRoutes);
