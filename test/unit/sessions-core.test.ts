import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiFlavor } from '../../functions/emulator/core/api-flavor.js';
import { hasPermission, parseBasicAuth, slidingWindow } from '../../functions/emulator/core/api-access.js';
import { DomainError } from '../../functions/platform/core/errors.js';
import { csvField, icInsertSql, sqlString } from '../../functions/emulator/core/ic-export.js';
import { parseReportQuery } from '../../functions/emulator/core/report-query.js';
import { apiInfoXml } from '../../functions/emulator/core/command-xml.js';
import { errorXml, sessionXml } from '../../functions/emulator/core/report-xml.js';
import { reportingXsd } from '../../functions/emulator/core/xsd.js';
import { hms, xmlAttr, xmlText } from '../../functions/emulator/core/xml.js';
import { sampleSession } from '../helpers/sessions.js';
import { expectValid, xsdErrors } from '../helpers/xml.js';

const modern = apiFlavor('10.6.0');
const legacy = apiFlavor('10.5.2');
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : String(e);
  }
  return 'no error';
};

describe('parseReportQuery', () => {
  it('turns date and time windows into half-open ISO ranges (days vs seconds)', () => {
    expect(parseReportQuery({ generate_report: 'SupportSession', start_date: '2026-10-01', duration: '2' }, modern)).toEqual({
      type: 'SupportSession',
      selection: { kind: 'window', field: 'start', from: '2026-10-01T00:00:00.000Z', to: '2026-10-03T00:00:00.000Z' },
    });
    expect(parseReportQuery({ generate_report: 'SupportSessionListing', end_time: '1700000000', duration: '60' }, legacy).selection).toEqual({
      kind: 'window', field: 'end', from: '2023-11-14T22:13:20.000Z', to: '2023-11-14T22:14:20.000Z',
    });
    expect(parseReportQuery({ generate_report: 'SupportSession', start_time: '0', duration: '0' }, modern).selection).toMatchObject({ to: undefined });
  });

  it('each report takes its documented parameter sets; credentials and unknown parameters pass through', () => {
    const w = { start_date: '2026-10-01', duration: '1' };
    expect(parseReportQuery({ generate_report: 'SupportSessionSummary', ...w, report_type: 'team', username: 'u', password: 'p' }, modern)).toMatchObject({ by: 'team' });
    expect(parseReportQuery({ generate_report: 'SupportCustExitSurvey', ...w, report_type: 'rep', id: 'all' }, modern)).toMatchObject({ by: 'rep', id: undefined });
    expect(parseReportQuery({ generate_report: 'SupportRepExitSurvey', ...w, report_type: 'team', id: '2' }, modern)).toMatchObject({ by: 'team', id: 2 });
    expect(parseReportQuery({ generate_report: 'SupportRepExitSurvey', lsids: '1,2', report_type: 'rep' }, legacy)).toMatchObject({ selection: { kind: 'lsids', lsids: ['1', '2'] } });
    expect(parseReportQuery({ generate_report: 'SupportTeam', ...w }, modern)).toMatchObject({ teamId: undefined });
    expect(parseReportQuery({ generate_report: 'SupportTeam', end_time: '1700000000', duration: '60', team_id: '3' }, modern)).toMatchObject({ teamId: 3, selection: { field: 'end' } });
    expect(parseReportQuery({ generate_report: 'LicenseUsage', ...w, group_by: 'month' }, apiFlavor('14.1.0'))).toMatchObject({ groupBy: 'month' });
    expect(codeOf(() => parseReportQuery({ generate_report: 'LicenseUsage', end_date: '2026-10-01', duration: '1', group_by: 'day' }, apiFlavor('14.1.0')))).toBe('validation:InvalidParameter');
  });

  it('refusals are reporting answers: inside the report root once the type is known, the root otherwise', () => {
    const refusal = (params: Record<string, string>) => {
      try {
        parseReportQuery(params, modern);
      } catch (e) {
        return (e as DomainError).details;
      }
    };
    expect(refusal({ generate_report: 'SupportTeam' })).toMatchObject({ reportAnswer: true, reportRoot: 'team_activity_list' });
    expect(refusal({ generate_report: 'SupportSessionListing', start_date: 'x', duration: '1' })).toMatchObject({ reportRoot: 'session_summary_list' });
    expect(refusal({ generate_report: 'Nope' })).toEqual({ reportAnswer: true, reportType: 'Nope' });
    // LicenseUsage exists from API 1.10.0 (13.1): before, it is an unknown report type
    expect(codeOf(() => parseReportQuery({ generate_report: 'LicenseUsage', start_date: '2026-01-01', duration: '1', group_by: 'day' }, apiFlavor('12.3.0')))).toBe('validation:UnknownReportType');
    expect(codeOf(() => parseReportQuery({ generate_report: 'LicenseUsage', start_date: '2026-01-01', duration: '1', group_by: 'day' }, apiFlavor('13.1.0')))).toBe('no error');
  });

  it('validates lsids by the appliance flavor and dedupes lsids', () => {
    const guid = 'c69a8e10bea9428f816cfababe9815fe';
    expect(parseReportQuery({ generate_report: 'SupportSession', lsids: `${guid},${guid}` }, modern).selection).toEqual({ kind: 'lsids', lsids: [guid] });
    expect(codeOf(() => parseReportQuery({ generate_report: 'SupportSession', lsid: '17' }, modern))).toBe('validation:InvalidLsid');
    expect(codeOf(() => parseReportQuery({ generate_report: 'SupportSession', lsid: guid }, legacy))).toBe('validation:InvalidLsid');
    expect(parseReportQuery({ generate_report: 'SupportSession', lsid: '17' }, legacy).selection).toEqual({ kind: 'lsids', lsids: ['17'] });
  });

  it.each([
    [{ generate_report: 'Archive', start_date: '2026-01-01', duration: '1' }, 'validation:UnknownReportType'],
    [{ start_date: '2026-01-01', duration: '1' }, 'validation:MissingReportType'],
    [{ generate_report: 'SupportSession' }, 'validation:InvalidSelection'],
    [{ generate_report: 'SupportSession', start_date: '2026-02-29', duration: '1' }, 'validation:InvalidDate'],
    [{ generate_report: 'SupportSession', start_date: '26-01-01', duration: '1' }, 'validation:InvalidDate'],
    [{ generate_report: 'SupportSession', start_time: '1.5', duration: '1' }, 'validation:InvalidNumber'],
    [{ generate_report: 'SupportSession', start_time: '1', duration: '1e3' }, 'validation:InvalidNumber'],
    [{ generate_report: 'SupportSession', start_date: '2026-01-01', duration: '36501' }, 'validation:OutOfRange'],
    [{ generate_report: 'SupportSession', start_time: '1', duration: String(36_500 * 86_400 + 1) }, 'validation:OutOfRange'],
    [{ generate_report: 'SupportSession', lsid: 'c69a8e10bea9428f816cfababe9815fe', duration: '1' }, 'validation:InvalidSelection'],
    [{ generate_report: 'SupportSessionListing', lsid: 'c69a8e10bea9428f816cfababe9815fe' }, 'validation:InvalidParameter'],
    [{ generate_report: 'SupportSessionListing', start_lseq: '-1' }, 'validation:InvalidNumber'],
    [{ generate_report: 'LicenseUsage', start_date: '2026-01-01', duration: '1', group_by: 'day' }, 'validation:UnknownReportType'],
    [{ generate_report: 'SupportSessionSummary', start_date: '2026-01-01', duration: '1' }, 'validation:MissingParameter'],
    [{ generate_report: 'SupportSessionSummary', start_date: '2026-01-01', duration: '1', report_type: 'queue' }, 'validation:InvalidParameter'],
    [{ generate_report: 'SupportSessionSummary', lsid: 'c69a8e10bea9428f816cfababe9815fe', report_type: 'rep' }, 'validation:InvalidParameter'],
    [{ generate_report: 'SupportSession', start_date: '2026-01-01', duration: '1', report_type: 'rep' }, 'validation:InvalidParameter'],
    [{ generate_report: 'SupportSession', start_date: '2026-01-01', duration: '1', limit: 'chat' }, 'validation:UnsupportedParameter'],
    [{ generate_report: 'SupportCustExitSurvey', start_date: '2026-01-01', duration: '1', report_type: 'rep' }, 'validation:MissingParameter'],
    [{ generate_report: 'SupportCustExitSurvey', start_date: '2026-01-01', duration: '1', report_type: 'rep', id: '0' }, 'validation:OutOfRange'],
    [{ generate_report: 'SupportCustExitSurvey', start_date: '2026-01-01', duration: '1', report_type: 'site', id: 'all' }, 'validation:InvalidParameter'],
    [{ generate_report: 'SupportRepExitSurvey', lsid: 'c69a8e10bea9428f816cfababe9815fe', report_type: 'rep', id: '3' }, 'validation:InvalidParameter'],
    [{ generate_report: 'SupportTeam', start_date: '2026-01-01', duration: '1', team_id: 'x' }, 'validation:InvalidNumber'],
    [{ generate_report: 'SupportTeam', start_lseq: '1' }, 'validation:InvalidParameter'],
  ])('refuses %j with %s', (params, code) => {
    expect(codeOf(() => parseReportQuery(params as Record<string, string>, modern))).toBe(code);
  });
});

describe('XML text building', () => {
  it('escapes markup and replaces characters XML forbids', () => {
    expect(xmlText('a<b>&c\u0000\r')).toBe('a&lt;b&gt;&amp;c\uFFFD&#13;');
    expect(xmlAttr(`"'\n\t`)).toBe('&quot;&apos;&#10;&#9;');
    expect(hms(3725)).toBe('01:02:05');
    expect(hms(400_000)).toBe('111:06:40');
  });

  it('any external key or host name keeps the session XML valid (property, real XSD validator)', async () => {
    const xsd = reportingXsd(modern);
    const samples = fc.sample(fc.tuple(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme-composite', maxLength: 20 })), 40);
    const body = samples.map(([a, b], i) => sessionXml(sampleSession('x', i.toString(16).padStart(32, '0'), { externalKey: a, hostName: b, lseq: i }), { flavor: modern, hostname: b })).join('');
    await expectValid(`<session_list xmlns="${modern.namespace}">${body}</session_list>`, xsd);
  });

  it('error bodies follow the flavor and validate; a namespaced error fails the legacy schema', async () => {
    const namespaced = errorXml('bad <input> & "more"', 'Code', modern.namespace);
    const plain = errorXml('bad', 'Code', legacy.namespace);
    await expectValid(namespaced, reportingXsd(modern));
    await expectValid(plain, reportingXsd(legacy));
    expect((await xsdErrors(namespaced, reportingXsd(legacy))).length).toBeGreaterThan(0);
  });
});

describe('API access rules', () => {
  it('sliding window: the 21st attempt within a minute is refused, and allowed again once the oldest ages out', () => {
    let attempts: number[] = [];
    for (let i = 0; i < 20; i++) {
      const d = slidingWindow(attempts, 1000 + i);
      expect(d.allowed).toBe(true);
      attempts = d.attempts;
    }
    const refused = slidingWindow(attempts, 1020);
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 60 });
    expect(slidingWindow(attempts, 61_001).allowed).toBe(true);
  });

  it('permissions: read-only command cannot run full actions', () => {
    const p = { reporting: false, command: 'read_only' as const, backup: false };
    expect(hasPermission(p, 'command-read')).toBe(true);
    expect(hasPermission(p, 'command-full')).toBe(false);
    expect(hasPermission(p, 'reporting')).toBe(false);
    expect(hasPermission(p, 'none')).toBe(true);
  });

  it('parses Basic client credentials, secrets may contain colons', () => {
    expect(parseBasicAuth(`Basic ${Buffer.from('id123456:se:cret').toString('base64')}`)).toEqual({ clientId: 'id123456', clientSecret: 'se:cret' });
    expect(parseBasicAuth('Bearer abc')).toBeUndefined();
    expect(parseBasicAuth(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeUndefined();
  });
});

describe('Integration Client SQL/CSV text', () => {
  it('quotes strings safely and keeps inserts idempotent', () => {
    expect(sqlString(`O'Neil'); DROP TABLE session; --`)).toBe(`'O''Neil''); DROP TABLE session; --'`);
    const sql = icInsertSql(sampleSession('a', 'c69a8e10bea9428f816cfababe9815fe', { lseq: 7 }), true);
    expect(sql).toContain('WHERE NOT EXISTS (SELECT 1 FROM session WHERE lsid = \'c69a8e10bea9428f816cfababe9815fe\')');
    expect(icInsertSql(sampleSession('a', '17'), false)).toMatch(/^INSERT INTO session \(lsid, .*\) SELECT 17, /);
  });

  it('CSV fields: RFC 4180 quoting and formula neutralization', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=cmd()')).toBe("'=cmd()");
    expect(csvField(42)).toBe('42');
    expect(csvField(undefined)).toBe('');
  });
});

describe('XML as the appliance writes it', () => {
  it('puts every element on its own line, so line-oriented tools can count them', () => {
    const xml = apiInfoXml(apiFlavor('10.6.0'), { now: new Date('2026-11-01T00:00:00.000Z'), companyName: 'example', permissions: { reporting: true, command: 'full', backup: false } });
    const lines = xml.trimEnd().split('\n');
    // Declaration, then no line holds two start tags.
    expect(lines[0]).toBe('<?xml version="1.0" encoding="UTF-8"?>');
    for (const line of lines.slice(1)) expect(line.match(/<[a-z_]+[ >]/g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(lines.filter((l) => l.includes('perm_'))).toHaveLength(10);
  });
});
