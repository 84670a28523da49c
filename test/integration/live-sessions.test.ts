/**
 * The live session lifecycle over the wire (issue 14), as the customer client and the representative console
 * reach a site: by its hostname in Host, never the store. Refusals change no state; while the appliance installs,
 * requests get 503 + Retry-After, the active session ends with the appliance's end reason and the representative
 * is logged out; the console logs in again (and upgrades) once the site is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPackageCatalog } from '../../functions/emulator/app/appliance-seed.js';
import { createAppliance, requireAppliance } from '../../functions/emulator/app/appliance-store.js';
import { startInstall } from '../../functions/emulator/app/install.js';
import { getSession, iterateSessions } from '../../functions/emulator/app/session-store.js';
import { createSiteUser } from '../../functions/emulator/app/site-users.js';
import { getConsole } from '../../functions/emulator/app/staff-console-store.js';
import { queryAll } from '../../functions/platform/core/ports.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { form, siteRequest } from '../helpers/site-client.js';

let rt: TestRuntime;
const HOST = { modern: 'live-1060.example.com', legacy: 'live-1052.example.com' };
const REP = { username: 'rep-ann', password: 'rep-ann-password' };

const post = async (host: string, path: string, params: Record<string, string>) => {
  const res = await siteRequest(`${rt.url}${path}`, { method: 'POST', host, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(params) });
  return { status: res.status, headers: res.headers, body: JSON.parse(res.body || '{}') as Record<string, any> };
};
const rep = (host: string, path: string, params: Record<string, string> = {}) => post(host, path, { ...REP, console_id: 'ann-laptop', ...params });
const customer = (host: string, key: string) => post(host, '/api/start_session', { issue_menu: '1', 'customer.name': 'Kim', 'customer.company': 'ACME', 'customer.details': 'printer', 'session.custom.external_key': key });

async function stateOf(applianceId: string) {
  const sessions = await queryAll(rt.services.records.sessions, { pk: `APPLIANCE#${applianceId}` });
  const appliance = await queryAll(rt.services.records.appliances, { pk: `APPLIANCE#${applianceId}` });
  return JSON.stringify({ sessions, appliance: appliance.filter((i) => !String(i.sk).startsWith('API-USAGE#')) });
}

beforeAll(async () => {
  rt = await startTestRuntime({ env: { TIME_SCALE_MS_PER_MINUTE: '20' } });
  await seedPackageCatalog(rt.services);
  for (const [id, version, hostname] of [['live-1060', '10.6.0', HOST.modern], ['live-1052', '10.5.2', HOST.legacy]] as const) {
    await createAppliance(rt.services, sampleAppliance(id, { productVersion: version, hostname }));
    await createSiteUser(rt.services, id, { username: REP.username, password: REP.password, permissions: { provideRemoteSupport: true, reportingApi: true }, disabled: false, showOnRepList: true });
  }
});
afterAll(() => rt?.dispose());

describe('a session from request to end', () => {
  it('is requested, accepted, has events, ends, and is reported with its external key, events and survey', async () => {
    const started = await customer(HOST.modern, 'ext-life-1');
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ status: 'active', queue: 'general', externalKey: 'ext-life-1', servedBy: 'live-1060' });
    expect(started.body.lsid).toMatch(/^[0-9a-f]{32}$/);
    expect(typeof started.body.lseq).toBe('number');

    // Not logged in yet: refused, nothing changes.
    const before = await stateOf('live-1060');
    const early = await rep(HOST.modern, '/rep-console/accept', { lsid: started.body.lsid });
    expect(early.status).toBe(401);
    expect(early.body.code).toBe('ConsoleNotLoggedIn');
    expect(await stateOf('live-1060')).toBe(before);

    expect((await rep(HOST.modern, '/rep-console/login')).body).toMatchObject({ loggedIn: true, servedBy: 'live-1060', version: '10.6.0' });
    const accepted = await rep(HOST.modern, '/rep-console/accept', { lsid: started.body.lsid });
    expect(accepted.status).toBe(200);
    expect((await rep(HOST.modern, '/rep-console/accept', { lsid: started.body.lsid })).status).toBe(200); // a retried accept answers the same
    const events: Record<string, string>[] = [{ event: 'chat', body: 'Hello <Kim>' }, { event: 'system-info' }, { event: 'file', file_name: 'log.zip', file_size: '2048' }];
    for (const e of events) {
      expect((await rep(HOST.modern, '/rep-console/event', { lsid: started.body.lsid, ...e })).status).toBe(200);
    }
    const ended = await post(HOST.modern, '/customer/end', { lsid: started.body.lsid, customer_token: started.body.customerToken, 'survey.rating': '5', 'survey.comments': 'great' });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'completed', endReason: 'completed', lsid: started.body.lsid });
    // The retry after a lost answer gets the same record.
    expect((await post(HOST.modern, '/customer/end', { lsid: started.body.lsid, customer_token: started.body.customerToken })).body.endTime).toBe(ended.body.endTime);

    const stored = await getSession(rt.services, 'live-1060', started.body.lsid);
    expect(stored).toMatchObject({ status: 'completed', endReason: 'completed', fileTransfers: 1, representativeName: 'rep-ann', externalKey: 'ext-life-1' });
    expect(stored!.events!.map((e) => e.eventType)).toEqual(['Session Start', 'Conference Owner Changed', 'Chat Message', 'System Information Retrieved', 'File Download', 'Conference Member Departed', 'Session End']);
    expect(stored!.customerSurveys![0]!.answers.map((a) => a.answer)).toEqual(['5', 'great']);

    const report = await siteRequest(`${rt.url}/api/reporting?${new URLSearchParams({ generate_report: 'SupportSession', lsid: started.body.lsid, ...REP })}`, { host: HOST.modern });
    expect(report.status).toBe(200);
    expect(report.body).toContain(`<session lsid="${started.body.lsid}">`);
    expect(report.body).toContain('<external_key>ext-life-1</external_key>');
    expect(report.body).toContain('Hello &lt;Kim&gt;');
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const started = await customer(HOST.modern, 'ext-bad-1');
    await rep(HOST.modern, '/rep-console/login');
    const before = await stateOf('live-1060');
    const cases: [string, Record<string, string>, number, string][] = [
      ['/api/start_session', { 'customer.name': 'x' }, 400, 'MissingParameter'],
      ['/api/start_session', { short_key: '12' }, 400, 'InvalidParameter'],
      ['/api/start_session', { short_key: '1234567' }, 404, 'SessionKeyNotFound'],
      ['/api/start_session', { issue_menu: '1', 'customer.name': 'a\u0001b' }, 400, 'InvalidParameter'],
      ['/customer/end', { lsid: started.body.lsid, customer_token: 'forged' }, 401, 'CustomerTokenInvalid'],
      ['/customer/end', { lsid: 'not-a-lsid', customer_token: 'x' }, 400, 'InvalidLsid'],
    ];
    for (const [path, params, status, code] of cases) {
      const answer = await post(HOST.modern, path, params);
      expect([path, answer.status, answer.body.code]).toEqual([path, status, code]);
    }
    const repCases: [string, Record<string, string>, number, string][] = [
      ['/rep-console/accept', { lsid: 'f'.repeat(32) }, 404, 'SessionNotFound'],
      ['/rep-console/event', { lsid: started.body.lsid, event: 'chat', body: 'x' }, 409, 'NotSessionOwner'],
      ['/rep-console/end', { lsid: started.body.lsid }, 409, 'NotSessionOwner'],
      ['/rep-console/accept', { lsid: started.body.lsid, password: 'wrong-password' }, 401, 'LoginFailed'],
    ];
    for (const [path, params, status, code] of repCases) {
      const answer = await rep(HOST.modern, path, params);
      expect([path, answer.status, answer.body.code]).toEqual([path, status, code]);
    }
    // Ending a session nobody accepted is refused too.
    expect((await post(HOST.modern, '/customer/end', { lsid: started.body.lsid, customer_token: started.body.customerToken })).body.code).toBe('SessionNotAccepted');
    expect(await stateOf('live-1060')).toBe(before);
  });
});

describe('while the appliance installs', () => {
  it('refuses requests with 503 + Retry-After, ends the active session as the appliance does, logs the representative out; the console logs in again and upgrades after', async () => {
    const started = await customer(HOST.legacy, 'ext-install-1');
    expect(started.body.lsid).toMatch(/^[1-9][0-9]*$/);
    await rep(HOST.legacy, '/rep-console/login');
    expect((await rep(HOST.legacy, '/rep-console/accept', { lsid: started.body.lsid })).status).toBe(200);

    await startInstall(rt.services, 'live-1052', 'bomgar-10.6.0');
    const refused = await customer(HOST.legacy, 'ext-install-2');
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('SiteUnavailable');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await rep(HOST.legacy, '/rep-console/end', { lsid: started.body.lsid })).status).toBe(503);
    expect((await getSession(rt.services, 'live-1052', started.body.lsid))?.endReason).toBe('terminated-by-upgrade');
    expect((await getConsole(rt.services, 'live-1052', 'ann-laptop'))?.lastLogout?.reason).toBe('terminated-by-upgrade');

    await eventually(async () => ((await requireAppliance(rt.services, 'live-1052')).state === 'online' ? true : undefined), 20_000, 50);
    // Logged out by the install: the console must log in again; then it runs the site's new version.
    expect((await rep(HOST.legacy, '/rep-console/accept', { lsid: 'f'.repeat(32) })).body.code).toBe('ConsoleNotLoggedIn');
    expect((await rep(HOST.legacy, '/rep-console/login')).body).toMatchObject({ loggedIn: true, version: '10.6.0' });
    // The session cut off by the install cannot be continued: the answer says how it ended.
    const all: string[] = [];
    for await (const s of iterateSessions(rt.services, 'live-1052')) if (s.externalKey === 'ext-install-1') all.push(s.lsid);
    expect(all).toHaveLength(1);
    const gone = await rep(HOST.legacy, '/rep-console/end', { lsid: all[0]! });
    expect(gone.status).toBe(409);
    expect(gone.body).toMatchObject({ code: 'SessionEnded', endReason: 'terminated-by-upgrade' });
  });
});
