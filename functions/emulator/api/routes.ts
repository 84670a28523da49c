import type { Route } from '../../platform/api/http.js';
import { systemRoutes } from '../../platform/api/routes/system-routes.js';
import { applianceRoutes } from './routes/appliance-routes.js';
import { failoverRoutes } from './routes/failover-routes.js';
import { sessionsRoutes } from './routes/sessions-routes.js';
import { siteRootRoutes } from './routes/site-root-routes.js';

/**
 * The emulated appliances' route table, deployable on its own (cdk/upgrade-stack.ts): their sites (site
 * root, APIs, `/login`) and the admin routes `/appliances/...`, beside the platform's `/health`. The one
 * table serving both systems joins it with the control plane's (functions/local/routes.ts).
 */
export const emulatorRoutes: readonly Route[] = [...systemRoutes, ...applianceRoutes, ...sessionsRoutes, ...failoverRoutes, ...siteRootRoutes];
