/**
 * Who an operator is and how a bearer operator token is verified: shared by both systems' APIs (the
 * control API /v1 and the emulator's fleet routes `/appliances`, `/failover-pairs`... all take operator
 * tokens), so it sits in the platform. Issuing, listing and revoking tokens is the control plane's
 * (functions/control-plane/app/operator-tokens.ts); both read the same hashed records (runs table).
 */
import { createHash } from 'node:crypto';
import { DomainError } from '../core/errors.js';
import type { AppContext } from './context.js';
import { operatorTokenKey } from './keys.js';

export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Operator {
  operatorId: string;
  displayName: string;
  roles: Role[];
}

/**
 * Roles are independent grants, each including read access: `viewer` reads; `operator` plans, creates,
 * starts and cancels runs and campaigns; `approver` signs off interims and starts campaigns; `admin`
 * administers operator tokens.
 */
export const hasRole = (operator: Operator, required: Role) => required === 'viewer' || operator.roles.includes(required);

/** Only this hash of a token is stored, so a leaked table does not leak usable credentials. */
export const operatorTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

const unauthorized = (message: string) => new DomainError('unauthorized', 'Unauthorized', message);

/** Resolves a bearer token to its operator; refuses unknown, revoked and expired tokens alike (401). */
export async function authenticateToken(ctx: AppContext, token: string | undefined): Promise<Operator> {
  if (!token) throw unauthorized('an operator token is required: Authorization: Bearer <token>');
  const item = await ctx.records.runs.get(operatorTokenKey(operatorTokenHash(token)));
  const expired = typeof item?.expiresAt === 'number' && item.expiresAt * 1000 <= ctx.clock.now().getTime();
  if (!item || expired || item.revokedAt) throw unauthorized('the operator token is not valid (unknown, revoked or expired)');
  return { operatorId: String(item.operatorId), displayName: String(item.displayName), roles: (item.roles as Role[]) ?? [] };
}

export function requireRole(operator: Operator, required: Role): void {
  if (!hasRole(operator, required)) {
    throw new DomainError('forbidden', 'RoleRequired', `this action needs the ${required} role; ${operator.operatorId} has ${operator.roles.join(', ') || 'none'}`, { requiredRole: required, roles: operator.roles });
  }
}
