import { createHash, randomBytes } from 'node:crypto';
import { isLegacyLsid, migrateLegacySession, type SessionEndReason, type SupportSession } from '../core/session.js';
import { ConditionFailedError, type StoredItem, queryAll, queryPages } from '../core/ports.js';
import { usesGuidLsid } from '../core/versions.js';
import type { AppContext } from './context.js';

/**
 * Sessions table layout:
 *   pk = APPLIANCE#<id>, sk = LSID#<lsid> (legacy integer lsids zero-padded so they sort numerically)
 *   gsi1: APPLIANCE#<id>#START / <startTime>#<lsid>   (time-window reports)
 *   gsi2: APPLIANCE#<id>#LSEQ / <lseq>                (lseq ordering, incremental sync/export; ≥ 10.6 only)
 * Beside the sessions, in the same partition:
 *   sk = ACTIVE#<lsid>  one small marker per active session, so ending them never scans the partition;
 *   sk = META#STATS     the longest session duration seen, which bounds end-time window queries.
 */
export const sessionKey = (applianceId: string, lsid: string) => ({
  pk: `APPLIANCE#${applianceId}`,
  sk: `LSID#${/^\d+$/.test(lsid) ? lsid.padStart(16, '0') : lsid}`,
});

const activeKey = (applianceId: string, lsid: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: `ACTIVE#${lsid}` });
const statsKey = (applianceId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: 'META#STATS' });

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
  if (session.status === 'active') await ctx.records.sessions.put({ ...activeKey(session.applianceId, session.lsid), lsid: session.lsid });
  else await ctx.records.sessions.delete(activeKey(session.applianceId, session.lsid));
  await noteDurations(ctx, session.applianceId, [session]);
}

/** Removes a session and its active marker (a full resync or a migration replaces it elsewhere). */
export async function deleteSession(ctx: AppContext, session: Pick<SupportSession, 'applianceId' | 'lsid' | 'status'>): Promise<void> {
  await ctx.records.sessions.delete(sessionKey(session.applianceId, session.lsid));
  if (session.status === 'active') await ctx.records.sessions.delete(activeKey(session.applianceId, session.lsid));
}

/** Bulk write. Active-session markers are written with the batch; completed ones drop their marker. */
export async function putSessions(ctx: AppContext, sessions: SupportSession[]): Promise<void> {
  if (sessions.length === 0) return;
  const markers = sessions.filter((s) => s.status === 'active').map((s) => ({ ...activeKey(s.applianceId, s.lsid), lsid: s.lsid }));
  await ctx.records.sessions.batchPut([...sessions.map(sessionToItem), ...markers]);
  const byAppliance = new Map<string, SupportSession[]>();
  for (const s of sessions) byAppliance.set(s.applianceId, [...(byAppliance.get(s.applianceId) ?? []), s]);
  for (const [applianceId, list] of byAppliance) {
    const completed = new Set(list.filter((s) => s.status !== 'active').map((s) => s.lsid));
    // The marker partition holds only active sessions (few), so this stays small however big the batch is.
    if (completed.size > 0) {
      for (const lsid of await activeLsids(ctx, applianceId)) if (completed.has(lsid)) await ctx.records.sessions.delete(activeKey(applianceId, lsid));
    }
    await noteDurations(ctx, applianceId, list);
  }
}

async function activeLsids(ctx: AppContext, applianceId: string): Promise<string[]> {
  return (await queryAll(ctx.records.sessions, { pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: 'ACTIVE#' } })).map((i) => String(i.lsid));
}

/** Keeps META#STATS.maxDuration ≥ every stored duration (optimistic; one read per call). */
async function noteDurations(ctx: AppContext, applianceId: string, sessions: SupportSession[]): Promise<void> {
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

const projection = (fields: readonly string[] | undefined, needed: readonly (keyof SupportSession)[] = []) =>
  fields && [...new Set<string>([...fields, ...needed])];

/** Sessions with lseq > `afterLseq`, in lseq order (≥ 10.6 appliances). */
export async function* iterateSessionsAfterLseq<K extends keyof SupportSession = keyof SupportSession>(
  ctx: AppContext,
  applianceId: string,
  afterLseq: number,
  { pageSize = 500, fields }: SessionReads<K> = {},
): AsyncGenerator<SessionView<K>> {
  const pages = queryPages(ctx.records.sessions, { index: 'gsi2', pk: `APPLIANCE#${applianceId}#LSEQ`, sk: { gt: afterLseq }, limit: pageSize, attributes: projection(fields) });
  for await (const page of pages) for (const item of page) yield (fields ? item : sessionFromItem(item)) as SessionView<K>;
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
    const sessions = (fields ? page : page.map(sessionFromItem)) as SessionView<K | 'startTime'>[];
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

/** Ends every active session on the appliance with `reason` (install, failover...): sessions end, never vanish. */
export async function endActiveSessions(ctx: AppContext, applianceId: string, reason: SessionEndReason): Promise<number> {
  const now = ctx.clock.now();
  const ended: SupportSession[] = [];
  const stale: string[] = [];
  for (const lsid of await activeLsids(ctx, applianceId)) {
    const s = await getSession(ctx, applianceId, lsid);
    if (!s || s.status !== 'active') {
      stale.push(lsid);
      continue;
    }
    ended.push(endSession(s, now, reason));
  }
  await putSessions(ctx, ended);
  for (const lsid of stale) await ctx.records.sessions.delete(activeKey(applianceId, lsid));
  return ended.length;
}

/** The ended copy of an active session (pure). */
export function endSession(s: SupportSession, now: Date, reason: SessionEndReason): SupportSession {
  const duration = Math.max(0, Math.round((now.getTime() - Date.parse(s.startTime)) / 1000));
  return { ...s, status: 'completed', endTime: now.toISOString(), duration, endReason: reason };
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
 * Mapping (functions/core/session.ts `migrateLegacySession`): lsid = first 32 hex of
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
    const legacy = page.items.map(sessionFromItem).filter((s) => isLegacyLsid(s.lsid));
    if (legacy.length === 0) continue;
    // Write the converted sessions first, then delete the old ones: a crash in between leaves duplicates
    // that a re-run removes, never a lost session.
    await putSessions(ctx, legacy.map((s) => migrateLegacySession(s, hash)));
    // One batch request per 25 deletes: a long pre-10.6 history migrates in seconds, not minutes.
    await ctx.records.sessions.batchDelete(legacy.flatMap((s) => [sessionKey(applianceId, s.lsid), ...(s.status === 'active' ? [activeKey(applianceId, s.lsid)] : [])]));
    migrated += legacy.length;
  } while (cursor);
  return migrated;
}
