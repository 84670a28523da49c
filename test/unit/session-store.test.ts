import { describe, expect, it } from 'vitest';
import { selectListing } from '../../functions/emulator/app/reporting.js';
import {
  deleteSession,
  endActiveSessions,
  endSession,
  ensureListingRecords,
  getSession,
  listingRecordsComplete,
  sessionToItem,
  iterateSessions,
  iterateSessionsByEnd,
  iterateSessionsByStart,
  migrateSessionsTo106,
  putSession,
  putSessions,
  listingKey,
  putChangedSessionRecords,
  putSessionRecords,
  readSessionRecords,
  recordFromItem,
} from '../../functions/emulator/app/session-store.js';
import type { RecordStore } from '../../functions/platform/core/ports.js';
import type { SupportSession } from '../../functions/emulator/core/session.js';
import { FakeClock, memoryContext } from '../helpers/memory-context.js';
import { sampleSession } from '../helpers/sessions.js';

const collect = async <T>(it: AsyncIterable<T[]>) => {
  const out: T[] = [];
  for await (const page of it) out.push(...page);
  return out;
};

/** Counts items read by queries, to prove a use case does not scan the partition. */
function countingReads(store: RecordStore) {
  let read = 0;
  const query = store.query.bind(store);
  store.query = async (request) => {
    const page = await query(request);
    read += page.items.length;
    return page as never;
  };
  return () => read;
}

describe('session store', () => {
  it('endActiveSessions touches only the active ones (marker index), ends them, loses none', async () => {
    const clock = new FakeClock(new Date('2026-11-01T12:00:00Z'));
    const ctx = memoryContext({ clock });
    const sessions: SupportSession[] = Array.from({ length: 300 }, (_, i) =>
      sampleSession('a1', String(i + 1), i % 100 === 0 ? { status: 'active', endTime: undefined, duration: undefined, endReason: undefined, startTime: '2026-11-01T11:00:00.000Z' } : {}),
    );
    await putSessions(ctx, sessions);
    const reads = countingReads(ctx.records.sessions);
    expect(await endActiveSessions(ctx, 'a1', 'terminated-by-upgrade')).toBe(3);
    expect(reads()).toBeLessThan(20);
    expect(await getSession(ctx, 'a1', '101')).toMatchObject({ status: 'completed', duration: 3600, endReason: 'terminated-by-upgrade', endTime: '2026-11-01T12:00:00.000Z' });
    expect(await endActiveSessions(ctx, 'a1', 'terminated-by-upgrade')).toBe(0);
    let n = 0;
    for await (const _ of iterateSessions(ctx, 'a1')) n++;
    expect(n).toBe(300);
  });

  it('a session completed by putSession leaves the active index', async () => {
    const ctx = memoryContext();
    const s = sampleSession('a1', '5', { status: 'active', endTime: undefined, duration: undefined });
    await putSession(ctx, s);
    await putSession(ctx, { ...s, status: 'completed', endTime: '2026-10-01T10:30:00.000Z', duration: 1800 });
    expect(await endActiveSessions(ctx, 'a1', 'terminated-by-failover')).toBe(0);
    expect((await getSession(ctx, 'a1', '5'))?.endReason).toBe('completed');
  });

  it('start windows are half-open; end windows find long sessions through the duration bound', async () => {
    const ctx = memoryContext();
    await putSessions(ctx, [
      sampleSession('a1', '1', { startTime: '2026-10-01T00:00:00.000Z', endTime: '2026-10-01T00:10:00.000Z', duration: 600 }),
      sampleSession('a1', '2', { startTime: '2026-10-02T00:00:00.000Z', endTime: '2026-10-05T00:00:00.000Z', duration: 3 * 86_400 }),
      sampleSession('a1', '3', { startTime: '2026-10-04T00:00:00.000Z', endTime: '2026-10-04T01:00:00.000Z', duration: 3600 }),
      sampleSession('a1', '4', { startTime: '2026-10-04T12:00:00.000Z', status: 'active', endTime: undefined, duration: undefined }),
    ]);
    const started = await collect(iterateSessionsByStart(ctx, 'a1', '2026-10-02T00:00:00.000Z', '2026-10-04T00:00:00.000Z'));
    expect(started.map((s) => s.lsid)).toEqual(['2']);
    const ended = await collect(iterateSessionsByEnd(ctx, 'a1', '2026-10-04T00:30:00.000Z', undefined));
    expect(ended.map((s) => s.lsid).sort()).toEqual(['2', '3']);
  });

  it('migrates legacy sessions to GUID + lseq = old lsid, idempotently, keeping the active index', async () => {
    const ctx = memoryContext();
    await putSessions(ctx, [
      sampleSession('a1', '1'),
      sampleSession('a1', '2', { status: 'active', endTime: undefined, duration: undefined }),
      sampleSession('a1', '3'),
    ]);
    expect(await migrateSessionsTo106(ctx, 'a1')).toBe(3);
    expect(await migrateSessionsTo106(ctx, 'a1')).toBe(0);
    const after: SupportSession[] = [];
    for await (const s of iterateSessions(ctx, 'a1')) after.push(s);
    expect(after.map((s) => [s.lseq, s.legacyLsid]).sort()).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(after.every((s) => /^[0-9a-f]{32}$/.test(s.lsid))).toBe(true);
    expect(await endActiveSessions(ctx, 'a1', 'terminated-by-upgrade')).toBe(1);
  });

  it('migrates the richer record as stored (events, participants) and moves the listing records to the new lsids', async () => {
    const ctx = memoryContext();
    const events = [{ timestamp: '2026-10-01T00:00:05.000Z', eventType: 'Chat Message', performedBy: { type: 'customer', name: 'Ann' }, body: 'héllo' }];
    await putSessions(ctx, [sampleSession('a1', '7', { events, externalKey: 'INC7' } as Partial<SupportSession>)]);
    const before = await ctx.records.sessions.get(sessionToItem(sampleSession('a1', '7')));
    expect(await migrateSessionsTo106(ctx, 'a1')).toBe(1);
    const [after] = await readSessionRecords(ctx, 'a1');
    expect(after!.detail).toBe(before!.detail);
    const migrated = await getSession(ctx, 'a1', after!.session.lsid);
    expect(migrated).toMatchObject({ lseq: 7, legacyLsid: 7, externalKey: 'INC7', events });
    const listings = await ctx.records.sessions.query({ pk: 'APPLIANCE#a1', sk: { beginsWith: 'LIST#' } });
    expect(listings.items.map((i) => i.sk)).toEqual([`LIST#${migrated!.startTime}#${migrated!.lsid}`]);
  });

  it('putChangedSessionRecords writes only what differs, and rewrites a copy whose listing record or marker is missing', async () => {
    const ctx = memoryContext();
    const copies = [sampleSession('b1', '1'), sampleSession('b1', '2', { status: 'active', endTime: undefined, duration: undefined }), sampleSession('b1', '3')];
    const records = copies.map((s) => recordFromItem(sessionToItem(s)));
    await putSessionRecords(ctx, records);
    const held = await readSessionRecords(ctx, 'b1');
    expect(await putChangedSessionRecords(ctx, 'b1', held, records)).toEqual([]);
    // A crash between the batches of an earlier write: the item is there, its listing record is not.
    await ctx.records.sessions.delete(listingKey(copies[0]!));
    await ctx.records.sessions.delete({ pk: 'APPLIANCE#b1', sk: 'ACTIVE#2' });
    const ended = { ...records[2]!, session: { ...records[2]!.session, externalKey: 'INC3' } };
    const written = await putChangedSessionRecords(ctx, 'b1', held, [records[0]!, records[1]!, ended]);
    expect(written.map((r) => r.session.lsid)).toEqual(['1', '2', '3']);
    expect(await ctx.records.sessions.get(listingKey(copies[0]!))).toBeDefined();
    expect(await putChangedSessionRecords(ctx, 'b1', await readSessionRecords(ctx, 'b1'), [records[0]!, records[1]!, ended])).toEqual([]);
    expect(await endActiveSessions(ctx, 'b1', 'terminated-by-failover')).toBe(1);
  });
});

describe('listing records', () => {
  const listingOf = async (ctx: ReturnType<typeof memoryContext>, field: 'start' | 'end', from: string, to?: string) =>
    (await collect(selectListing(ctx, 'a1', { kind: 'window', field, from, to }))).map((e) => [e.lsid, e.externalKey ?? '']);

  const history = () => [
    sampleSession('a1', '1', { startTime: '2026-10-01T00:00:00.000Z', endTime: '2026-10-01T00:10:00.000Z', duration: 600, externalKey: 'INC1' }),
    sampleSession('a1', '2', { startTime: '2026-10-02T00:00:00.000Z', endTime: '2026-10-05T00:00:00.000Z', duration: 3 * 86_400, externalKey: '' }),
    sampleSession('a1', '3', { startTime: '2026-10-04T00:00:00.000Z', endTime: '2026-10-04T01:00:00.000Z', duration: 3600, externalKey: 'INC3' }),
    sampleSession('a1', '4', { startTime: '2026-10-04T12:00:00.000Z', status: 'active', endTime: undefined, duration: undefined, externalKey: 'INC4' }),
  ];

  it('answer every window exactly as the sessions themselves do, from ~100-byte items', async () => {
    const ctx = memoryContext();
    await putSessions(ctx, history());
    const windows: ['start' | 'end', string, string | undefined][] = [
      ['start', '2026-10-02T00:00:00.000Z', '2026-10-04T00:00:00.000Z'],
      ['start', '2026-09-01T00:00:00.000Z', undefined],
      ['end', '2026-10-04T00:30:00.000Z', undefined],
      ['end', '2026-10-01T00:00:00.000Z', '2026-10-04T01:00:00.000Z'],
    ];
    const fallback = windows.map(([f, a, b]) => listingOf(ctx, f, a, b));
    const viaSessions = await Promise.all(fallback);
    await ensureListingRecords(ctx, 'a1');
    expect(await listingRecordsComplete(ctx, 'a1')).toBe(true);
    const query = ctx.records.sessions.query.bind(ctx.records.sessions);
    const readKeys: string[] = [];
    ctx.records.sessions.query = async (request) => {
      const page = await query(request);
      readKeys.push(...page.items.map((i) => i.sk));
      return page as never;
    };
    const viaRecords = await Promise.all(windows.map(([f, a, b]) => listingOf(ctx, f, a, b)));
    expect(viaRecords).toEqual(viaSessions);
    expect(viaRecords[0]).toEqual([['2', '']]);
    expect(viaRecords[2]!.map(([l]) => l).sort()).toEqual(['2', '3']);
    expect(viaRecords[1]).toHaveLength(4);
    // listing records only, never a session item; end windows read from `from - longest duration` (3 days)
    expect(readKeys.every((k) => k.startsWith('LIST#'))).toBe(true);
    expect(readKeys).toHaveLength(1 + 4 + 3 + 3);
    const item = await ctx.records.sessions.get({ pk: 'APPLIANCE#a1', sk: 'LIST#2026-10-01T00:00:00.000Z#1' });
    expect(item).toEqual({ pk: 'APPLIANCE#a1', sk: 'LIST#2026-10-01T00:00:00.000Z#1', externalKey: 'INC1', endTime: '2026-10-01T00:10:00.000Z' });
  });

  it('follow the session: updated with it, moved by the 10.6 migration, removed with it; the backfill covers old data once', async () => {
    const ctx = memoryContext();
    // An old data dir: sessions without listing records.
    for (const s of history()) await ctx.records.sessions.put(sessionToItem(s));
    expect(await listingOf(ctx, 'start', '2026-01-01T00:00:00.000Z')).toHaveLength(4);
    expect(await ensureListingRecords(ctx, 'a1')).toBe(4);
    expect(await ensureListingRecords(ctx, 'a1')).toBe(0);
    const active = (await getSession(ctx, 'a1', '4'))!;
    await putSession(ctx, endSession({ ...active, externalKey: 'INC4-b' }, new Date('2026-10-04T13:00:00.000Z'), 'terminated-by-api'));
    expect(await listingOf(ctx, 'end', '2026-10-04T12:30:00.000Z')).toEqual([['4', 'INC4-b']]);
    expect(await migrateSessionsTo106(ctx, 'a1')).toBe(4);
    const listed = await listingOf(ctx, 'start', '2026-01-01T00:00:00.000Z');
    expect(listed).toHaveLength(4);
    expect(listed.every(([l]) => /^[0-9a-f]{32}$/.test(l!))).toBe(true);
    const migrated = (await getSession(ctx, 'a1', listed[0]![0]!))!;
    await deleteSession(ctx, migrated);
    expect(await listingOf(ctx, 'start', '2026-01-01T00:00:00.000Z')).toHaveLength(3);
    const remaining = await ctx.records.sessions.query({ pk: 'APPLIANCE#a1', sk: { beginsWith: 'LIST#' } });
    expect(remaining.items).toHaveLength(3);
  });
});
