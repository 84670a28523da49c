/**
 * The traffic ledger: what simulated customers and representatives saw, kept apart from the appliances'
 * own stores, so that "no session lost" is checked against an independent witness. Pure: the shell persists
 * entries (an append-only file in the data dir) and feeds them here.
 */

/** A session a representative saw end normally (recorded by the site it was served by). */
export interface LedgerSession {
  kind: 'session';
  /** The identity the generator gave the session: its external key (survives export, re-import and migration). */
  externalKey: string;
  /** The lsid the site reported to the representative console when the session ended. */
  lsid: string;
  /** Hostname the customer addressed (the primary hostname) and the appliance that served it. */
  hostname: string;
  servedBy: string;
  /** Real ISO times. */
  requestedAt: string;
  startedAt: string;
  endedAt: string;
}

/** A session that was cut off by the site (install started, failover) before it ended normally. */
export interface LedgerCutOff {
  kind: 'cut-off';
  externalKey: string;
  lsid: string;
  hostname: string;
  servedBy: string;
  at: string;
  reason: string;
}

/** One customer attempt to get a session that the site refused or could not answer. */
export interface LedgerFailure {
  kind: 'failure';
  hostname: string;
  at: string;
  /** HTTP status (0 = no connection) and the site's reason, as the customer saw them. */
  status: number;
  reason: string;
}

/** One customer attempt the site accepted (a session key redeemed or a request queued). */
export interface LedgerSuccess {
  kind: 'success';
  hostname: string;
  at: string;
  servedBy: string;
}

export type LedgerEntry = LedgerSession | LedgerCutOff | LedgerFailure | LedgerSuccess;

/** What the final primary's SupportSession report says about one session. */
export interface ReportedSession {
  lsid: string;
  externalKey: string;
  endTime?: string;
}

export interface Reconciliation {
  /** Sessions the ledger saw complete in the interval. */
  completed: number;
  /** ... of which the report holds exactly once. */
  present: number;
  missing: { externalKey: string; lsid: string; servedBy: string; endedAt: string }[];
  duplicated: { externalKey: string; lsids: string[] }[];
  /** Present under another lsid than the one reported at the end (pre-10.6 re-import or the 10.6 migration). */
  renumbered: { externalKey: string; from: string; to: string; servedBy: string }[];
  /** Completed per appliance that served them. */
  byAppliance: Record<string, number>;
}

/**
 * Compares the sessions the ledger saw complete in [from, to) with the final primary's report.
 * Matching is by external key: the generator gives each session a unique one, and the appliance keeps it
 * through failover export/re-import and the 10.6 LSID conversion, where the lsid itself may change.
 */
export function reconcile(entries: readonly LedgerEntry[], report: readonly ReportedSession[], interval: { from: string; to: string; hostname?: string }): Reconciliation {
  const inInterval = (at: string) => at >= interval.from && at < interval.to;
  // One runtime serves several sites (the demo's and each pair's): only the reconciled site's sessions count.
  const completed = entries.filter((e): e is LedgerSession => e.kind === 'session' && inInterval(e.endedAt) && (interval.hostname === undefined || e.hostname === interval.hostname));
  const reported = new Map<string, string[]>();
  for (const s of report) if (s.externalKey) reported.set(s.externalKey, [...(reported.get(s.externalKey) ?? []), s.lsid]);
  const result: Reconciliation = { completed: completed.length, present: 0, missing: [], duplicated: [], renumbered: [], byAppliance: {} };
  for (const s of completed) {
    result.byAppliance[s.servedBy] = (result.byAppliance[s.servedBy] ?? 0) + 1;
    const lsids = reported.get(s.externalKey) ?? [];
    if (lsids.length === 0) result.missing.push({ externalKey: s.externalKey, lsid: s.lsid, servedBy: s.servedBy, endedAt: s.endedAt });
    else if (lsids.length > 1) result.duplicated.push({ externalKey: s.externalKey, lsids });
    else {
      result.present++;
      if (lsids[0] !== s.lsid) result.renumbered.push({ externalKey: s.externalKey, from: s.lsid, to: lsids[0]!, servedBy: s.servedBy });
    }
  }
  return result;
}

export interface Outage {
  from: string;
  to: string;
  ms: number;
}

export interface CustomerDowntime {
  /** Attempts in the interval. */
  attempts: number;
  failures: number;
  outages: Outage[];
  longestMs: number;
  totalMs: number;
}

/**
 * Customer-facing downtime of a hostname in [from, to): maximal stretches during which every attempt failed,
 * each from its first failed attempt to the next accepted one (or the interval's end while still failing).
 */
export function customerDowntime(entries: readonly LedgerEntry[], hostname: string, interval: { from: string; to: string }): CustomerDowntime {
  const attempts = entries
    .filter((e): e is LedgerFailure | LedgerSuccess => (e.kind === 'failure' || e.kind === 'success') && e.hostname === hostname && e.at >= interval.from && e.at < interval.to)
    .sort((x, y) => x.at.localeCompare(y.at));
  const outages: Outage[] = [];
  let downSince: string | undefined;
  for (const a of attempts) {
    if (a.kind === 'failure') downSince ??= a.at;
    else if (downSince !== undefined) {
      outages.push(outage(downSince, a.at));
      downSince = undefined;
    }
  }
  if (downSince !== undefined) outages.push(outage(downSince, interval.to));
  return {
    attempts: attempts.length,
    failures: attempts.filter((a) => a.kind === 'failure').length,
    outages,
    longestMs: Math.max(0, ...outages.map((o) => o.ms)),
    totalMs: outages.reduce((sum, o) => sum + o.ms, 0),
  };
}

const outage = (from: string, to: string): Outage => ({ from, to, ms: Date.parse(to) - Date.parse(from) });
