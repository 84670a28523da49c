import { DomainError } from '../../platform/core/errors.js';
import { isGuidLsid, isLegacyLsid } from './session.js';
import type { ApiFlavor } from './api-flavor.js';
import { isAtLeast } from '../../platform/core/versions.js';

/** Report types this emulator generates (the vendor has more: recordings, presentations, archives). */
export const REPORT_TYPES = [
  'SupportSession',
  'SupportSessionListing',
  'SupportSessionSummary',
  'SupportCustExitSurvey',
  'SupportRepExitSurvey',
  'SupportTeam',
  'LicenseUsage',
] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

/**
 * The API version each report first appears in (docs/vendor-api.md §5.1). An appliance of an older
 * version answers a request for it exactly as for a report type it never had.
 */
export const REPORT_SINCE: Record<ReportType, string> = {
  SupportSession: '1.0.0',
  SupportSessionListing: '1.0.0',
  SupportSessionSummary: '1.0.0',
  SupportCustExitSurvey: '1.0.0',
  SupportRepExitSurvey: '1.0.0',
  SupportTeam: '1.0.0',
  LicenseUsage: '1.10.0',
};

/** Root element of each report (a refusal of a known report type comes inside it, as `<error>`). */
export const REPORT_ROOTS: Record<ReportType, string> = {
  SupportSession: 'session_list',
  SupportSessionListing: 'session_summary_list',
  SupportSessionSummary: 'summary_list',
  SupportCustExitSurvey: 'exit_survey_list',
  SupportRepExitSurvey: 'exit_survey_list',
  SupportTeam: 'team_activity_list',
  LicenseUsage: 'license_usage',
};

export const reportTypesFor = (flavor: ApiFlavor): ReportType[] => REPORT_TYPES.filter((t) => isAtLeast(flavor.apiVersion, REPORT_SINCE[t]));

/** Which sessions a report selects. Windows are half-open: from ≤ t < to (to undefined = up to now). */
export type SessionWindow = { kind: 'window'; field: 'start' | 'end'; from: string; to?: string };
export type SessionSelection = SessionWindow | { kind: 'lsids'; lsids: string[] } | { kind: 'lseq'; from: number };

export type ReportQuery =
  | { type: 'SupportSession'; selection: SessionSelection }
  | { type: 'SupportSessionListing'; selection: SessionWindow | { kind: 'lseq'; from: number } }
  | { type: 'SupportSessionSummary'; selection: SessionWindow; by: 'rep' | 'team' | 'site' }
  | {
      type: 'SupportCustExitSurvey' | 'SupportRepExitSurvey';
      selection: SessionWindow | { kind: 'lsids'; lsids: string[] };
      by: 'rep' | 'team';
      /** Representative or team id; undefined = `id=all` (or an lsid selection). */
      id?: number;
    }
  | { type: 'SupportTeam'; selection: SessionWindow; teamId?: number }
  | { type: 'LicenseUsage'; selection: SessionWindow; groupBy: 'hour' | 'day' | 'month' };

/** Upper bounds keep a window meaningful (about 100 years) and every number safe. */
export const MAX_DURATION_DAYS = 36_500;
export const MAX_DURATION_SECONDS = MAX_DURATION_DAYS * 86_400;
export const MAX_LSIDS = 1_000;
const MAX_TIMESTAMP = 253_402_300_799; // 9999-12-31T23:59:59Z
const MAX_ID = 2_147_483_647;

const WINDOW_PARAMS = ['start_date', 'start_time', 'end_date', 'end_time'] as const;
type Selector = (typeof WINDOW_PARAMS)[number] | 'lsid' | 'lsids' | 'start_lseq';

/** The parameter sets each report accepts (the vendor's "you may use any of the following sets"). */
const SELECTORS: Record<ReportType, readonly Selector[]> = {
  SupportSession: [...WINDOW_PARAMS, 'lsid', 'lsids', 'start_lseq'],
  SupportSessionListing: [...WINDOW_PARAMS, 'start_lseq'],
  SupportSessionSummary: WINDOW_PARAMS,
  SupportCustExitSurvey: [...WINDOW_PARAMS, 'lsid', 'lsids'],
  SupportRepExitSurvey: [...WINDOW_PARAMS, 'lsid', 'lsids'],
  SupportTeam: WINDOW_PARAMS,
  LicenseUsage: ['start_date', 'start_time'],
};
const OPTIONS: Record<ReportType, readonly string[]> = {
  SupportSession: [],
  SupportSessionListing: [],
  SupportSessionSummary: ['report_type'],
  SupportCustExitSurvey: ['report_type', 'id'],
  SupportRepExitSurvey: ['report_type', 'id'],
  SupportTeam: ['team_id'],
  LicenseUsage: ['group_by'],
};
/** Every parameter some report knows: one a report does not take is refused, anything else (credentials...) ignored. */
const REPORT_PARAMETERS = new Set<string>(['duration', 'limit', 'lsid', 'lsids', 'start_lseq', ...WINDOW_PARAMS, ...Object.values(OPTIONS).flat()]);

/**
 * A refusal of the reporting API itself. The appliance answers these with HTTP 200 and an `<error>` element:
 * inside the report's root when the report type is known, as the root otherwise (docs/vendor-api.md §5.9).
 */
export function reportError(code: string, message: string, type?: ReportType, details: Record<string, unknown> = {}): DomainError {
  return new DomainError('validation', code, message, { ...details, reportAnswer: true, ...(type ? { reportRoot: REPORT_ROOTS[type] } : {}) });
}

/** Parses and validates `/api/reporting` parameters for the appliance's API flavor. Pure: throws DomainError. */
export function parseReportQuery(params: Record<string, string>, flavor: ApiFlavor): ReportQuery {
  const name = params.generate_report;
  if (name === undefined || name === '') throw reportError('MissingReportType', 'the generate_report parameter is required');
  const available = reportTypesFor(flavor);
  if (!(available as string[]).includes(name)) {
    throw reportError('UnknownReportType', `unknown report type (this appliance, API ${flavor.apiVersion}, generates: ${available.join(', ')})`, undefined, { reportType: name.slice(0, 64) });
  }
  const type = name as ReportType;
  const fail = (code: string, message: string, details?: Record<string, unknown>) => reportError(code, message, type, details);

  for (const p of Object.keys(params)) {
    if (!REPORT_PARAMETERS.has(p)) continue;
    if (p === 'limit') throw fail('UnsupportedParameter', 'the limit parameter is not supported by this emulator (the vendor documents no values for it)', { parameter: p });
    if (p !== 'duration' && !SELECTORS[type].includes(p as Selector) && !OPTIONS[type].includes(p)) {
      throw fail('InvalidParameter', `${p} does not apply to ${type}`, { parameter: p });
    }
  }
  const given = SELECTORS[type].filter((p) => params[p] !== undefined);
  if (given.length !== 1) {
    throw fail(
      'InvalidSelection',
      `${type} takes exactly one of ${SELECTORS[type].join(', ')}${SELECTORS[type].some((s) => s.endsWith('_date') || s.endsWith('_time')) ? ' (a date or time with duration)' : ''}; got ${given.length === 0 ? 'none' : given.join(', ')}`,
    );
  }
  const selector = given[0]!;
  const isWindow = (WINDOW_PARAMS as readonly string[]).includes(selector);
  if (!isWindow && params.duration !== undefined) throw fail('InvalidSelection', `duration only applies to a date or time window, not to ${selector}`);
  const selection = parseSelection(selector, params, flavor, fail);

  switch (type) {
    case 'SupportSession':
      return { type, selection };
    case 'SupportSessionListing':
      return { type, selection: selection as SessionWindow | { kind: 'lseq'; from: number } };
    case 'SupportSessionSummary':
      return { type, selection: selection as SessionWindow, by: oneOf(params, 'report_type', ['rep', 'team', 'site'] as const, fail) };
    case 'SupportCustExitSurvey':
    case 'SupportRepExitSurvey': {
      const by = oneOf(params, 'report_type', ['rep', 'team'] as const, fail);
      if (selection.kind === 'lsids') {
        if (params.id !== undefined) throw fail('InvalidParameter', 'id applies to a date or time window; with lsid or lsids give report_type only', { parameter: 'id' });
        return { type, selection, by };
      }
      const id = params.id;
      if (id === undefined) throw fail('MissingParameter', `a ${type} window needs id (a ${by === 'rep' ? 'representative' : 'team'} id, or all)`, { parameter: 'id' });
      return { type, selection: selection as SessionWindow, by, id: id === 'all' ? undefined : parseInteger('id', id, 1, MAX_ID, fail) };
    }
    case 'SupportTeam':
      return { type, selection: selection as SessionWindow, teamId: params.team_id === undefined ? undefined : parseInteger('team_id', params.team_id, 1, MAX_ID, fail) };
    case 'LicenseUsage':
      return { type, selection: selection as SessionWindow, groupBy: oneOf(params, 'group_by', ['hour', 'day', 'month'] as const, fail) };
  }
}

type Fail = (code: string, message: string, details?: Record<string, unknown>) => DomainError;

function oneOf<T extends string>(params: Record<string, string>, name: string, values: readonly T[], fail: Fail): T {
  const value = params[name];
  if (value === undefined) throw fail('MissingParameter', `the ${name} parameter is required (${values.join(', ')})`, { parameter: name });
  if (!(values as readonly string[]).includes(value)) throw fail('InvalidParameter', `${name} must be one of ${values.join(', ')}`, { parameter: name });
  return value as T;
}

function parseSelection(selector: Selector, params: Record<string, string>, flavor: ApiFlavor, fail: Fail): SessionSelection {
  const value = params[selector]!;
  switch (selector) {
    case 'lsid':
      return { kind: 'lsids', lsids: [parseLsid(value, flavor, fail)] };
    case 'lsids': {
      const lsids = value.split(',').map((s) => s.trim());
      if (lsids.length > MAX_LSIDS) throw fail('TooManyLsids', `at most ${MAX_LSIDS} lsids per request`);
      return { kind: 'lsids', lsids: [...new Set(lsids.map((l) => parseLsid(l, flavor, fail)))] };
    }
    case 'start_lseq': {
      if (!flavor.guidLsid) throw fail('LseqNotSupported', `start_lseq needs API 1.5.0 (product 10.6) or later; this appliance speaks API ${flavor.apiVersion}`);
      return { kind: 'lseq', from: parseInteger('start_lseq', value, 0, Number.MAX_SAFE_INTEGER, fail) };
    }
    default: {
      const field = selector.startsWith('start') ? 'start' : 'end';
      const byDate = selector.endsWith('_date');
      const fromMs = byDate ? parseDate(selector, value, fail) : parseInteger(selector, value, 0, MAX_TIMESTAMP, fail) * 1000;
      if (params.duration === undefined) throw fail('MissingDuration', `${selector} needs a duration (${byDate ? 'days' : 'seconds'}; 0 = up to now)`);
      const duration = parseInteger('duration', params.duration, 0, byDate ? MAX_DURATION_DAYS : MAX_DURATION_SECONDS, fail);
      const toMs = duration === 0 ? undefined : fromMs + duration * (byDate ? 86_400_000 : 1000);
      return { kind: 'window', field, from: new Date(fromMs).toISOString(), to: toMs === undefined ? undefined : new Date(toMs).toISOString() };
    }
  }
}

function parseLsid(value: string, flavor: ApiFlavor, fail: Fail): string {
  const ok = flavor.guidLsid ? isGuidLsid(value) : isLegacyLsid(value);
  if (!ok) {
    throw fail('InvalidLsid', flavor.guidLsid ? 'lsid must be 32 lowercase hexadecimal characters (API 1.5.0 and later)' : 'lsid must be a positive integer (API before 1.5.0)');
  }
  return value;
}

function parseInteger(name: string, value: string, min: number, max: number, fail: Fail): number {
  if (!/^\d{1,16}$/.test(value)) throw fail('InvalidNumber', `${name} must be a non-negative integer`, { parameter: name });
  const n = Number(value);
  if (n < min || n > max) throw fail('OutOfRange', `${name} must be between ${min} and ${max}`, { parameter: name });
  return n;
}

function parseDate(name: string, value: string, fail: Fail): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  // Date.UTC rolls 2026-02-30 over to March: a real calendar date round-trips unchanged.
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw fail('InvalidDate', `${name} must be a calendar date YYYY-MM-DD`, { parameter: name });
  }
  return ms;
}
