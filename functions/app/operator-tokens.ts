/**
 * Operator tokens for the control API and console. A token is shown once when issued; only its SHA-256
 * is stored (runs table), so a leaked table does not leak usable credentials.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DomainError, validationError } from '../core/errors.js';
import type { AppContext } from './context.js';
import { operatorTokenKey } from './keys.js';

export const ROLES = ['viewer', 'operator', 'approver'] as const;
export type Role = (typeof ROLES)[number];

export interface Operator {
  operatorId: string;
  displayName: string;
  roles: Role[];
}

/**
 * Roles are independent grants, each including read access: `viewer` reads; `operator` plans, creates,
 * starts and cancels runs and campaigns; `approver` signs off interims and starts campaigns.
 */
export const hasRole = (operator: Operator, required: Role) => required === 'viewer' || operator.roles.includes(required);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const OPERATOR_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export async function issueOperatorToken(
  ctx: AppContext,
  input: Operator & { token?: string; ttlHours?: number },
): Promise<{ token: string; operator: Operator; expiresAt?: number }> {
  if (!OPERATOR_ID.test(input.operatorId)) throw validationError('InvalidOperatorId', 'operatorId must be 1-64 letters, digits, ".", "_", "@" or "-"');
  const roles = [...new Set(input.roles)];
  if (roles.length === 0 || roles.some((r) => !ROLES.includes(r))) throw validationError('InvalidRoles', `roles must be some of ${ROLES.join(', ')}`);
  // A caller-chosen token is for fixed demo credentials; it still needs to be long enough to not be guessable by accident.
  const token = input.token ?? `ucp_${randomBytes(32).toString('base64url')}`;
  if (token.length < 16) throw validationError('TokenTooShort', 'a token needs at least 16 characters');
  const expiresAt = input.ttlHours ? Math.floor(ctx.clock.now().getTime() / 1000 + input.ttlHours * 3600) : undefined;
  const operator = { operatorId: input.operatorId, displayName: input.displayName, roles };
  await ctx.records.runs.put({ ...operatorTokenKey(sha256(token)), type: 'operator-token', ...operator, createdAt: ctx.clock.now().toISOString(), expiresAt });
  return { token, operator, expiresAt };
}

export async function revokeOperatorToken(ctx: AppContext, token: string): Promise<void> {
  await ctx.records.runs.delete(operatorTokenKey(sha256(token)));
}

const unauthorized = (message: string) => new DomainError('unauthorized', 'Unauthorized', message);

/** Resolves a bearer token to its operator; refuses unknown and expired tokens alike (401). */
export async function authenticateToken(ctx: AppContext, token: string | undefined): Promise<Operator> {
  if (!token) throw unauthorized('an operator token is required: Authorization: Bearer <token>');
  const item = await ctx.records.runs.get(operatorTokenKey(sha256(token)));
  const expired = typeof item?.expiresAt === 'number' && item.expiresAt * 1000 <= ctx.clock.now().getTime();
  if (!item || expired) throw unauthorized('the operator token is not valid (unknown, revoked or expired)');
  return { operatorId: String(item.operatorId), displayName: String(item.displayName), roles: (item.roles as Role[]) ?? [] };
}

export function requireRole(operator: Operator, required: Role): void {
  if (!hasRole(operator, required)) {
    throw new DomainError('forbidden', 'RoleRequired', `this action needs the ${required} role; ${operator.operatorId} has ${operator.roles.join(', ') || 'none'}`, { requiredRole: required, roles: operator.roles });
  }
}
