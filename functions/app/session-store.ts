import { createHash, randomBytes } from 'node:crypto';
import { isLegacyLsid, migrateLegacySession, type SessionEndReason, type SupportSession } from '../core/session.js';
import { ConditionFailedError, type StoredItem } from '../core/ports.js';
import { usesGuidLsid } from '../core/versions.js';
import type { AppContext } from './context.js';

/**
 * Sessions table layout:
 *   pk = APPLIANCE#<id>, sk = LSID#<lsid> (legacy integer lsids zero-padded so they sort numerically)
 *   gsi1: APPLIANCE#<id>#START / <startTime>#<lsid>   (time-window reports)
 *   gsi2: APPLIANCE#<id>#LSEQ / <lseq>                (lseq ordering, incremental sync/export; ≥ 10.6 only)
 * Active sessions also carry `activeOn` = appliance id so they can be ended in bulk.
 */
export const sessionKey = (applianceId: string, lsid: string) => ({
  pk: `APPLIANCE#${applianceId}`,
  sk: `LSID#${/^\d+$/.test(lsid) ? lsid.padStart(16, '0') : lsid}`,
});

export function sessionToItem(s: SupportSession): StoredItem {
  return {
    ...sessionKey(s.applianceId, s.lsid),
    gsi1pk: `APPLIANCE#${s.applianceId}#START`,
    gsi1sk: `${s.startTime}#${s.lsid}`,
    ...(s.lseq !== undefined ? { gsi2pk: `APPLIANCE#${s.applianceId}#LSEQ`, gsi2sk: s.lseq } : {}),
    ...s,
  };
}

export function sessionFromItem(item: StoredItem): SupportSession {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...rest } = item;
  return rest as unknown as SupportSession;
}

export async function putSession(ctx: AppContext, session: SupportSession): Promise<void> {
  await ctx.records.sessions.put(sessionToItem(session));
}

export async function putSessions(ctx: AppContext, sessions: SupportSession[]): Promise<void> {
  await ctx.records.sessions.batchPut(sessions.map(sessionToItem));
}

export async function getSession(ctx: AppContext, applianceId: string, lsid: string): Promise<SupportSession | undefined> {
  const item = await ctx.records.sessions.get(sessionKey(applianceId, lsid));
  return item ? sessionFromItem(item) : undefined;
}

/** Pages through an appliance's sessions in lsid order; memory stays bounded by `pageSize`. */
export async function* iterateSessions(ctx: AppContext, applianceId: string, pageSize = 500): AsyncGenerator<SupportSession> {
  let cursor: string | undefined;
  do {
    const page = await ctx.records.sessions.query({ pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: 'LSID#' }, limit: pageSize, cursor });
    for (const item of page.items) yield sessionFromItem(item);
    cursor = page.cursor;
  } while (cursor);
}

/** Sessions with lseq > `afterLseq`, in lseq order (≥ 10.6 appliances). */
export async function* iterateSessionsAfterLseq(ctx: AppContext, applianceId: string, afterLseq: number, pageSize = 500): AsyncGenerator<SupportSession> {
  let cursor: string | undefined;
  do {
    const page = await ctx.records.sessions.query({ index: 'gsi2', pk: `APPLIANCE#${applianceId}#LSEQ`, sk: { gt: afterLseq }, limit: pageSize, cursor });
    for (const item of page.items) yield sessionFromItem(item);
    cursor = page.cursor;
  } while (cursor);
}

/** Ends every active session on the appliance with `reason` (install, failover...): sessions end, never vanish. */
export async function endActiveSessions(ctx: AppContext, applianceId: string, reason: SessionEndReason): Promise<number> {
  const now = ctx.clock.now();
  const ended: SupportSession[] = [];
  for await (const s of iterateSessions(ctx, applianceId)) {
    if (s.status !== 'active') continue;
    const duration = Math.max(0, Math.round((now.getTime() - Date.parse(s.startTime)) / 1000));
    ended.push({ ...s, status: 'completed', endTime: now.toISOString(), duration, endReason: reason });
  }
  await putSessions(ctx, ended);
  return ended.length;
}

/**
 * Allocates identifiers for `count` new sessions on an appliance: sequential integer lsids before 10.6,
 * GUID lsids plus an incrementing lseq from 10.6 on. The counter is one item updated optimistically.
 */
export async function allocateSessionIds(
  ctx: AppContext,
  applianceId: string,
  productVersion: string,
  count: number,
): Promise<{ lsid: string; lseq?: number }[]> {
  const key = { pk: `APPLIANCE#${applianceId}`, sk: 'SESSION-COUNTER' };
  for (let attempt = 0; ; attempt++) {
    const current = await ctx.records.appliances.get(key);
    const last = Number(current?.last ?? 0);
    try {
      await ctx.records.appliances.put({ ...key, last: last + count, version: (current?.version ?? 0) + 1 }, { expectVersion: current?.version ?? 0 });
    } catch (e) {
      if (attempt < 20 && e instanceof ConditionFailedError) continue;
      throw e;
    }
    return Array.from({ length: count }, (_, i) =>
      usesGuidLsid(productVersion)
        ? { lsid: randomBytes(16).toString('hex'), lseq: last + i + 1 }
        : { lsid: String(last + i + 1) },
    );
  }
}

/** Converts an appliance's legacy sessions to GUID lsid + lseq (upgrade across 10.6). Idempotent. */
export async function migrateSessionsTo106(ctx: AppContext, applianceId: string): Promise<number> {
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');
  const legacy: SupportSession[] = [];
  for await (const s of iterateSessions(ctx, applianceId)) if (isLegacyLsid(s.lsid)) legacy.push(s);
  // Write the converted sessions first, then delete the old ones: a crash in between leaves duplicates
  // that a re-run removes, never a lost session.
  const converted = legacy.map((s) => migrateLegacySession(s, hash));
  await putSessions(ctx, converted);
  for (const s of legacy) await ctx.records.sessions.delete(sessionKey(applianceId, s.lsid));
  return legacy.length;
}
