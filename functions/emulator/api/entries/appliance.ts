import { apiHandler } from '../../../platform/api/lambda-handler.js';
import { emulatorAdapters } from '../../adapters/emulator-services.js';
import { applianceRoutes } from '../routes/appliance-routes.js';
import { siteRootRoutes } from '../routes/site-root-routes.js';

/** Lambda entry of route group `appliance` (API Gateway): the appliances' admin routes and each site's `GET /`. */
export const handler = apiHandler([...applianceRoutes, ...siteRootRoutes], emulatorAdapters);
