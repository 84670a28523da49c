/**
 * Operator authentication for routes declared `auth: 'operator'`: `Authorization: Bearer <token>`,
 * resolved against the hashed token records, then the route's role is checked. Enforced in one place
 * (functions/api/app.ts calls `authorizeRoute` before every handler); other auth kinds are left to their areas.
 */
import type { Context } from 'hono';
import { authenticateToken, requireRole, type Operator, type Role } from '../../app/operator-tokens.js';
import type { AppEnv, Route } from '../http.js';

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

export async function authorizeRoute(c: Context<AppEnv>, route: RoleAwareRoute): Promise<void> {
  if (route.auth !== 'operator') return;
  const operator = await authenticateToken(c.get('services'), bearerToken(c.req.header('authorization')));
  requireRole(operator, route.role ?? 'viewer');
  c.set('operator', operator);
}

/** The verified operator of the current request. */
export function currentOperator(c: Context<AppEnv>): Operator {
  const operator = c.get('operator');
  if (!operator) throw new Error('route is not declared auth: operator');
  return operator;
}
