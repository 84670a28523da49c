import * as nodeCrypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import {
  CLIENT_ID_PATTERN,
  isTokenExpired,
  MAX_TOKENS_PER_ACCOUNT,
  parseBearer,
  parsePermissions,
  TOKEN_LIFETIME_SECONDS,
  TOKEN_PATTERN,
  type ApiPermissions,
} from '../core/api-access.js';
import { DomainError, notFound, validationError } from '../../platform/core/errors.js';
import { ConditionFailedError, type StoredItem } from '../../platform/core/ports.js';
import type { AppContext } from '../../platform/app/context.js';
import { requireAppliance } from './appliance-store.js';
import { hashSecret, isScryptHash, verifyScrypt, verifySecretHash } from '../../platform/app/credential-hash.js';
import { memoPerStore } from '../../platform/app/memo.js';
import { sourceLimits } from './source-limits.js';

/**
 * API accounts of an emulated appliance and their OAuth2 client-credentials tokens.
 * Stored in the appliances table:
 *   APPLIANCE#<id> / API-ACCOUNT#<clientId>   account: keyed hash of the secret, permissions, secret generation
 *   TOKEN#<sha256(token)> / TOKEN              token: only its hash is stored; gsi1 lists an account's tokens
 * Secrets are 256-bit random values, so they are stored as HMAC-SHA-256 (credential-hash.ts): a check costs
 * microseconds whether the client id exists or not. Accounts written before (scrypt) still verify and are
 * rewritten with the fast hash on their next successful use.
 */
export interface ApiAccount {
  applianceId: string;
  clientId: string;
  name: string;
  permissions: ApiPermissions;
  /** Bumped when the secret is regenerated: tokens of older generations stop working. */
  secretGeneration: number;
  createdAt: string;
}

const accountKey = (applianceId: string, clientId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: `API-ACCOUNT#${clientId}` });
const tokenKey = (tokenHash: string) => ({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' });
const tokensOf = (applianceId: string, clientId: string) => `TOKENS#${applianceId}#${clientId}`;
// crypto.hash (one call, no Hash object: every bearer call hashes its token) from Node 20.12; before that, the same digest the longer way.
const sha256: (text: string) => string =
  typeof nodeCrypto.hash === 'function' ? (text) => nodeCrypto.hash('sha256', text, 'hex') : (text) => createHash('sha256').update(text).digest('hex');
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 40 alphanumerics like the vendor's sample token, from a CSPRNG (rejection sampling keeps it unbiased). */
function newToken(): string {
  let out = '';
  while (out.length < 40) for (const b of randomBytes(64)) if (b < 248 && out.length < 40) out += ALPHANUMERIC[b % 62];
  return out;
}

const unauthorized = (code: string, message: string) => new DomainError('unauthorized', code, message);

function toAccount(item: StoredItem): ApiAccount {
  return {
    applianceId: String(item.applianceId),
    clientId: String(item.clientId),
    name: String(item.name),
    permissions: item.permissions as ApiPermissions,
    secretGeneration: Number(item.secretGeneration),
    createdAt: String(item.createdAt),
  };
}

/** Creates an API account; the secret is returned once and only its hash is kept. */
export async function createApiAccount(
  ctx: AppContext,
  applianceId: string,
  input: { name?: unknown; permissions?: unknown },
): Promise<ApiAccount & { clientSecret: string }> {
  await requireAppliance(ctx, applianceId);
  if (input.name !== undefined && (typeof input.name !== 'string' || input.name.length > 128)) {
    throw validationError('InvalidName', 'name must be a string of at most 128 characters');
  }
  const permissions = parsePermissions(input.permissions);
  const clientId = randomBytes(16).toString('hex');
  const clientSecret = randomBytes(32).toString('base64url');
  const account: ApiAccount = {
    applianceId,
    clientId,
    name: typeof input.name === 'string' && input.name ? input.name : 'API account',
    permissions,
    secretGeneration: 1,
    createdAt: ctx.clock.now().toISOString(),
  };
  await ctx.records.appliances.put({ ...accountKey(applianceId, clientId), type: 'api-account', ...account, secretHash: hashSecret(clientSecret), version: 1 }, { expectVersion: 0 });
  return { ...account, clientSecret };
}

/** New secret: every token issued under the old one stops working (vendor: regeneration invalidates tokens). */
export async function regenerateSecret(ctx: AppContext, applianceId: string, clientId: string): Promise<{ clientId: string; clientSecret: string }> {
  const item = await ctx.records.appliances.get(accountKey(applianceId, clientId));
  if (!item) throw notFound('ApiAccountNotFound', 'no such API account on this appliance');
  const clientSecret = randomBytes(32).toString('base64url');
  await ctx.records.appliances.put(
    { ...item, secretHash: hashSecret(clientSecret), secretGeneration: Number(item.secretGeneration) + 1, version: Number(item.version) + 1 },
    { expectVersion: Number(item.version) },
  );
  verifiedTokens(ctx.records.appliances).forget(accountGroup(applianceId, clientId));
  return { clientId, clientSecret };
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

const invalidClient = () => unauthorized('invalid_client', 'client authentication failed');

const tokenSourceKey = (source: string) => `token:${source}`;

/** Refuses a source over its token-endpoint limits before its request is even parsed (a map lookup). */
export function assertTokenSourceAllowed(ctx: AppContext, source: string): void {
  const limits = sourceLimits(ctx);
  const nowMs = ctx.clock.now().getTime();
  const wait = limits.authFailures.blocked(tokenSourceKey(source), nowMs) ?? limits.tokenRequests.blocked(tokenSourceKey(source), nowMs);
  if (wait !== undefined) throw new DomainError('rate-limited', 'slow_down', 'too many token requests from this address; retry later', { retryAfterSeconds: wait });
}

/** Counts a refused token request (malformed, wrong credentials) against its source. */
export function noteTokenFailure(ctx: AppContext, source: string): void {
  sourceLimits(ctx).authFailures.record(tokenSourceKey(source), ctx.clock.now().getTime());
}

/**
 * OAuth2 client credentials (`POST /oauth2/token`, `grant_type=client_credentials`), the client authenticated
 * by whichever form the request used (the handler parses them). Refused before any lookup when the source has
 * failed too often or sent too many requests; a failure counts against the source, never against the account.
 */
export async function issueToken(ctx: AppContext, applianceId: string, client: ClientCredentials | undefined, grantType: string | undefined, source: string): Promise<IssuedToken> {
  assertTokenSourceAllowed(ctx, source);
  sourceLimits(ctx).tokenRequests.record(tokenSourceKey(source), ctx.clock.now().getTime());
  const fail = (e: DomainError) => {
    noteTokenFailure(ctx, source);
    return e;
  };
  if (!client || !CLIENT_ID_PATTERN.test(client.clientId) || client.clientSecret.length > 512) throw fail(invalidClient());
  if (grantType !== 'client_credentials') {
    throw fail(validationError(grantType ? 'unsupported_grant_type' : 'invalid_request', 'grant_type must be client_credentials'));
  }
  const item = await ctx.records.appliances.get(accountKey(applianceId, client.clientId));
  const stored = typeof item?.secretHash === 'string' ? item.secretHash : undefined;
  // Fast path for every current record and every unknown id; only an account written by an older version pays scrypt, once.
  const matches = item && isScryptHash(stored) ? await verifyScrypt(client.clientSecret, stored!) : verifySecretHash(client.clientSecret, stored);
  if (!item || !matches || item.enabled === false) throw fail(invalidClient());
  if (isScryptHash(stored)) await upgradeSecretHash(ctx, item, client.clientSecret);
  const account = toAccount(item);
  const now = ctx.clock.now().getTime();
  const token = newToken();
  const hash = sha256(token);
  const expiresAtMs = now + TOKEN_LIFETIME_SECONDS * 1000;
  await ctx.records.appliances.put({
    ...tokenKey(hash),
    gsi1pk: tokensOf(applianceId, account.clientId),
    gsi1sk: `${new Date(now).toISOString()}#${hash}`,
    type: 'api-token',
    applianceId,
    clientId: account.clientId,
    secretGeneration: account.secretGeneration,
    expiresAtMs,
    expiresAt: Math.ceil(expiresAtMs / 1000),
  });
  await enforceTokenCap(ctx, account, now, hash);
  return { access_token: token, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SECONDS };
}

/** Rewrites a scrypt-hashed secret with the fast keyed hash (a concurrent rewrite wins: both hashes are of the same secret). */
async function upgradeSecretHash(ctx: AppContext, item: StoredItem, secret: string): Promise<void> {
  try {
    await ctx.records.appliances.put({ ...item, secretHash: hashSecret(secret), version: Number(item.version ?? 0) + 1 }, { expectVersion: Number(item.version ?? 0) });
  } catch (e) {
    if (!(e instanceof ConditionFailedError)) throw e;
  }
}

/** At most MAX_TOKENS_PER_ACCOUNT valid tokens: the oldest go first; expired/revoked ones are cleaned on the way. */
async function enforceTokenCap(ctx: AppContext, account: ApiAccount, now: number, newHash: string): Promise<void> {
  const valid: StoredItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.records.appliances.query({ index: 'gsi1', pk: tokensOf(account.applianceId, account.clientId), cursor });
    for (const t of page.items) {
      if (isTokenExpired(Number(t.expiresAtMs), now) || Number(t.secretGeneration) !== account.secretGeneration) await dropToken(ctx, t);
      else if (!String(t.gsi1sk).endsWith(`#${newHash}`)) valid.push(t);
    }
    cursor = page.cursor;
  } while (cursor);
  for (const t of valid.slice(0, Math.max(0, valid.length + 1 - MAX_TOKENS_PER_ACCOUNT))) await dropToken(ctx, t);
}

async function dropToken(ctx: AppContext, t: StoredItem): Promise<void> {
  await ctx.records.appliances.delete({ pk: t.pk, sk: t.sk });
  verifiedTokens(ctx.records.appliances).delete(t.pk.slice('TOKEN#'.length));
}

/** Resolves `Authorization: Bearer <token>` to the API account, or refuses with 401. */
export async function authenticate(ctx: AppContext, applianceId: string, authorization: string | undefined): Promise<ApiAccount> {
  const token = parseBearer(authorization);
  if (!token) throw unauthorized('MissingToken', 'this API needs Authorization: Bearer <token> (get one at /oauth2/token)');
  if (!TOKEN_PATTERN.test(token)) throw unauthorized('InvalidToken', 'the bearer token is not valid');
  const hash = sha256(token);
  const nowMs = ctx.clock.now().getTime();
  const memo = verifiedTokens(ctx.records.appliances);
  const known = memo.get(hash, nowMs);
  if (known && known.applianceId === applianceId) {
    if (isTokenExpired(known.expiresAtMs, nowMs)) throw unauthorized('TokenExpired', 'the bearer token has expired; request a new one');
    return known.account;
  }
  const record = await ctx.records.appliances.get(tokenKey(hash));
  if (!record || record.applianceId !== applianceId) throw unauthorized('InvalidToken', 'the bearer token is not valid');
  if (isTokenExpired(Number(record.expiresAtMs), nowMs)) throw unauthorized('TokenExpired', 'the bearer token has expired; request a new one');
  const item = await ctx.records.appliances.get(accountKey(applianceId, String(record.clientId)));
  if (!item || Number(item.secretGeneration) !== Number(record.secretGeneration)) throw unauthorized('TokenRevoked', 'the bearer token was revoked');
  const account = toAccount(item);
  memo.set(hash, accountGroup(applianceId, account.clientId), { applianceId, account, expiresAtMs: Number(record.expiresAtMs) }, nowMs);
  return account;
}

/**
 * Tokens checked recently, so a client calling in a loop costs no store read (the token and its account).
 * A regenerated secret or a token dropped by the 30-token cap is forgotten at once in this process; another
 * process notices within TOKEN_MEMO_MS.
 */
export const TOKEN_MEMO_MS = 15_000;
const verifiedTokens = memoPerStore<{ applianceId: string; account: ApiAccount; expiresAtMs: number }>(TOKEN_MEMO_MS);
const accountGroup = (applianceId: string, clientId: string) => `${applianceId}\0${clientId}`;
