import { validationError } from './errors.js';

/** A dotted numeric version: product (10.5.2, 11.1.1) or base software (3.2.4). */
export type Version = readonly number[];

const VERSION_PATTERN = /^(\d{1,5})(?:\.(\d{1,5})){1,3}$/;

export function isVersionString(text: unknown): text is string {
  return typeof text === 'string' && VERSION_PATTERN.test(text.trim());
}

// Versions repeat endlessly (every API call compares its appliance's): parse each text once.
const parsed = new Map<string, Version>();

export function parseVersion(text: string): Version {
  const known = parsed.get(text);
  if (known) return known;
  const trimmed = String(text).trim();
  if (!VERSION_PATTERN.test(trimmed)) {
    throw validationError('InvalidVersion', `"${text}" is not a version (expected digits separated by dots, e.g. 10.6.0)`);
  }
  const version = Object.freeze(trimmed.split('.').map(Number));
  if (parsed.size < 10_000) parsed.set(text, version);
  return version;
}

/** Negative when a < b, zero when equal (missing components count as 0), positive when a > b. */
export function compareVersions(a: string | Version, b: string | Version): number {
  const va = typeof a === 'string' ? parseVersion(a) : a;
  const vb = typeof b === 'string' ? parseVersion(b) : b;
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const d = (va[i] ?? 0) - (vb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export const isAtLeast = (version: string, minimum: string) => compareVersions(version, minimum) >= 0;

/** Product 10.6 (API 1.5.0) switched LSID to a 32-hex GUID, added LSEQ and the XML namespace. */
export const GUID_LSID_SINCE = '10.6';
export const usesGuidLsid = (productVersion: string) => isAtLeast(productVersion, GUID_LSID_SINCE);
/** Before 10.6, sessions completed while failover was broken are not synchronized on re-establish. */
export const syncsBrokenPairSessions = usesGuidLsid;

export const API_NAMESPACE = 'http://www.networkstreaming.com/namespaces/API';

/** Product major.minor → API version, from the vendor's API change log. */
const API_VERSIONS: [string, string][] = [
  ['10.1', '1.0.0'], ['10.2', '1.1.0'], ['10.3', '1.2.0'], ['10.4', '1.3.0'], ['10.5', '1.4.0'],
  ['10.6', '1.5.0'], ['11.1', '1.6.0'], ['12.1', '1.7.0'], ['12.2', '1.8.0'], ['12.3', '1.9.0'],
  ['13.1', '1.10.0'], ['14.1', '1.11.0'], ['14.2', '1.12.0'], ['15.1', '1.13.0'], ['15.2', '1.13.1'],
  ['16.1', '1.15.0'], ['16.2', '1.15.1'], ['17.1', '1.16.0'], ['18.2', '1.18.0'], ['19.1', '1.19.0'],
  ['19.2', '1.19.2'], ['21.1', '1.21.0'], ['21.3', '1.21.1'], ['22.1', '1.22.1'], ['22.2', '1.22.2'],
  ['23.1', '1.23.1'], ['24.1', '1.24.1'],
];

/** The API version an appliance of `productVersion` speaks (the newest entry not above it). */
export function apiVersionFor(productVersion: string): string {
  let api = API_VERSIONS[0]![1];
  for (const [product, version] of API_VERSIONS) if (isAtLeast(productVersion, product)) api = version;
  return api;
}

export const usesXmlNamespace = (productVersion: string) => isAtLeast(apiVersionFor(productVersion), '1.5.0');
