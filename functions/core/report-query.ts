import { validationError } from './errors.js';
import { isGuidLsid, isLegacyLsid } from './session.js';
import type { ApiFlavor } from './api-flavor.js';

/** Report types this emulator generates (the vendor has more; others are refused with a clear error). */
export const REPORT_TYPES = ['SupportSession', 'SupportSessionListing'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

/** Which sessions a report selects. Windows are half-open: from ≤ t < to (to undefined = up to now). */
export type SessionSelection =
  | { kind: 'window'; field: 'start' | 'end'; from: string; to?: string }
  | { kind: 'lsids'; lsids: string[] }
  | { kind: 'lseq'; from: number };

export interface ReportQuery {
  type: ReportType;
  selection: SessionSelection;
}

/** Upper bounds keep a window meaningful (about 100 years) and every number safe. */
export const MAX_DURATION_DAYS = 36_500;
export const MAX_DURATION_SECONDS = MAX_DURATION_DAYS * 86_400;
export const MAX_LSIDS = 1_000;
const MAX_TIMESTAMP = 253_402_300_799; // 9999-12-31T23:59:59Z

const WINDOW_PARAMS = ['start_date', 'start_time', 'end_date', 'end_time'] as const;
const SELECTORS = [...WINDOW_PARAMS, 'lsid', 'lsids', 'start_lseq'] as const;

/** Parses and validates `/api/reporting` parameters for the appliance's API flavor. Pure: throws DomainError. */
export function parseReportQuery(params: Record<string, string>, flavor: ApiFlavor): ReportQuery {
  const type = params.generate_report;
  if (type === undefined || type === '') throw validationError('MissingReportType', 'the generate_report parameter is required');
  if (!(REPORT_TYPES as readonly string[]).includes(type)) {
    throw validationError('UnknownReportType', `unknown report type (supported: ${REPORT_TYPES.join(', ')})`, { reportType: type.slice(0, 64) });
  }
  const given = SELECTORS.filter((p) => params[p] !== undefined);
  if (given.length !== 1) {
    throw validationError(
      'InvalidSelection',
      `use exactly one of ${SELECTORS.join(', ')} (the date/time ones with duration); got ${given.length === 0 ? 'none' : given.join(', ')}`,
    );
  }
  const selector = given[0]!;
  if (type === 'SupportSessionListing' && (selector === 'lsid' || selector === 'lsids')) {
    throw validationError('InvalidSelection', 'SupportSessionListing selects by start_date, start_time, end_date, end_time (with duration) or start_lseq');
  }
  if (selector !== 'start_date' && selector !== 'start_time' && selector !== 'end_date' && selector !== 'end_time' && params.duration !== undefined) {
    throw validationError('InvalidSelection', `duration only applies to a date or time window, not to ${selector}`);
  }
  return { type: type as ReportType, selection: parseSelection(selector, params, flavor) };
}

function parseSelection(selector: (typeof SELECTORS)[number], params: Record<string, string>, flavor: ApiFlavor): SessionSelection {
  const value = params[selector]!;
  switch (selector) {
    case 'lsid':
      return { kind: 'lsids', lsids: [parseLsid(value, flavor)] };
    case 'lsids': {
      const lsids = value.split(',').map((s) => s.trim());
      if (lsids.length > MAX_LSIDS) throw validationError('TooManyLsids', `at most ${MAX_LSIDS} lsids per request`);
      return { kind: 'lsids', lsids: [...new Set(lsids.map((l) => parseLsid(l, flavor)))] };
    }
    case 'start_lseq': {
      if (!flavor.guidLsid) throw validationError('LseqNotSupported', `start_lseq needs API 1.5.0 (product 10.6) or later; this appliance speaks API ${flavor.apiVersion}`);
      return { kind: 'lseq', from: parseInteger('start_lseq', value, 0, Number.MAX_SAFE_INTEGER) };
    }
    default: {
      const field = selector.startsWith('start') ? 'start' : 'end';
      const byDate = selector.endsWith('_date');
      const fromMs = byDate ? parseDate(selector, value) : parseInteger(selector, value, 0, MAX_TIMESTAMP) * 1000;
      if (params.duration === undefined) throw validationError('MissingDuration', `${selector} needs a duration (${byDate ? 'days' : 'seconds'}; 0 = up to now)`);
      const duration = parseInteger('duration', params.duration, 0, byDate ? MAX_DURATION_DAYS : MAX_DURATION_SECONDS);
      const toMs = duration === 0 ? undefined : fromMs + duration * (byDate ? 86_400_000 : 1000);
      return { kind: 'window', field, from: new Date(fromMs).toISOString(), to: toMs === undefined ? undefined : new Date(toMs).toISOString() };
    }
  }
}

function parseLsid(value: string, flavor: ApiFlavor): string {
  const ok = flavor.guidLsid ? isGuidLsid(value) : isLegacyLsid(value);
  if (!ok) {
    throw validationError(
      'InvalidLsid',
      flavor.guidLsid ? 'lsid must be 32 lowercase hexadecimal characters (API 1.5.0 and later)' : 'lsid must be a positive integer (API before 1.5.0)',
    );
  }
  return value;
}

function parseInteger(name: string, value: string, min: number, max: number): number {
  if (!/^\d{1,16}$/.test(value)) throw validationError('InvalidNumber', `${name} must be a non-negative integer`, { parameter: name });
  const n = Number(value);
  if (n < min || n > max) throw validationError('OutOfRange', `${name} must be between ${min} and ${max}`, { parameter: name });
  return n;
}

function parseDate(name: string, value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  // Date.UTC rolls 2026-02-30 over to March: a real calendar date round-trips unchanged.
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw validationError('InvalidDate', `${name} must be a calendar date YYYY-MM-DD`, { parameter: name });
  }
  return ms;
}
