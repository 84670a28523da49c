import type { Route } from './http.js';
import { applianceRoutes } from '../../emulator/api/routes/appliance-routes.js';
import { siteRootRoutes } from '../../emulator/api/routes/site-root-routes.js';
import { controlRoutes } from '../../control-plane/api/routes/control-routes.js';
import { failoverRoutes } from '../../emulator/api/routes/failover-routes.js';
import { sessionsRoutes } from '../../emulator/api/routes/sessions-routes.js';
import { systemRoutes } from './routes/system-routes.js';

/** The one route table: served by the local runtime and turned into API Gateway routes by CDK. */
export const routes: readonly Route[] = [
  ...systemRoutes,
  ...applianceRoutes,
  ...sessionsRoutes,
  ...failoverRoutes,
  ...siteRootRoutes,
  ...controlRoutes,
];
