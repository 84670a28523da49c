import type { Route } from '../../platform/api/http.js';
import { systemRoutes } from '../../platform/api/routes/system-routes.js';
import { controlRoutes } from './routes/control-routes.js';

/**
 * The control plane's route table, deployable on its own (cdk/upgrade-stack.ts): the control API `/v1`
 * and the operator console, beside the platform's `/health`. The one table serving both systems joins it
 * with the emulator's (functions/local/routes.ts).
 */
export const controlPlaneRoutes: readonly Route[] = [...systemRoutes, ...controlRoutes];
