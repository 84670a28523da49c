import type { Context } from 'hono';
import type { Appliance } from '../../core/appliance.js';
import { DomainError, validationError } from '../../core/errors.js';
import { authenticate, type ApiAccount } from '../../app/api-accounts.js';
import type { AppEnv } from '../http.js';
import { noteApplianceVersion } from './xml-response.js';
import { addressedApplianceRecord, assertSiteUp } from '../site/site-address.js';

export { siteApplianceId, sitePath } from '../site/site-address.js';

/** Largest accepted parameter payload (query string or form body): 1,000 lsids fit comfortably. */
export const MAX_PARAMS_BYTES = 64 * 1024;

/** The appliance a site request addresses, in whatever state; its version sets the XML errors' namespace. */
export async function addressedAppliance(c: Context<AppEnv>): Promise<Appliance> {
  const appliance = await addressedApplianceRecord(c);
  noteApplianceVersion(c, appliance.productVersion);
  return appliance;
}

/**
 * The appliance a site API request addresses, refused while its site is down (installing/restarting:
 * 503 with Retry-After until the modelled restart ends).
 */
export async function siteAppliance(c: Context<AppEnv>): Promise<Appliance> {
  const appliance = await addressedAppliance(c);
  assertSiteUp(c, appliance);
  return appliance;
}

/** Appliance + bearer-token account for the XML APIs. */
export async function apiCaller(c: Context<AppEnv>): Promise<{ appliance: Appliance; account: ApiAccount }> {
  const appliance = await siteAppliance(c);
  const account = await authenticate(c.get('services'), appliance.applianceId, c.req.header('authorization'));
  return { appliance, account };
}

/**
 * Parameters of a vendor API call: the query string, plus for POST a url-encoded form body
 * (the vendor refuses multipart; so do we). A parameter given twice is refused rather than guessed.
 */
export async function readParams(c: Context<AppEnv>): Promise<Record<string, string>> {
  const url = new URL(c.req.url);
  if (url.search.length > MAX_PARAMS_BYTES) throw tooLarge();
  const pairs: [string, string][] = [...url.searchParams];
  if (c.req.method === 'POST') {
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > MAX_PARAMS_BYTES) throw tooLarge();
    const body = await c.req.text();
    if (Buffer.byteLength(body) > MAX_PARAMS_BYTES) throw tooLarge();
    if (body.length > 0) {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') {
        throw new DomainError('unsupported-media', 'UnsupportedContentType', 'POST parameters must be sent as application/x-www-form-urlencoded (multipart is not supported)');
      }
      pairs.push(...new URLSearchParams(body));
    }
  }
  const params: Record<string, string> = {};
  for (const [k, v] of pairs) {
    if (Object.hasOwn(params, k)) throw validationError('DuplicateParameter', `parameter ${k.slice(0, 64)} was given more than once`);
    params[k] = v;
  }
  return params;
}

const tooLarge = () => new DomainError('too-large', 'RequestTooLarge', `request parameters exceed ${MAX_PARAMS_BYTES} bytes`);
