import { DomainError } from '../../core/errors.js';
import { issueToken } from '../../app/api-accounts.js';
import type { RouteHandler } from '../http.js';
import { siteAppliance } from './api-request.js';
import { MAX_PARAMS_BYTES } from './api-request.js';

/** POST /appliances/:applianceId/oauth2/token: client credentials grant (form body, Basic client auth). */
export const tokenHandler: RouteHandler = async (c) => {
  const appliance = await siteAppliance(c);
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new DomainError('unsupported-media', 'invalid_request', 'the token request must be application/x-www-form-urlencoded');
  }
  const body = await c.req.text();
  if (Buffer.byteLength(body) > MAX_PARAMS_BYTES) throw new DomainError('too-large', 'invalid_request', 'token request body too large');
  const form = new URLSearchParams(body);
  const token = await issueToken(c.get('services'), appliance.applianceId, c.req.header('authorization'), form.get('grant_type') ?? undefined);
  return c.json(token, 200, { 'cache-control': 'no-store', pragma: 'no-cache' });
};
