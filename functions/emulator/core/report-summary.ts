import { primaryRepOf, representativesOf } from './report-session.js';
import type { SupportSession } from './session.js';

/*
 * The aggregate reports (SupportSessionSummary, SupportTeam, LicenseUsage) as pure folds over sessions:
 * callers feed sessions page by page, so memory is bounded by the number of groups, not of sessions.
 */

export interface SummaryRow {
  /** rep: site-user id (0 = an old record without one); team: team id; site: public site id. */
  id: number;
  name: string;
  sessions: number;
  /** Seconds, over the completed sessions of the group. */
  totalDuration: number;
  completed: number;
}

/** SupportSessionSummary: sessions per representative (every one who took part), team or public site. */
export class SessionSummary {
  private readonly rows = new Map<string, SummaryRow>();
  constructor(private readonly by: 'rep' | 'team' | 'site') {}

  add(s: SupportSession): void {
    for (const [id, name] of this.groupsOf(s)) {
      const key = `${id}\u0000${id === 0 ? name : ''}`;
      const row = this.rows.get(key) ?? { id, name, sessions: 0, totalDuration: 0, completed: 0 };
      row.sessions++;
      if (s.status === 'completed' && s.duration !== undefined) {
        row.totalDuration += s.duration;
        row.completed++;
      }
      this.rows.set(key, row);
    }
  }

  private groupsOf(s: SupportSession): [number, string][] {
    switch (this.by) {
      case 'rep':
        return representativesOf(s).map((r) => [r.id, r.displayName]);
      case 'team':
        return s.teamId === undefined ? [] : [[s.teamId, s.teamName ?? '']];
      case 'site':
        return [[s.publicSiteId, s.publicSiteName]];
    }
  }

  /** Groups in id order (then name, for old records without ids). */
  result(): SummaryRow[] {
    return [...this.rows.values()].sort((a, b) => a.id - b.id || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** One entry of a team's activity: a session routed to the team, and its acceptance by a member. */
export interface TeamEvent {
  timestamp: string;
  eventType: 'Session Entered Team Queue' | 'Session Accepted by Team Member';
  lsid: string;
  rep?: { id: number; name: string };
}

export interface TeamActivity {
  teamId: number;
  name: string;
  events: TeamEvent[];
}

/** SupportTeam: per team (optionally one), the sessions routed to it and who took them, in time order. */
export class TeamActivities {
  private readonly teams = new Map<number, TeamActivity>();
  constructor(private readonly onlyTeam?: number) {}

  add(s: SupportSession): void {
    if (s.teamId === undefined || (this.onlyTeam !== undefined && s.teamId !== this.onlyTeam)) return;
    const team = this.teams.get(s.teamId) ?? { teamId: s.teamId, name: s.teamName ?? '', events: [] };
    team.events.push({ timestamp: s.startTime, eventType: 'Session Entered Team Queue', lsid: s.lsid });
    const rep = primaryRepOf(s);
    if (rep) team.events.push({ timestamp: s.startTime, eventType: 'Session Accepted by Team Member', lsid: s.lsid, rep: { id: rep.id, name: rep.displayName } });
    this.teams.set(s.teamId, team);
  }

  result(): TeamActivity[] {
    return [...this.teams.values()].sort((a, b) => a.teamId - b.teamId).map((t) => ({ ...t, events: [...t.events].sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0)) }));
  }
}

export interface LicenseInterval {
  from: string;
  to: string;
  /** Peak number of representatives in sessions at the same time within the interval (each uses a license). */
  peakReps: number;
}

const startOfInterval = (ms: number, groupBy: 'hour' | 'day' | 'month') => {
  const d = new Date(ms);
  if (groupBy === 'hour') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
  if (groupBy === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
const nextInterval = (ms: number, groupBy: 'hour' | 'day' | 'month') => {
  if (groupBy === 'hour') return ms + 3_600_000;
  if (groupBy === 'day') return ms + 86_400_000;
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

/**
 * LicenseUsage: peak concurrent licensed representatives per hour/day/month in [from, to). A representative
 * in several sessions at once uses one license. Only intervals whose peak reached `threshold` are logged,
 * as the vendor logs peak usage only at 90% of the licenses and above.
 */
export class LicenseUsage {
  private readonly spans: { start: number; end: number; rep: string }[] = [];
  constructor(
    private readonly from: number,
    private readonly to: number,
    private readonly groupBy: 'hour' | 'day' | 'month',
    private readonly threshold: number,
  ) {}

  add(s: SupportSession): void {
    const start = Date.parse(s.startTime);
    const end = s.endTime ? Date.parse(s.endTime) : this.to;
    if (end <= this.from || start >= this.to) return;
    for (const r of representativesOf(s)) this.spans.push({ start: Math.max(start, this.from), end: Math.min(end, this.to), rep: r.id > 0 ? `#${r.id}` : r.displayName });
  }

  result(): LicenseInterval[] {
    // Sweep: +1 when a rep's span opens, -1 when it closes; a rep counts once however many sessions it has.
    const points = this.spans.flatMap((s) => [{ at: s.start, rep: s.rep, delta: 1 }, { at: s.end, rep: s.rep, delta: -1 }]).sort((a, b) => a.at - b.at || a.delta - b.delta);
    const open = new Map<string, number>();
    const intervals: LicenseInterval[] = [];
    let i = 0;
    let bucket = startOfInterval(this.from, this.groupBy);
    while (bucket < this.to) {
      const end = nextInterval(bucket, this.groupBy);
      if (open.size === 0) {
        if (i >= points.length) break;
        // Nothing open and nothing before the next point: jump to its interval.
        if (points[i]!.at >= end) {
          bucket = startOfInterval(points[i]!.at, this.groupBy);
          continue;
        }
      }
      let peak = open.size;
      // A span closing exactly at the interval's end does not reach into the next one.
      while (i < points.length && (points[i]!.at < end || (points[i]!.at === end && points[i]!.delta < 0))) {
        const p = points[i++]!;
        const n = (open.get(p.rep) ?? 0) + p.delta;
        if (n <= 0) open.delete(p.rep);
        else open.set(p.rep, n);
        peak = Math.max(peak, open.size);
      }
      if (peak > 0 && peak >= this.threshold) {
        intervals.push({ from: new Date(Math.max(bucket, this.from)).toISOString(), to: new Date(Math.min(end, this.to)).toISOString(), peakReps: peak });
      }
      bucket = end;
    }
    return intervals;
  }
}
