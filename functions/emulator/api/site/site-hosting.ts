/**
 * The emulator's side of site-host dispatch: the platform's app serves a site route at the site root and
 * asks the route's `siteHosting` which site the request's host names (functions/platform/api/http.ts).
 * Every site route of the emulator's route modules carries this one (`onSites`).
 */
import type { Route, SiteHosting } from '../../../platform/api/http.js';
import { unknownSite, type SiteAddress } from '../../app/site-hosts.js';
import { addressSite, requestHost } from './site-address.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** Set when the request reached an appliance's site root (by Host header or the site's own port). */
    site?: SiteAddress;
  }
}

export const siteHosting: SiteHosting = {
  async enter(c) {
    const site = await addressSite(c);
    if (site) c.set('site', site);
    return site !== undefined;
  },
  unknownSite: (c) => unknownSite(c.get('services'), requestHost(c)),
};

/** The routes, each site route (`site` declared) given the emulator's site hosting. */
export const onSites = (routes: readonly Route[]): Route[] => routes.map((r) => (r.site ? { ...r, siteHosting } : r));
