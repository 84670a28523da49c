import type { Route } from '../platform/api/http.js';
import { controlPlaneRoutes } from '../control-plane/api/routes.js';
import { emulatorRoutes } from '../emulator/api/routes.js';

/**
 * The two systems, each deployable on its own (cdk/upgrade-stack.ts): each system's route table, both
 * beside the platform's `/health`. Joined here, where both systems may be known (tools/system-map.ts).
 */
export const systemRouteTables = {
  /** The emulated appliances: their sites (site root, APIs, `/login`) and the admin routes `/appliances/...`. */
  emulator: emulatorRoutes,
  /** The control API `/v1` and the operator console. */
  'control-plane': controlPlaneRoutes,
} as const satisfies Record<string, readonly Route[]>;

/**
 * The one route table: served by the local runtime (both systems on one server; the site root comes before
 * the console's `/`, so a site host gets its site) and turned into API Gateway routes by CDK, per system.
 * The platform's routes, in both systems' tables, are in it once.
 */
export const routes: readonly Route[] = [...new Set([...systemRouteTables.emulator, ...systemRouteTables['control-plane']])];
