/**
 * Every report of the reporting API through HTTP, as an outside integration reaches it: documented root and
 * children per report, both XML flavors (pre-10.6 and ≥ 10.6) and a 14.1 appliance (custom attributes,
 * LicenseUsage), validation against the XSD the appliance serves, line-oriented counting, injection attempts
 * in every parameter of every report with no state change, and listing records against an old data dir.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { generateSessions } from '../../functions/emulator/app/session-generator.js';
import { ensureListingRecords, iterateSessions, listingRecordsComplete, sessionToItem } from '../../functions/emulator/app/session-store.js';
import { API_NAMESPACE } from '../../functions/platform/core/versions.js';
import type { SupportSession } from '../../functions/emulator/core/session.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { sampleSession } from '../helpers/sessions.js';
import { siteRequest } from '../helpers/site-client.js';
import { grepCount, siteApi } from '../helpers/site-api.js';
import { attrsOf, expectValid, xsdErrors } from '../helpers/xml.js';

let rt: TestRuntime;
const SITES = { legacy: { id: 'rep-legacy', version: '10.5.2' }, modern: { id: 'rep-modern', version: '10.6.0' }, current: { id: 'rep-current', version: '14.1.0' } } as const;
type Site = keyof typeof SITES;
const clients = {} as Record<Site, ReturnType<typeof siteApi>>;
const bearer = {} as Record<Site, string>;
const schemas = {} as Record<Site, string>;
const stored = {} as Record<Site, SupportSession[]>;
const ALL = { start_date: '2000-01-01', duration: '0' };

async function allSessions(applianceId: string) {
  const out: SupportSession[] = [];
  for await (const s of iterateSessions(rt.services, applianceId)) out.push(s);
  return out;
}

async function fingerprint(applianceId: string) {
  const items = await rt.services.records.sessions.query({ pk: `APPLIANCE#${applianceId}`, limit: 10_000 });
  const appliance = await rt.services.records.appliances.get({ pk: `APPLIANCE#${applianceId}`, sk: 'PROFILE' });
  return JSON.stringify({ items: items.items, appliance });
}

beforeAll(async () => {
  rt = await startTestRuntime();
  for (const [site, { id, version }] of Object.entries(SITES) as [Site, (typeof SITES)[Site]][]) {
    // Few licenses on the 14.1 site, so peak usage reaches the 90% the vendor logs at.
    const appliance = await createAppliance(rt.services, sampleAppliance(id, { productVersion: version, hostname: `${id}.support.example.com`, ...(site === 'current' ? { license: { primaryHostname: 'support.example.com', licenseCount: 2, expires: null } } : {}) }));
    await generateSessions(rt.services, { ...appliance, version: 1 }, { count: 50, days: 20, activeFraction: 0.06, seed: site.length });
    const res = await fetch(`${rt.url}/v1/appliances/${id}/api-accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'reports', permissions: { reporting: true } }) });
    const account = (await res.json()) as { clientId: string; clientSecret: string };
    const issued = await rawFetch(`${rt.url}/appliances/${id}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const token = ((await issued.json()) as { access_token: string }).access_token;
    bearer[site] = `Bearer ${token}`;
    clients[site] = siteApi(`${rt.url}/appliances/${id}`, () => ({ authorization: `Bearer ${token}` }));
    schemas[site] = await clients[site].xsd('reporting');
    stored[site] = await allSessions(id);
  }
}, 120_000);
afterAll(() => rt?.dispose());

const each = (fn: (site: Site) => Promise<void>) => Promise.all((Object.keys(SITES) as Site[]).map(fn));
const rootLine = (site: Site, root: string) => (SITES[site].version === '10.5.2' ? `<${root}>` : `<${root} xmlns="${API_NAMESPACE}">`);

async function valid(site: Site, params: Record<string, string>, root: string) {
  const res = await clients[site].report(params);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/xml; charset=UTF-8');
  const lines = res.text.trimEnd().split('\n');
  expect(lines[0]).toBe('<?xml version="1.0" encoding="UTF-8"?>');
  expect(lines[1]).toBe(rootLine(site, root));
  expect(lines.at(-1)).toBe(`</${root}>`);
  expect(res.text).not.toContain('<error');
  await expectValid(res.text, schemas[site]);
  return res.text;
}

describe('each report: documented root and children, every flavor, valid against the served XSD', () => {
  it('SupportSession: the full record; lseq after session_type from 10.6; custom_attributes from 14.1; grep -c "<session " counts sessions', async () => {
    await each(async (site) => {
      const xml = await valid(site, { generate_report: 'SupportSession', ...ALL }, 'session_list');
      expect(grepCount(xml, 'session')).toBe(stored[site].length);
      expect(xml.split('\n').filter((l) => l.startsWith('<session lsid=')).length).toBe(stored[site].length);
      for (const child of ['session_type', 'start_time', 'public_site', 'external_key', 'file_transfer_count', 'primary_customer', 'customer_list', 'rep_list', 'session_details', 'session_chat_view_url']) {
        expect(grepCount(xml, child), child).toBe(stored[site].length);
      }
      const completed = stored[site].filter((s) => s.status === 'completed').length;
      expect(grepCount(xml, 'end_time')).toBe(completed);
      expect(grepCount(xml, 'duration')).toBe(completed);
      expect(grepCount(xml, 'lseq')).toBe(site === 'legacy' ? 0 : stored[site].length);
      expect(grepCount(xml, 'custom_attributes')).toBe(site === 'current' ? stored[site].length : 0);
      expect(grepCount(xml, 'event')).toBe(stored[site].reduce((n, s) => n + s.events!.length, 0));
      expect(grepCount(xml, 'representative')).toBe(stored[site].reduce((n, s) => n + s.representatives!.length, 0));
      expect(grepCount(xml, 'cust_exit_survey')).toBe(stored[site].filter((s) => s.customerSurveys).length);
      if (site !== 'legacy') expect(xml).toMatch(/<session lsid="[0-9a-f]{32}">\n<session_type>support<\/session_type>\n<lseq>\d+<\/lseq>\n<start_time timestamp="\d+">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00<\/start_time>\n/);
      else expect(xml).toMatch(/<session lsid="\d+">\n<session_type>support<\/session_type>\n<start_time timestamp="\d+">/);
      // one element per line: no line holds two start tags
      for (const line of xml.split('\n')) expect(line.match(/<[a-z_]+[ >/]/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
    });
  });

  it('SupportSession by lsid shows that session’s participants, surveys and events as stored', async () => {
    const s = stored.modern.find((x) => x.status === 'completed' && x.customerSurveys && x.fileTransfers > 0) ?? stored.modern.find((x) => x.status === 'completed' && x.customerSurveys)!;
    const xml = await valid('modern', { generate_report: 'SupportSession', lsid: s.lsid }, 'session_list');
    const rep = s.representatives![0]!;
    expect(xml).toContain(`<primary_rep gsnumber="${rep.gsnumber}" id="${rep.id}">`);
    expect(xml).toContain(`<representative gsnumber="${rep.gsnumber}" id="${rep.id}">\n<primary_rep>1</primary_rep>\n<username>${rep.username}</username>\n`);
    expect(xml).toContain(`<seconds_involved>${rep.secondsInvolved}</seconds_involved>`);
    expect(xml).toContain(`<file_transfer_count>${s.fileTransfers}</file_transfer_count>`);
    expect(xml).toContain(`<public_site id="${s.publicSiteId}">`);
    expect(xml).toContain(`<cust_exit_survey gsnumber="${s.customerSurveys![0]!.gsnumber}">`);
    expect(grepCount(xml, 'event')).toBe(s.events!.length);
    expect(xml).toContain('event_type="Chat Message">\n<performed_by type="representative"');
  });

  it('SupportSessionListing: one self-closing <session_summary lsid external_key has_recording/> per session', async () => {
    await each(async (site) => {
      const xml = await valid(site, { generate_report: 'SupportSessionListing', ...ALL }, 'session_summary_list');
      expect(grepCount(xml, 'session_summary')).toBe(stored[site].length);
      expect(attrsOf(xml, 'session_summary', 'lsid').sort()).toEqual(stored[site].map((s) => s.lsid).sort());
      expect(attrsOf(xml, 'session_summary', 'external_key').sort()).toEqual(stored[site].map((s) => s.externalKey).filter(Boolean).sort());
      expect(xml.split('\n').filter((l) => l.startsWith('<session_summary ')).every((l) => l.endsWith(' has_recording="0"/>'))).toBe(true);
    });
  });

  it('SupportSessionSummary: report_type rep, team and site add up to the sessions in the window', async () => {
    await each(async (site) => {
      for (const by of ['rep', 'team', 'site'] as const) {
        const xml = await valid(site, { generate_report: 'SupportSessionSummary', ...ALL, report_type: by }, 'summary_list');
        const counts = [...xml.matchAll(/<session_count>(\d+)<\/session_count>/g)].map((m) => Number(m[1]));
        const element = by === 'rep' ? 'representative' : by === 'team' ? 'team' : 'public_site';
        expect(grepCount(xml, element)).toBe(counts.length);
        const expected = by === 'rep' ? stored[site].reduce((n, s) => n + s.representatives!.length, 0) : stored[site].length;
        expect(counts.reduce((a, b) => a + b, 0), by).toBe(expected);
      }
    });
  });

  it('SupportCustExitSurvey / SupportRepExitSurvey: one <exit_survey> per submitted survey; id and report_type filter', async () => {
    await each(async (site) => {
      const cust = await valid(site, { generate_report: 'SupportCustExitSurvey', ...ALL, report_type: 'rep', id: 'all' }, 'exit_survey_list');
      expect(grepCount(cust, 'exit_survey')).toBe(stored[site].filter((s) => s.customerSurveys).length);
      expect(cust).toMatch(/<exit_survey lsid="[^"]+" timestamp="\d+">\n<submitted_by type="customer" gsnumber="2">/);
      expect(cust).toContain('<question id="1">\n<type>radio</type>\n<label>');
      const rep = await valid(site, { generate_report: 'SupportRepExitSurvey', ...ALL, report_type: 'rep', id: 'all' }, 'exit_survey_list');
      expect(grepCount(rep, 'exit_survey')).toBe(stored[site].filter((s) => s.representativeSurveys).length);
      const repId = stored[site].find((s) => s.customerSurveys)!.representatives![0]!.id;
      const byRep = await valid(site, { generate_report: 'SupportCustExitSurvey', ...ALL, report_type: 'rep', id: String(repId) }, 'exit_survey_list');
      expect(grepCount(byRep, 'exit_survey')).toBe(stored[site].filter((s) => s.customerSurveys && s.representatives!.some((r) => r.id === repId)).length);
      const teamId = stored[site].find((s) => s.customerSurveys)!.teamId!;
      const byTeam = await valid(site, { generate_report: 'SupportCustExitSurvey', ...ALL, report_type: 'team', id: String(teamId) }, 'exit_survey_list');
      expect(grepCount(byTeam, 'exit_survey')).toBe(stored[site].filter((s) => s.customerSurveys && s.teamId === teamId).length);
      const withSurvey = stored[site].filter((s) => s.customerSurveys).slice(0, 2).map((s) => s.lsid);
      const byLsids = await valid(site, { generate_report: 'SupportCustExitSurvey', lsids: withSurvey.join(','), report_type: 'rep' }, 'exit_survey_list');
      expect(attrsOf(byLsids, 'exit_survey', 'lsid').sort()).toEqual(withSurvey.sort());
    });
  });

  it('SupportTeam: the window, then one <team_activity> per team with activity; team_id filters', async () => {
    await each(async (site) => {
      const xml = await valid(site, { generate_report: 'SupportTeam', start_time: '946684800', duration: '0' }, 'team_activity_list');
      const lines = xml.split('\n');
      expect(lines[2]).toMatch(/^<start_time timestamp="946684800">2000-01-01T00:00:00\+00:00<\/start_time>$/);
      expect(lines[3]).toMatch(/^<end_time timestamp="\d+">/);
      const teams = [...new Set(stored[site].map((s) => s.teamId))];
      expect(attrsOf(xml, 'team_activity', 'id').map(Number).sort()).toEqual(teams.sort());
      expect(xml.split('\n').filter((l) => l.includes('event_type="Session Entered Team Queue"')).length).toBe(stored[site].length);
      const one = await valid(site, { generate_report: 'SupportTeam', ...ALL, team_id: String(teams[0]) }, 'team_activity_list');
      expect(attrsOf(one, 'team_activity', 'id')).toEqual([String(teams[0])]);
    });
  });

  it('LicenseUsage: from 14.1 (API 1.10.0+), peak usage by hour/day/month at 90% of the licenses; an unknown report type before', async () => {
    const xml = await valid('current', { generate_report: 'LicenseUsage', ...ALL, group_by: 'day' }, 'license_usage');
    expect(xml).toContain('<group_by>day</group_by>\n<license_time_intervals>');
    expect(grepCount(xml, 'license_time_interval')).toBeGreaterThan(0);
    for (const [, used] of xml.matchAll(/<licenses_in_use>(\d+)<\/licenses_in_use>/g)) expect(Number(used)).toBeGreaterThanOrEqual(2); // 90% of 2 licenses
    const monthly = await valid('current', { generate_report: 'LicenseUsage', start_date: '2000-01-01', duration: '0', group_by: 'month' }, 'license_usage');
    expect(grepCount(monthly, 'license_time_interval')).toBeLessThanOrEqual(2);
    for (const site of ['legacy', 'modern'] as const) {
      const refused = await clients[site].report({ generate_report: 'LicenseUsage', ...ALL, group_by: 'day' });
      expect(refused.status).toBe(200);
      expect(refused.headers.get('x-error-code')).toBe('UnknownReportType');
      expect(refused.text.split('\n')[1]).toMatch(/^<error( xmlns="[^"]+")?>unknown report type/);
      await expectValid(refused.text, schemas[site]);
    }
  });

  it('at the site root (Host header) and on the .ns alias, the same bytes as under /appliances/:id', async () => {
    const query = new URLSearchParams({ generate_report: 'SupportSessionSummary', ...ALL, report_type: 'team' }).toString();
    const viaPath = await clients.modern.report(Object.fromEntries(new URLSearchParams(query)));
    const authorization = bearer.modern;
    for (const path of ['/api/reporting', '/api/reporting.ns']) {
      const res = await siteRequest(`${rt.url}${path}?${query}`, { host: `${SITES.modern.id}.support.example.com`, headers: { authorization } });
      expect(res.status, path).toBe(200);
      expect(res.body, path).toBe(viaPath.text);
    }
  });

  it('POST form and GET query answer the same bytes', async () => {
    const params = { generate_report: 'SupportSessionSummary', ...ALL, report_type: 'site' };
    const [get, post] = await Promise.all([clients.modern.report(params), clients.modern.reportByForm(params)]);
    expect(post.text).toBe(get.text);
  });
});

describe('injection attempts in every parameter of every report: well-formed, valid XML, nothing changes', () => {
  const INJECTIONS = ['"/><x a="1">', '</session_list><x/>', "' OR '1'='1", ']]><!--&amp;', '\u0000\u0007\uFFFE\uD800', '1e309', ' 1,2'];
  const REPORTS: Record<string, Record<string, string>> = {
    SupportSession: { ...ALL },
    SupportSessionListing: { ...ALL },
    SupportSessionSummary: { ...ALL, report_type: 'rep' },
    SupportCustExitSurvey: { ...ALL, report_type: 'rep', id: 'all' },
    SupportRepExitSurvey: { ...ALL, report_type: 'team', id: '1' },
    SupportTeam: { ...ALL, team_id: '1' },
    LicenseUsage: { ...ALL, group_by: 'hour' },
  };
  it('every report, every parameter it takes (and generate_report itself), every injection', async () => {
    const before = await fingerprint(SITES.current.id);
    const validated = new Set<string>();
    for (const [report, params] of Object.entries(REPORTS)) {
      for (const name of ['generate_report', ...Object.keys(params), 'lsid']) {
        for (const injection of INJECTIONS) {
          const res = await clients.current.report({ generate_report: report, ...params, [name]: injection });
          expect(res.status, `${report} ${name}=${JSON.stringify(injection)}`).toBe(200);
          expect(res.text).not.toMatch(/<x[ />]/);
          // many refusals are the same bytes: each distinct body is validated once
          if (!validated.has(res.text)) expect(await xsdErrors(res.text, schemas.current), `${report} ${name}=${JSON.stringify(injection)}`).toEqual([]);
          validated.add(res.text);
          expect(res.headers.get('x-error-code'), `${report} ${name}`).toBeTruthy();
        }
      }
    }
    expect(await fingerprint(SITES.current.id)).toBe(before);
  }, 120_000);
});

describe('listing records on the real store', () => {
  it('an old data dir (sessions without listing records) lists the same before and after the backfill', async () => {
    const id = 'rep-old-data';
    await createAppliance(rt.services, sampleAppliance(id, { productVersion: '10.6.0' }));
    const old = Array.from({ length: 1200 }, (_, i) =>
      sampleSession(id, i.toString(16).padStart(32, '0'), { lseq: i + 1, startTime: new Date(Date.parse('2026-01-01T00:00:00Z') + i * 600_000).toISOString(), endTime: new Date(Date.parse('2026-01-01T00:05:00Z') + i * 600_000).toISOString(), duration: 300, externalKey: i % 3 ? `INC${i}` : '' }),
    );
    // written as a release before listing records did: the session items only
    await rt.services.records.sessions.batchPut(old.map(sessionToItem));
    await rt.services.records.sessions.put({ pk: `APPLIANCE#${id}`, sk: 'META#STATS', maxDuration: 300 });
    const token = await (async () => {
      const account = (await (await fetch(`${rt.url}/v1/appliances/${id}/api-accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"permissions":{"reporting":true}}' })).json()) as { clientId: string; clientSecret: string };
      const issued = await rawFetch(`${rt.url}/appliances/${id}/oauth2/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
      return ((await issued.json()) as { access_token: string }).access_token;
    })();
    const client = siteApi(`${rt.url}/appliances/${id}`, () => ({ authorization: `Bearer ${token}` }));
    const windows = [ALL, { start_date: '2026-01-03', duration: '2' }, { end_time: String(Date.parse('2026-01-05T00:02:00Z') / 1000), duration: '86400' }];
    const listings = async () => Promise.all(windows.map(async (w) => (await client.report({ generate_report: 'SupportSessionListing', ...w })).text));
    expect(await listingRecordsComplete(rt.services, id)).toBe(false);
    const before = await listings();
    expect(grepCount(before[0]!, 'session_summary')).toBe(1200);
    expect(grepCount(before[1]!, 'session_summary')).toBe(288);
    expect(grepCount(before[2]!, 'session_summary')).toBe(144);
    expect(await ensureListingRecords(rt.services, id)).toBe(1200);
    expect(await listingRecordsComplete(rt.services, id)).toBe(true);
    expect(await listings()).toEqual(before);
  });
});
