import { createHash } from 'node:crypto';
import type { Appliance } from '../../platform/core/appliance.js';
import { notFound } from '../../platform/core/errors.js';
import { pairIdFor, roleIn, type FailoverPair } from '../core/failover.js';
import type { StoredItem } from '../../platform/core/ports.js';
import { queryAll } from '../../platform/core/ports.js';
import { requireAppliance, updateAppliance } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { FAILOVER_PAIRS_INDEX, failoverPairKey } from '../../platform/app/keys.js';

/** Pair records live in the appliances table: pk PAIR#<pairId>, sk PAIR; gsi1 FAILOVER-PAIRS lists them. */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export const pairIdOf = (a: string, b: string) => pairIdFor(a, b, sha256);

function toItem(pair: FailoverPair): StoredItem {
  return { ...failoverPairKey(pair.pairId), gsi1pk: FAILOVER_PAIRS_INDEX, gsi1sk: pair.pairId, type: 'failover-pair', ...pair };
}

function fromItem(item: StoredItem): FailoverPair {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as FailoverPair;
}

export async function getPair(ctx: AppContext, pairId: string): Promise<FailoverPair | undefined> {
  const item = await ctx.records.appliances.get(failoverPairKey(pairId));
  return item ? fromItem(item) : undefined;
}

export async function requirePair(ctx: AppContext, pairId: string): Promise<FailoverPair> {
  const pair = await getPair(ctx, pairId);
  if (!pair) throw notFound('FailoverPairNotFound', `failover pair ${pairId} does not exist`, { pairId });
  return pair;
}

/** The pair `applianceId` belongs to (refuses an appliance that is in none). */
export async function requirePairOf(ctx: AppContext, applianceId: string): Promise<{ appliance: Appliance; pair: FailoverPair }> {
  const appliance = await requireAppliance(ctx, applianceId);
  const pair = appliance.failover.pairId ? await getPair(ctx, appliance.failover.pairId) : undefined;
  if (!pair) throw notFound('NotInFailoverPair', `appliance ${applianceId} is not in a failover pair`, { applianceId });
  return { appliance, pair };
}

export async function listPairs(ctx: AppContext): Promise<FailoverPair[]> {
  return (await queryAll(ctx.records.appliances, { index: 'gsi1', pk: FAILOVER_PAIRS_INDEX })).map(fromItem);
}

/**
 * Writes the next state of a pair, conditional on the version read (`expectVersion` 0: must not exist).
 * A lost race surfaces as ConditionFailedError, which the HTTP layer answers 409 ConcurrentModification.
 */
export async function savePair(ctx: AppContext, next: Omit<FailoverPair, 'version' | 'updatedAt'>, expectVersion: number): Promise<FailoverPair> {
  const saved: FailoverPair = { ...next, updatedAt: ctx.clock.now().toISOString(), version: expectVersion + 1 };
  await ctx.records.appliances.put(toItem(saved), { expectVersion });
  return saved;
}

/** Mirrors the pair onto each member's `failover` field (read by check_health and the install guard). */
export async function syncMemberFields(ctx: AppContext, pair: FailoverPair): Promise<void> {
  for (const applianceId of [pair.primaryId, pair.backupId]) {
    const wanted = {
      pairId: pair.pairId,
      role: roleIn(pair, applianceId),
      pairStatus: pair.status,
      ...(pair.lastSyncAt ? { lastSyncAt: pair.lastSyncAt } : {}),
      ...(pair.lastSyncStatus ? { lastSyncStatus: pair.lastSyncStatus } : {}),
    };
    const current = await requireAppliance(ctx, applianceId);
    const f = current.failover;
    if (f.pairId === wanted.pairId && f.role === wanted.role && f.pairStatus === wanted.pairStatus && f.lastSyncAt === wanted.lastSyncAt && f.lastSyncStatus === wanted.lastSyncStatus) {
      continue;
    }
    await updateAppliance(ctx, applianceId, (a) => ({ ...a, failover: { ...a.failover, ...wanted } }));
  }
}
