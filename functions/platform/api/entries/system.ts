import { apiHandler } from '../lambda-handler.js';
import { systemRoutes } from '../routes/system-routes.js';

/** Lambda entry of route group `system` (API Gateway). */
export const handler = apiHandler(systemRoutes);
