import { apiHandler } from '../../../platform/api/lambda-handler.js';
import { emulatorAdapters } from '../../adapters/emulator-services.js';
import { failoverRoutes } from '../routes/failover-routes.js';

/** Lambda entry of route group `failover` (API Gateway). */
export const handler = apiHandler(failoverRoutes, emulatorAdapters);
