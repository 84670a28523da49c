import type { Route } from './http.js';
import { applianceRoutes } from './routes/appliance-routes.js';
import { siteRootRoutes } from './routes/site-root-routes.js';
import { controlRoutes } from './routes/control-routes.js';
import { failoverRoutes } from './routes/failover-routes.js';
import { sessionsRoutes } from './routes/sessions-routes.js';
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
