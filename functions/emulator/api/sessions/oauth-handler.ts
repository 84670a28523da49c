import { parseBasicAuth } from '../../core/api-access.js';
import { DomainError, isDomainError, validationError } from '../../../platform/core/errors.js';
import { assertTokenSourceAllowed, issueToken, noteTokenFailure, type ClientCredentials } from '../../app/api-accounts.js';
import { overLimitDelay } from '../../app/source-limits.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { MAX_PARAMS_BYTES, siteAppliance, sourceAddress } from './api-request.js';

interface TokenRequest {
  grantType?: string;
  client?: ClientCredentials;
}

/**
 * The forms real clients send (RFC 6749 §2.3.1, §4.4): `Authorization: Basic` with a form body, or
 * `client_id`/`client_secret` in the form body, or the same fields in a JSON body. Using two client
 * authentication methods at once, or a parameter twice, is an invalid request.
 */
async function readTokenRequest(c: Parameters<RouteHandler>[0]): Promise<TokenRequest> {
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > MAX_PARAMS_BYTES) throw new DomainError('too-large', 'invalid_request', 'token request body too large');
  const body = await c.req.text();
  if (Buffer.byteLength(body) > MAX_PARAMS_BYTES) throw new DomainError('too-large', 'invalid_request', 'token request body too large');
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const fields: Record<string, string> = {};
  if (type === 'application/x-www-form-urlencoded' || (type === '' && body === '')) {
    for (const [k, v] of new URLSearchParams(body)) {
      if (Object.hasOwn(fields, k)) throw validationError('invalid_request', `parameter ${k.slice(0, 64)} was given more than once`);
      fields[k] = v;
    }
  } else if (type === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      throw validationError('invalid_request', 'the request body is not valid JSON');
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw validationError('invalid_request', 'the JSON body must be an object');
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string') throw validationError('invalid_request', `${k.slice(0, 64)} must be a string`);
      fields[k] = v;
    }
  } else {
    throw new DomainError('unsupported-media', 'invalid_request', 'send the token request as application/x-www-form-urlencoded (or application/json)');
  }
  const header = c.req.header('authorization');
  const basic = header !== undefined && /^Basic\b/i.test(header.trim()) ? parseBasicAuth(header) : undefined;
  if (header !== undefined && /^Basic\b/i.test(header.trim()) && !basic) return { grantType: fields.grant_type };
  if (basic && fields.client_secret !== undefined) throw validationError('invalid_request', 'use one client authentication method: Basic or client_secret in the body, not both');
  if (basic && fields.client_id !== undefined && fields.client_id !== basic.clientId) throw validationError('invalid_request', 'client_id in the body does not match the Basic credentials');
  const client = basic ?? (fields.client_id !== undefined && fields.client_secret !== undefined ? { clientId: fields.client_id, clientSecret: fields.client_secret } : undefined);
  return { grantType: fields.grant_type, client };
}

/** POST /appliances/:applianceId/oauth2/token: client credentials grant → `{access_token, token_type, expires_in}`. */
export const tokenHandler: RouteHandler = async (c) => {
  const ctx = c.get('services');
  const source = sourceAddress(c);
  // First, before any store read: a source over its limits costs one map lookup (and waits for its answer).
  try {
    assertTokenSourceAllowed(ctx, source);
  } catch (e) {
    await overLimitDelay();
    throw e;
  }
  const appliance = await siteAppliance(c);
  let request: TokenRequest;
  try {
    request = await readTokenRequest(c);
  } catch (e) {
    if (isDomainError(e)) noteTokenFailure(ctx, source);
    throw e;
  }
  const token = await issueToken(ctx, appliance.applianceId, request.client, request.grantType, source);
  return c.json(token, 200, { 'cache-control': 'no-store', pragma: 'no-cache' });
};
