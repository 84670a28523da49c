import { describe, expect, it } from 'vitest';
import { customerDowntime, reconcile, type LedgerEntry } from '../../../functions/traffic/ledger.js';

const t = (minute: number) => new Date(Date.UTC(2026, 11, 1, 2, 0) + minute * 60_000).toISOString();
const session = (externalKey: string, lsid: string, endMinute: number, servedBy = 'a'): LedgerEntry => ({
  kind: 'session', externalKey, lsid, hostname: 'support.example.com', servedBy, requestedAt: t(endMinute - 10), startedAt: t(endMinute - 9), endedAt: t(endMinute),
});
const interval = { from: t(0), to: t(100) };

describe('reconcile (ledger vs the final primary report)', () => {
  it('counts present, missing, duplicated and renumbered sessions by external key', () => {
    const ledger = [session('K1', '1', 10), session('K2', '2', 20, 'b'), session('K3', '3', 30), session('K4', '4', 40), session('K0', '9', 200)];
    const report = [
      { lsid: '1', externalKey: 'K1' },
      { lsid: 'c69a8e10bea9428f816cfababe9815fe', externalKey: 'K2' },
      { lsid: '3', externalKey: 'K3' },
      { lsid: '17', externalKey: 'K3' },
      { lsid: '99', externalKey: 'OTHER' },
    ];
    const r = reconcile(ledger, report, interval);
    expect(r.completed).toBe(4); // K0 ended outside the interval
    expect(r.present).toBe(2);
    expect(r.missing).toEqual([{ externalKey: 'K4', lsid: '4', servedBy: 'a', endedAt: t(40) }]);
    expect(r.duplicated).toEqual([{ externalKey: 'K3', lsids: ['3', '17'] }]);
    expect(r.renumbered).toEqual([{ externalKey: 'K2', from: '2', to: 'c69a8e10bea9428f816cfababe9815fe', servedBy: 'b' }]);
    expect(r.byAppliance).toEqual({ a: 3, b: 1 });
  });

  it('a complete report of a complete ledger has nothing missing or duplicated', () => {
    const ledger = [session('K1', '1', 10), session('K2', '2', 20)];
    const r = reconcile(ledger, [{ lsid: '1', externalKey: 'K1' }, { lsid: '2', externalKey: 'K2' }], interval);
    expect(r).toMatchObject({ completed: 2, present: 2, missing: [], duplicated: [], renumbered: [] });
  });
});

describe('customer downtime', () => {
  const attempt = (kind: 'failure' | 'success', minute: number, hostname = 'support.example.com'): LedgerEntry =>
    kind === 'failure' ? { kind, hostname, at: t(minute), status: 503, reason: 'installing' } : { kind, hostname, at: t(minute), servedBy: 'a' };

  it('measures each stretch of failures from the first failure to the next accepted attempt', () => {
    const entries = [attempt('success', 1), attempt('failure', 5), attempt('failure', 8), attempt('success', 20), attempt('failure', 30), attempt('success', 33), attempt('failure', 4, 'other.example.com')];
    const d = customerDowntime(entries, 'support.example.com', interval);
    expect(d.attempts).toBe(6);
    expect(d.failures).toBe(3);
    expect(d.outages.map((o) => o.ms / 60_000)).toEqual([15, 3]);
    expect(d.longestMs).toBe(15 * 60_000);
    expect(d.totalMs).toBe(18 * 60_000);
  });

  it('an outage still open at the end of the interval runs to its end; no attempts means no downtime', () => {
    expect(customerDowntime([attempt('success', 1), attempt('failure', 90)], 'support.example.com', interval).totalMs).toBe(10 * 60_000);
    expect(customerDowntime([], 'support.example.com', interval)).toMatchObject({ attempts: 0, longestMs: 0, totalMs: 0 });
  });
});
