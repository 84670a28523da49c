import fc from 'fast-check';
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../../functions/traffic/ledger.js';
import { LedgerFile, parseLedger } from '../../../functions/traffic/ledger-file.js';
import { measureWindow, reconciliationSummary, reportedSessions, windowsWithoutTraffic } from '../../../functions/local/traffic/run-traffic.js';
import { prng } from '../../../functions/platform/core/random.js';
import { nextArrivalMinutes } from '../../../functions/traffic/traffic-model.js';

const MS = 10; // ms per modelled minute
const t = (minute: number) => new Date(Date.UTC(2026, 11, 1, 2, 0) + minute * MS).toISOString();
const H = 'support.example.com';
const ok = (m: number, servedBy = 'a'): LedgerEntry => ({ kind: 'success', hostname: H, at: t(m), servedBy });
const fail = (m: number): LedgerEntry => ({ kind: 'failure', hostname: H, at: t(m), status: 503, reason: 'SiteUnavailable' });
const done = (key: string, lsid: string, m: number, servedBy = 'a'): LedgerEntry => ({ kind: 'session', externalKey: key, lsid, hostname: H, servedBy, requestedAt: t(m - 5), startedAt: t(m - 4), endedAt: t(m) });

describe('measureWindow', () => {
  it('reports attempts, failures, the longest and total outage in modelled minutes beside the estimate', () => {
    const entries = [ok(1), fail(10), fail(12), ok(30), done('K1', '1', 35), fail(50), ok(55), ok(200)];
    expect(measureWindow(entries, H, { window: 1, from: t(0), to: t(100), estimateMinutes: 25 }, MS)).toEqual({
      window: 1, from: t(0), to: t(100), attempts: 6, failures: 3, longestOutageMinutes: 20, totalOutageMinutes: 25, estimateMinutes: 25, completed: 1,
    });
  });

  it('a window without any attempt has no measurement, and counts as one without traffic', () => {
    const entries = [ok(1), done('K1', '1', 5), ok(150), done('K2', '2', 160)];
    const w1 = measureWindow(entries, H, { window: 1, from: t(0), to: t(100), estimateMinutes: 5 }, MS);
    const w2 = measureWindow(entries, H, { window: 2, from: t(300), to: t(400), estimateMinutes: 0 }, MS);
    expect(w2).toBeUndefined();
    // Traffic silently off in window 2: the check the workflow tests use names it.
    expect(windowsWithoutTraffic({ windows: [w1!] }, 2)).toEqual([2]);
    expect(windowsWithoutTraffic({ windows: [w1!, { ...w1!, window: 2, completed: 0 }] }, 2)).toEqual([2]);
    expect(windowsWithoutTraffic({ windows: [w1!, { ...w1!, window: 2 }] }, 2)).toEqual([]);
    expect(windowsWithoutTraffic(undefined, 1)).toEqual([1]);
  });
});

describe('reportedSessions (SupportSession XML)', () => {
  it('reads lsid and external key of each session, both flavors, escaped keys included', () => {
    const xml = '<?xml version="1.0"?><session_list xmlns="http://www.networkstreaming.com/namespaces/API"><session lsid="c69a8e10bea9428f816cfababe9815fe"><session_type>support</session_type><lseq>4</lseq><external_key>a&amp;b</external_key></session><session lsid="17"><external_key></external_key></session></session_list>';
    expect(reportedSessions(xml)).toEqual([{ lsid: 'c69a8e10bea9428f816cfababe9815fe', externalKey: 'a&b' }, { lsid: '17', externalKey: '' }]);
  });
});

describe('the ledger file', () => {
  it('appends in order, survives a torn last line (skipped, never fatal) and keeps appending after it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    try {
      const path = join(dir, 'ledger.jsonl');
      const first = new LedgerFile(path);
      await first.append(ok(1), done('K1', '1', 2));
      await appendFile(path, '{"kind":"session","externalKey":"K2","ls'); // a crash mid-write
      const second = new LedgerFile(path);
      expect((await second.read()).entries).toHaveLength(2);
      await second.append(ok(3));
      const { entries, skipped } = await second.read();
      expect(entries.map((e) => e.kind)).toEqual(['success', 'session', 'success']);
      expect(skipped).toBe(1);
      expect((await readFile(path, 'utf8')).split('\n').filter(Boolean)).toHaveLength(4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a missing file is an empty ledger; garbage lines are skipped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    try {
      expect(await new LedgerFile(join(dir, 'none.jsonl')).read()).toEqual({ entries: [], skipped: 0 });
      await writeFile(join(dir, 'g.jsonl'), 'not json\n{"kind":"other"}\n' + JSON.stringify(ok(1)) + '\n');
      expect(parseLedger(await readFile(join(dir, 'g.jsonl'), 'utf8'))).toMatchObject({ skipped: 2, entries: [ok(1)] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('reconciliation of one site among several', () => {
  it("counts only the reconciled site's sessions: another site's are neither completed nor missing", () => {
    const other: LedgerEntry = { ...done('k-other', '9', 20), hostname: 'other.example.com' } as LedgerEntry;
    const entries = [done('k-1', '1', 10), other, done('k-2', '2', 30)];
    const report = [{ lsid: '1', externalKey: 'k-1' }, { lsid: '2', externalKey: 'k-2' }];
    const r = reconciliationSummary(entries, report, { from: t(0), to: t(100), hostname: H }, 'a', t(100));
    expect({ completed: r.completed, present: r.present, missing: r.missing }).toEqual({ completed: 2, present: 2, missing: 0 });
    // Without the site, the other site's session shows up as missing: the filter is what makes it 0.
    expect(reconciliationSummary(entries, report, { from: t(0), to: t(100) }, 'a', t(100)).missing).toBe(1);
    // A session of the site itself that the report lacks is still seen.
    expect(reconciliationSummary(entries, report.slice(1), { from: t(0), to: t(100), hostname: H }, 'a', t(100)).missingKeys).toEqual(['k-1']);
  });
});

describe('reconciliation under random arrivals, outages and crashes (property, fixed seed)', () => {
  it('a report holding every completed session once gives 0 missing, 0 duplicated; dropping or doubling one is always seen', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 900 }), fc.integer({ min: 1, max: 60 })), { maxLength: 3 }),
        fc.integer({ min: 0, max: 1000 }),
        (seed, perHour, outages, crashAt) => {
          const random = prng(seed);
          const entries: LedgerEntry[] = [];
          const report: { lsid: string; externalKey: string }[] = [];
          let minute = 0;
          let n = 0;
          while (minute < 1000 && entries.length < 400) {
            minute += nextArrivalMinutes(random, { sessionsPerHour: perHour });
            if (minute >= 1000) break;
            const down = outages.some(([from, len]) => minute >= from && minute < from + len);
            if (down) {
              entries.push(fail(minute));
              continue;
            }
            entries.push(ok(minute, random() < 0.5 ? 'a' : 'b'));
            const key = `K${++n}`;
            const end = minute + 1 + random() * 30;
            // A crash of the runtime loses what was in flight: neither the ledger nor the report has it then.
            if (end >= crashAt && minute < crashAt) continue;
            entries.push(done(key, String(n), end));
            // Pre-10.6 sessions may come back renumbered (export/re-import, 10.6 migration): matched by key.
            report.push({ lsid: random() < 0.3 ? `${n}x` : String(n), externalKey: key });
          }
          const interval = { from: t(0), to: t(2000) };
          const r = reconciliationSummary(entries, report, interval, 'b', t(2000));
          expect({ missing: r.missing, duplicated: r.duplicated, present: r.present }).toEqual({ missing: 0, duplicated: 0, present: r.completed });
          if (report.length > 0) {
            const i = Math.floor(random() * report.length);
            expect(reconciliationSummary(entries, report.filter((_, j) => j !== i), interval, 'b', t(2000)).missing).toBe(1);
            expect(reconciliationSummary(entries, [...report, { ...report[i]!, lsid: 'dup' }], interval, 'b', t(2000)).duplicated).toBe(1);
          }
          // Downtime never exceeds the outages' extent plus the retry gap, and is zero without failures.
          const d = measureWindow(entries, H, { window: 1, from: t(0), to: t(2000), estimateMinutes: 0 }, MS);
          if (d && d.failures === 0) expect(d.totalOutageMinutes).toBe(0);
        },
      ),
      { seed: 14, numRuns: 150 },
    );
  });
});
