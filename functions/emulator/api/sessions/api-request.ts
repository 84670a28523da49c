import type { Context } from 'hono';
import { apiFlavor } from '../../core/api-flavor.js';
import { userApiPermissions, type ApiPermissions, type ApiPrincipal } from '../../core/api-access.js';
import type { Appliance } from '../../../platform/core/appliance.js';
import { actionSpec } from '../../core/command-xml.js';
import { DomainError, isDomainError, validationError } from '../../../platform/core/errors.js';
import { REPORT_ROOTS } from '../../core/report-xml.js';
import { authenticate } from '../../app/api-accounts.js';
import { noteApiCall } from '../../app/api-usage.js';
import { authenticateSiteUser } from '../../app/site-users.js';
import { overLimitDelay } from '../../app/source-limits.js';
import type { AppEnv } from '../../../platform/api/http.js';
import { noteApplianceVersion, noteVendorErrors } from './xml-response.js';
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

/** The client address of the request: the socket peer locally, the API Gateway source IP on Lambda. */
export function sourceAddress(c: Context<AppEnv>): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.requestContext?.http?.sourceIp ?? env?.requestContext?.identity?.sourceIp ?? 'unknown';
}

/** Which XML API a request addresses (its path ends in /api/command, /api/reporting or /api/backup, or their .ns twins). */
export function xmlApiOf(c: Context<AppEnv>): 'command' | 'reporting' | 'backup' | undefined {
  return /\/api\/(command|reporting|backup)(?:\.ns)?$/.exec(c.req.path)?.[1] as 'command' | 'reporting' | 'backup' | undefined;
}

/** The root an error of this request goes in (the action's or report's own root; none for an unknown one). */
function errorRootOf(api: ReturnType<typeof xmlApiOf>, params: Record<string, string>, appliance: Appliance): string | undefined {
  if (api === 'command') return actionSpec(params.action, apiFlavor(appliance.productVersion))?.root;
  if (api === 'reporting') return Object.hasOwn(REPORT_ROOTS, params.generate_report ?? '') ? REPORT_ROOTS[params.generate_report as keyof typeof REPORT_ROOTS] : undefined;
  return undefined;
}

export interface ApiCaller {
  appliance: Appliance;
  /** The caller's rights in the API account model (site users mapped onto it). */
  account: { permissions: ApiPermissions };
  principal: ApiPrincipal;
  params: Record<string, string>;
}

/**
 * Appliance + caller for the XML APIs, by either method every emulated version accepts: `Authorization:
 * Bearer` (an OAuth2 API account's token) or `username` + `password` parameters (a site user, the pre-16.1
 * way). A refused login answers like the appliance: `<error>Login failed</error>` inside the action's or
 * report's root, so clients that substring-match it keep working. Each authenticated call is noted
 * (api-usage.ts), which the upgrade planning reads to warn API users before a 10.6 crossing.
 */
export async function apiCaller(c: Context<AppEnv>, known?: Appliance): Promise<ApiCaller> {
  const appliance = known ?? (await siteAppliance(c));
  const api = xmlApiOf(c);
  let params: Record<string, string>;
  try {
    params = await readParams(c);
  } catch (e) {
    // A body we cannot read (multipart, JSON, too large) from a caller who shows no credential is first of all unauthenticated.
    const query = new URL(c.req.url).searchParams;
    const shown = c.req.header('authorization') !== undefined || query.has('username') || query.has('password');
    if (!shown && isDomainError(e)) throw inRoot(missingCredentials(), undefined);
    throw e;
  }
  if (api === 'command') noteVendorErrors(c, actionSpec(params.action, apiFlavor(appliance.productVersion))?.root);
  const ctx = c.get('services');
  let principal: ApiPrincipal;
  try {
    principal = await authenticateCaller(c, appliance, params);
  } catch (e) {
    if (isDomainError(e) && e.kind === 'rate-limited') await overLimitDelay();
    throw isDomainError(e) ? inRoot(e, errorRootOf(api, params, appliance)) : e;
  }
  const call = api === 'command' ? `command:${String(params.action).slice(0, 64)}` : api === 'reporting' ? `reporting:${String(params.generate_report).slice(0, 64)}` : (api ?? 'api');
  await noteApiCall(ctx, { applianceId: appliance.applianceId, kind: principal.kind, principalId: principal.id, name: principal.name, lastCall: call });
  return { appliance, account: { permissions: principal.permissions }, principal, params };
}

async function authenticateCaller(c: Context<AppEnv>, appliance: Appliance, params: Record<string, string>): Promise<ApiPrincipal> {
  const ctx = c.get('services');
  const authorization = c.req.header('authorization');
  if (authorization !== undefined && /^Bearer\b/i.test(authorization.trim())) {
    const account = await authenticate(ctx, appliance.applianceId, authorization);
    return { kind: 'api-account', id: account.clientId, name: account.name, permissions: account.permissions };
  }
  if (params.username === undefined && params.password === undefined) throw missingCredentials();
  const user = await authenticateSiteUser(ctx, appliance.applianceId, params.username ?? '', params.password ?? '', sourceAddress(c));
  return { kind: 'user', id: user.username, name: user.publicDisplayName, permissions: userApiPermissions(user.permissions), user };
}

const missingCredentials = () => new DomainError('unauthorized', 'MissingCredentials', 'Login failed', { hint: 'send username and password, or Authorization: Bearer <token> from /oauth2/token' });

/** The same refusal, to be written inside `root` (the vendor's shape for authentication failures). */
const inRoot = (e: DomainError, root: string | undefined) => new DomainError(e.kind, e.code, e.message, { ...e.details, vendorError: true, ...(root ? { errorRoot: root } : {}) }, { cause: e });

/**
 * Parameters of a vendor API call: the query string, plus for POST a url-encoded form body
 * (the vendor refuses multipart; so do we). A parameter given twice is refused rather than guessed.
 */
export async function readParams(c: Context<AppEnv>): Promise<Record<string, string>> {
  const known = paramsByRequest.get(c.req.raw);
  if (known) return known;
  const params = await parseParams(c);
  paramsByRequest.set(c.req.raw, params);
  return params;
}

// Read once per request: the authentication and the handler both need the parameters.
const paramsByRequest = new WeakMap<Request, Record<string, string>>();

async function parseParams(c: Context<AppEnv>): Promise<Record<string, string>> {
  const url = new URL(c.req.url);
  if (url.search.length > MAX_PARAMS_BYTES) throw tooLarge();
  const pairs: [string, string][] = [...url.searchParams];
  // The backup API's body is its own JSON (the backup password); its parameters are in the query string.
  const jsonBackup = xmlApiOf(c) === 'backup' && (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
  if (c.req.method === 'POST' && !jsonBackup) {
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
