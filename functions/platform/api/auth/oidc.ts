/**
 * OIDC sign-in for operators: with `OIDC_ISSUER` and `OIDC_AUDIENCE` set, a bearer JWT from that issuer
 * is accepted in place of an operator token. It is verified with `jose` against the issuer's JWKS
 * (`OIDC_JWKS_URL`, or `jwks_uri` from the issuer's discovery document): signature, `iss`, `exp`/`nbf`,
 * and the audience (`aud` contains `OIDC_AUDIENCE`, or, for Amazon Cognito access tokens, which carry no
 * `aud`, `client_id` equals it). Roles come from a claim (`OIDC_ROLES_CLAIM`, default `groups`; Cognito
 * puts groups in `cognito:groups`), either named like the roles or mapped with `OIDC_ROLE_MAP`
 * (`{"<group>":["operator","approver"]}`). The operator id is the token's subject, so the four-eyes rule
 * (creator may not approve) holds on `sub`.
 *
 * `jose` (its JWT-verify and remote-JWKS modules only) is imported on the first JWT, so a cold start that
 * never sees one does not evaluate it.
 */
import { DomainError } from '../../core/errors.js';
import type { OidcSettings } from '../../adapters/oidc-settings.js';
import { ROLES, type Operator, type Role } from '../../app/operator-identity.js';

/** A compact JWS: three base64url parts, the header a JSON object. */
export const looksLikeJwt = (token: string) => /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);

interface Discovery {
  issuer?: string;
  jwks_uri?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
}

const discoveries = new Map<string, Promise<Discovery>>();

/** The issuer's discovery document, fetched once per process (a failure is not cached). */
export function discover(issuer: string): Promise<Discovery> {
  let found = discoveries.get(issuer);
  if (!found) {
    found = (async () => {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`discovery answered ${res.status}`);
      const doc = (await res.json()) as Discovery;
      if (doc.issuer && doc.issuer.replace(/\/$/, '') !== issuer) throw new Error(`discovery names issuer ${doc.issuer}, not ${issuer}`);
      return doc;
    })();
    discoveries.set(issuer, found);
    found.catch(() => discoveries.delete(issuer));
  }
  return found;
}

// Subpath imports: the whole of jose would add ~60 KB to every API bundle, these two ~18 KB.
type RemoteJwks = ReturnType<typeof import('jose/jwks/remote').createRemoteJWKSet>;
const keySets = new Map<string, RemoteJwks>();

async function keySetFor(settings: OidcSettings): Promise<RemoteJwks> {
  const jwksUrl = settings.jwksUrl ?? (await discover(settings.issuer).catch((e: Error) => {
    throw unavailable(`the identity provider's discovery document could not be read (${e.message})`);
  })).jwks_uri;
  if (!jwksUrl) throw unavailable('the identity provider publishes no jwks_uri; set OIDC_JWKS_URL');
  let set = keySets.get(jwksUrl);
  if (!set) {
    const { createRemoteJWKSet } = await import('jose/jwks/remote');
    // jose caches the keys and refetches (at most every 30 s) when a token names a key id it does not know.
    set = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5000 });
    keySets.set(jwksUrl, set);
  }
  return set;
}

const unauthorized = (message: string, code = 'Unauthorized') => new DomainError('unauthorized', code, message);
const unavailable = (message: string) => new DomainError('unavailable', 'IdentityProviderUnavailable', message);

/** Claim by name; a dotted name reaches into objects (`realm_access.roles`) unless the name itself is a claim. */
function claim(payload: Record<string, unknown>, name: string): unknown {
  if (name in payload) return payload[name];
  return name.split('.').reduce<unknown>((v, part) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined), payload);
}

export function rolesFromClaims(payload: Record<string, unknown>, settings: Pick<OidcSettings, 'rolesClaim' | 'roleMap'>): Role[] {
  const value = claim(payload, settings.rolesClaim);
  const names = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : [];
  const roles = settings.roleMap ? names.flatMap((n) => settings.roleMap![n] ?? []) : names.filter((n): n is Role => (ROLES as readonly string[]).includes(n));
  return [...new Set(roles)].sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b));
}

const SUBJECT = /^[\x21-\x7e]{1,255}$/;

/** Verifies a bearer JWT and returns the operator it names; 401 for any invalid token, 403 when it grants no role. */
export async function verifyOperatorJwt(token: string, settings: OidcSettings): Promise<Operator> {
  const { jwtVerify } = await import('jose/jwt/verify');
  const keys = await keySetFor(settings);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: settings.issuer,
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      clockTolerance: 5,
      requiredClaims: ['sub', 'exp'],
    }));
  } catch (e) {
    const err = e as { code?: string; claim?: string; message?: string };
    if (err.code === 'ERR_JWT_EXPIRED') throw unauthorized('the sign-in token has expired; sign in again', 'TokenExpired');
    if (err.code === 'ERR_JWKS_NO_MATCHING_KEY') throw unauthorized('the sign-in token is signed with a key the identity provider does not publish');
    if (err.code === 'ERR_JWKS_TIMEOUT' || err.code === 'ERR_JOSE_GENERIC' || err.code === 'ERR_JWKS_INVALID') throw unavailable(`the identity provider's keys could not be read (${err.message})`);
    if (err.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && err.claim === 'iss') throw unauthorized(`the sign-in token was not issued by ${settings.issuer}`);
    throw unauthorized(`the sign-in token is not valid (${err.code ?? 'invalid'})`);
  }
  const aud = payload.aud;
  const audiences = Array.isArray(aud) ? aud : typeof aud === 'string' ? [aud] : [];
  const cognitoAccessToken = audiences.length === 0 && payload.token_use === 'access' && payload.client_id === settings.audience;
  if (!audiences.includes(settings.audience) && !cognitoAccessToken) throw unauthorized(`the sign-in token is not meant for this API (audience ${settings.audience})`);
  const sub = String(payload.sub);
  if (!SUBJECT.test(sub)) throw unauthorized('the sign-in token has an unusable subject');
  const roles = rolesFromClaims(payload, settings);
  if (roles.length === 0) {
    throw new DomainError('forbidden', 'NoRoleGranted', `the identity provider grants ${sub} no role here (claim ${settings.rolesClaim}); ask an admin to add you to a role group`);
  }
  const name = [payload.name, payload.email, payload.preferred_username, payload['cognito:username']].find((v): v is string => typeof v === 'string' && v !== '');
  return { operatorId: sub, displayName: name ?? sub, roles };
}

/** What the console needs for the authorization code + PKCE flow (public: no secret involved). */
export async function consoleSignInConfig(settings: OidcSettings | undefined) {
  if (!settings) return { oidc: null };
  let authorizationEndpoint = settings.authorizationEndpoint;
  let tokenEndpoint = settings.tokenEndpoint;
  if (!authorizationEndpoint || !tokenEndpoint) {
    const doc = await discover(settings.issuer).catch((e: Error) => {
      throw unavailable(`the identity provider's discovery document could not be read (${e.message})`);
    });
    authorizationEndpoint ??= doc.authorization_endpoint;
    tokenEndpoint ??= doc.token_endpoint;
  }
  if (!authorizationEndpoint || !tokenEndpoint) throw unavailable('the identity provider names no authorization or token endpoint; set OIDC_AUTHORIZATION_ENDPOINT and OIDC_TOKEN_ENDPOINT');
  return { oidc: { issuer: settings.issuer, clientId: settings.clientId, authorizationEndpoint, tokenEndpoint, scope: settings.scope } };
}
