import { apiHandler } from '../lambda-handler.js';
import { controlRoutes } from '../routes/control-routes.js';

/** Lambda entry of route group `control` (API Gateway). */
export const handler = apiHandler(controlRoutes);
