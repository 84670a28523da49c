/**
 * Site addressing, the pure part: which host a request names, and whether that host could be a site at
 * all. An appliance's site answers on its own hostname and on every primary hostname (emulated DNS
 * record) that points at it; addresses (`127.0.0.1`, `[::1]`) and `localhost` name the control plane.
 */

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The hostname a `Host` header (or URL authority) names, lower-cased, without port or trailing dot;
 * undefined when it cannot name a site: empty, an IP address, `localhost`, or not a DNS name.
 * Cheap on purpose: it decides, with no read, that a request to `127.0.0.1:3000` is for the control plane.
 */
export function siteHostname(host: string | undefined | null): string | undefined {
  if (!host) return undefined;
  const raw = host.trim().toLowerCase();
  if (raw.startsWith('[')) return undefined; // IPv6 literal
  const name = raw.replace(/:\d*$/, '').replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || IPV4.test(name) || !DNS_NAME.test(name)) return undefined;
  return name;
}

/** A site's hostname as stored (appliance.hostname is kept as entered): the form requests are compared in. */
export const canonicalHostname = (hostname: string) => hostname.trim().toLowerCase().replace(/\.$/, '');

export interface SiteListing {
  hostname: string;
  applianceId: string;
  via: 'primary-hostname' | 'appliance-hostname';
}

/**
 * The sites a request may name, for the unknown-host error: sorted, at most `max` named, so the message
 * stays short with a large fleet.
 */
export function describeSites(sites: readonly SiteListing[], max = 12): string {
  if (sites.length === 0) return 'no site exists yet';
  const sorted = [...sites].sort((a, b) => a.hostname.localeCompare(b.hostname));
  const named = sorted.slice(0, max).map((s) => (s.via === 'primary-hostname' ? `${s.hostname} (→ ${s.applianceId})` : `${s.hostname} (${s.applianceId})`));
  const more = sorted.length > max ? `, and ${sorted.length - max} more` : '';
  return `sites: ${named.join(', ')}${more}`;
}
