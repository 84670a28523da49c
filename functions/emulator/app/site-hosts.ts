/**
 * The site directory: which appliance answers a request addressed to a hostname.
 *
 * A primary hostname (the emulated DNS record of functions/emulator/app/primary-hostname.ts) wins: it is what a
 * client of that name resolves, so after a role swap `support.example.com` reaches B. It is read on every
 * request with one strongly consistent point read and never cached, so once the switch has been written
 * (the PUT or the workflow step returned) no later request reaches the old target. Otherwise the name is
 * an appliance's own hostname: a process-local map from hostname to appliance id, checked against the
 * appliance record that the request reads anyway, so a stale entry (hostname changed by a restored
 * backup) is detected on its first use and the directory is read again; it is never trusted on its own.
 */
import type { Appliance } from '../../platform/core/appliance.js';
import { isDomainError, notFound } from '../../platform/core/errors.js';
import type { RecordStore } from '../../platform/core/ports.js';
import { canonicalHostname, describeSites, type SiteListing } from '../core/site-host.js';
import { getApplianceForSite, listApplianceHostnames } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { getPrimaryHostname, listPrimaryHostnames } from './primary-hostname.js';

/** The site a request reached, and (for appliance hostnames) the appliance record already read for it. */
export interface SiteAddress extends SiteListing {
  appliance?: Appliance;
}

/** hostname → applianceId per appliances table (tests run several runtimes in one process). */
const byStore = new WeakMap<RecordStore, Map<string, string>>();

/** Reads every appliance's hostname: caches hostname → id, returns id → hostname (canonical). */
async function refreshDirectory(ctx: AppContext): Promise<Map<string, string>> {
  const byHostname = new Map<string, string>();
  const byAppliance = new Map<string, string>();
  // Sorted by id (the index order): with two appliances claiming one hostname, the first id answers.
  for (const a of await listApplianceHostnames(ctx)) {
    const h = canonicalHostname(a.hostname);
    byAppliance.set(a.applianceId, h);
    if (h && !byHostname.has(h)) byHostname.set(h, a.applianceId);
  }
  byStore.set(ctx.records.appliances, byHostname);
  return byAppliance;
}

async function applianceAt(ctx: AppContext, hostname: string, applianceId: string | undefined): Promise<Appliance | undefined> {
  if (!applianceId) return undefined;
  const appliance = await getApplianceForSite(ctx, applianceId);
  return appliance && canonicalHostname(appliance.hostname) === hostname ? appliance : undefined;
}

/** The site `hostname` (already canonical, see `siteHostname`) names now, or undefined. */
export async function resolveSiteHost(ctx: AppContext, hostname: string): Promise<SiteAddress | undefined> {
  // A single-label name cannot be a DNS record (normalizeHostname refuses it); store failures still surface.
  const record = await getPrimaryHostname(ctx, hostname).catch((e: unknown) => {
    if (isDomainError(e)) return undefined;
    throw e;
  });
  if (record) return { hostname, applianceId: record.applianceId, via: 'primary-hostname' };
  const cached = byStore.get(ctx.records.appliances)?.get(hostname);
  let appliance = await applianceAt(ctx, hostname, cached);
  if (!appliance) {
    await refreshDirectory(ctx);
    appliance = await applianceAt(ctx, hostname, byStore.get(ctx.records.appliances)?.get(hostname));
  }
  return appliance ? { hostname, applianceId: appliance.applianceId, via: 'appliance-hostname', appliance } : undefined;
}

export interface SiteDirectory {
  /** Every hostname that names a site: each primary hostname, then each appliance hostname not shadowed by one. */
  sites: SiteListing[];
  /** applianceId → its canonical hostname, every appliance (shadowed or not). */
  applianceHostnames: Map<string, string>;
}

export async function readSiteDirectory(ctx: AppContext): Promise<SiteDirectory> {
  const [records, applianceHostnames] = await Promise.all([listPrimaryHostnames(ctx), refreshDirectory(ctx)]);
  const sites: SiteListing[] = records.map((r) => ({ hostname: r.hostname, applianceId: r.applianceId, via: 'primary-hostname' }));
  const taken = new Set(sites.map((s) => s.hostname));
  for (const [hostname, applianceId] of byStore.get(ctx.records.appliances) ?? []) {
    if (!taken.has(hostname)) sites.push({ hostname, applianceId, via: 'appliance-hostname' });
  }
  return { sites: sites.sort((a, b) => a.hostname.localeCompare(b.hostname)), applianceHostnames };
}

export const listSiteHosts = async (ctx: AppContext): Promise<SiteListing[]> => (await readSiteDirectory(ctx)).sites;

/** 404 for a site path on a host that names no site; the message lists the sites that exist. */
export async function unknownSite(ctx: AppContext, host: string | undefined): Promise<Error> {
  const sites = await listSiteHosts(ctx).catch(() => []);
  const shown = host ? `"${host.slice(0, 255)}"` : '(no Host header)';
  return notFound('UnknownSite', `no appliance site answers at host ${shown}: address a site by its hostname (Host header or its own port) or use /appliances/<applianceId>/...; ${describeSites(sites)}`);
}
