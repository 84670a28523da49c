/**
 * Maintenance windows in wall-clock time: an operator says "02:00 for 120 minutes in Europe/Berlin";
 * the scheduler needs the UTC instant. Pure: IANA zone rules come from `Intl` (ICU), no I/O.
 *
 * DST rules follow Temporal's `compatible` disambiguation, which is what people expect:
 * - a local time that does not exist (spring-forward gap) moves forward by the gap (02:30 → 03:30);
 * - a local time that happens twice (fall-back overlap) takes the earlier instant.
 */
import { validationError } from './errors.js';

const LOCAL_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const ZONE_NAME = /^(?:UTC|[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){1,2})$/;
const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True for an IANA zone name ICU knows (`Asia/Tokyo`, `America/New_York`, `UTC`); offsets like `+09:00` are refused. */
export function isIanaTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || !ZONE_NAME.test(name)) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

export function assertTimeZone(name: unknown): asserts name is string {
  if (!isIanaTimeZone(name)) {
    throw validationError('InvalidTimeZone', `"${String(name)}" is not an IANA time zone name (e.g. Asia/Tokyo, America/New_York)`, { field: 'timeZone' });
  }
}

/** Local wall-clock fields of `instantMs` in `timeZone`. */
function wallClock(instantMs: number, timeZone: string) {
  const parts = formatter(timeZone).formatToParts(new Date(instantMs));
  const n = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return { year: n('year'), month: n('month'), day: n('day'), hour: n('hour'), minute: n('minute'), second: n('second') };
}

/**
 * The hour of the week at `instantMs` as a clock in `timeZone` reads it: 0 = Monday 00:00-00:59 ...
 * 167 = Sunday 23:00-23:59 (ISO weekdays). DST-correct, since the zone's own wall clock is read.
 */
export function localHourOfWeek(instantMs: number, timeZone: string): number {
  const w = wallClock(instantMs, timeZone);
  const weekday = (new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay() + 6) % 7;
  return weekday * 24 + w.hour;
}

/** UTC offset of `timeZone` at `instantMs`, in minutes (Asia/Tokyo: +540). */
export function offsetMinutes(instantMs: number, timeZone: string): number {
  const whole = Math.floor(instantMs / 1000) * 1000;
  const w = wallClock(whole, timeZone);
  return Math.round((Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - whole) / MINUTE);
}

export type LocalResolution = 'exact' | 'ambiguous-earlier' | 'gap-shifted';

export interface ResolvedLocalTime {
  /** The UTC instant (ISO 8601). */
  instant: string;
  /** How the local time mapped: exactly, the earlier of two (fall back), or moved past a gap (spring forward). */
  resolution: LocalResolution;
  offsetMinutes: number;
}

/** Parses `YYYY-MM-DDTHH:mm[:ss]` (no offset) as wall-clock time in `timeZone`. */
export function localToInstant(local: string, timeZone: string): ResolvedLocalTime {
  assertTimeZone(timeZone);
  const m = LOCAL_PATTERN.exec(local);
  if (!m) throw validationError('InvalidLocalTime', `"${local}" is not a local date-time (expected YYYY-MM-DDTHH:mm, without offset)`, { field: 'localStart' });
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(asUtc);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw validationError('InvalidLocalTime', `"${local}" is not a valid calendar date-time`, { field: 'localStart' });
  }
  // The offsets in force a day before and a day after bracket any single transition near this time.
  const candidates = [...new Set([offsetMinutes(asUtc - DAY, timeZone), offsetMinutes(asUtc + DAY, timeZone)])]
    .map((o) => asUtc - o * MINUTE)
    .filter((instant) => asUtc - offsetMinutes(instant, timeZone) * MINUTE === instant)
    .sort((a, b) => a - b);
  if (candidates.length > 0) {
    const instant = candidates[0]!;
    return { instant: new Date(instant).toISOString(), resolution: candidates.length > 1 ? 'ambiguous-earlier' : 'exact', offsetMinutes: offsetMinutes(instant, timeZone) };
  }
  // In a gap: apply the offset from before the transition, which lands after it by the gap's length.
  const before = offsetMinutes(asUtc - DAY, timeZone);
  const instant = asUtc - before * MINUTE;
  return { instant: new Date(instant).toISOString(), resolution: 'gap-shifted', offsetMinutes: offsetMinutes(instant, timeZone) };
}

/** `instant` as local time with its offset, e.g. `2026-12-02T01:00:00+09:00`. */
export function formatInZone(instant: string | number | Date, timeZone: string): string {
  const ms = new Date(instant).getTime();
  const w = wallClock(ms, timeZone);
  const off = offsetMinutes(ms, timeZone);
  const pad = (n: number, l = 2) => String(n).padStart(l, '0');
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A window as the operator gives it: either a wall-clock start in a zone, or an absolute instant. */
export interface WindowSpec {
  /** `YYYY-MM-DDTHH:mm` wall-clock time in `timeZone`. */
  localStart?: string;
  /** ISO 8601 instant with offset or Z. */
  start?: string;
  durationMinutes: number;
  timeZone: string;
}

export interface ResolvedWindow {
  start: string;
  end: string;
  durationMinutes: number;
  timeZone: string;
  /** The local start as the operator meant it, with offset (for display). */
  localStart: string;
  resolution: LocalResolution;
}

const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** The date and time fields name a real calendar instant (Date.parse rolls 02-30 over to March and takes 24:00). */
function calendarValid(iso: string): boolean {
  const [y, mo, d, h, mi] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13), iso.slice(14, 16)].map(Number) as [number, number, number, number, number];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate() && h <= 23 && mi <= 59;
}

/** Turns a window spec into absolute start/end instants. End = start + duration in real elapsed minutes (DST-proof). */
export function resolveWindow(spec: WindowSpec): ResolvedWindow {
  assertTimeZone(spec.timeZone);
  if (!Number.isInteger(spec.durationMinutes) || spec.durationMinutes < 1 || spec.durationMinutes > 24 * 60) {
    throw validationError('InvalidDuration', 'durationMinutes must be an integer from 1 to 1440', { field: 'durationMinutes' });
  }
  let start: number;
  let resolution: LocalResolution = 'exact';
  if (spec.localStart !== undefined && spec.start !== undefined) {
    throw validationError('AmbiguousWindowStart', 'give either localStart (wall clock in timeZone) or start (instant), not both', { field: 'start' });
  } else if (spec.localStart !== undefined) {
    const r = localToInstant(spec.localStart, spec.timeZone);
    start = Date.parse(r.instant);
    resolution = r.resolution;
  } else if (spec.start !== undefined && INSTANT_PATTERN.test(spec.start) && calendarValid(spec.start) && !Number.isNaN(Date.parse(spec.start))) {
    start = Date.parse(spec.start);
  } else if (spec.start !== undefined) {
    throw validationError('InvalidWindowStart', `start "${String(spec.start).slice(0, 40)}" is not a real instant (ISO 8601 with offset, e.g. 2026-12-01T16:00:00Z)`, { field: 'start' });
  } else {
    throw validationError('InvalidWindowStart', 'window needs localStart (YYYY-MM-DDTHH:mm in timeZone) or start (ISO 8601 instant with offset)', { field: 'start' });
  }
  return {
    start: new Date(start).toISOString(),
    end: new Date(start + spec.durationMinutes * MINUTE).toISOString(),
    durationMinutes: spec.durationMinutes,
    timeZone: spec.timeZone,
    localStart: formatInZone(start, spec.timeZone),
    resolution,
  };
}

export type FireDecision =
  | { action: 'wait'; dueInMs: number }
  | { action: 'fire'; lateByMs: number }
  | { action: 'missed'; reason: string };

/**
 * What a scheduler does with a window at `nowMs`: wait before its start, start it inside it, and report it
 * missed once its end has passed (a window is never started late past its end).
 */
export function decideFire(window: { start: string; end: string }, nowMs: number): FireDecision {
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  if (nowMs < start) return { action: 'wait', dueInMs: start - nowMs };
  if (nowMs < end) return { action: 'fire', lateByMs: nowMs - start };
  return { action: 'missed', reason: `window ended at ${window.end} before it could start (checked at ${new Date(nowMs).toISOString()})` };
}

/**
 * EventBridge Scheduler one-time expression for an instant, evaluated in UTC (the DST decision is already
 * made), in whole seconds rounded up: never before the window opens (an early fire would only wait, and a
 * one-time schedule deletes itself after firing).
 */
export const atExpression = (instant: string) => `at(${new Date(Math.ceil(Date.parse(instant) / 1000) * 1000).toISOString().slice(0, 19)})`;
