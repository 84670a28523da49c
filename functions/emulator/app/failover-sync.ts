/**
 * Session data movement between the members of a failover pair: incremental sync above a watermark,
 * full resync, the ≥ 10.6 merge, and the session-counter alignment a replicated database implies.
 * Queries beyond session-store's live here, over `ctx.records.sessions` with its documented key layout.
 */
import { ConditionFailedError, queryPages, type StoredItem } from '../../platform/core/ports.js';
import { advanceWatermark, sessionFingerprint, sessionIdentity, type SyncWatermark } from '../core/failover.js';
import type { SupportSession } from '../core/session.js';
import type { AppContext } from '../../platform/app/context.js';
import { requireAppliance } from './appliance-store.js';
import {
  allocateSessionIds,
  deleteSessions,
  iterateSessions,
  putChangedSessionRecords,
  putSessionRecords,
  putSessions,
  readSessionRecords,
  recordFromItem,
  sessionFromItem,
  sessionKey,
  withHead,
  writeInParallel,
  type SessionHead,
  type SessionRecord,
} from './session-store.js';

const PAGE = 1000;
const MAX_LEGACY_SK = `LSID#${'9'.repeat(16)}`;
const legacySk = (n: number) => `LSID#${String(n).padStart(16, '0')}`;

/** A copy of `s` as held by `applianceId` (the recorder stays in `recordedBy`). */
export const copyFor = <S extends SessionHead>(s: S, applianceId: string): S => ({ ...s, applianceId });

/** A copy of the record as held by `applianceId`: the richer record is copied as stored. */
const recordCopyFor = (r: SessionRecord, applianceId: string): SessionRecord => withHead(r, copyFor(r.session, applianceId));

/**
 * Writes sessions (already addressed to their appliance) through session-store's `putSessions`, so
 * whatever it maintains beside the session items stays right, with a few concurrent writers.
 */
export const writeSessions = (ctx: AppContext, sessions: SupportSession[]) => writeInParallel(sessions, (part) => putSessions(ctx, part));

const writeRecords = (ctx: AppContext, records: readonly SessionRecord[]) => writeInParallel(records, (part) => putSessionRecords(ctx, part));

export async function readAllSessions(ctx: AppContext, applianceId: string): Promise<SupportSession[]> {
  const all: SupportSession[] = [];
  for await (const s of iterateSessions(ctx, applianceId, PAGE)) all.push(s);
  return all;
}

/** What the sync counts decide by: identity, status and end (a projection: no richer record read). */
const COUNTED = ['lsid', 'recordedBy', 'legacyLsid', 'sourceLsid', 'status', 'startTime', 'endTime', 'lseq'] as const;

/** The stored items of the appliance's sessions above `watermark`, in sequence order (`attributes`: just those). */
async function itemsAbove(ctx: AppContext, applianceId: string, watermark: SyncWatermark, attributes?: readonly string[]): Promise<StoredItem[]> {
  const result: StoredItem[] = [];
  const query =
    watermark.by === 'lseq'
      ? { index: 'gsi2' as const, pk: `APPLIANCE#${applianceId}#LSEQ`, sk: { gt: watermark.value }, limit: PAGE, attributes }
      : { pk: sessionKey(applianceId, '0').pk, sk: { between: [legacySk(watermark.value + 1), MAX_LEGACY_SK] as [string, string] }, limit: PAGE, attributes };
  for await (const page of queryPages(ctx.records.sessions, query)) {
    // The lsid range also holds GUID sessions' keys (hex sorts among digits): only integer lsids are in that order.
    for (const item of page) if (watermark.by === 'lseq' || /^\d+$/.test(String(item.lsid))) result.push(item);
  }
  return result;
}

/**
 * How many of the primary's sessions the backup does not hold yet in their current form. The watermark
 * stops below the first active session, so the sessions above it (that one and all after) are copied at
 * every sync: they are behind only when the backup's copy is missing or older.
 */
export async function countBehind(ctx: AppContext, primaryId: string, backupId: string, watermark: SyncWatermark, asOf?: string): Promise<number> {
  const heads = async (id: string) => (await itemsAbove(ctx, id, watermark, COUNTED)).map((i) => sessionFromItem(i) as SessionHead);
  const [onPrimary, onBackup] = await Promise.all([heads(primaryId), heads(backupId)]);
  // By identity, not lsid: a broken pre-10.6 pair hands out the same integer lsids on both sides.
  const copies = new Map(onBackup.map((s) => [sessionIdentity(s), s]));
  // `asOf` (a sync's cut): sessions that started or ended after it changed after the sync read them (live traffic).
  const changedSince = (s: SessionHead) => asOf !== undefined && (s.startTime >= asOf || (s.endTime !== undefined && s.endTime >= asOf));
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
  const changed = (await itemsAbove(ctx, primaryId, watermark)).map(recordFromItem);
  await writeRecords(ctx, changed.map((r) => recordCopyFor(r, backupId)));
  await alignSessionCounters(ctx, [primaryId, backupId]);
  return { transferred: changed.length, watermark: advanceWatermark(watermark, changed.map((r) => r.session)) };
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
): Promise<{ transferred: number; written: number; merged: number; overwritten: SessionHead[]; watermark: SyncWatermark }> {
  const [primary, backup] = await Promise.all([readSessionRecords(ctx, primaryId, PAGE), readSessionRecords(ctx, backupId, PAGE)]);
  const id = (r: SessionRecord) => sessionIdentity(r.session);
  const onPrimary = new Map(primary.map((r) => [id(r), r]));
  const backupOnly = backup.filter((r) => !onPrimary.has(id(r)));
  let merged: SessionRecord[] = [];
  let replaced = new Set<string>();
  if (options.merge) {
    const seen = new Set<string>();
    // The recording appliance's copy is the authority: the primary's replica of a session the backup
    // recorded (copied while it was live, then ended by an install) gives way to the recorder's final form.
    const recorderNewer = backup.filter((r) => {
      const replica = onPrimary.get(id(r));
      return replica !== undefined && r.session.recordedBy === backupId && sessionFingerprint(replica.session) !== sessionFingerprint(r.session);
    });
    replaced = new Set(recorderNewer.map(id));
    const incoming = [...backupOnly.filter((r) => !seen.has(id(r)) && seen.add(id(r))), ...recorderNewer].sort((a, b) => (a.session.lseq ?? 0) - (b.session.lseq ?? 0));
    // New to the primary, so new in its sequence: fresh lseqs (same GUIDs) above everything it handed out,
    // or an lseq-watermark reader (incremental Integration Client export) would never see them.
    const ids = incoming.length > 0 ? await allocateSessionIds(ctx, primaryId, (await requireAppliance(ctx, primaryId)).productVersion, incoming.length) : [];
    merged = incoming.map((r, i) => withHead(r, { ...copyFor(r.session, primaryId), ...(ids[i]?.lseq !== undefined ? { lseq: ids[i]!.lseq } : {}) }));
    await writeRecords(ctx, merged);
  }
  const final = [...primary.filter((r) => !replaced.has(id(r))), ...merged];
  // Copies the backup already holds as they are (a re-establish after both members crossed 10.6 the
  // same way) are not rewritten: only what differs is.
  const written = await putChangedSessionRecords(ctx, backupId, backup, final.map((r) => recordCopyFor(r, backupId)));
  const keep = new Set(final.map((r) => r.session.lsid));
  await deleteSessions(ctx, backup.filter((r) => !keep.has(r.session.lsid)).map((r) => r.session));
  await alignSessionCounters(ctx, [primaryId, backupId]);
  const sessions = final.map((r) => r.session);
  return {
    transferred: final.length,
    written: written.length,
    merged: merged.length,
    overwritten: options.merge ? [] : backupOnly.map((r) => r.session),
    watermark: advanceWatermark({ by: options.by, value: 0 }, sessions),
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
