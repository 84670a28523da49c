import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import initSqlJs from 'sql.js';
import { createAppliance, updateAppliance } from '../../functions/emulator/app/appliance-store.js';
import { generateSessions } from '../../functions/emulator/app/session-generator.js';
import { getSession, iterateSessions, migrateSessionsTo106, putSession } from '../../functions/emulator/app/session-store.js';
import { API_NAMESPACE } from '../../functions/platform/core/versions.js';
import type { SupportSession } from '../../functions/emulator/core/session.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { sampleSession } from '../helpers/sessions.js';
import { fromSource } from '../helpers/command-client.js';
import { attrsOf, expectValid, xsdErrors } from '../helpers/xml.js';

let rt: TestRuntime;
const MODERN = 'site-modern';
const LEGACY = 'site-legacy';
const HOSTILE_KEY = `</external_key><injected a="1"/>&amp; "quoted" 'single' \u0001\u0008 ]]> \uD800 end`;
const tokens: Record<string, string> = {};
const accounts: Record<string, { clientId: string; clientSecret: string }> = {};
const xsd: Record<string, string> = {};

// Files are UTF-8: a lone surrogate (not encodable) arrives as U+FFFD, like any UTF-8 writer would do.
const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('utf8');
const url = (path: string) => `${rt.url}${path}`;
const basic = (a: { clientId: string; clientSecret: string }) => `Basic ${Buffer.from(`${a.clientId}:${a.clientSecret}`).toString('base64')}`;

async function tokenFor(a: { clientId: string; clientSecret: string }) {
  const res = await fetch(url(`/appliances/${a === accounts.legacy ? LEGACY : MODERN}/oauth2/token`), {
    method: 'POST',
    headers: { authorization: basic(a), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
  expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  expect(body.access_token).toMatch(/^[A-Za-z0-9]{40}$/);
  return body.access_token;
}

async function api(appliance: string, path: string, token: string | undefined, init: RequestInit = {}) {
  const res = await rawFetch(url(`/appliances/${appliance}${path}`), {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string> | undefined) },
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function allSessions(applianceId: string): Promise<SupportSession[]> {
  const out: SupportSession[] = [];
  for await (const s of iterateSessions(rt.services, applianceId)) out.push(s);
  return out;
}

/** Fingerprint of everything the refusals must not change. */
async function stateOf(applianceId: string) {
  const sessions = await allSessions(applianceId);
  const appliance = await rt.services.records.appliances.get({ pk: `APPLIANCE#${applianceId}`, sk: 'PROFILE' });
  return JSON.stringify({ sessions, appliance, exports: (await rt.services.blobs.exports.list('integration-client/')).length });
}

async function createAccount(applianceId: string, permissions: object) {
  const res = await fetch(url(`/v1/appliances/${applianceId}/api-accounts`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'test', permissions }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { clientId: string; clientSecret: string };
}

beforeAll(async () => {
  rt = await startTestRuntime();
  const ctx = rt.services;
  const modern = await createAppliance(ctx, sampleAppliance(MODERN, { productVersion: '10.6.0', failover: { role: 'primary', pairStatus: 'established', lastSyncAt: '2026-11-01T00:00:00.000Z', lastSyncStatus: 'success' } }));
  const legacy = await createAppliance(ctx, sampleAppliance(LEGACY, { productVersion: '10.5.2' }));
  await generateSessions(ctx, { ...modern, version: 1 }, { count: 60, days: 30, activeFraction: 0.05, seed: 1 });
  await generateSessions(ctx, { ...legacy, version: 1 }, { count: 40, days: 30, activeFraction: 0.05, seed: 2 });
  // A session whose text fields carry markup, control characters and a lone surrogate.
  const [hostile] = (await allSessions(MODERN)).filter((s) => s.status === 'completed');
  await putSession(ctx, {
    ...hostile!,
    externalKey: HOSTILE_KEY,
    hostName: '<script>alert(1)</script>',
    customers: hostile!.customers!.map((c) => ({ ...c, hostname: '<script>alert(1)</script>', info: { ...c.info, name: HOSTILE_KEY } })),
    events: [...hostile!.events!, { timestamp: hostile!.endTime!, eventType: '"/><injected/>', body: HOSTILE_KEY, data: [{ name: '<x>', value: HOSTILE_KEY }] }],
  });
  accounts.full = await createAccount(MODERN, { reporting: true, command: 'full', backup: true });
  accounts.readOnly = await createAccount(MODERN, { reporting: false, command: 'read_only', backup: false });
  accounts.legacy = await createAccount(LEGACY, { reporting: true, command: 'full', backup: true });
  for (const k of ['full', 'readOnly', 'legacy']) tokens[k] = await tokenFor(accounts[k]!);
  for (const a of [MODERN, LEGACY]) {
    for (const kind of ['reporting', 'command']) {
      const res = await api(a, `/api/${kind}.xsd`, undefined);
      expect(res.status).toBe(200);
      xsd[`${a}:${kind}`] = res.text;
    }
  }
});
afterAll(async () => {
  await rt?.dispose();
});

describe('reporting API: namespaced vs legacy XML by appliance version', () => {
  it('10.6 appliance: namespaced SupportSession with GUID lsid and lseq, valid against its XSD', async () => {
    const res = await api(MODERN, '/api/reporting?generate_report=SupportSession&start_date=2000-01-01&duration=0', tokens.full);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('xml');
    expect(res.text).toContain(`<session_list xmlns="${API_NAMESPACE}">`);
    const lsids = attrsOf(res.text, 'session', 'lsid');
    expect(lsids).toHaveLength(60);
    expect(lsids.every((l) => /^[0-9a-f]{32}$/.test(l))).toBe(true);
    expect((res.text.match(/<lseq>\d+<\/lseq>/g) ?? []).length).toBe(60);
    await expectValid(res.text, xsd[`${MODERN}:reporting`]!);
    // the same document is invalid against the legacy schema: the validation really checks the flavor
    expect((await xsdErrors(res.text, xsd[`${LEGACY}:reporting`]!)).length).toBeGreaterThan(0);
  });

  it('pre-10.6 appliance: no namespace, integer lsid, no lseq, valid against its XSD', async () => {
    const res = await api(LEGACY, '/api/reporting?generate_report=SupportSession&start_date=2000-01-01&duration=0', tokens.legacy);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<session_list>');
    expect(res.text).not.toContain('xmlns');
    expect(res.text).not.toContain('<lseq>');
    const lsids = attrsOf(res.text, 'session', 'lsid');
    expect(lsids.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await expectValid(res.text, xsd[`${LEGACY}:reporting`]!);
    expect((await xsdErrors(res.text, xsd[`${MODERN}:reporting`]!)).length).toBeGreaterThan(0);
  });

  it('SupportSessionListing by POST form, both flavors, valid', async () => {
    for (const [a, token, ns] of [[MODERN, tokens.full, true], [LEGACY, tokens.legacy, false]] as const) {
      const res = await api(a, '/api/reporting', token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'generate_report=SupportSessionListing&start_time=946684800&duration=0',
      });
      expect(res.status).toBe(200);
      expect(res.text).toContain(ns ? `<session_summary_list xmlns="${API_NAMESPACE}">` : '<session_summary_list>');
      expect(attrsOf(res.text, 'session_summary', 'lsid')).toHaveLength(a === MODERN ? 60 : 40);
      await expectValid(res.text, xsd[`${a}:reporting`]!);
    }
  });

  it('hostile text stays text: the document is well-formed and the markup is escaped', async () => {
    const res = await api(MODERN, '/api/reporting?generate_report=SupportSession&start_date=2000-01-01&duration=0', tokens.full);
    expect(res.text).not.toContain('<injected');
    expect(res.text).not.toContain('<script>');
    expect(res.text).not.toContain('<x>');
    expect(res.text).toContain('<external_key>&lt;/external_key&gt;&lt;injected a="1"/&gt;&amp;amp;');
    expect(res.text).toContain('<hostname>&lt;script&gt;alert(1)&lt;/script&gt;</hostname>');
    expect(res.text).toContain('event_type="&quot;/&gt;&lt;injected/&gt;"');
    const listing = await api(MODERN, '/api/reporting?generate_report=SupportSessionListing&start_date=2000-01-01&duration=0', tokens.full);
    expect(listing.text).toContain(' external_key="&lt;/external_key&gt;&lt;injected a=&quot;1&quot;/&gt;&amp;amp; &quot;quoted&quot; &apos;single&apos; \uFFFD\uFFFD ]]&gt; \uFFFD end" has_recording="0"/>');
    await expectValid(listing.text, xsd[`${MODERN}:reporting`]!);
    await expectValid(res.text, xsd[`${MODERN}:reporting`]!);
  });

  it('selects by lsid, lsids, start_lseq and end-time window', async () => {
    const sessions = await allSessions(MODERN);
    const completed = sessions.filter((s) => s.status === 'completed');
    const one = await api(MODERN, `/api/reporting?generate_report=SupportSession&lsid=${sessions[0]!.lsid}`, tokens.full);
    expect(attrsOf(one.text, 'session', 'lsid')).toEqual([sessions[0]!.lsid]);
    await expectValid(one.text, xsd[`${MODERN}:reporting`]!);

    const two = await api(MODERN, `/api/reporting?generate_report=SupportSession&lsids=${sessions[1]!.lsid},${sessions[2]!.lsid},${'f'.repeat(32)}`, tokens.full);
    expect(attrsOf(two.text, 'session', 'lsid').sort()).toEqual([sessions[1]!.lsid, sessions[2]!.lsid].sort());

    const lseqs = sessions.map((s) => s.lseq!).sort((a, b) => a - b);
    const from = lseqs[50]!;
    const byLseq = await api(MODERN, `/api/reporting?generate_report=SupportSessionListing&start_lseq=${from}`, tokens.full);
    expect(attrsOf(byLseq.text, 'session_summary', 'lsid')).toHaveLength(lseqs.filter((l) => l >= from).length);
    await expectValid(byLseq.text, xsd[`${MODERN}:reporting`]!);

    const pivot = completed.map((s) => s.endTime!).sort()[20]!;
    const fromTs = Math.floor(Date.parse(pivot) / 1000);
    const ended = await api(MODERN, `/api/reporting?generate_report=SupportSession&end_time=${fromTs}&duration=0`, tokens.full);
    const expected = completed.filter((s) => Date.parse(s.endTime!) >= fromTs * 1000).map((s) => s.lsid).sort();
    expect(attrsOf(ended.text, 'session', 'lsid').sort()).toEqual(expected);
    await expectValid(ended.text, xsd[`${MODERN}:reporting`]!);
  });

  it('a listing selects the same sessions as the full report and shows their lsid and external key', async () => {
    const sessions = new Map((await allSessions(MODERN)).map((s) => [s.lsid, s]));
    const pivot = [...sessions.values()].filter((s) => s.status === 'completed').map((s) => s.endTime!).sort()[10]!;
    const selections = [`end_time=${Math.floor(Date.parse(pivot) / 1000)}&duration=0`, 'start_date=2000-01-01&duration=0', 'start_lseq=1'];
    for (const selection of selections) {
      const full = await api(MODERN, `/api/reporting?generate_report=SupportSession&${selection}`, tokens.full);
      const listing = await api(MODERN, `/api/reporting?generate_report=SupportSessionListing&${selection}`, tokens.full);
      const listed = attrsOf(listing.text, 'session_summary', 'lsid');
      expect(listed.length, selection).toBeGreaterThan(0);
      expect(listed.sort(), selection).toEqual(attrsOf(full.text, 'session', 'lsid').sort());
      await expectValid(listing.text, xsd[`${MODERN}:reporting`]!);
    }
    const listing = await api(MODERN, '/api/reporting?generate_report=SupportSessionListing&start_date=2000-01-01&duration=0', tokens.full);
    const lines = listing.text.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('<session_summary '))).toHaveLength(sessions.size);
    for (const line of lines.filter((l) => l.startsWith('<session_summary '))) {
      const [, lsid] = /^<session_summary lsid="([0-9a-f]{32})"/.exec(line)!;
      const s = sessions.get(lsid!)!;
      // the vendor's listing: lsid, external key (when there is one) and has_recording, as attributes
      if (s.externalKey === '') expect(line).toBe(`<session_summary lsid="${lsid}" has_recording="0"/>`);
      else if (/^[\w-]*$/.test(s.externalKey)) expect(line).toBe(`<session_summary lsid="${lsid}" external_key="${s.externalKey}" has_recording="0"/>`);
      else expect(line).toMatch(/ external_key="[^"]*" has_recording="0"\/>$/);
    }
  });

  it('an empty window gives an empty, valid list', async () => {
    const res = await api(MODERN, '/api/reporting?generate_report=SupportSession&start_date=1990-01-01&duration=1', tokens.full);
    expect(res.status).toBe(200);
    expect(attrsOf(res.text, 'session', 'lsid')).toEqual([]);
    await expectValid(res.text, xsd[`${MODERN}:reporting`]!);
  });
});

describe('bad input: clear XML error, valid against the XSD, no state change', () => {
  // The reporting API's own refusals are answers (HTTP 200): `<error>` inside the report root once the report
  // type is known, as the root otherwise. Request-level refusals keep their 4xx and the coded `<error>`.
  const ns = API_NAMESPACE.replace(/\./g, '\\.');
  const cases: [string, string, number, string, string | undefined, RequestInit?][] = [
    ['unknown report type', '?generate_report=Nope&start_date=2026-01-01&duration=1', 200, 'UnknownReportType', undefined],
    ['report type of a later version (LicenseUsage before 13.1)', '?generate_report=LicenseUsage&start_date=2026-01-01&duration=1&group_by=day', 200, 'UnknownReportType', undefined],
    ['missing report type', '?start_date=2026-01-01&duration=1', 200, 'MissingReportType', undefined],
    ['malformed date', '?generate_report=SupportSession&start_date=2026-13-01&duration=1', 200, 'InvalidDate', 'session_list'],
    ['impossible date', '?generate_report=SupportSession&start_date=2026-02-30&duration=1', 200, 'InvalidDate', 'session_list'],
    ['inverted window (negative duration)', '?generate_report=SupportSession&start_date=2026-01-01&duration=-3', 200, 'InvalidNumber', 'session_list'],
    ['duration out of range', '?generate_report=SupportSession&start_date=2026-01-01&duration=99999999', 200, 'OutOfRange', 'session_list'],
    ['missing duration', '?generate_report=SupportSession&start_time=1700000000', 200, 'MissingDuration', 'session_list'],
    ['two selections', '?generate_report=SupportSession&start_time=1700000000&duration=0&lsid=1', 200, 'InvalidSelection', 'session_list'],
    ['no selection (a listing needs a window)', '?generate_report=SupportSessionListing', 200, 'InvalidSelection', 'session_summary_list'],
    ['non-numeric lseq', '?generate_report=SupportSessionListing&start_lseq=12abc', 200, 'InvalidNumber', 'session_summary_list'],
    ['summary without report_type', '?generate_report=SupportSessionSummary&start_date=2026-01-01&duration=1', 200, 'MissingParameter', 'summary_list'],
    ['survey with an unknown report_type', '?generate_report=SupportCustExitSurvey&start_date=2026-01-01&duration=1&report_type=site&id=all', 200, 'InvalidParameter', 'exit_survey_list'],
    ['team with a non-numeric team_id', '?generate_report=SupportTeam&start_date=2026-01-01&duration=1&team_id=1%20OR%201=1', 200, 'InvalidNumber', 'team_activity_list'],
    ['XML injection in lsid', `?generate_report=SupportSession&lsid=${encodeURIComponent('"/><x>&')}`, 200, 'InvalidLsid', 'session_list'],
    ['URL injection in report type', `?generate_report=${encodeURIComponent('</error><x xmlns="evil">&amp;')}&start_date=2026-01-01&duration=1`, 200, 'UnknownReportType', undefined],
    ['duplicated parameter', '?generate_report=SupportSession&generate_report=SupportSessionListing&start_date=2026-01-01&duration=1', 400, 'DuplicateParameter', undefined],
    ['multipart body', '', 415, 'UnsupportedContentType', undefined, { method: 'POST', body: (() => { const f = new FormData(); f.set('generate_report', 'SupportSession'); return f; })() }],
    ['JSON body', '', 415, 'UnsupportedContentType', undefined, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"generate_report":"SupportSession"}' }],
    ['oversized body', '', 413, 'RequestTooLarge', undefined, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `generate_report=SupportSession&lsids=${'a'.repeat(70_000)}` }],
  ];
  for (const [name, query, status, code, root, init] of cases) {
    it(`reporting: ${name} → ${status} ${code}${root ? ` inside <${root}>` : ''}`, async () => {
      const before = await stateOf(MODERN);
      const res = await api(MODERN, `/api/reporting${query}`, tokens.full, init);
      expect(res.status).toBe(status);
      expect(res.headers.get('x-error-code')).toBe(code);
      if (status === 200) {
        const lines = res.text.trimEnd().split('\n');
        expect(lines[0]).toBe('<?xml version="1.0" encoding="UTF-8"?>');
        if (root) {
          expect(lines[1]).toBe(`<${root} xmlns="${API_NAMESPACE}">`);
          expect(lines[2]).toMatch(/^<error>[^<]+<\/error>$/);
          expect(lines[3]).toBe(`</${root}>`);
        } else expect(lines[1]).toMatch(new RegExp(`^<error xmlns="${ns}">[^<]+</error>$`));
      } else expect(res.text).toMatch(new RegExp(`<error xmlns="${ns}" code="${code}">`));
      expect(res.text).not.toContain('<x');
      await expectValid(res.text, xsd[`${MODERN}:reporting`]!);
      expect(await stateOf(MODERN)).toBe(before);
    });
  }

  it('legacy appliance errors have no namespace and validate against its XSD; start_lseq is refused there', async () => {
    const before = await stateOf(LEGACY);
    const res = await api(LEGACY, '/api/reporting?generate_report=SupportSessionListing&start_lseq=1', tokens.legacy);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-error-code')).toBe('LseqNotSupported');
    expect(res.text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<session_summary_list>\n<error>start_lseq needs API 1\.5\.0[^<]*<\/error>\n<\/session_summary_list>\n$/);
    await expectValid(res.text, xsd[`${LEGACY}:reporting`]!);
    expect(await stateOf(LEGACY)).toBe(before);
  });

  it('unknown command action and missing action → the vendor XML error (HTTP 200, no code attribute), no state change', async () => {
    const before = await stateOf(MODERN);
    for (const [query, code, text] of [['?action=format_disk', 'UnknownAction', 'Invalid action'], ['', 'MissingParameter', 'Missing required parameter: action'], ['?action=__proto__', 'UnknownAction', 'Invalid action']] as const) {
      const res = await api(MODERN, `/api/command${query}`, tokens.full);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-error-code')).toBe(code);
      expect(res.text).toContain(`<error xmlns="${API_NAMESPACE}">${text}</error>`);
      await expectValid(res.text, xsd[`${MODERN}:command`]!);
    }
    expect(await stateOf(MODERN)).toBe(before);
  });
});

describe('command API', () => {
  it('get_api_info: API version, timestamp, the account permissions (both flavors)', async () => {
    const res = await api(MODERN, '/api/command?action=get_api_info', tokens.readOnly);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<get_api_info xmlns="${API_NAMESPACE}">\n<api_version>1.5.0</api_version>`);
    expect(res.text).toContain('<perm_command>read_only</perm_command>');
    expect(res.text).toContain('<perm_reporting_support>0</perm_reporting_support>');
    await expectValid(res.text, xsd[`${MODERN}:command`]!);
    const legacy = await api(LEGACY, '/api/command', tokens.legacy, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=get_api_info' });
    expect(legacy.text).toContain('<get_api_info>\n<api_version>1.4.0</api_version>\n');
    await expectValid(legacy.text, xsd[`${LEGACY}:command`]!);
  });

  it('check_health reports the failover role and last sync', async () => {
    const res = await api(MODERN, '/api/command?action=check_health', tokens.readOnly);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<failover_role>primary</failover_role>');
    expect(res.text).toContain(`<last_data_sync_time ts="${Date.parse('2026-11-01T00:00:00Z') / 1000}">2026-11-01T00:00:00+00:00</last_data_sync_time>`);
    expect(res.text).toContain('<last_data_sync_status>success</last_data_sync_status>');
    await expectValid(res.text, xsd[`${MODERN}:command`]!);
    const legacy = await api(LEGACY, '/api/command?action=check_health', tokens.legacy);
    expect(legacy.text).toContain('<failover_role>none</failover_role>');
    expect(legacy.text).not.toContain('last_data_sync');
    await expectValid(legacy.text, xsd[`${LEGACY}:command`]!);
  });

  it('terminate_session arrives with API 1.6.0: a 10.6 appliance answers it as an unknown action and changes nothing', async () => {
    const active = (await allSessions(MODERN)).find((s) => s.status === 'active')!;
    const before = await stateOf(MODERN);
    const res = await api(MODERN, `/api/command?action=terminate_session&lsid=${active.lsid}`, tokens.full);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<error xmlns="${API_NAMESPACE}">Invalid action</error>`);
    await expectValid(res.text, xsd[`${MODERN}:command`]!);
    expect(await stateOf(MODERN)).toBe(before);
  });
});

describe('authentication: OAuth2 client credentials', () => {
  const errorOf = async (token: string | undefined, header?: string) => {
    const res = await rawFetch(url(`/appliances/${MODERN}/api/command?action=get_api_info`), { headers: header ? { authorization: header } : token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, code: res.headers.get('x-error-code'), www: res.headers.get('www-authenticate'), text: await res.text() };
  };

  it('missing, malformed and forged tokens → 401 XML error', async () => {
    for (const [token, header, code] of [
      [undefined, undefined, 'MissingCredentials'],
      [undefined, 'Basic Zm9vOmJhcg==', 'MissingCredentials'],
      ['short', undefined, 'InvalidToken'],
      ['A'.repeat(40), undefined, 'InvalidToken'],
    ] as const) {
      const r = await errorOf(token, header);
      expect(r.status).toBe(401);
      expect(r.code).toBe(code);
      expect(r.www).toContain('Bearer');
      await expectValid(r.text, xsd[`${MODERN}:command`]!);
    }
  });

  it('a token of one appliance does not open another', async () => {
    const res = await api(LEGACY, '/api/command?action=get_api_info', tokens.full);
    expect(res.status).toBe(401);
  });

  it('an expired token → 401 TokenExpired', async () => {
    const token = await tokenFor(accounts.full!);
    // Age the stored token past its hour instead of waiting for it.
    const { createHash } = await import('node:crypto');
    const key = { pk: `TOKEN#${createHash('sha256').update(token).digest('hex')}`, sk: 'TOKEN' };
    const item = (await rt.services.records.appliances.get(key))!;
    await rt.services.records.appliances.put({ ...item, expiresAtMs: Date.now() - 1000 });
    const r = await errorOf(token);
    expect(r.status).toBe(401);
    expect(r.code).toBe('TokenExpired');
  });

  it('regenerating the secret revokes tokens; the old secret no longer works', async () => {
    const account = await createAccount(MODERN, { reporting: true, command: 'read_only' });
    const token = await tokenFor(account);
    expect((await errorOf(token)).status).toBe(200);
    const res = await fetch(url(`/v1/appliances/${MODERN}/api-accounts/${account.clientId}/secret`), { method: 'POST' });
    const renewed = (await res.json()) as { clientId: string; clientSecret: string };
    expect((await errorOf(token)).code).toBe('TokenRevoked');
    const old = await fetch(url(`/appliances/${MODERN}/oauth2/token`), { method: 'POST', headers: { authorization: basic(account), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(old.status).toBe(401);
    expect((await errorOf(await tokenFor(renewed))).status).toBe(200);
  });

  it('token endpoint refusals: bad secret, unknown client, wrong grant, wrong content type', async () => {
    const post = (auth: string | undefined, body: string, type = 'application/x-www-form-urlencoded') =>
      fetch(url(`/appliances/${MODERN}/oauth2/token`), { method: 'POST', headers: { ...(auth ? { authorization: auth } : {}), 'content-type': type }, body });
    const full = accounts.full!;
    const cases: [Response, number, string][] = [
      [await post(basic({ ...full, clientSecret: 'wrong' }), 'grant_type=client_credentials'), 401, 'invalid_client'],
      [await post(basic({ clientId: 'f'.repeat(32), clientSecret: 'x' }), 'grant_type=client_credentials'), 401, 'invalid_client'],
      [await post(undefined, 'grant_type=client_credentials'), 401, 'invalid_client'],
      [await post(basic(full), 'grant_type=password'), 400, 'unsupported_grant_type'],
      [await post(basic(full), ''), 400, 'invalid_request'],
      [await post(basic(full), 'grant_type=client_credentials', 'text/plain'), 415, 'invalid_request'],
    ];
    for (const [res, status, error] of cases) {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toBe(error);
    }
  });

  it('missing permission → 403 (reporting without perm_reporting_support, backup without perm_backup)', async () => {
    const before = await stateOf(MODERN);
    const rep = await api(MODERN, '/api/reporting?generate_report=SupportSession&start_date=2026-01-01&duration=1', tokens.readOnly);
    expect(rep.status).toBe(403);
    expect(rep.headers.get('x-error-code')).toBe('PermissionDenied');
    await expectValid(rep.text, xsd[`${MODERN}:reporting`]!);
    const backup = await api(MODERN, '/api/backup', tokens.readOnly);
    expect(backup.status).toBe(403);
    expect(await stateOf(MODERN)).toBe(before);
  });

  it('limits the failing source (429 with Retry-After), not the account: the right secret still works from another address', async () => {
    const account = await createAccount(MODERN, { reporting: true });
    const statuses: number[] = [];
    let last: { status: number; text: string } | undefined;
    for (let i = 0; i < 21; i++) {
      last = await fromSource(url(`/appliances/${MODERN}/oauth2/token`), '127.0.0.5', { method: 'POST', headers: { authorization: basic({ ...account, clientSecret: 'wrong' }), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect((JSON.parse(last!.text) as { error: string }).error).toBe('slow_down');
    // the limited source is refused even with the right secret; the account itself is not locked
    const limited = await fromSource(url(`/appliances/${MODERN}/oauth2/token`), '127.0.0.5', { method: 'POST', headers: { authorization: basic(account), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(limited.status).toBe(429);
    expect(await tokenFor(account)).toMatch(/^[A-Za-z0-9]{40}$/);
    // nothing is stored per client id any more (old records expire with the table TTL)
    expect(await rt.services.records.appliances.get({ pk: `RATE#TOKEN#${MODERN}#${account.clientId}`, sk: 'RATE' })).toBeUndefined();
  });

  it('caps valid tokens at 30 per account: the 31st invalidates the oldest', async () => {
    const account = await createAccount(MODERN, { command: 'read_only' });
    const issued: string[] = [];
    for (let i = 0; i < 31; i++) issued.push(await tokenFor(account));
    expect((await errorOf(issued[0])).code).toBe('InvalidToken');
    expect((await errorOf(issued[1])).status).toBe(200);
    expect((await errorOf(issued[30])).status).toBe(200);
  });
});

describe('site availability and backup API', () => {
  it('503 with Retry-After while the appliance is installing, nothing changes', async () => {
    const id = 'site-installing';
    await createAppliance(rt.services, sampleAppliance(id, { productVersion: '10.6.0' }));
    await updateAppliance(rt.services, id, (a) => ({ ...a, state: 'installing', install: { packageId: 'p', fromVersion: '10.6.0', targetVersion: '11.1.1', startedAt: new Date().toISOString(), restartAt: new Date(Date.now() + 60_000).toISOString(), onlineAt: new Date(Date.now() + 120_000).toISOString() } }));
    const before = await stateOf(id);
    const res = await api(id, '/api/command?action=check_health', 'x'.repeat(40));
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.text).toContain('SiteUnavailable');
    expect(await stateOf(id)).toBe(before);
  });

  it('unknown appliance → 404 XML error', async () => {
    const res = await api('no-such-appliance', '/api/command?action=get_api_info', tokens.full);
    expect(res.status).toBe(404);
    expect(res.text).toContain('ApplianceNotFound');
  });

  it('backup API: the site configuration as it is now, an .nsb download, nothing stored; optional password', async () => {
    const before = await stateOf(MODERN);
    const storedBefore = (await rt.services.blobs.backups.list(`appliances/${MODERN}/`)).length;
    const plain = await rawFetch(url(`/appliances/${MODERN}/api/backup`), { headers: { authorization: `Bearer ${tokens.full}` } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/octet-stream');
    expect(plain.headers.get('content-disposition')).toMatch(/^attachment; filename="[A-Za-z0-9._-]+-\d{8}-\d{6}-10\.6\.0\.nsb"$/);
    const bytes = Buffer.from(await plain.arrayBuffer());
    const { createHash } = await import('node:crypto');
    expect(plain.headers.get('x-backup-sha256')).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(JSON.parse(bytes.toString('utf8'))).toMatchObject({ format: 'appliance-settings/1', applianceId: MODERN, settings: { applianceId: MODERN, productVersion: '10.6.0' } });
    // POST with the documented JSON body {"password": ...}: the file is opaque without the password
    const locked = await rawFetch(url(`/appliances/${MODERN}/api/backup`), { method: 'POST', headers: { authorization: `Bearer ${tokens.full}`, 'content-type': 'application/json' }, body: JSON.stringify({ password: 's3cret pass' }) });
    expect(locked.status).toBe(200);
    const sealed = Buffer.from(await locked.arrayBuffer());
    expect(sealed.subarray(0, 18).toString()).toBe('NSB-EMU-AES256GCM\n');
    expect(sealed.includes(Buffer.from(MODERN))).toBe(false);
    const { scryptSync, createDecipheriv } = await import('node:crypto');
    const [salt, iv, tag, body] = [sealed.subarray(18, 34), sealed.subarray(34, 46), sealed.subarray(46, 62), sealed.subarray(62)];
    const decipher = createDecipheriv('aes-256-gcm', scryptSync('s3cret pass', salt, 32), iv);
    decipher.setAuthTag(tag);
    expect(JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString())).toMatchObject({ applianceId: MODERN });
    // a generated download is not a stored backup: nothing was written
    expect((await rt.services.blobs.backups.list(`appliances/${MODERN}/`)).length).toBe(storedBefore);
    expect(await stateOf(MODERN)).toBe(before);
  });

  it('backup API refusals: bad JSON bodies, empty password, missing permission; nothing changes', async () => {
    const before = await stateOf(MODERN);
    const post = (body: string, token = tokens.full) => api(MODERN, '/api/backup', token, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (const [body, code] of [['{', 'InvalidBody'], ['[]', 'InvalidBody'], ['{"password":5}', 'InvalidBody'], ['{"password":"x","extra":1}', 'InvalidBody'], ['{"password":""}', 'InvalidBackupPassword'], [`{"password":"${'p'.repeat(300)}"}`, 'InvalidBackupPassword']] as const) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(res.headers.get('x-error-code')).toBe(code);
      await expectValid(res.text, xsd[`${MODERN}:command`]!);
    }
    expect((await post('{"password":"x"}', tokens.readOnly)).status).toBe(403);
    expect(await stateOf(MODERN)).toBe(before);
  });
});

describe('Integration Client export', () => {
  const readObject = async (key: string) => {
    const obj = await rt.services.blobs.exports.get(key);
    const chunks: Buffer[] = [];
    for await (const c of obj!.body) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks).toString('utf8');
  };
  const exportNow = async (applianceId: string, body: object = {}) => {
    const res = await fetch(url(`/v1/appliances/${applianceId}/ic-exports`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { objects: Record<string, string>; sessionCount: number; nextLseq?: number } };
  };

  it('10.6 export loads into SQLite and round-trips every completed session; CSV matches', async () => {
    const { status, body } = await exportNow(MODERN);
    expect(status).toBe(201);
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.exec(await readObject(body.objects.sql!));
    const completed = (await allSessions(MODERN)).filter((s) => s.status === 'completed');
    expect(body.sessionCount).toBe(completed.length);
    const rows = db.exec('SELECT lsid, type, start_time, end_time, duration, file_transfers, host_name, external_key, public_site_id, public_site_name, lseq FROM session ORDER BY lsid')[0]!.values;
    const expected = completed
      .sort((a, b) => (a.lsid < b.lsid ? -1 : 1))
      .map((s) => [s.lsid, s.sessionType, s.startTime, s.endTime!, s.duration!, s.fileTransfers, s.hostName, utf8(s.externalKey), s.publicSiteId, s.publicSiteName, s.lseq!]);
    expect(rows).toEqual(expected);
    // re-running the same script does not duplicate sessions
    db.exec(await readObject(body.objects.sql!));
    expect(db.exec('SELECT COUNT(*) FROM session')[0]!.values[0]![0]).toBe(completed.length);
    const csv = await readObject(body.objects.csv!);
    expect(csv.split('\r\n')[0]).toBe('lsid,type,start_time,end_time,duration,file_transfers,host_name,external_key,public_site_id,public_site_name,lseq');
    expect(csv.split('\r\n').filter((l) => /^[0-9a-f]{32},/.test(l))).toHaveLength(completed.length);
  });

  it('pre-10.6 export, upgrade across 10.6, migration script, incremental export: no session lost', async () => {
    const id = 'site-upgrade';
    const appliance = await createAppliance(rt.services, sampleAppliance(id, { productVersion: '10.5.2' }));
    await generateSessions(rt.services, { ...appliance, version: 1 }, { count: 30, days: 10, seed: 3 });
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    const legacyExport = await exportNow(id);
    expect(legacyExport.body.schema).toBe('pre-10.6');
    db.exec(await readObject(legacyExport.body.objects.sql!));
    expect(db.exec("SELECT typeof(lsid) FROM session LIMIT 1")[0]!.values[0]![0]).toBe('integer');

    const refused = await exportNow(id, { incremental: true });
    expect(refused.status).toBe(400);

    await updateAppliance(rt.services, id, (a) => ({ ...a, productVersion: '10.6.0' }));
    expect(await migrateSessionsTo106(rt.services, id)).toBe(30);
    const first = await exportNow(id, { incremental: true });
    expect(first.status).toBe(201);
    db.exec(await readObject(first.body.objects.migration!));
    db.exec(await readObject(first.body.objects.sql!));
    const after = await allSessions(id);
    expect(after).toHaveLength(30);
    const rows = db.exec('SELECT lsid, lseq FROM session ORDER BY lseq')[0]!.values;
    expect(rows).toEqual(after.sort((a, b) => a.lseq! - b.lseq!).map((s) => [s.lsid, s.lseq!]));
    expect(rows.every(([lsid]) => /^[0-9a-f]{32}$/.test(String(lsid)))).toBe(true);

    // new sessions after the upgrade arrive through an incremental export from the watermark
    await generateSessions(rt.services, { ...appliance, productVersion: '10.6.0', version: 1 }, { count: 5, days: 1, seed: 4 });
    const second = await exportNow(id, { incremental: true });
    expect(second.body.fromLseq).toBe(first.body.nextLseq);
    expect(second.body.sessionCount).toBeLessThanOrEqual(6);
    db.exec(await readObject(second.body.objects.sql!));
    expect(db.exec('SELECT COUNT(*) FROM session')[0]!.values[0]![0]).toBe(35);
  });

  it('refuses bad export requests without writing anything', async () => {
    const before = await stateOf(MODERN);
    for (const body of [{ fromLseq: -1 }, { fromLseq: 'x' }, { fromLseq: 1.5 }, { incremental: 'yes' }, { fromLseq: 1, incremental: true }, { other: 1 }]) {
      const res = await exportNow(MODERN, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBeTypeOf('string');
    }
    expect(await stateOf(MODERN)).toBe(before);
  });
});
