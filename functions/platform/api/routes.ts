import type { Route } from './http.js';
import { applianceRoutes } from '../../emulator/api/routes/appliance-routes.js';
import { siteRootRoutes } from '../../emulator/api/routes/site-root-routes.js';
import { controlRoutes } from '../../control-plane/api/routes/control-routes.js';
import { failoverRoutes } from '../../emulator/api/routes/failover-routes.js';
import { sessionsRoutes } from '../../emulator/api/routes/sessions-routes.js';
import { systemRoutes } from './routes/system-routes.js';

/** The two systems, each deployable on its own (cdk/systems.ts): their routes, beside the platform's `/health`. */
export const systemRouteTables = {
  /** The emulated appliances: their sites (site root, APIs, `/login`) and the admin routes `/appliances/...`. */
  emulator: [...systemRoutes, ...applianceRoutes, ...sessionsRoutes, ...failoverRoutes, ...siteRootRoutes],
  /** The control API `/v1` and the operator console. */
  'control-plane': [...systemRoutes, ...controlRoutes],
} as const satisfies Record<string, readonly Route[]>;

/**
 * The one route table: served by the local runtime (both systems on one server; the site root comes before
 * the console's `/`, so a site host gets its site) and turned into API Gateway routes by CDK, per system.
 */
export const routes: readonly Route[] = [
  ...systemRoutes,
  ...applianceRoutes,
  ...sessionsRoutes,
  ...failoverRoutes,
  ...siteRootRoutes,
  ...controlRoutes,
];
