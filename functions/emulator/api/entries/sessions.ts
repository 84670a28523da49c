import { apiHandler } from '../../../platform/api/lambda-handler.js';
import { emulatorAdapters } from '../../adapters/emulator-services.js';
import { sessionsRoutes } from '../routes/sessions-routes.js';

/** Lambda entry of route group `sessions` (API Gateway). */
export const handler = apiHandler(sessionsRoutes, emulatorAdapters);
