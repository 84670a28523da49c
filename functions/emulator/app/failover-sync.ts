/**
 * Session data movement between the members of a failover pair: incremental sync above a watermark,
 * full resync, the ≥ 10.6 merge, and the session-counter alignment a replicated database implies.
 * Queries beyond session-store's live here, over `ctx.records.sessions` with its documented key layout.
 */
import { ConditionFailedError, queryPages } from '../../platform/core/ports.js';
import { advanceWatermark, sessionFingerprint, sessionIdentity, type SyncWatermark } from '../core/failover.js';
import type { SupportSession } from '../core/session.js';
import type { AppContext } from '../../platform/app/context.js';
import { requireAppliance } from './appliance-store.js';
import { allocateSessionIds, deleteSession, iterateSessions, iterateSessionsAfterLseq, putSessions, sessionFromItem, sessionKey } from './session-store.js';

const PAGE = 1000;
/** Concurrent batch writers: the emulator and DynamoDB both take parallel BatchWriteItem calls. */
const WRITERS = 8;
const MAX_LEGACY_SK = `LSID#${'9'.repeat(16)}`;
const legacySk = (n: number) => `LSID#${String(n).padStart(16, '0')}`;

/** A copy of `s` as held by `applianceId` (the recorder stays in `recordedBy`). */
export const copyFor = (s: SupportSession, applianceId: string): SupportSession => ({ ...s, applianceId });

/**
 * Writes sessions (already addressed to their appliance) through session-store's `putSessions`, so
 * whatever it maintains beside the session items stays right, with a few concurrent writers.
 */
export async function writeSessions(ctx: AppContext, sessions: SupportSession[]): Promise<void> {
  if (sessions.length === 0) return;
  const per = Math.max(25, Math.ceil(sessions.length / WRITERS / 25) * 25);
  const chunks: SupportSession[][] = [];
  for (let i = 0; i < sessions.length; i += per) chunks.push(sessions.slice(i, i + per));
  await Promise.all(chunks.map((chunk) => putSessions(ctx, chunk)));
}

export async function readAllSessions(ctx: AppContext, applianceId: string): Promise<SupportSession[]> {
  const all: SupportSession[] = [];
  for await (const s of iterateSessions(ctx, applianceId, PAGE)) all.push(s);
  return all;
}

/** The primary's sessions above `watermark`, in sequence order. */
export async function sessionsAbove(ctx: AppContext, applianceId: string, watermark: SyncWatermark): Promise<SupportSession[]> {
  const result: SupportSession[] = [];
  if (watermark.by === 'lseq') {
    for await (const s of iterateSessionsAfterLseq(ctx, applianceId, watermark.value, { pageSize: PAGE })) result.push(s);
    return result;
  }
  const pages = queryPages(ctx.records.sessions, { pk: sessionKey(applianceId, '0').pk, sk: { between: [legacySk(watermark.value + 1), MAX_LEGACY_SK] }, limit: PAGE });
  for await (const page of pages) {
    for (const item of page) {
      const s = sessionFromItem(item);
      if (/^\d+$/.test(s.lsid)) result.push(s);
    }
  }
  return result;
}

/**
 * How many of the primary's sessions the backup does not hold yet in their current form. The watermark
 * stops below the first active session, so the sessions above it (that one and all after) are copied at
 * every sync: they are behind only when the backup's copy is missing or older.
 */
export async function countBehind(ctx: AppContext, primaryId: string, backupId: string, watermark: SyncWatermark, asOf?: string): Promise<number> {
  const [onPrimary, onBackup] = await Promise.all([sessionsAbove(ctx, primaryId, watermark), sessionsAbove(ctx, backupId, watermark)]);
  // By identity, not lsid: a broken pre-10.6 pair hands out the same integer lsids on both sides.
  const copies = new Map(onBackup.map((s) => [sessionIdentity(s), s]));
  // `asOf` (a sync's cut): sessions that started or ended after it changed after the sync read them (live traffic).
  const changedSince = (s: SupportSession) => asOf !== undefined && (s.startTime >= asOf || (s.endTime !== undefined && s.endTime >= asOf));
  return onPrimary.filter((s) => {
    if (changedSince(s)) return false;
    const copy = copies.get(sessionIdentity(s));
    return !copy || copy.status !== s.status || copy.endTime !== s.endTime;
  }).length;
}

/** Incremental sync: copies only the primary's sessions above the backup's watermark. */
export async function incrementalSync(
  ctx: AppContext,
  primaryId: string,
  backupId: string,
  watermark: SyncWatermark,
): Promise<{ transferred: number; watermark: SyncWatermark }> {
  const changed = await sessionsAbove(ctx, primaryId, watermark);
  await writeSessions(ctx, changed.map((s) => copyFor(s, backupId)));
  await alignSessionCounters(ctx, [primaryId, backupId]);
  return { transferred: changed.length, watermark: advanceWatermark(watermark, changed) };
}

/**
 * Full resync: the backup becomes a copy of the primary (every session rewritten, extras deleted).
 * With `merge` (≥ 10.6 pairs) the backup's sessions the primary lacks are first merged into the
 * primary in lseq order, deduplicated by identity, so nothing is lost; without it (pre-10.6) they are
 * overwritten: callers guard that with the sessions-at-risk check.
 */
export async function fullResync(
  ctx: AppContext,
  primaryId: string,
  backupId: string,
  options: { merge: boolean; by: SyncWatermark['by'] },
): Promise<{ transferred: number; merged: number; overwritten: SupportSession[]; watermark: SyncWatermark }> {
  const [primary, backup] = await Promise.all([readAllSessions(ctx, primaryId), readAllSessions(ctx, backupId)]);
  const onPrimary = new Map(primary.map((s) => [sessionIdentity(s), s]));
  const backupOnly = backup.filter((s) => !onPrimary.has(sessionIdentity(s)));
  let merged: SupportSession[] = [];
  let replaced = new Set<string>();
  if (options.merge) {
    const seen = new Set<string>();
    // The recording appliance's copy is the authority: the primary's replica of a session the backup
    // recorded (copied while it was live, then ended by an install) gives way to the recorder's final form.
    const recorderNewer = backup.filter((s) => {
      const replica = onPrimary.get(sessionIdentity(s));
      return replica !== undefined && s.recordedBy === backupId && sessionFingerprint(replica) !== sessionFingerprint(s);
    });
    replaced = new Set(recorderNewer.map(sessionIdentity));
    const incoming = [...backupOnly.filter((s) => !seen.has(sessionIdentity(s)) && seen.add(sessionIdentity(s))), ...recorderNewer].sort((a, b) => (a.lseq ?? 0) - (b.lseq ?? 0));
    // New to the primary, so new in its sequence: fresh lseqs (same GUIDs) above everything it handed out,
    // or an lseq-watermark reader (incremental Integration Client export) would never see them.
    const ids = incoming.length > 0 ? await allocateSessionIds(ctx, primaryId, (await requireAppliance(ctx, primaryId)).productVersion, incoming.length) : [];
    merged = incoming.map((s, i) => ({ ...copyFor(s, primaryId), ...(ids[i]?.lseq !== undefined ? { lseq: ids[i]!.lseq } : {}) }));
    await writeSessions(ctx, merged);
  }
  const final = [...primary.filter((s) => !replaced.has(sessionIdentity(s))), ...merged];
  await writeSessions(ctx, final.map((s) => copyFor(s, backupId)));
  const keep = new Set(final.map((s) => s.lsid));
  const stale = backup.filter((s) => !keep.has(s.lsid));
  for (const s of stale) await deleteSession(ctx, s);
  await alignSessionCounters(ctx, [primaryId, backupId]);
  return {
    transferred: final.length,
    merged: merged.length,
    overwritten: options.merge ? [] : backupOnly,
    watermark: advanceWatermark({ by: options.by, value: 0 }, final),
  };
}

const counterKey = (applianceId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: 'SESSION-COUNTER' });

/**
 * A failover pair replicates the session database, sequence included: after a sync both members hand
 * out ids above everything synced. (Otherwise a backup recording sessions after a break would reuse
 * the synced sessions' legacy lsids on its own appliance.) Uses session-store's counter item.
 */
export async function alignSessionCounters(ctx: AppContext, applianceIds: string[]): Promise<void> {
  const read = async () => Promise.all(applianceIds.map(async (id) => ({ id, item: await ctx.records.appliances.get(counterKey(id)) })));
  for (let attempt = 0; ; attempt++) {
    const counters = await read();
    const max = Math.max(0, ...counters.map((c) => Number(c.item?.last ?? 0)));
    try {
      for (const c of counters) {
        if (Number(c.item?.last ?? 0) >= max) continue;
        const version = Number(c.item?.version ?? 0);
        await ctx.records.appliances.put({ ...counterKey(c.id), last: max, version: version + 1 }, { expectVersion: version });
      }
      return;
    } catch (e) {
      if (attempt < 20 && e instanceof ConditionFailedError) continue;
      throw e;
    }
  }
}
