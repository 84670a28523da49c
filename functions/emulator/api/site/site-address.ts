import type { Context } from 'hono';
import type { Appliance } from '../../../platform/core/appliance.js';
import { siteAvailable } from '../../../platform/core/appliance.js';
import { DomainError } from '../../../platform/core/errors.js';
import { siteHostname } from '../../core/site-host.js';
import { requireApplianceForSite } from '../../app/appliance-store.js';
import { resolveSiteHost, type SiteAddress } from '../../app/site-hosts.js';
import { assertApplianceId } from '../../app/backups.js';
import type { AppEnv } from '../../../platform/api/http.js';

/** Bindings a per-site listener adds (functions/local/site-listeners.ts): the port decides the site. */
export interface SiteBindings {
  siteHostname?: string;
}

/** The host a request addresses: the per-site listener's hostname, else the Host header (else the URL's). */
export function requestHost(c: Context<AppEnv>): string | undefined {
  const bound = (c.env as SiteBindings | undefined)?.siteHostname;
  if (bound) return bound;
  return c.req.header('host') ?? new URL(c.req.url).host;
}

/** True when the request came in on a per-site listener (there, only the site's paths exist). */
export const onSiteListener = (c: Context<AppEnv>) => Boolean((c.env as SiteBindings | undefined)?.siteHostname);

/**
 * The site a request at a site-root path reaches, or undefined (an address, `localhost`, or a name that
 * is no site). At most two small reads: the DNS record, then the appliance (see functions/emulator/app/site-hosts.ts).
 */
export async function addressSite(c: Context<AppEnv>): Promise<SiteAddress | undefined> {
  const hostname = siteHostname(requestHost(c));
  return hostname ? resolveSiteHost(c.get('services'), hostname) : undefined;
}
/**
 * The id of the appliance a site request addresses: the site the host named (site root, see
 * functions/emulator/api/site/), else the `:applianceId` of `/appliances/:applianceId/...`.
 */
export function siteApplianceId(c: Context<AppEnv>): string {
  const site = c.get('site');
  if (site) return site.applianceId;
  const applianceId = c.req.param('applianceId');
  assertApplianceId(applianceId);
  return applianceId;
}

/** A path of the addressed site as its client sees it: site-relative at the site root, else under /appliances/:id. */
export const sitePath = (c: Context<AppEnv>, path: string) => (c.get('site') ? path : `/appliances/${encodeURIComponent(siteApplianceId(c))}${path}`);


/** The appliance record a site request addresses, in whatever state (the site root already read it: no second read). */
export async function addressedApplianceRecord(c: Context<AppEnv>): Promise<Appliance> {
  return c.get('site')?.appliance ?? (await requireApplianceForSite(c.get('services'), siteApplianceId(c)));
}

/** Refuses while the site is down (installing/restarting): 503 with Retry-After until the modelled restart ends. */
export function assertSiteUp(c: Context<AppEnv>, appliance: Appliance): void {
  if (siteAvailable(appliance)) return;
  const onlineAt = appliance.install?.onlineAt ? Date.parse(appliance.install.onlineAt) : Number.NaN;
  const wait = Number.isNaN(onlineAt) ? 60 : Math.max(1, Math.ceil((onlineAt - c.get('services').clock.now().getTime()) / 1000));
  throw new DomainError('unavailable', 'SiteUnavailable', `the site is ${appliance.state}; retry later`, { retryAfterSeconds: wait });
}
