/**
 * Session keys of an appliance (appliances table, `APPLIANCE#<id>` / `SESSION-KEY#<short key>`, expiring with
 * the table's TTL attribute), and redeeming one into a waiting session: the use case the live-traffic issue
 * calls when a customer arrives with a key.
 */
import { conflict, notFound } from '../../platform/core/errors.js';
import { ConditionFailedError, type StoredItem } from '../../platform/core/ports.js';
import { sessionFromKey, type SessionKey } from '../core/session-key.js';
import type { SupportSession } from '../core/session.js';
import { requireAppliance } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { sessionKeyKey } from '../../platform/app/keys.js';
import { allocateSessionIds, putSession } from './session-store.js';

const toItem = ({ type: keyType, ...k }: SessionKey, version: number): StoredItem => ({
  ...sessionKeyKey(k.applianceId, k.shortKey),
  ...k,
  type: 'session-key',
  keyType,
  // Kept a day past expiry, so a late customer is told "expired" rather than "unknown".
  expiresAt: Math.ceil(Date.parse(k.expiresAt) / 1000) + 86_400,
  keyExpiresAt: k.expiresAt,
  version,
});

function fromItem(item: StoredItem): SessionKey {
  const { pk: _p, sk: _s, type: _t, version: _v, keyType, keyExpiresAt, expiresAt: _ttl, ...rest } = item;
  return { ...(rest as unknown as Omit<SessionKey, 'expiresAt' | 'type'>), type: keyType as SessionKey['type'], expiresAt: String(keyExpiresAt) };
}

/** Stores a new key under a fresh short code (a code still in use is never reused). */
export async function storeSessionKey(ctx: AppContext, draft: Omit<SessionKey, 'shortKey'>, newCode: () => string): Promise<SessionKey> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const key: SessionKey = { ...draft, shortKey: newCode() };
    try {
      await ctx.records.appliances.put(toItem(key, 1), { ifNotExists: true });
      return key;
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
    }
  }
  throw conflict('SessionKeySpaceExhausted', 'Could not allocate a free session key; retry later');
}

export async function getSessionKey(ctx: AppContext, applianceId: string, shortKey: string): Promise<SessionKey | undefined> {
  if (!/^[0-9]{7}$/.test(shortKey)) return undefined;
  const item = await ctx.records.appliances.get(sessionKeyKey(applianceId, shortKey));
  return item ? fromItem(item) : undefined;
}

/**
 * A customer arrives with a key: it becomes an active, waiting session in the key's queue. The key is marked
 * used first (a conditional write), so two arrivals with one key never give two sessions; a crash between the
 * two writes leaves a used key that names its lsid and no session (the customer is given a new key).
 */
export async function redeemSessionKey(
  ctx: AppContext,
  applianceId: string,
  shortKey: string,
  customer: { name: string; hostname: string; publicSiteId?: number; publicSiteName?: string },
): Promise<SupportSession> {
  const appliance = await requireAppliance(ctx, applianceId);
  const item = /^[0-9]{7}$/.test(shortKey) ? await ctx.records.appliances.get(sessionKeyKey(applianceId, shortKey)) : undefined;
  if (!item) throw notFound('SessionKeyNotFound', 'No such session key');
  const key = fromItem(item);
  const now = ctx.clock.now();
  const [ids] = await allocateSessionIds(ctx, applianceId, appliance.productVersion, 1);
  const session = sessionFromKey(key, now, ids!, customer);
  try {
    await ctx.records.appliances.put(toItem({ ...key, redeemedAt: now.toISOString(), redeemedLsid: session.lsid }, Number(item.version) + 1), { expectVersion: Number(item.version) });
  } catch (e) {
    if (e instanceof ConditionFailedError) throw conflict('SessionKeyUsed', 'This session key was already used');
    throw e;
  }
  await putSession(ctx, session);
  return session;
}
