import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type BinaryLike } from 'node:crypto';
import {
  CLIENT_ID_PATTERN,
  isTokenExpired,
  MAX_TOKENS_PER_ACCOUNT,
  parseBasicAuth,
  parseBearer,
  parsePermissions,
  RATE_WINDOW_MS,
  slidingWindow,
  TOKEN_LIFETIME_SECONDS,
  TOKEN_PATTERN,
  type ApiPermissions,
} from '../core/api-access.js';
import { DomainError, notFound, validationError } from '../core/errors.js';
import { ConditionFailedError, type StoredItem } from '../core/ports.js';
import type { AppContext } from './context.js';
import { requireAppliance } from './appliance-store.js';

/**
 * API accounts of an emulated appliance and their OAuth2 client-credentials tokens.
 * Stored in the appliances table:
 *   APPLIANCE#<id> / API-ACCOUNT#<clientId>   account: scrypt hash of the secret, permissions, secret generation
 *   TOKEN#<sha256(token)> / TOKEN              token: only its hash is stored; gsi1 lists an account's tokens
 *   RATE#TOKEN#<id>#<clientId> / RATE          recent token-request times (sliding-window limit)
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

const scrypt = (secret: BinaryLike, salt: BinaryLike) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(secret, salt, 32, { N: 16384, r: 8, p: 1 }, (e, key) => (e ? reject(e) : resolve(key))));

const accountKey = (applianceId: string, clientId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: `API-ACCOUNT#${clientId}` });
const tokenKey = (tokenHash: string) => ({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' });
const tokensOf = (applianceId: string, clientId: string) => `TOKENS#${applianceId}#${clientId}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 40 alphanumerics like the vendor's sample token, from a CSPRNG (rejection sampling keeps it unbiased). */
function newToken(): string {
  let out = '';
  while (out.length < 40) for (const b of randomBytes(64)) if (b < 248 && out.length < 40) out += ALPHANUMERIC[b % 62];
  return out;
}

const unauthorized = (code: string, message: string) => new DomainError('unauthorized', code, message);

async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${(await scrypt(secret, salt)).toString('base64')}`;
}

async function secretMatches(secret: string, stored: string | undefined): Promise<boolean> {
  const [, salt, hash] = (stored ?? 'scrypt$AAAAAAAAAAAAAAAAAAAAAA==$').split('$');
  const expected = Buffer.from(hash ?? '', 'base64');
  const actual = await scrypt(secret, Buffer.from(salt ?? '', 'base64'));
  // Unknown accounts still pay for one scrypt so timing does not reveal which client ids exist.
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

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
  await ctx.records.appliances.put({ ...accountKey(applianceId, clientId), type: 'api-account', ...account, secretHash: await hashSecret(clientSecret), version: 1 }, { expectVersion: 0 });
  return { ...account, clientSecret };
}

/** New secret: every token issued under the old one stops working (vendor: regeneration invalidates tokens). */
export async function regenerateSecret(ctx: AppContext, applianceId: string, clientId: string): Promise<{ clientId: string; clientSecret: string }> {
  const item = await ctx.records.appliances.get(accountKey(applianceId, clientId));
  if (!item) throw notFound('ApiAccountNotFound', 'no such API account on this appliance');
  const clientSecret = randomBytes(32).toString('base64url');
  await ctx.records.appliances.put(
    { ...item, secretHash: await hashSecret(clientSecret), secretGeneration: Number(item.secretGeneration) + 1, version: Number(item.version) + 1 },
    { expectVersion: Number(item.version) },
  );
  return { clientId, clientSecret };
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/**
 * OAuth2 client credentials (`POST /oauth2/token`): Basic client auth, `grant_type=client_credentials`.
 * Every attempt counts against the client id's sliding-window rate limit.
 */
export async function issueToken(ctx: AppContext, applianceId: string, authorization: string | undefined, grantType: string | undefined): Promise<IssuedToken> {
  const client = parseBasicAuth(authorization);
  if (!client || !CLIENT_ID_PATTERN.test(client.clientId)) throw unauthorized('invalid_client', 'client authentication failed (HTTP Basic with client id and secret)');
  await countAttempt(ctx, applianceId, client.clientId);
  if (grantType !== 'client_credentials') {
    throw validationError(grantType ? 'unsupported_grant_type' : 'invalid_request', 'grant_type must be client_credentials');
  }
  const item = await ctx.records.appliances.get(accountKey(applianceId, client.clientId));
  if (!(await secretMatches(client.clientSecret, item?.secretHash as string | undefined)) || !item) {
    throw unauthorized('invalid_client', 'client authentication failed (HTTP Basic with client id and secret)');
  }
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

/** At most MAX_TOKENS_PER_ACCOUNT valid tokens: the oldest go first; expired/revoked ones are cleaned on the way. */
async function enforceTokenCap(ctx: AppContext, account: ApiAccount, now: number, newHash: string): Promise<void> {
  const valid: StoredItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.records.appliances.query({ index: 'gsi1', pk: tokensOf(account.applianceId, account.clientId), cursor });
    for (const t of page.items) {
      if (isTokenExpired(Number(t.expiresAtMs), now) || Number(t.secretGeneration) !== account.secretGeneration) await ctx.records.appliances.delete({ pk: t.pk, sk: t.sk });
      else if (!String(t.gsi1sk).endsWith(`#${newHash}`)) valid.push(t);
    }
    cursor = page.cursor;
  } while (cursor);
  for (const t of valid.slice(0, Math.max(0, valid.length + 1 - MAX_TOKENS_PER_ACCOUNT))) await ctx.records.appliances.delete({ pk: t.pk, sk: t.sk });
}

async function countAttempt(ctx: AppContext, applianceId: string, clientId: string): Promise<void> {
  const key = { pk: `RATE#TOKEN#${applianceId}#${clientId}`, sk: 'RATE' };
  for (let attempt = 0; attempt < 20; attempt++) {
    const current = await ctx.records.appliances.get(key);
    const decision = slidingWindow((current?.attempts as number[] | undefined) ?? [], ctx.clock.now().getTime());
    if (!decision.allowed) {
      throw new DomainError('rate-limited', 'slow_down', 'too many token requests for this client id; retry later', { retryAfterSeconds: decision.retryAfterSeconds });
    }
    try {
      // Unknown client ids are counted too (before authentication), so the record expires with its window (DynamoDB TTL).
      const expiresAt = Math.ceil((ctx.clock.now().getTime() + 2 * RATE_WINDOW_MS) / 1000);
      await ctx.records.appliances.put({ ...key, attempts: decision.attempts, version: (current?.version ?? 0) + 1, expiresAt }, { expectVersion: current?.version ?? 0 });
      return;
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
    }
  }
  throw new DomainError('rate-limited', 'slow_down', 'too many concurrent token requests; retry later', { retryAfterSeconds: 1 });
}

/** Resolves `Authorization: Bearer <token>` to the API account, or refuses with 401. */
export async function authenticate(ctx: AppContext, applianceId: string, authorization: string | undefined): Promise<ApiAccount> {
  const token = parseBearer(authorization);
  if (!token) throw unauthorized('MissingToken', 'this API needs Authorization: Bearer <token> (get one at /oauth2/token)');
  if (!TOKEN_PATTERN.test(token)) throw unauthorized('InvalidToken', 'the bearer token is not valid');
  const record = await ctx.records.appliances.get(tokenKey(sha256(token)));
  if (!record || record.applianceId !== applianceId) throw unauthorized('InvalidToken', 'the bearer token is not valid');
  if (isTokenExpired(Number(record.expiresAtMs), ctx.clock.now().getTime())) throw unauthorized('TokenExpired', 'the bearer token has expired; request a new one');
  const item = await ctx.records.appliances.get(accountKey(applianceId, String(record.clientId)));
  if (!item || Number(item.secretGeneration) !== Number(record.secretGeneration)) throw unauthorized('TokenRevoked', 'the bearer token was revoked');
  return toAccount(item);
}
