import { createHash, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { isLegacyLsid, migrateLegacySession, SYSTEM_ACTOR, type SessionEndReason, type SupportSession } from '../core/session.js';
import { ConditionFailedError, type StoredItem, queryAll, queryPages } from '../../platform/core/ports.js';
import { usesGuidLsid } from '../../platform/core/versions.js';
import type { AppContext } from '../../platform/app/context.js';

/**
 * Sessions table layout:
 *   pk = APPLIANCE#<id>, sk = LSID#<lsid> (legacy integer lsids zero-padded so they sort numerically)
 *   gsi1: APPLIANCE#<id>#START / <startTime>#<lsid>   (time-window reports)
 *   gsi2: APPLIANCE#<id>#LSEQ / <lseq>                (lseq ordering, incremental sync/export; ≥ 10.6 only)
 * Beside the sessions, in the same partition:
 *   sk = ACTIVE#<lsid>  one small marker per active session, so ending them never scans the partition;
 *   sk = META#STATS     the longest session duration seen, which bounds end-time window queries;
 *   sk = LIST#<startTime>#<lsid>  the listing record: only what SupportSessionListing shows (external key) and
 *                       needs to select (end time), written with the session, so a listing reads ~100-byte
 *                       items in start order instead of whole sessions (no GSI: existing tables keep working);
 *   sk = META#LISTING   present once every session of the appliance has its listing record (`ensureListingRecords`:
 *                       the generator and the start-up seed run it, so data dirs from before listing records
 *                       are backfilled); until then a listing reads the sessions themselves (same answer, slower).
 */
export const sessionKey = (applianceId: string, lsid: string) => ({
  pk: `APPLIANCE#${applianceId}`,
  sk: `LSID#${/^\d+$/.test(lsid) ? lsid.padStart(16, '0') : lsid}`,
});

const activeKey = (applianceId: string, lsid: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: `ACTIVE#${lsid}` });
const statsKey = (applianceId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: 'META#STATS' });
const LISTING_PREFIX = 'LIST#';
// '$' sorts right after '#': the upper bound of every listing record, below the LSID# items.
const LISTING_END = 'LIST$';
export const listingKey = (s: Pick<SupportSession, 'applianceId' | 'lsid' | 'startTime'>) => ({ pk: `APPLIANCE#${s.applianceId}`, sk: `${LISTING_PREFIX}${s.startTime}#${s.lsid}` });
const listingMarkerKey = (applianceId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: 'META#LISTING' });

/** The listing record of a session: key plus the two attributes a listing shows or filters on. */
export function listingItem(s: Pick<SupportSession, 'applianceId' | 'lsid' | 'startTime' | 'externalKey' | 'endTime'>): StoredItem {
  return { ...listingKey(s), ...(s.externalKey ? { externalKey: s.externalKey } : {}), ...(s.endTime !== undefined ? { endTime: s.endTime } : {}) };
}

/**
 * The richer record (participants, events, surveys, custom attributes) is stored as one attribute, `detail`:
 * deflated JSON in base64. As nested DynamoDB maps it would be 3-4× larger on disk and on the wire (every
 * value wrapped in its type), and both GSIs copy the whole item. Only the session reports decode it.
 */
const DETAIL_FIELDS = ['customers', 'representatives', 'events', 'customerSurveys', 'representativeSurveys', 'customAttributes'] as const satisfies readonly (keyof SupportSession)[];
type DetailField = (typeof DETAIL_FIELDS)[number];
const isDetailField = (f: string): f is DetailField => (DETAIL_FIELDS as readonly string[]).includes(f);

export function sessionToItem(s: SupportSession): StoredItem {
  const flat: Record<string, unknown> = {};
  const detail: Partial<Pick<SupportSession, DetailField>> = {};
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue;
    if (isDetailField(k)) (detail as Record<string, unknown>)[k] = v;
    else flat[k] = v;
  }
  return {
    ...sessionKey(s.applianceId, s.lsid),
    gsi1pk: `APPLIANCE#${s.applianceId}#START`,
    gsi1sk: `${s.startTime}#${s.lsid}`,
    ...(s.lseq !== undefined ? { gsi2pk: `APPLIANCE#${s.applianceId}#LSEQ`, gsi2sk: s.lseq } : {}),
    ...flat,
    ...(Object.keys(detail).length > 0 ? { detail: deflateRawSync(JSON.stringify(detail)).toString('base64') } : {}),
  };
}

export function sessionFromItem(item: StoredItem): SupportSession {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, detail, ...rest } = item;
  if (typeof detail !== 'string') return rest as unknown as SupportSession;
  return { ...rest, ...(JSON.parse(inflateRawSync(Buffer.from(detail, 'base64')).toString('utf8')) as object) } as unknown as SupportSession;
}

/** A session without its richer record: what sync, migration and counting decide by. */
export type SessionHead = Omit<SupportSession, DetailField>;

/**
 * A stored session with its richer record still deflated: what moves between appliances (sync, merge,
 * the 10.6 re-key) without being inflated and deflated again. Only `detail` carries the richer record,
 * so a head can never be written on its own (it would drop the participants and events).
 */
export interface SessionRecord {
  readonly session: SessionHead;
  readonly detail?: string;
}

export function recordFromItem(item: StoredItem): SessionRecord {
  const { detail, ...rest } = item;
  return { session: sessionFromItem(rest as StoredItem), ...(typeof detail === 'string' ? { detail } : {}) };
}

export function recordToItem(r: SessionRecord): StoredItem {
  return { ...sessionToItem(r.session as SupportSession), ...(r.detail !== undefined ? { detail: r.detail } : {}) };
}

/** The record with its head replaced (same richer record), e.g. readdressed to another appliance or re-keyed. */
export const withHead = (r: SessionRecord, session: SessionHead): SessionRecord => ({ session, ...(r.detail !== undefined ? { detail: r.detail } : {}) });

export async function putSession(ctx: AppContext, session: SupportSession): Promise<void> {
  // A start time is fixed once recorded; should a rewrite move it, the old listing record must not stay behind.
  const before = await ctx.records.sessions.get(sessionKey(session.applianceId, session.lsid));
  if (before && before.startTime !== session.startTime) await ctx.records.sessions.delete(listingKey({ ...session, startTime: String(before.startTime) }));
  await ctx.records.sessions.put(sessionToItem(session));
  await ctx.records.sessions.put(listingItem(session));
  if (session.status === 'active') await ctx.records.sessions.put({ ...activeKey(session.applianceId, session.lsid), lsid: session.lsid });
  else await ctx.records.sessions.delete(activeKey(session.applianceId, session.lsid));
  await noteDurations(ctx, session.applianceId, [session]);
}

/** Removes a session, its listing record and its active marker (a full resync or a migration replaces it elsewhere). */
export async function deleteSession(ctx: AppContext, session: Pick<SupportSession, 'applianceId' | 'lsid' | 'status' | 'startTime'>): Promise<void> {
  await deleteSessions(ctx, [session]);
}

/** `deleteSession` for many sessions, 25 keys a request. */
export async function deleteSessions(ctx: AppContext, sessions: readonly Pick<SupportSession, 'applianceId' | 'lsid' | 'status' | 'startTime'>[]): Promise<void> {
  await ctx.records.sessions.batchDelete(
    sessions.flatMap((s) => [sessionKey(s.applianceId, s.lsid), listingKey(s), ...(s.status === 'active' ? [activeKey(s.applianceId, s.lsid)] : [])]),
  );
}

/** Bulk write. Active-session markers are written with the batch; completed ones drop their marker. */
export async function putSessions(ctx: AppContext, sessions: SupportSession[]): Promise<void> {
  await writeRecords(ctx, sessions, sessions.map(sessionToItem));
}

/** `putSessions` for records: the richer record is written as stored, never inflated. */
export async function putSessionRecords(ctx: AppContext, records: readonly SessionRecord[]): Promise<void> {
  await writeRecords(ctx, records.map((r) => r.session), records.map(recordToItem));
}

async function writeRecords(ctx: AppContext, sessions: readonly SessionHead[], items: StoredItem[]): Promise<void> {
  if (sessions.length === 0) return;
  const markers = sessions.filter((s) => s.status === 'active').map((s) => ({ ...activeKey(s.applianceId, s.lsid), lsid: s.lsid }));
  await ctx.records.sessions.batchPut([...items, ...sessions.map(listingItem), ...markers]);
  const byAppliance = new Map<string, SessionHead[]>();
  for (const s of sessions) byAppliance.set(s.applianceId, [...(byAppliance.get(s.applianceId) ?? []), s]);
  for (const [applianceId, list] of byAppliance) {
    const completed = new Set(list.filter((s) => s.status !== 'active').map((s) => s.lsid));
    // The marker partition holds only active sessions (few), so this stays small however big the batch is.
    if (completed.size > 0) {
      const stale = (await activeLsids(ctx, applianceId)).filter((lsid) => completed.has(lsid));
      await ctx.records.sessions.batchDelete(stale.map((lsid) => activeKey(applianceId, lsid)));
    }
    await noteDurations(ctx, applianceId, list);
  }
}

/**
 * `putSessionRecords` for `applianceId` that skips the sessions it already holds exactly as they would be
 * written: the same item, its listing record, and an active marker only when active. `held` is what the
 * appliance holds (read by the caller). A re-run after a crash half way writes whatever is still missing,
 * since listing records and markers are checked as well as the items. Returns the records written.
 */
export async function putChangedSessionRecords(ctx: AppContext, applianceId: string, held: readonly SessionRecord[], records: readonly SessionRecord[]): Promise<SessionRecord[]> {
  const pk = `APPLIANCE#${applianceId}`;
  const [listings, active] = await Promise.all([
    queryAll(ctx.records.sessions, { pk, sk: { between: [LISTING_PREFIX, LISTING_END] } }),
    activeLsids(ctx, applianceId),
  ]);
  const listed = new Map(listings.map((i) => [i.sk, canonical(i)]));
  const marked = new Set(active);
  const stored = new Map(held.map((r) => [r.session.lsid, canonical(recordToItem(r))]));
  const changed = records.filter((r) => {
    const s = r.session;
    const listing = listingItem(s);
    return stored.get(s.lsid) !== canonical(recordToItem(r)) || listed.get(listing.sk) !== canonical(listing) || marked.has(s.lsid) !== (s.status === 'active');
  });
  await writeInParallel(changed, (part) => putSessionRecords(ctx, part));
  return changed;
}

/** JSON with object keys sorted: equal for equal items whatever order their attributes were set in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The appliance's sessions as records (richer record not inflated), in lsid order. */
export async function readSessionRecords(ctx: AppContext, applianceId: string, pageSize = 1000): Promise<SessionRecord[]> {
  const all: SessionRecord[] = [];
  for await (const page of queryPages(ctx.records.sessions, { pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: 'LSID#' }, limit: pageSize })) all.push(...page.map(recordFromItem));
  return all;
}

async function activeLsids(ctx: AppContext, applianceId: string): Promise<string[]> {
  return (await queryAll(ctx.records.sessions, { pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: 'ACTIVE#' } })).map((i) => String(i.lsid));
}

/** Keeps META#STATS.maxDuration ≥ every stored duration (optimistic; one read per call). */
async function noteDurations(ctx: AppContext, applianceId: string, sessions: readonly Pick<SupportSession, 'duration'>[]): Promise<void> {
  const longest = Math.max(0, ...sessions.map((s) => s.duration ?? 0));
  for (let attempt = 0; attempt < 20; attempt++) {
    const current = await ctx.records.sessions.get(statsKey(applianceId));
    if (Number(current?.maxDuration ?? -1) >= longest) return;
    try {
      await ctx.records.sessions.put({ ...statsKey(applianceId), maxDuration: longest, version: (current?.version ?? 0) + 1 }, { expectVersion: current?.version ?? 0 });
      return;
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
    }
  }
}

/** The longest duration (seconds) of any session stored for the appliance. */
export async function maxSessionDuration(ctx: AppContext, applianceId: string): Promise<number> {
  return Number((await ctx.records.sessions.get(statsKey(applianceId)))?.maxDuration ?? 0);
}

export async function getSession(ctx: AppContext, applianceId: string, lsid: string): Promise<SupportSession | undefined> {
  const item = await ctx.records.sessions.get(sessionKey(applianceId, lsid));
  return item ? sessionFromItem(item) : undefined;
}

/** Pages through an appliance's sessions in lsid order; memory stays bounded by `pageSize`. */
export async function* iterateSessions(ctx: AppContext, applianceId: string, pageSize = 500): AsyncGenerator<SupportSession> {
  for await (const page of queryPages(ctx.records.sessions, { pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: 'LSID#' }, limit: pageSize })) {
    for (const item of page) yield sessionFromItem(item);
  }
}

/**
 * How a reader pages: `pageSize` items a query, and with `fields` just those attributes (a report listing
 * reads 4 of the 20: a quarter of the bytes from DynamoDB); without them, whole sessions.
 */
export interface SessionReads<K extends keyof SupportSession> {
  pageSize?: number;
  fields?: readonly K[];
}
type SessionView<K extends keyof SupportSession> = Pick<SupportSession, K>;

/** The stored attributes that hold `fields` (the richer record's fields all live in `detail`). */
const projection = (fields: readonly string[] | undefined, needed: readonly (keyof SupportSession)[] = []) =>
  fields && [...new Set<string>([...fields, ...needed].map((f) => (isDetailField(f) ? 'detail' : f)))];

/** Sessions with lseq > `afterLseq`, in lseq order (≥ 10.6 appliances). */
export async function* iterateSessionsAfterLseq<K extends keyof SupportSession = keyof SupportSession>(
  ctx: AppContext,
  applianceId: string,
  afterLseq: number,
  { pageSize = 500, fields }: SessionReads<K> = {},
): AsyncGenerator<SessionView<K>> {
  const pages = queryPages(ctx.records.sessions, { index: 'gsi2', pk: `APPLIANCE#${applianceId}#LSEQ`, sk: { gt: afterLseq }, limit: pageSize, attributes: projection(fields) });
  for await (const page of pages) for (const item of page) yield sessionFromItem(item) as SessionView<K>;
}

/** Sessions that started in [fromIso, toIso) (toIso undefined = no upper bound), in start order, page by page. */
export async function* iterateSessionsByStart<K extends keyof SupportSession = keyof SupportSession>(
  ctx: AppContext,
  applianceId: string,
  fromIso: string,
  toIso: string | undefined,
  { pageSize = 1000, fields }: SessionReads<K> = {},
): AsyncGenerator<SessionView<K>[]> {
  const pages = queryPages(ctx.records.sessions, {
    index: 'gsi1',
    pk: `APPLIANCE#${applianceId}#START`,
    // '#' < digits, so `${to}` sorts before every `${to}#lsid`: the upper bound stays exclusive.
    sk: toIso === undefined ? { gte: fromIso } : { between: [fromIso, toIso] },
    limit: pageSize,
    attributes: projection(fields, ['startTime']),
  });
  for await (const page of pages) {
    const sessions = page.map(sessionFromItem) as SessionView<K | 'startTime'>[];
    const selected = sessions.filter((s) => toIso === undefined || s.startTime < toIso);
    if (selected.length > 0) yield selected;
  }
}

/**
 * Completed sessions that ended in [fromIso, toIso). There is no end-time index: a session that ended
 * at or after `from` started no earlier than `from - longest duration`, so the start index bounds the scan.
 */
export async function* iterateSessionsByEnd<K extends keyof SupportSession = keyof SupportSession>(
  ctx: AppContext,
  applianceId: string,
  fromIso: string,
  toIso: string | undefined,
  { pageSize = 1000, fields }: SessionReads<K> = {},
): AsyncGenerator<SessionView<K>[]> {
  const lookback = await maxSessionDuration(ctx, applianceId);
  const startFrom = new Date(Date.parse(fromIso) - (lookback + 1) * 1000).toISOString();
  const reads: SessionReads<K | 'status' | 'endTime'> = { pageSize, fields: projection(fields, ['status', 'endTime']) as (K | 'status' | 'endTime')[] | undefined };
  for await (const page of iterateSessionsByStart(ctx, applianceId, startFrom, toIso, reads)) {
    const ended = page.filter((s) => s.status === 'completed' && s.endTime !== undefined && s.endTime >= fromIso && (toIso === undefined || s.endTime < toIso));
    if (ended.length > 0) yield ended;
  }
}

/** Appliances whose listing records are known complete, per store (so one check per appliance and process). */
const completeListings = new WeakMap<object, Set<string>>();

/** Whether every session of the appliance has its listing record (META#LISTING written). */
export async function listingRecordsComplete(ctx: AppContext, applianceId: string): Promise<boolean> {
  const known = completeListings.get(ctx.records.sessions);
  if (known?.has(applianceId)) return true;
  const marker = await ctx.records.sessions.get(listingMarkerKey(applianceId));
  if (!marker) return false;
  completeListings.set(ctx.records.sessions, (known ?? new Set()).add(applianceId));
  return true;
}

/**
 * Writes the listing record of every stored session that lacks one (sessions stored before listing records
 * existed), then the marker that lets listings read them. Idempotent and resumable (a page at a time; the
 * marker only at the end); a no-op once done. Returns how many records it wrote.
 */
export async function ensureListingRecords(ctx: AppContext, applianceId: string): Promise<number> {
  if (await listingRecordsComplete(ctx, applianceId)) return 0;
  let written = 0;
  for await (const page of queryPages(ctx.records.sessions, { pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: 'LSID#' }, limit: 1000 })) {
    const items = page.map((item) => listingItem(sessionFromItem(item)));
    await ctx.records.sessions.batchPut(items);
    written += items.length;
  }
  await markListingRecordsComplete(ctx, applianceId);
  return written;
}

/**
 * Records that every session of the appliance has its listing record. Only for callers that know it:
 * sessions written by this module always get one, so an appliance that had no session before they
 * wrote is complete without a backfill.
 */
export async function markListingRecordsComplete(ctx: AppContext, applianceId: string): Promise<void> {
  await ctx.records.sessions.put({ ...listingMarkerKey(applianceId), complete: true, at: ctx.clock.now().toISOString() });
  completeListings.set(ctx.records.sessions, (completeListings.get(ctx.records.sessions) ?? new Set()).add(applianceId));
}

/** Whether the appliance holds any session (one item read). */
export async function hasSessions(ctx: AppContext, applianceId: string): Promise<boolean> {
  return (await ctx.records.sessions.query({ pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: 'LSID#' }, limit: 1 })).items.length > 0;
}

/** A listing record as read back: what SupportSessionListing shows and selects by. */
export interface ListingRecord {
  lsid: string;
  startTime: string;
  externalKey?: string;
  endTime?: string;
}

const LISTING_ATTRIBUTES = ['sk', 'externalKey', 'endTime'] as const;

function listingFromItem(item: StoredItem): ListingRecord {
  // sk = LIST#<ISO start>#<lsid>; the ISO timestamp has no '#'.
  const sk = item.sk;
  const at = sk.indexOf('#', LISTING_PREFIX.length);
  return {
    lsid: sk.slice(at + 1),
    startTime: sk.slice(LISTING_PREFIX.length, at),
    ...(item.externalKey !== undefined ? { externalKey: String(item.externalKey) } : {}),
    ...(item.endTime !== undefined ? { endTime: String(item.endTime) } : {}),
  };
}

/**
 * Listing records of sessions that started in [fromIso, toIso), or with `field: 'end'` of closed sessions
 * that ended in it (bounded like `iterateSessionsByEnd`), in start order, page by page. Only valid once
 * `listingRecordsComplete` holds.
 */
export async function* iterateListingRecords(
  ctx: AppContext,
  applianceId: string,
  field: 'start' | 'end',
  fromIso: string,
  toIso: string | undefined,
  pageSize = 1000,
): AsyncGenerator<ListingRecord[]> {
  const startFrom = field === 'start' ? fromIso : new Date(Date.parse(fromIso) - ((await maxSessionDuration(ctx, applianceId)) + 1) * 1000).toISOString();
  // '#' < digits, so `LIST#${to}` sorts before every `LIST#${to}#lsid`: the upper bound stays exclusive
  // (for end windows too: a session that ended before `to` started before it).
  const upper = toIso !== undefined ? `${LISTING_PREFIX}${toIso}` : LISTING_END;
  const pages = queryPages(ctx.records.sessions, { pk: `APPLIANCE#${applianceId}`, sk: { between: [`${LISTING_PREFIX}${startFrom}`, upper] }, limit: pageSize, attributes: LISTING_ATTRIBUTES });
  for await (const page of pages) {
    const records = page.map(listingFromItem);
    const selected =
      field === 'start'
        ? records.filter((r) => toIso === undefined || r.startTime < toIso)
        : records.filter((r) => r.endTime !== undefined && r.endTime >= fromIso && (toIso === undefined || r.endTime < toIso));
    if (selected.length > 0) yield selected;
  }
}

/** The appliance's active sessions, through their markers (few; never a scan of the partition). */
export async function activeSessions(ctx: AppContext, applianceId: string): Promise<SupportSession[]> {
  const found = await Promise.all((await activeLsids(ctx, applianceId)).map((lsid) => getSession(ctx, applianceId, lsid)));
  return found.filter((s): s is SupportSession => s !== undefined && s.status === 'active');
}

/** Ends every active session on the appliance with `reason` (install, failover...): sessions end, never vanish. */
export async function endActiveSessions(ctx: AppContext, applianceId: string, reason: SessionEndReason): Promise<number> {
  const now = ctx.clock.now();
  const lsids = await activeLsids(ctx, applianceId);
  const found = await Promise.all(lsids.map((lsid) => getSession(ctx, applianceId, lsid)));
  const ended = found.filter((s): s is SupportSession => s?.status === 'active').map((s) => endSession(s, now, reason));
  await putSessions(ctx, ended);
  const stale = lsids.filter((_, i) => found[i]?.status !== 'active');
  await ctx.records.sessions.batchDelete(stale.map((lsid) => activeKey(applianceId, lsid)));
  return ended.length;
}

/** The ended copy of an active session (pure); a session with recorded events gets its `Session End` event. */
export function endSession(s: SupportSession, now: Date, reason: SessionEndReason): SupportSession {
  const duration = Math.max(0, Math.round((now.getTime() - Date.parse(s.startTime)) / 1000));
  const endTime = now.toISOString();
  return {
    ...s,
    status: 'completed',
    endTime,
    duration,
    endReason: reason,
    ...(s.events && s.events.length > 0 ? { events: [...s.events, { timestamp: endTime, eventType: 'Session End', performedBy: SYSTEM_ACTOR }] } : {}),
  };
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

/**
 * Converts an appliance's legacy sessions to GUID lsid + lseq (upgrade across 10.6). Idempotent.
 * Mapping (functions/emulator/core/session.ts `migrateLegacySession`): lsid = first 32 hex of
 * sha256("lsid:<recordedBy>:<old lsid>"), lseq = legacyLsid = the old integer. Works page by page
 * so memory stays flat for large appliances.
 */
export async function migrateSessionsTo106(ctx: AppContext, applianceId: string): Promise<number> {
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');
  let migrated = 0;
  let cursor: string | undefined;
  do {
    const page = await ctx.records.sessions.query({ pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: 'LSID#' }, limit: 500, cursor });
    cursor = page.cursor;
    // Only the head changes (lsid, lseq): the richer record moves as stored.
    const legacy = page.items.map(recordFromItem).filter((r) => isLegacyLsid(r.session.lsid));
    if (legacy.length === 0) continue;
    // Write the converted sessions first, then delete the old ones: a crash in between leaves duplicates
    // that a re-run removes, never a lost session.
    await writeInParallel(legacy.map((r) => withHead(r, migrateLegacySession(r.session as SupportSession, hash))), (part) => putSessionRecords(ctx, part));
    await writeInParallel(legacy.map((r) => r.session), (part) => deleteSessions(ctx, part));
    migrated += legacy.length;
  } while (cursor);
  return migrated;
}

/** Concurrent bulk writers: DynamoDB (and the local emulator) take parallel BatchWriteItem calls; bounded, so a 100,000-session copy never fans out further. */
const WRITERS = 8;

/** Writes `items` in at most WRITERS concurrent parts, each a multiple of 25 (one BatchWriteItem each). */
export async function writeInParallel<T>(items: readonly T[], write: (part: T[]) => Promise<void>): Promise<void> {
  if (items.length === 0) return;
  const per = Math.max(25, Math.ceil(items.length / WRITERS / 25) * 25);
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += per) parts.push(items.slice(i, i + per));
  await Promise.all(parts.map(write));
}
