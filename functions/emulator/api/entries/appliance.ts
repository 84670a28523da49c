import { apiHandler } from '../../../platform/api/lambda-handler.js';
import { applianceRoutes } from '../routes/appliance-routes.js';

/** Lambda entry of route group `appliance` (API Gateway). */
export const handler = apiHandler(applianceRoutes);
