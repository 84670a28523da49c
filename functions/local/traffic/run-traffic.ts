/**
 * What a run's windows looked like from the customers' side (issue 14), computed from the ledger (pure).
 * Stored on the run as `run.traffic` (the console engineer renders it): one entry per window that ran
 * with traffic on, and the reconciliation of the ledger with the final primary's SupportSession report.
 * It joins the traffic generator's ledger to the control plane's run record, so it lives with the composition root.
 */
import type { RunTraffic, RunTrafficReconciliation, RunTrafficWindow } from '../../control-plane/core/run.js';
import { customerDowntime, reconcile, type LedgerEntry, type ReportedSession } from '../../traffic/ledger.js';

export type { RunTraffic, RunTrafficReconciliation, RunTrafficWindow } from '../../control-plane/core/run.js';

const minutes = (ms: number, msPerMinute: number) => Math.round((ms / msPerMinute) * 10) / 10;

/**
 * One window's measurement: attempts and failures on the primary hostname in [from, to), the longest and total
 * stretch during which every attempt failed, beside the plan's estimate. Undefined when traffic was off then
 * (no attempt at all): a window without traffic is not reported as one without downtime.
 */
export function measureWindow(
  entries: readonly LedgerEntry[],
  hostname: string,
  window: { window: 1 | 2; from: string; to: string; estimateMinutes: number },
  msPerMinute: number,
): RunTrafficWindow | undefined {
  const d = customerDowntime(entries, hostname, window);
  if (d.attempts === 0) return undefined;
  const completed = entries.filter((e) => e.kind === 'session' && e.hostname === hostname && e.endedAt >= window.from && e.endedAt < window.to).length;
  return {
    window: window.window,
    from: window.from,
    to: window.to,
    attempts: d.attempts,
    failures: d.failures,
    longestOutageMinutes: minutes(d.longestMs, msPerMinute),
    totalOutageMinutes: minutes(d.totalMs, msPerMinute),
    estimateMinutes: window.estimateMinutes,
    completed,
  };
}

/** The reconciliation as stored on the run: counts, plus a few keys to look up. */
export function reconciliationSummary(
  entries: readonly LedgerEntry[],
  report: readonly ReportedSession[],
  interval: { from: string; to: string; hostname?: string },
  primaryId: string,
  at: string,
): RunTrafficReconciliation {
  const r = reconcile(entries, report, interval);
  return {
    at,
    primaryId,
    completed: r.completed,
    present: r.present,
    missing: r.missing.length,
    duplicated: r.duplicated.length,
    renumbered: r.renumbered.length,
    byAppliance: r.byAppliance,
    from: interval.from,
    to: interval.to,
    ...(r.missing.length ? { missingKeys: r.missing.slice(0, 20).map((m) => m.externalKey) } : {}),
    ...(r.duplicated.length ? { duplicatedKeys: r.duplicated.slice(0, 20).map((m) => m.externalKey) } : {}),
  };
}

/** Sessions of a SupportSession report (XML text): lsid and external key of each `<session>` (both flavors). */
export function reportedSessions(xml: string): ReportedSession[] {
  const out: ReportedSession[] = [];
  const parts = xml.split('<session lsid="');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const lsid = part.slice(0, part.indexOf('"'));
    const key = /<external_key>([^<]*)<\/external_key>/.exec(part);
    const end = /<end_time[^>]*>([^<]*)<\/end_time>/.exec(part);
    out.push({ lsid, externalKey: unescapeXml(key?.[1] ?? ''), ...(end ? { endTime: end[1] } : {}) });
  }
  return out;
}

const unescapeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** Windows (1..count) during which no session completed, or that have no measurement at all: traffic was off then. */
export function windowsWithoutTraffic(traffic: Pick<RunTraffic, 'windows'> | undefined, count: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= count; i++) {
    const w = traffic?.windows.find((x) => x.window === i);
    if (!w || !(w.completed !== undefined && w.completed > 0)) out.push(i);
  }
  return out;
}
