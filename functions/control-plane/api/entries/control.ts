import { apiHandler } from '../../../platform/api/lambda-handler.js';
import { controlRoutes } from '../routes/control-routes.js';
import { controlPlaneAdapters } from '../../adapters/control-plane-services.js';

/** Lambda entry of route group `control` (API Gateway): the control API /v1 and the operator console. */
export const handler = apiHandler(controlRoutes, controlPlaneAdapters);
