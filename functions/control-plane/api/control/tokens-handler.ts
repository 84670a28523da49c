/**
 * Operator token administration (`admin` role): issue a token with roles and an expiry (the secret is in
 * this one answer only, `Cache-Control: no-store`), list tokens without secrets, revoke one. Every change
 * is audited under the audit id `operator-tokens` and listed with the tokens.
 */
import * as z from 'zod/mini';
import { listAudit, appendAudit } from '../../app/run-store.js';
import { issueOperatorToken, listOperatorTokens, MAX_TOKEN_TTL_HOURS, revokeOperatorTokenById, TOKEN_AUDIT_ID } from '../../app/operator-tokens.js';
import { ROLES } from '../../../platform/app/operator-identity.js';
import { trimmed } from '../../../platform/core/validation.js';
import { controlRoute } from './control-route.js';
import { schemas } from './schemas.js';

const named = <T extends z.ZodMiniType>(id: string, schema: T): T => {
  schemas.add(schema, { id });
  return schema;
};

const Roles = z.array(z.enum(ROLES)).check(z.minLength(1, 'at least one role'), z.maxLength(ROLES.length));
const TokenSummary = named(
  'OperatorToken',
  z.object({
    tokenId: z.string(),
    operatorId: z.string(),
    displayName: z.string(),
    roles: z.array(z.enum(ROLES)),
    createdAt: z.string(),
    createdBy: z.optional(z.string()),
    expiresAt: z.optional(z.number()).check(z.describe('epoch seconds')),
    revokedAt: z.optional(z.string()),
    revokedBy: z.optional(z.string()),
    status: z.enum(['active', 'expired', 'revoked']),
  }),
);
const CreateTokenRequest = named(
  'CreateTokenRequest',
  z.strictObject({
    operatorId: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'expected 1-64 letters, digits, ".", "_", "@" or "-"')),
    displayName: z.optional(trimmed(z.minLength(1), z.maxLength(100))),
    roles: Roles,
    expiresInHours: z.number().check(z.positive(), z.lte(MAX_TOKEN_TTL_HOURS), z.describe(`lifetime in hours (at most ${MAX_TOKEN_TTL_HOURS})`)),
  }),
);
const CreatedToken = named(
  'CreatedToken',
  z.object({ token: z.string().check(z.describe('shown once; only its SHA-256 is stored')), tokenId: z.string(), operator: z.object({ operatorId: z.string(), displayName: z.string(), roles: z.array(z.enum(ROLES)) }), expiresAt: z.number() }),
);
const TokenList = named('OperatorTokenList', z.object({ tokens: z.array(TokenSummary), audit: z.array(z.unknown()) }));
const TokenIdParams = z.object({ tokenId: z.string().check(z.regex(/^[0-9a-f]{16}$/, 'expected a 16-hex-digit token id')) });

export const tokenRoutes = [
  controlRoute({
    method: 'GET',
    path: '/v1/tokens',
    role: 'admin',
    summary: 'Operator tokens (no secrets) and their audit trail',
    response: { status: 200, schema: TokenList },
    handle: async ({ ctx }) => ({ status: 200, body: { tokens: await listOperatorTokens(ctx), audit: await listAudit(ctx, TOKEN_AUDIT_ID) } }),
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/tokens',
    role: 'admin',
    summary: 'Issue an operator token with roles and an expiry (the token is shown once)',
    body: CreateTokenRequest,
    response: { status: 201, schema: CreatedToken },
    replayable: false,
    handle: async ({ c, ctx, operator, body }) => {
      const issued = await issueOperatorToken(ctx, { operatorId: body.operatorId, displayName: body.displayName ?? body.operatorId, roles: body.roles, ttlHours: body.expiresInHours, createdBy: operator.operatorId });
      await appendAudit(ctx, { runId: TOKEN_AUDIT_ID, step: 'token.create', actor: operator.operatorId, outcome: 'succeeded', inputs: { tokenId: issued.tokenId, ...body }, detail: `${issued.tokenId} for ${body.operatorId} (${body.roles.join(', ')}), expires ${new Date(issued.expiresAt! * 1000).toISOString()}` });
      c.header('cache-control', 'no-store');
      return { status: 201, body: issued };
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/tokens/:tokenId/revoke',
    role: 'admin',
    summary: 'Revoke an operator token (safe to repeat)',
    params: TokenIdParams,
    response: { status: 200, schema: z.object({ token: TokenSummary }) },
    handle: async ({ ctx, operator, params }) => {
      const token = await revokeOperatorTokenById(ctx, params.tokenId, operator.operatorId);
      await appendAudit(ctx, { runId: TOKEN_AUDIT_ID, step: 'token.revoke', actor: operator.operatorId, outcome: 'succeeded', inputs: params, detail: `${params.tokenId} of ${token.operatorId}` });
      return { status: 200, body: { token } };
    },
  }),
];
