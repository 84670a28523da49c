/**
 * Operator authentication for routes declared `auth: 'operator'` or `'appliance-admin'` (the control plane
 * administers the emulated appliances' /login and /appliance pages with the operator's credential):
 * `Authorization: Bearer <token>`, resolved against the hashed token records, then the route's role is
 * checked; with an OIDC issuer configured, a bearer JWT from it is verified instead (./oidc.ts). Enforced in one place (functions/platform/api/app.ts calls `authorizeRoute` before every handler).
 * `'api-account'` routes authenticate with the appliance's OAuth2 tokens in their own handlers.
 */
import type { Context } from 'hono';
import { authenticateToken, requireRole, type Operator, type Role } from '../../app/operator-identity.js';
import type { AppEnv, Route } from '../http.js';
import { appendLogContext } from '../../observability/log-context.js';
import { looksLikeJwt, verifyOperatorJwt } from './oidc.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** Set for routes with `auth: 'operator'` once the token is verified. */
    operator: Operator;
  }
}

/** A route that may name the role it requires (control routes do; default `viewer`). */
export type RoleAwareRoute = Route & { role?: Role };

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** An HTTP Basic credential (the appliance's admin: `auth: 'appliance-admin'` routes). */
export function basicCredential(header: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon > 0 ? { username: text.slice(0, colon), password: text.slice(colon + 1) } : undefined;
}

/** Reads need a viewer; anything that changes state needs an operator, unless the route names its role. */
export const requiredRole = (route: RoleAwareRoute): Role => route.role ?? (route.method === 'GET' ? 'viewer' : 'operator');

export async function authorizeRoute(c: Context<AppEnv>, route: RoleAwareRoute): Promise<void> {
  if (route.auth !== 'operator' && route.auth !== 'appliance-admin') return;
  const services = c.get('services');
  const basic = route.auth === 'appliance-admin' && route.applianceAdmin ? basicCredential(c.req.header('authorization')) : undefined;
  if (basic && route.applianceAdmin) {
    // The appliance's own admin (the control plane's site driver): never an operator token.
    const admin = await route.applianceAdmin(c, basic);
    appendLogContext({ actor: admin.operatorId });
    requireRole(admin, requiredRole(route));
    c.set('operator', admin);
    return;
  }
  const token = bearerToken(c.req.header('authorization'));
  // A JWT is an OIDC sign-in when an issuer is configured; anything else is looked up as an operator token.
  const operator = token && services.oidc && looksLikeJwt(token) ? await verifyOperatorJwt(token, services.oidc) : await authenticateToken(services, token);
  appendLogContext({ actor: operator.operatorId });
  requireRole(operator, requiredRole(route));
  c.set('operator', operator);
}

/** The verified operator of the current request. */
export function currentOperator(c: Context<AppEnv>): Operator {
  const operator = c.get('operator');
  if (!operator) throw new Error('route is not declared auth: operator');
  return operator;
}
