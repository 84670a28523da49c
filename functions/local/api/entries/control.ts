import { apiHandler } from '../../../platform/api/lambda-handler.js';
import { siteRootRoutes } from '../../../emulator/api/routes/site-root-routes.js';
import { controlRoutes } from '../../../control-plane/api/routes/control-routes.js';

/**
 * Lambda entry of route group `control` (API Gateway): a composition root, like functions/local. API Gateway
 * has one `GET /`, so this function serves the emulator's site root on site hosts beside the console.
 */
export const handler = apiHandler([...siteRootRoutes, ...controlRoutes]);
