/**
 * Busy hours of a site from its session history, and the quietest maintenance windows. The guide:
 * "Bomgar recommends scheduling maintenance windows in low-traffic periods" (フェールオーバーの構成で…, 重要!).
 * Sessions are counted per hour of the week (Monday 00:00 … Sunday 23:00) in the window's time zone and
 * averaged over the weeks observed. Pure: the caller reads the start times (bounded) and injects them.
 */
import { formatInZone, localHourOfWeek } from './schedule.js';

export const HOURS_PER_WEEK = 168;
const HOUR = 3_600_000;
const WEEK = HOURS_PER_WEEK * HOUR;
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export interface TrafficProfile {
  timeZone: string;
  /** Observed period (ISO). */
  from: string;
  to: string;
  /** Sessions counted (at most the read cap). */
  sessions: number;
  /** True when the read cap was reached before `to`: the profile covers [from, to) only. */
  truncated: boolean;
  /** Average sessions started per hour, index = hour of week (0 = Monday 00:00 local). */
  perHour: number[];
  /** An hour is busy at or above this many sessions (a share of the peak hour, at least 1). */
  busyThreshold: number;
}

export interface TrafficOptions {
  fromMs: number;
  toMs: number;
  timeZone: string;
  /** Busy = at least this share of the busiest hour of the week (default 0.5). */
  busyFraction?: number;
  truncated?: boolean;
}

/** Builds the per-hour-of-week profile from session start times within [fromMs, toMs). */
export function buildTrafficProfile(startTimesMs: Iterable<number>, options: TrafficOptions): TrafficProfile {
  const counts = new Array<number>(HOURS_PER_WEEK).fill(0);
  let sessions = 0;
  // One Intl lookup per distinct hour, not per session: sessions are read in start order.
  let cachedHour = Number.NaN;
  let cachedBucket = 0;
  for (const t of startTimesMs) {
    if (t < options.fromMs || t >= options.toMs) continue;
    const hour = Math.floor(t / HOUR);
    if (hour !== cachedHour) {
      cachedHour = hour;
      cachedBucket = localHourOfWeek(hour * HOUR, options.timeZone);
    }
    counts[cachedBucket]!++;
    sessions++;
  }
  const weeks = Math.max(1 / 7, (options.toMs - options.fromMs) / WEEK);
  const perHour = counts.map((n) => Math.round((n / weeks) * 100) / 100);
  const peak = Math.max(0, ...perHour);
  return {
    timeZone: options.timeZone,
    from: new Date(options.fromMs).toISOString(),
    to: new Date(options.toMs).toISOString(),
    sessions,
    truncated: options.truncated === true,
    perHour,
    busyThreshold: Math.max(1, Math.round(peak * (options.busyFraction ?? 0.5) * 100) / 100),
  };
}

export const hourLabel = (hourOfWeek: number) => `${DAYS[Math.floor(hourOfWeek / 24)]} ${String(hourOfWeek % 24).padStart(2, '0')}:00`;

/** The busy hours a window [startMs, startMs + minutes) touches, in the profile's time zone. */
export function busyHoursIn(profile: TrafficProfile, startMs: number, durationMinutes: number): { hourOfWeek: number; label: string; sessionsPerHour: number }[] {
  const out: { hourOfWeek: number; label: string; sessionsPerHour: number }[] = [];
  const end = startMs + durationMinutes * 60_000;
  for (let t = Math.floor(startMs / HOUR) * HOUR; t < end; t += HOUR) {
    const h = localHourOfWeek(t, profile.timeZone);
    const rate = profile.perHour[h] ?? 0;
    if (rate >= profile.busyThreshold && !out.some((o) => o.hourOfWeek === h)) out.push({ hourOfWeek: h, label: hourLabel(h), sessionsPerHour: rate });
  }
  return out;
}

export interface SuggestedWindow {
  start: string;
  /** Wall-clock start in the profile's zone, with offset. */
  localStart: string;
  timeZone: string;
  durationMinutes: number;
  /** Sessions the history predicts would start during the window. */
  expectedSessions: number;
}

/**
 * The `count` quietest non-overlapping windows of `durationMinutes` starting on the hour within the next
 * `days` days from `fromMs`: lowest expected sessions first, the earlier one on a tie.
 */
export function quietestWindows(profile: TrafficProfile, options: { fromMs: number; days: number; durationMinutes: number; count: number }): SuggestedWindow[] {
  const first = Math.ceil(options.fromMs / HOUR) * HOUR;
  const hours = options.days * 24;
  const spanHours = Math.max(1, Math.ceil(options.durationMinutes / 60));
  // Rate per absolute hour over the horizon plus one window, looked up once (DST-correct buckets).
  const rate = Array.from({ length: hours + spanHours }, (_, i) => profile.perHour[localHourOfWeek(first + i * HOUR, profile.timeZone)] ?? 0);
  const candidates: { i: number; expected: number }[] = [];
  for (let i = 0; i < hours; i++) {
    let expected = 0;
    let left = options.durationMinutes;
    for (let j = 0; left > 0; j++, left -= 60) expected += rate[i + j]! * Math.min(60, left) / 60;
    candidates.push({ i, expected: Math.round(expected * 100) / 100 });
  }
  candidates.sort((a, b) => a.expected - b.expected || a.i - b.i);
  const chosen: typeof candidates = [];
  for (const c of candidates) {
    if (chosen.length >= options.count) break;
    if (chosen.some((x) => Math.abs(x.i - c.i) < spanHours)) continue;
    chosen.push(c);
  }
  return chosen.map((c) => {
    const start = first + c.i * HOUR;
    return { start: new Date(start).toISOString(), localStart: formatInZone(start, profile.timeZone), timeZone: profile.timeZone, durationMinutes: options.durationMinutes, expectedSessions: c.expected };
  });
}
