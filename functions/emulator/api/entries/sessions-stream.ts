import { streamingHandler } from '../../../platform/api/lambda-handler.js';
import { emulatorAdapters } from '../../adapters/emulator-services.js';
import { sessionsRoutes } from '../routes/sessions-routes.js';

/** Lambda entry of group `sessions`' streaming routes (Function URL, response streaming). */
export const handler = streamingHandler(sessionsRoutes, emulatorAdapters);
