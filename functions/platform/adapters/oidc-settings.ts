/**
 * OIDC settings (environment): with `OIDC_ISSUER` and `OIDC_AUDIENCE` set, the API accepts bearer JWTs
 * from that issuer (functions/platform/api/auth/oidc.ts verifies them). Read once when the services are built, so
 * a bad value fails the cold start with the variable's name.
 */
import * as z from 'zod/mini';
import { trimmed } from '../core/validation.js';
import { ROLES, type Role } from '../app/operator-identity.js';

export interface OidcSettings {
  issuer: string;
  audience: string;
  jwksUrl?: string;
  rolesClaim: string;
  roleMap?: Record<string, Role[]>;
  /** For the console's authorization code + PKCE flow (public client). */
  clientId: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  scope: string;
}

// Plain checks rather than zod's url()/record()/pipe(): this module is in every API bundle, and those
// pull in ~4 KB of zod that nothing else there uses (the 300 KB bundle budget is tight).
const isUrl = (v: string) => {
  try {
    return ['https:', 'http:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
};
const url = trimmed(z.refine(isUrl, 'expected an http(s) URL'));
const roleMap = trimmed(
  z.refine((text: string) => {
    try {
      const parsed = JSON.parse(text) as unknown;
      return (
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) &&
        Object.values(parsed).every((roles) => Array.isArray(roles) && roles.length > 0 && roles.every((r) => (ROLES as readonly unknown[]).includes(r)))
      );
    } catch {
      return false;
    }
  }, `must be a JSON object of group → roles (${ROLES.join(', ')}), e.g. {"ops-team":["operator"]}`),
);
const envSchema = z.object({
  OIDC_ISSUER: url,
  OIDC_AUDIENCE: trimmed(z.minLength(1)),
  OIDC_JWKS_URL: z.optional(url),
  OIDC_ROLES_CLAIM: z._default(trimmed(z.minLength(1)), 'groups'),
  OIDC_ROLE_MAP: z.optional(roleMap),
  OIDC_CLIENT_ID: z.optional(trimmed(z.minLength(1))),
  OIDC_AUTHORIZATION_ENDPOINT: z.optional(url),
  OIDC_TOKEN_ENDPOINT: z.optional(url),
  OIDC_SCOPE: z._default(trimmed(z.minLength(1)), 'openid email profile'),
});

/** OIDC settings from the environment, `undefined` when no issuer is configured; bad values fail with the variable's name. */
export function oidcSettings(env: Record<string, string | undefined> = process.env): OidcSettings | undefined {
  const raw = Object.fromEntries(Object.keys(envSchema.shape).map((k) => [k, env[k]?.trim() || undefined]));
  if (!raw.OIDC_ISSUER && !raw.OIDC_AUDIENCE) return undefined;
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid configuration: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  return {
    issuer: e.OIDC_ISSUER.replace(/\/$/, ''),
    audience: e.OIDC_AUDIENCE,
    jwksUrl: e.OIDC_JWKS_URL,
    rolesClaim: e.OIDC_ROLES_CLAIM,
    roleMap: e.OIDC_ROLE_MAP === undefined ? undefined : (JSON.parse(e.OIDC_ROLE_MAP) as Record<string, Role[]>),
    clientId: e.OIDC_CLIENT_ID ?? e.OIDC_AUDIENCE,
    authorizationEndpoint: e.OIDC_AUTHORIZATION_ENDPOINT,
    tokenEndpoint: e.OIDC_TOKEN_ENDPOINT,
    scope: e.OIDC_SCOPE,
  };
}

