/**
 * Operator tokens for the control API and console. A token is shown once when issued; only its SHA-256
 * is stored (runs table), so a leaked table does not leak usable credentials. Each token has a public
 * `tokenId` (the first 16 hex digits of that hash: it names the token without being usable) by which an
 * admin lists and revokes it; revoked tokens stay listed, with who revoked them and when. Verifying a
 * token (and the roles) is the platform's (functions/platform/app/operator-identity.ts): both systems' APIs do it.
 */
import { randomBytes } from 'node:crypto';
import { notFound, validationError } from '../../platform/core/errors.js';
import { queryAll, type StoredItem } from '../../platform/core/ports.js';
import type { AppContext } from '../../platform/app/context.js';
import { operatorTokenKey } from '../../platform/app/keys.js';
import { operatorTokenHash as sha256, ROLES, type Operator, type Role } from '../../platform/app/operator-identity.js';

/** Audit id (`RUN#operator-tokens`) under which token creation and revocation are recorded. */
export const TOKEN_AUDIT_ID = 'operator-tokens';
/** What an admin sees of a token: never the secret. */
export interface OperatorTokenSummary extends Operator {
  tokenId: string;
  createdAt: string;
  createdBy?: string;
  expiresAt?: number;
  revokedAt?: string;
  revokedBy?: string;
  status: 'active' | 'expired' | 'revoked';
}

export const tokenIdOf = (token: string) => sha256(token).slice(0, 16);
const OPERATOR_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const TOKENS_INDEX = 'OPERATOR-TOKENS';
/** Longest lifetime an issued token may have (one year). */
export const MAX_TOKEN_TTL_HOURS = 24 * 366;

export async function issueOperatorToken(
  ctx: AppContext,
  input: Operator & { token?: string; ttlHours?: number; createdBy?: string },
): Promise<{ token: string; tokenId: string; operator: Operator; expiresAt?: number }> {
  if (!OPERATOR_ID.test(input.operatorId)) throw validationError('InvalidOperatorId', 'operatorId must be 1-64 letters, digits, ".", "_", "@" or "-"');
  const roles = [...new Set(input.roles)];
  if (roles.length === 0 || roles.some((r) => !ROLES.includes(r))) throw validationError('InvalidRoles', `roles must be some of ${ROLES.join(', ')}`);
  if (input.ttlHours !== undefined && !(input.ttlHours > 0 && input.ttlHours <= MAX_TOKEN_TTL_HOURS)) {
    throw validationError('InvalidExpiry', `ttlHours must be more than 0 and at most ${MAX_TOKEN_TTL_HOURS}`);
  }
  // A caller-chosen token is for fixed demo credentials; it still needs to be long enough to not be guessable by accident.
  const token = input.token ?? `ucp_${randomBytes(32).toString('base64url')}`;
  if (token.length < 16) throw validationError('TokenTooShort', 'a token needs at least 16 characters');
  const now = ctx.clock.now();
  const expiresAt = input.ttlHours ? Math.floor(now.getTime() / 1000 + input.ttlHours * 3600) : undefined;
  const operator = { operatorId: input.operatorId, displayName: input.displayName, roles };
  const tokenId = tokenIdOf(token);
  await ctx.records.runs.put({
    ...operatorTokenKey(sha256(token)),
    gsi1pk: TOKENS_INDEX,
    gsi1sk: tokenId,
    type: 'operator-token',
    tokenId,
    ...operator,
    createdAt: now.toISOString(),
    ...(input.createdBy ? { createdBy: input.createdBy } : {}),
    expiresAt,
  });
  return { token, tokenId, operator, expiresAt };
}

function summaryOf(item: StoredItem, nowMs: number): OperatorTokenSummary {
  const expiresAt = typeof item.expiresAt === 'number' ? item.expiresAt : undefined;
  const revokedAt = typeof item.revokedAt === 'string' ? item.revokedAt : undefined;
  return {
    tokenId: String(item.tokenId),
    operatorId: String(item.operatorId),
    displayName: String(item.displayName),
    roles: (item.roles as Role[]) ?? [],
    createdAt: String(item.createdAt),
    ...(item.createdBy ? { createdBy: String(item.createdBy) } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(revokedAt ? { revokedAt, revokedBy: String(item.revokedBy) } : {}),
    status: revokedAt ? 'revoked' : expiresAt !== undefined && expiresAt * 1000 <= nowMs ? 'expired' : 'active',
  };
}

/** Every token (newest first), without secrets or hashes. */
export async function listOperatorTokens(ctx: AppContext): Promise<OperatorTokenSummary[]> {
  const now = ctx.clock.now().getTime();
  const items = await queryAll(ctx.records.runs, { index: 'gsi1', pk: TOKENS_INDEX });
  return items.map((i) => summaryOf(i, now)).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.tokenId.localeCompare(b.tokenId));
}

/** Revokes by id; revoking a revoked token answers the same record again (safe to retry). */
export async function revokeOperatorTokenById(ctx: AppContext, tokenId: string, actor: string): Promise<OperatorTokenSummary> {
  const [item] = await queryAll(ctx.records.runs, { index: 'gsi1', pk: TOKENS_INDEX, sk: { eq: tokenId } });
  if (!item) throw notFound('TokenNotFound', `operator token ${tokenId} does not exist`, { tokenId });
  if (!item.revokedAt) {
    const { gsi1pk, gsi1sk, ...rest } = item;
    await ctx.records.runs.put({ ...rest, gsi1pk, gsi1sk, revokedAt: ctx.clock.now().toISOString(), revokedBy: actor });
  }
  const current = await ctx.records.runs.get({ pk: item.pk, sk: item.sk });
  return summaryOf(current ?? item, ctx.clock.now().getTime());
}

/** Deletes the token's record (tests and scripts holding the token itself). */
export async function revokeOperatorToken(ctx: AppContext, token: string): Promise<void> {
  await ctx.records.runs.delete(operatorTokenKey(sha256(token)));
}
