/**
 * Where the route table's site paths are served. A route declared `site` once, with a site-relative path,
 * is mounted under `/appliances/:applianceId` (the control plane's addressing, kept) and at the root of
 * the site (the host names the appliance). Consumers that need concrete paths (the Hono app, the CDK
 * HTTP API, the security walk) use `mountRoutes`, never their own copy. Plumbing of the route table (it
 * reads only `Route.site` and `aliases`), so the platform's app and CDK mount without the emulator.
 */
import type { Route } from './http.js';

export const APPLIANCE_MOUNT = '/appliances/:applianceId';

export interface MountedRoute extends Route {
  /** `appliance`: under /appliances/:applianceId; `site-root`: at the site root, the host decides. */
  mount?: 'appliance' | 'site-root';
  /** The site-relative path it was declared with (site routes only). */
  sitePath?: string;
}

/** Concrete routes: each non-site route as is, each site route (and each alias) once per mount. */
export function mountRoutes(routes: readonly Route[]): MountedRoute[] {
  const mounted: MountedRoute[] = [];
  for (const route of routes) {
    if (!route.site) {
      if (route.aliases?.length) throw new Error(`route ${route.method} ${route.path}: aliases need site`);
      mounted.push(route);
      continue;
    }
    for (const sitePath of [route.path, ...(route.aliases ?? [])]) {
      if (!sitePath.startsWith('/')) throw new Error(`site route ${sitePath}: the path must start with /`);
      if (route.site === true) mounted.push({ ...route, path: `${APPLIANCE_MOUNT}${sitePath}`, mount: 'appliance', sitePath });
      mounted.push({ ...route, path: sitePath, mount: 'site-root', sitePath });
    }
  }
  return mounted;
}
