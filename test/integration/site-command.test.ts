/**
 * The command API and the appliance's authentication, reached only over HTTP as an outside integration would
 * (helpers take a base URL: today `/appliances/:id`, the site root once sites are mounted there). Versions:
 * 10.5.2 (API 1.4.0, no namespace), 10.6.0 (1.5.0, namespaced), 11.1.1 (1.6.0, the 14.1 additions),
 * 21.1.0 (1.21.0: split display names, leave_session).
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { listApiUsage } from '../../functions/emulator/app/api-usage.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { kdf } from '../../functions/platform/app/credential-hash.js';
import { generateSessions } from '../../functions/emulator/app/session-generator.js';
import { getSessionKey, redeemSessionKey } from '../../functions/emulator/app/session-keys.js';
import { getSession, iterateSessions } from '../../functions/emulator/app/session-store.js';
import { forgetVerifiedPasswords } from '../../functions/emulator/app/site-users.js';
import { sourceLimits } from '../../functions/emulator/app/source-limits.js';
import { queryAll } from '../../functions/platform/core/ports.js';
import type { SupportSession } from '../../functions/emulator/core/session.js';
import { API_NAMESPACE } from '../../functions/platform/core/versions.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { basicAuth, fromSource, siteClient, type Auth, type SiteClient } from '../helpers/command-client.js';
import { attrsOf, expectAllValid, expectValid } from '../helpers/xml.js';

let rt: TestRuntime;
const V = { legacy: 'cmd-1052', ns: 'cmd-1060', full: 'cmd-1111', modern: 'cmd-2110' } as const;
const VERSIONS: Record<string, string> = { [V.legacy]: '10.5.2', [V.ns]: '10.6.0', [V.full]: '11.1.1', [V.modern]: '21.1.0' };
const site: Record<string, SiteClient> = {};
const xsd: Record<string, { command: string; reporting: string }> = {};
const ids: Record<string, Record<string, number>> = {};
const PASSWORD = { admin: 'admin-password-1', api: 'api-password-1', reader: 'reader-password-1', rep: 'rep-password-1', nobody: 'nobody-password-1', gone: 'gone-password-1' };
const as = (user: keyof typeof PASSWORD | 'alice' | 'bob' | 'carol', via: 'query' | 'form' = 'query'): Auth => ({ user, password: PASSWORD[user as keyof typeof PASSWORD] ?? PASSWORD.rep, via });
const ns = (id: string) => (VERSIONS[id] === '10.5.2' ? '' : ` xmlns="${API_NAMESPACE}"`);

const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${rt.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
};

async function sessionsOf(applianceId: string): Promise<SupportSession[]> {
  const out: SupportSession[] = [];
  for await (const s of iterateSessions(rt.services, applianceId)) out.push(s);
  return out;
}

/** Everything a refusal must leave untouched: the appliance's records (but the API usage notes) and its sessions. */
async function stateOf(applianceId: string): Promise<string> {
  const items = await queryAll(rt.services.records.appliances, { pk: `APPLIANCE#${applianceId}` });
  return JSON.stringify({ items: items.filter((i) => !String(i.sk).startsWith('API-USAGE#')), sessions: await sessionsOf(applianceId) });
}

beforeAll(async () => {
  rt = await startTestRuntime();
  for (const [id, version] of Object.entries(VERSIONS)) {
    const appliance = await createAppliance(rt.services, sampleAppliance(id, { productVersion: version, hostname: `${id}.support.example.com` }));
    await generateSessions(rt.services, appliance, { count: 12, days: 2, activeFraction: 0.5, seed: version.length });
    site[id] = siteClient(`${rt.url}/appliances/${id}`);
    ids[id] = {};
    const users: [string, string, Record<string, boolean>, boolean?][] = [
      ['admin', PASSWORD.admin, { administrator: true, commandApi: true, provideRemoteSupport: true, reportingApi: true, backupApi: true }],
      ['api', PASSWORD.api, { commandApi: true, provideRemoteSupport: true, reportingApi: true, backupApi: true }],
      ['reader', PASSWORD.reader, { commandApi: true }],
      ['alice', PASSWORD.rep, { provideRemoteSupport: true }],
      ['bob', PASSWORD.rep, { provideRemoteSupport: true }],
      ['carol', PASSWORD.rep, { provideRemoteSupport: true }],
      ['nobody', PASSWORD.nobody, {}],
      ['gone', PASSWORD.gone, { administrator: true, commandApi: true }, true],
    ];
    for (const [username, password, permissions, disabled] of users) {
      const res = await admin('POST', `/appliances/${id}/login/users`, { username, password, permissions, publicDisplayName: `${username[0]!.toUpperCase()}${username.slice(1)} Public`, privateDisplayName: `${username} (private)`, disabled: disabled ?? false });
      expect(res.status).toBe(201);
      ids[id]![username] = res.body.userId;
    }
    for (const [consoleId, username, loggedIn] of [['alice-laptop', 'alice', true], ['bob-desk', 'bob', true], ['carol-desk', 'carol', false]] as const) {
      expect((await admin('POST', `/appliances/${id}/staff-consoles`, { consoleId, username, deployment: 'auto-update', loggedIn })).status).toBe(201);
    }
    const techSupport = await admin('POST', `/appliances/${id}/login/support-teams`, { name: 'Tech Support', codeName: 'tech_support', members: [{ userId: ids[id]!.alice, role: 'lead' }, { userId: ids[id]!.bob }], issues: ['printer'] });
    expect(techSupport.status).toBe(201);
    expect((await admin('POST', `/appliances/${id}/login/support-teams`, { name: 'Network <& Co>', codeName: 'network', members: [{ userId: ids[id]!.carol }] })).status).toBe(201);
    xsd[id] = { command: (await site[id]!.get('/api/command.xsd')).text, reporting: (await site[id]!.get('/api/reporting.xsd')).text };
  }
});
afterAll(() => rt?.dispose());
// Each test starts with no failures counted against the test client's address (the lockout test uses its own addresses).
beforeEach(() => sourceLimits(rt.services).authFailures.clear());

const activeOf = async (id: string) => (await sessionsOf(id)).filter((s) => s.status === 'active');

describe('user-account credentials (username + password), both ways, every version', () => {
  it.each(Object.keys(VERSIONS))('%s: get_api_info with the credential in the query string and in a form body', async (id) => {
    for (const via of ['query', 'form'] as const) {
      const res = await site[id]!.command({ action: 'get_api_info' }, as('api', via));
      expect(res.status).toBe(200);
      expect(res.text).toContain(`<get_api_info${ns(id)}>\n<api_version>`);
      expect(res.text).toMatch(/<timestamp>\d{10}<\/timestamp>/);
      // A user has no API account permissions to show (they appear with OAuth API accounts).
      expect(res.text).not.toContain('<permissions>');
      await expectValid(res.text, xsd[id]!.command);
    }
  });

  it('get_api_info needs no command permission for a user; the other actions do', async () => {
    const ok = await site[V.ns]!.command({ action: 'get_api_info' }, as('nobody'));
    expect(ok.text).toContain('<api_version>1.5.0</api_version>');
    const denied = await site[V.ns]!.command({ action: 'get_logged_in_reps' }, as('nobody'));
    expect(denied.status).toBe(200);
    expect(denied.headers.get('x-error-code')).toBe('PermissionDenied');
    expect(denied.text).toContain(`<logged_in_reps${ns(V.ns)}>\n<error>Permission denied: the user is not allowed to use the command API</error>\n</logged_in_reps>`);
    await expectValid(denied.text, xsd[V.ns]!.command);
  });

  it('a failed login is `<error>Login failed</error>` byte for byte inside the action root, with HTTP 200, on every form', async () => {
    const attempts: [string, Auth][] = [
      ['wrong password (query)', { user: 'api', password: 'wrong-password', via: 'query' }],
      ['wrong password (form)', { user: 'api', password: 'wrong-password', via: 'form' }],
      ['unknown user', { user: 'mallory', password: PASSWORD.api }],
      ['disabled account', as('gone')],
      ['missing password', { user: 'api', password: '' }],
      ['username with markup', { user: '<x>&', password: 'p' }],
    ];
    for (const id of [V.legacy, V.ns]) {
      const before = await stateOf(id);
      for (const [name, auth] of attempts) {
        const res = await site[id]!.command({ action: 'get_logged_in_reps' }, auth);
        expect(res.status, name).toBe(200);
        expect(res.headers.get('x-error-code'), name).toBe('LoginFailed');
        expect(res.text, name).toBe(`<?xml version="1.0" encoding="UTF-8"?>\n<logged_in_reps${ns(id)}>\n<error>Login failed</error>\n</logged_in_reps>\n`);
      }
      await expectValid(`<?xml version="1.0" encoding="UTF-8"?>\n<logged_in_reps${ns(id)}>\n<error>Login failed</error>\n</logged_in_reps>\n`, xsd[id]!.command);
      // a report, as the Supportworks client reads it (strpos "<error>Login failed</error>")
      const report = await site[id]!.reporting({ generate_report: 'SupportSession', start_date: '2000-01-01', duration: '0' }, { user: 'api', password: 'nope-nope' });
      expect(report.status).toBe(200);
      expect(report.text).toContain(`<session_list${ns(id)}>\n<error>Login failed</error>\n</session_list>`);
      await expectValid(report.text, xsd[id]!.reporting);
      expect(await stateOf(id)).toBe(before);
    }
  });

  it('no credential at all → 401 with the same body; an action answering <success> has a root <error>', async () => {
    const res = await site[V.ns]!.command({ action: 'get_support_teams' }, undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect(res.text).toContain('<error>Login failed</error>');
    const success = await site[V.ns]!.command({ action: 'transfer_session', lsid: 'f'.repeat(32), queue_id: 'team:1' }, { user: 'api', password: 'wrong-password' });
    expect(success.status).toBe(200);
    expect(success.text).toBe(`<?xml version="1.0" encoding="UTF-8"?>\n<error xmlns="${API_NAMESPACE}">Login failed</error>\n`);
    await expectValid(success.text, xsd[V.ns]!.command);
  });

  it('remembers a successful password check briefly; a password change invalidates it', async () => {
    forgetVerifiedPasswords(rt.services);
    const scrypt = vi.spyOn(kdf, 'scrypt');
    try {
      for (let i = 0; i < 5; i++) expect((await site[V.full]!.command({ action: 'get_api_info' }, as('reader'))).text).toContain('<api_version>');
      expect(scrypt).toHaveBeenCalledTimes(1);
      expect((await admin('PATCH', `/appliances/${V.full}/login/users/reader`, { password: 'reader-password-2' })).status).toBe(200);
      const old = await site[V.full]!.command({ action: 'get_api_info' }, as('reader'));
      expect(old.text).toContain('<error>Login failed</error>');
      const fresh = await site[V.full]!.command({ action: 'get_api_info' }, { user: 'reader', password: 'reader-password-2' });
      expect(fresh.text).toContain('<api_version>1.6.0</api_version>');
    } finally {
      scrypt.mockRestore();
      await admin('PATCH', `/appliances/${V.full}/login/users/reader`, { password: PASSWORD.reader });
    }
  });

  it('failed logins limit the failing source, not the account (another address still logs in)', async () => {
    const url = (password: string) => `${site[V.legacy]!.base}/api/command?${new URLSearchParams({ action: 'get_api_info', username: 'alice', password })}`;
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await fromSource(url('not-her-password'), '127.0.0.3')).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
    // the right password from the limited source is refused too (the source is what is limited)...
    expect((await fromSource(url(PASSWORD.rep), '127.0.0.3')).status).toBe(429);
    // ...while the account itself is not locked: another address logs in at once
    const other = await fromSource(url(PASSWORD.rep), '127.0.0.4');
    expect(other.status).toBe(200);
    expect(other.text).toContain('<api_version>1.4.0</api_version>');
  });

  it('notes every authenticated call for the upgrade planning (listApiUsage)', async () => {
    await site[V.ns]!.command({ action: 'get_logged_in_reps' }, as('api'));
    const usage = await listApiUsage(rt.services, V.ns);
    expect(usage.find((u) => u.kind === 'user' && u.principalId === 'api')).toMatchObject({ name: 'Api Public', lastCall: expect.stringMatching(/^command:/) });
    expect(usage.some((u) => u.principalId === 'mallory')).toBe(false);
  });
});

describe('OAuth2 API accounts: every request form', () => {
  let account: { clientId: string; clientSecret: string };
  beforeAll(async () => {
    const res = await admin('POST', `/v1/appliances/${V.legacy}/api-accounts`, { name: 'itsm', permissions: { reporting: true, command: 'full', backup: false } });
    account = res.body as typeof account;
  });
  const form = 'application/x-www-form-urlencoded';

  it('Basic + form, client_id/client_secret in the form, JSON body: each gives a working token', async () => {
    const forms: [string, Record<string, string>, string][] = [
      ['Basic header + form body', { authorization: basicAuth(account.clientId, account.clientSecret), 'content-type': form }, 'grant_type=client_credentials'],
      ['credentials in the form body', { 'content-type': form }, new URLSearchParams({ grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret }).toString()],
      ['JSON body', { 'content-type': 'application/json' }, JSON.stringify({ grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret })],
      ['Basic header + JSON grant', { authorization: basicAuth(account.clientId, account.clientSecret), 'content-type': 'application/json; charset=utf-8' }, '{"grant_type":"client_credentials"}'],
    ];
    for (const [name, headers, body] of forms) {
      const res = await site[V.legacy]!.token(headers, body);
      expect(res.status, name).toBe(200);
      expect(res.json, name).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      expect(res.json.access_token, name).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const info = await site[V.legacy]!.command({ action: 'get_api_info' }, { bearer: String(res.json.access_token) });
      expect(info.text, name).toContain('<perm_command>full</perm_command>');
      await expectValid(info.text, xsd[V.legacy]!.command);
    }
  });

  it('refusals answer RFC 6749 errors and issue nothing', async () => {
    const before = await stateOf(V.legacy);
    const cases: [string, Record<string, string>, string, number, string][] = [
      ['wrong secret', { authorization: basicAuth(account.clientId, 'wrong'), 'content-type': form }, 'grant_type=client_credentials', 401, 'invalid_client'],
      ['unknown client', { 'content-type': form }, `grant_type=client_credentials&client_id=${'a'.repeat(32)}&client_secret=x`, 401, 'invalid_client'],
      ['no client authentication', { 'content-type': form }, 'grant_type=client_credentials', 401, 'invalid_client'],
      ['two authentication methods', { authorization: basicAuth(account.clientId, account.clientSecret), 'content-type': form }, `grant_type=client_credentials&client_secret=${account.clientSecret}`, 400, 'invalid_request'],
      ['grant_type twice', { authorization: basicAuth(account.clientId, account.clientSecret), 'content-type': form }, 'grant_type=client_credentials&grant_type=client_credentials', 400, 'invalid_request'],
      ['JSON that is not an object', { 'content-type': 'application/json' }, '["client_credentials"]', 400, 'invalid_request'],
      ['JSON with a number', { 'content-type': 'application/json' }, `{"grant_type":"client_credentials","client_id":"${account.clientId}","client_secret":7}`, 400, 'invalid_request'],
      ['malformed JSON', { 'content-type': 'application/json' }, '{"grant_type":', 400, 'invalid_request'],
      ['wrong grant', { authorization: basicAuth(account.clientId, account.clientSecret), 'content-type': form }, 'grant_type=password', 400, 'unsupported_grant_type'],
      ['missing grant', { authorization: basicAuth(account.clientId, account.clientSecret), 'content-type': form }, '', 400, 'invalid_request'],
      ['text/plain', { authorization: basicAuth(account.clientId, account.clientSecret), 'content-type': 'text/plain' }, 'grant_type=client_credentials', 415, 'invalid_request'],
      ['malformed Basic', { authorization: 'Basic !!!', 'content-type': form }, 'grant_type=client_credentials', 401, 'invalid_client'],
    ];
    for (const [name, headers, body, status, error] of cases) {
      const res = await site[V.legacy]!.token(headers, body);
      expect(res.status, name).toBe(status);
      expect(res.json.error, name).toBe(error);
      expect(res.text, name).not.toContain('access_token');
    }
    expect(await stateOf(V.legacy)).toBe(before);
  });
});

describe('the command API, action by action and version by version', () => {
  it('actions a version does not have answer as unknown actions; the schemas follow', async () => {
    for (const [id, has] of [[V.legacy, false], [V.ns, false], [V.full, true], [V.modern, true]] as const) {
      const res = await site[id]!.command({ action: 'get_appliances' }, as('admin'));
      expect(res.status).toBe(200);
      if (has) expect(res.text).toContain(`<appliances${ns(id)}>\n<appliance id="${id}">\n<name>${id}.support.example.com</name>`);
      else expect(res.text).toBe(`<?xml version="1.0" encoding="UTF-8"?>\n<error${ns(id)}>Invalid action</error>\n`);
      await expectValid(res.text, xsd[id]!.command);
      expect(xsd[id]!.command.includes('name="appliances"')).toBe(has);
    }
    const leave = await site[V.full]!.command({ action: 'leave_session', lsid: 'f'.repeat(32), customer: '1' }, as('admin'));
    expect(leave.text).toContain('>Invalid action</error>');
    // the control plane's actions exist everywhere
    for (const id of Object.keys(VERSIONS)) {
      const health = await site[id]!.command({ action: 'check_health' }, as('admin'));
      expect(health.text).toContain(`<check_health${ns(id)}>\n<appliance id="${id}">${id}.support.example.com</appliance>\n<version>${VERSIONS[id]}</version>\n<success>1</success>\n<failover_role>none</failover_role>\n</check_health>`);
      await expectValid(health.text, xsd[id]!.command);
    }
  });

  it('get_logged_in_reps: the reps with a logged-in console, one element per line; split display names from API 1.10.0', async () => {
    for (const id of [V.legacy, V.modern]) {
      const res = await site[id]!.command({ action: 'get_logged_in_reps' }, as('api'));
      expect(attrsOf(res.text, 'rep', 'id').map(Number)).toEqual([ids[id]!.alice, ids[id]!.bob]);
      expect(res.text).toContain(`<rep id="${ids[id]!.alice}">\n<display_name>Alice Public</display_name>\n`);
      expect(res.text).toContain('<type>Normal</type>');
      expect(res.text).toContain(`<direct_link>&lt;a href="https://${id}.support.example.com/?id=${ids[id]!.alice}"&gt;Alice Public&lt;/a&gt;</direct_link>`);
      expect(res.text).toMatch(/<logged_in_since ts="\d+">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00<\/logged_in_since>/);
      expect(res.text.includes('<private_display_name>alice (private)</private_display_name>')).toBe(id === V.modern);
      await expectValid(res.text, xsd[id]!.command);
    }
  });

  it('`grep -c display_name` on the body counts the logged-in reps', async () => {
    const res = await site[V.ns]!.command({ action: 'get_logged_in_reps' }, as('api'));
    const count = await new Promise<string>((resolve, reject) => {
      const grep = spawn('grep', ['-c', 'display_name'], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      grep.stdout.on('data', (d: Buffer) => (out += d));
      grep.once('error', reject);
      grep.once('close', () => resolve(out.trim()));
      grep.stdin.end(res.text);
    });
    expect(Number(count)).toBe(2);
    expect(Number(count)).toBe(attrsOf(res.text, 'rep', 'id').length);
  });

  it('get_support_teams: names; members with showmembers, also valueless; none with showmembers=0', async () => {
    const plain = await site[V.ns]!.command({ action: 'get_support_teams' }, as('api'));
    expect(attrsOf(plain.text, 'support_team', 'id')).toHaveLength(2);
    expect(plain.text).toContain('<name>Network &lt;&amp; Co&gt;</name>');
    expect(plain.text).not.toContain('<members>');
    const valueless = await site[V.ns]!.get(`/api/command?action=get_support_teams&showmembers&${new URLSearchParams({ username: 'api', password: PASSWORD.api })}`);
    expect(valueless.text).toContain(`<members>\n<representative id="${ids[V.ns]!.alice}">\n<display_name>Alice Public</display_name>\n</representative>\n<representative id="${ids[V.ns]!.bob}">`);
    const one = await site[V.ns]!.command({ action: 'get_support_teams', showmembers: '1' }, as('api'));
    expect(one.text).toBe(valueless.text);
    expect((await site[V.ns]!.command({ action: 'get_support_teams', showmembers: '0' }, as('api'))).text).not.toContain('<members>');
    for (const r of [plain, valueless]) await expectValid(r.text, xsd[V.ns]!.command);
  });

  it('generate_session_key: key, URL, expiry, queue; the stored key has custom attributes, priority, skills', async () => {
    const before = Date.now();
    const res = await site[V.ns]!.command(
      { action: 'generate_session_key', type: 'support', queue_id: 'issue:printer', ttl: '3600', external_key: 'INC0042', 'session.custom.asset_tag': 'PC-7', priority: 'high', skills: 'windows,printers', url_hostname: 'help.example.com' },
      as('api', 'form'),
    );
    expect(res.status).toBe(200);
    await expectValid(res.text, xsd[V.ns]!.command);
    const shortKey = /<short_key>(\d{7})<\/short_key>/.exec(res.text)?.[1];
    expect(shortKey).toBeDefined();
    expect(res.text).toContain(`<session_key${ns(V.ns)}>\n<type>support</type>\n<ttl>3600</ttl>\n<expires>`);
    expect(res.text).toContain('<queue>Tech Support</queue>\n<queue_id>team:1</queue_id>\n<external_key>INC0042</external_key>');
    expect(res.text).toContain(`<key_url>https://help.example.com/?ak=${shortKey}</key_url>`);
    const expires = Number(/<expires>(\d+)<\/expires>/.exec(res.text)![1]);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 3600);
    expect(expires).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3600);
    expect(await getSessionKey(rt.services, V.ns, shortKey!)).toMatchObject({ queue: 'team:1', queueId: 'issue:printer', externalKey: 'INC0042', customAttributes: { asset_tag: 'PC-7' }, priority: 'high', skills: ['windows', 'printers'], createdBy: 'user:api' });

    // every queue form resolves; an unknown queue target is an error and stores nothing
    for (const [queueId, queue] of [['general', 'general'], [`rep:${ids[V.ns]!.carol}`, `rep:${ids[V.ns]!.carol}`], ['rep_username:bob', `rep:${ids[V.ns]!.bob}`], ['team:2', 'team:2']]) {
      const r = await site[V.ns]!.command({ action: 'generate_session_key', type: 'support', queue_id: queueId! }, as('api'));
      expect(r.text, queueId).toContain(`<queue_id>${queue}</queue_id>`);
    }
    const before2 = await stateOf(V.ns);
    for (const [params, text] of [
      [{ type: 'support', queue_id: 'team:99' }, 'No such support team'],
      [{ type: 'support', queue_id: 'rep_username:nobody-here' }, 'No such representative'],
      [{ type: 'support', queue_id: 'embassy:1' }, 'Invalid queue_id'],
      [{ type: 'presentation', queue_id: 'general' }, 'Invalid value for parameter: type'],
      [{ queue_id: 'general' }, 'Missing required parameter: type'],
      [{ type: 'support' }, 'Missing required parameter: queue_id'],
      [{ type: 'support', queue_id: 'general', ttl: '5' }, 'Invalid ttl'],
      [{ type: 'support', queue_id: 'general', priority: 'urgent' }, 'Invalid priority'],
    ] as const) {
      const r = await site[V.ns]!.command({ action: 'generate_session_key', ...params }, as('api'));
      expect(r.status).toBe(200);
      expect(r.text).toMatch(new RegExp(`<session_key xmlns="[^"]+">\\n<error>${text}`));
      await expectValid(r.text, xsd[V.ns]!.command);
    }
    // a read-only user may not generate keys (needs "Allowed to Provide Remote Support")
    expect((await site[V.ns]!.command({ action: 'generate_session_key', type: 'support', queue_id: 'general' }, as('reader'))).text).toContain('<error>Permission denied: the user is not allowed to provide remote support</error>');
    expect(await stateOf(V.ns)).toBe(before2);

    // a customer arriving with the key: a waiting session in its queue with its attributes, once
    const session = await redeemSessionKey(rt.services, V.ns, shortKey!, { name: 'j.doe', hostname: 'ws-1.corp.example.com' });
    expect(session).toMatchObject({ status: 'active', queue: 'team:1', teamId: 1, externalKey: 'INC0042', customAttributes: { asset_tag: 'PC-7' } });
    expect(session.lsid).toMatch(/^[0-9a-f]{32}$/);
    await expect(redeemSessionKey(rt.services, V.ns, shortKey!, { name: 'j.doe', hostname: 'x' })).rejects.toMatchObject({ code: 'SessionKeyUsed' });
  });

  it('a session from join to terminate: representatives, attributes, queue, seconds involved; retries are safe', async () => {
    const id = V.full;
    const [session] = await activeOf(id);
    const lsid = session!.lsid;
    const cmd = (params: Record<string, string>) => site[id]!.command({ lsid, ...params }, as('admin', 'form'));
    const ok = async (params: Record<string, string>, text: string) => {
      const r = await cmd(params);
      expect(r.text, params.action).toBe(`<?xml version="1.0" encoding="UTF-8"?>\n<success${ns(id)}>${text}</success>\n`);
      await expectValid(r.text, xsd[id]!.command);
    };
    await ok({ action: 'join_session', rep_id: String(ids[id]!.alice) }, 'Representative successfully added');
    const joined = (await getSession(rt.services, id, lsid))!;
    await ok({ action: 'join_session', rep_username: 'ALICE' }, 'Representative successfully added');
    expect(await getSession(rt.services, id, lsid)).toEqual(joined);
    expect(joined.representatives?.find((r) => r.id === ids[id]!.alice)).toMatchObject({ username: 'alice', joinedAt: expect.any(String), secondsInvolved: 0 });
    // carol is not logged in: refused, nothing changes
    const carol = await cmd({ action: 'join_session', rep_username: 'carol' });
    expect(carol.text).toContain('>The representative is not logged in</error>');
    expect(await getSession(rt.services, id, lsid)).toEqual(joined);

    const reps = await site[id]!.command({ action: 'get_logged_in_reps' }, as('api'));
    expect(reps.text).toContain(`<rep id="${ids[id]!.alice}">`);
    expect(reps.text).toMatch(new RegExp(`<rep id="${ids[id]!.alice}">[\\s\\S]*?<support_session_count>1</support_session_count>`));

    await ok({ action: 'set_session_attributes', 'session.custom.asset_tag': 'PC-9', 'session.custom.external_key': 'CHG-7' }, 'Session attributes were set');
    const attrs = await cmd({ action: 'get_session_attributes' });
    expect(attrs.text).toContain(`<custom_attributes${ns(id)}>\n<custom_attribute display_name="external_key" code_name="external_key">CHG-7</custom_attribute>\n<custom_attribute display_name="asset_tag" code_name="asset_tag">PC-9</custom_attribute>\n</custom_attributes>`);
    await expectValid(attrs.text, xsd[id]!.command);
    await ok({ action: 'set_session_attributes', 'session.custom.asset_tag': '' }, 'Session attributes were set');
    expect((await getSession(rt.services, id, lsid))!.customAttributes).toBeUndefined();
    const tooLong = await cmd({ action: 'set_session_attributes', 'session.custom.note': 'x'.repeat(1025) });
    expect(tooLong.text).toContain('exceeds 1024 characters</error>');

    await ok({ action: 'transfer_session', queue_id: 'team:2' }, 'Successfully transferred');
    expect(await getSession(rt.services, id, lsid)).toMatchObject({ queue: 'team:2', teamId: 2 });

    await ok({ action: 'terminate_session' }, 'Successfully terminated');
    const ended = (await getSession(rt.services, id, lsid))!;
    expect(ended).toMatchObject({ status: 'completed', endReason: 'terminated-by-api' });
    expect(ended.representatives?.find((r) => r.id === ids[id]!.alice)?.joinedAt).toBeUndefined();
    expect(ended.representatives?.find((r) => r.id === ids[id]!.alice)?.secondsInvolved).toBeGreaterThanOrEqual(0);
    const state = await stateOf(id);
    for (const action of ['terminate_session', 'join_session', 'transfer_session', 'set_session_attributes', 'get_session_attributes']) {
      const again = await cmd({ action, rep_id: String(ids[id]!.bob), queue_id: 'team:1', 'session.custom.a': 'b' });
      expect(again.status).toBe(200);
      expect(again.text, action).toContain('>The session is not active</error>');
      expect(again.headers.get('x-error-code')).toBe('SessionNotActive');
    }
    expect(await stateOf(id)).toBe(state);
  });

  it('leave_session (API 1.21.0): a representative leaves (seconds counted), the customer leaving ends the session', async () => {
    const id = V.modern;
    const [a, b] = await activeOf(id);
    const cmd = (lsid: string, params: Record<string, string>) => site[id]!.command({ action: 'leave_session', lsid, ...params }, as('admin'));
    await site[id]!.command({ action: 'join_session', lsid: a!.lsid, rep_id: String(ids[id]!.bob) }, as('admin'));
    expect((await cmd(a!.lsid, { rep_id: String(ids[id]!.bob) })).text).toContain('>Representative successfully removed</success>');
    const left = (await getSession(rt.services, id, a!.lsid))!;
    expect(left.status).toBe('active');
    expect(left.representatives?.find((r) => r.id === ids[id]!.bob)?.joinedAt).toBeUndefined();
    expect((await cmd(a!.lsid, { rep_id: String(ids[id]!.bob) })).text).toContain('>The representative is not in the session</error>');
    expect((await cmd(a!.lsid, {})).text).toContain('>Missing required parameter: rep_id, rep_username or customer</error>');
    expect((await cmd(b!.lsid, { customer: '1' })).text).toContain('>Customer successfully removed</success>');
    expect(await getSession(rt.services, id, b!.lsid)).toMatchObject({ status: 'completed', endReason: 'completed' });
  });

  it('get_connected_client_list and get_connected_clients: reps and customers, by type, summary only, by id', async () => {
    const id = V.full;
    const active = (await activeOf(id)).length;
    const list = await site[id]!.command({ action: 'get_connected_client_list' }, as('api'));
    expect(list.text).toContain(`<appliance_summary id="${id}">\n<count type="representative">2</count>\n<count type="support_customer">${active}</count>\n`);
    expect(attrsOf(list.text, 'connected_client', 'id')).toHaveLength(2 + active);
    await expectValid(list.text, xsd[id]!.command);
    const summary = await site[id]!.command({ action: 'get_connected_client_list', type: 'representative', summary_only: '1' }, as('api'));
    expect(summary.text).not.toContain('<connected_client ');
    expect(summary.text).toContain('<count type="representative">2</count>\n</appliance_summary>');
    await expectValid(summary.text, xsd[id]!.command);
    const [first] = attrsOf(list.text, 'connected_client', 'id');
    const details = await site[id]!.command({ action: 'get_connected_clients', id: first!, include_connections: '1' }, as('api'));
    expect(details.text).toContain(`<connected_representative id="${first}">`);
    expect(details.text).toContain('<hostname>alice-laptop</hostname>');
    await expectValid(details.text, xsd[id]!.command);
    expect((await site[id]!.command({ action: 'get_connected_client_list', type: 'robot' }, as('api'))).text).toContain('<error>Invalid value for parameter: type</error>');
  });
});

describe('bad input: the vendor error, valid XML, nothing changes', () => {
  it('unknown, missing and prototype actions; missing and invalid parameters; wrong permission', async () => {
    const id = V.full;
    const before = await stateOf(id);
    const cases: [Record<string, string>, Auth, string, string][] = [
      [{ action: 'format_disk' }, as('admin'), `<error${ns(id)}>Invalid action</error>`, 'UnknownAction'],
      [{}, as('admin'), `<error${ns(id)}>Missing required parameter: action</error>`, 'MissingParameter'],
      [{ action: '__proto__' }, as('admin'), `<error${ns(id)}>Invalid action</error>`, 'UnknownAction'],
      [{ action: 'terminate_session' }, as('admin'), '>Missing required parameter: lsid</error>', 'MissingParameter'],
      [{ action: 'terminate_session', lsid: '42' }, as('admin'), '>Invalid value for parameter: lsid</error>', 'InvalidLsid'],
      [{ action: 'terminate_session', lsid: '0'.repeat(32) }, as('admin'), '>No session with this lsid</error>', 'SessionNotFound'],
      [{ action: 'terminate_session', lsid: 'f'.repeat(32) }, as('api'), '>Permission denied: this command requires an administrator</error>', 'PermissionDenied'],
      [{ action: 'set_failover_role', role: 'leader' }, as('admin'), '>Invalid value for parameter: role</error>', 'InvalidRole'],
      [{ action: 'get_connected_client_list', summary_only: 'yes' }, as('admin'), '<error>Invalid value for parameter: summary_only</error>', 'InvalidFlag'],
    ];
    for (const [params, auth, text, code] of cases) {
      const res = await site[id]!.command(params, auth);
      expect(res.status, JSON.stringify(params)).toBe(200);
      expect(res.text, JSON.stringify(params)).toContain(text);
      expect(res.headers.get('x-error-code')).toBe(code);
      expect(res.headers.get('content-type')).toContain('xml');
      await expectValid(res.text, xsd[id]!.command);
    }
    expect(await stateOf(id)).toBe(before);
  });

  it('wrong method, multipart POST, oversized request: refused, never problem+json, nothing changes', async () => {
    const id = V.ns;
    const before = await stateOf(id);
    const url = `${site[id]!.base}/api/command`;
    const put = await rawFetch(`${url}?action=get_api_info&username=api&password=${PASSWORD.api}`, { method: 'PUT' });
    expect(put.status).toBeGreaterThanOrEqual(400);
    const multipart = new FormData();
    multipart.set('action', 'get_api_info');
    const mp = await rawFetch(`${url}?username=api&password=${PASSWORD.api}`, { method: 'POST', body: multipart });
    expect(mp.status).toBe(415);
    const mpText = await mp.text();
    expect(mpText).toContain(`<error${ns(id)}>POST parameters must be sent as application/x-www-form-urlencoded`);
    await expectValid(mpText, xsd[id]!.command);
    // credentials only inside an unreadable body: not authenticated at all
    multipart.set('username', 'api');
    multipart.set('password', PASSWORD.api);
    const hidden = await rawFetch(url, { method: 'POST', body: multipart });
    expect(hidden.status).toBe(401);
    expect(await hidden.text()).toContain(`<error${ns(id)}>Login failed</error>`);
    const big = await rawFetch(`${url}?username=api&password=${PASSWORD.api}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `action=get_api_info&pad=${'a'.repeat(70_000)}` });
    expect(big.status).toBe(413);
    await expectValid(await big.text(), xsd[id]!.command);
    expect(await stateOf(id)).toBe(before);
  });

  it('injection attempts in every parameter keep the output well-formed XML and change nothing', async () => {
    const id = V.full;
    const hostile = ['</error><x a="1"/>', '"><script>alert(1)</script>', "'; DROP TABLE session;--", ']]>&amp;&#0;', '\u0001\u0008\uFFFE', '../../etc/passwd', 'a'.repeat(3000)];
    const [session] = await activeOf(id);
    const actions: Record<string, string[]> = {
      get_api_info: ['x'],
      get_logged_in_reps: ['x'],
      get_support_teams: ['showmembers'],
      generate_session_key: ['type', 'queue_id', 'ttl', 'external_key', 'session.custom.tag', 'priority', 'skills', 'url_hostname'],
      transfer_session: ['lsid', 'queue_id'],
      join_session: ['lsid', 'rep_id', 'rep_username'],
      set_session_attributes: ['lsid', 'session.custom.tag'],
      get_session_attributes: ['lsid'],
      terminate_session: ['lsid'],
      get_connected_client_list: ['type', 'summary_only'],
      get_connected_clients: ['id', 'type', 'include_connections'],
      check_health: ['x'],
      set_failover_role: ['role', 'data_sync_first', 'force'],
      action: [],
      username: [],
    };
    const valid: Record<string, string> = { type: 'support', queue_id: 'general', lsid: session!.lsid, rep_id: String(ids[id]!.alice) };
    const before = await stateOf(id);
    const docs: string[] = [];
    for (const [action, names] of Object.entries(actions)) {
      for (const name of names.length ? names : [action]) {
        for (const value of hostile) {
          const params: Record<string, string> = action === 'action' ? { action: value } : action === 'username' ? { action: 'get_api_info' } : { action, ...valid, [name]: value };
          const auth: Auth = action === 'username' ? { user: value, password: value } : as('api');
          const res = await site[id]!.command(params, auth);
          expect(res.status).toBeLessThan(500);
          expect(res.text).not.toMatch(/<x |<script>/);
          docs.push(res.text);
        }
      }
    }
    expect(docs.length).toBeGreaterThan(150);
    await expectAllValid(docs, xsd[id]!.command);
    // no session changed; generate_session_key may have stored keys for accepted values (external key, custom attribute)
    const after = JSON.parse(await stateOf(id)) as { items: { sk: string }[]; sessions: unknown };
    const was = JSON.parse(before) as { items: { sk: string }[]; sessions: unknown };
    expect(after.sessions).toEqual(was.sessions);
    expect(after.items.filter((i) => !i.sk.startsWith('SESSION-KEY#'))).toEqual(was.items.filter((i) => !i.sk.startsWith('SESSION-KEY#')));
  }, 120_000);
});

describe('site users and teams through the appliance admin API', () => {
  const id = V.legacy;
  it('creates, lists, updates, disables and deletes; passwords are stored hashed and never shown', async () => {
    const created = await admin('POST', `/appliances/${id}/login/users`, { username: 'temp.user', password: 'temp-password-1', permissions: { commandApi: true } });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain('temp-password-1');
    const stored = await rt.services.records.appliances.get({ pk: `APPLIANCE#${id}`, sk: 'SITE-USER#temp.user' });
    expect(String(stored?.passwordHash)).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(JSON.stringify(stored)).not.toContain('temp-password-1');
    const list = await admin('GET', `/appliances/${id}/login/users`);
    expect(list.body.users.map((u: { username: string }) => u.username)).toContain('temp.user');
    expect(JSON.stringify(list.body)).not.toContain('passwordHash');
    expect((await admin('PATCH', `/appliances/${id}/login/users/TEMP.USER`, { publicDisplayName: 'Temp' })).body.publicDisplayName).toBe('Temp');
    expect((await site[id]!.command({ action: 'get_support_teams' }, { user: 'temp.user', password: 'temp-password-1' })).text).toContain('<support_teams>');
    expect((await admin('POST', `/appliances/${id}/login/users/temp.user/disable`)).body.disabled).toBe(true);
    expect((await site[id]!.command({ action: 'get_support_teams' }, { user: 'temp.user', password: 'temp-password-1' })).text).toContain('<error>Login failed</error>');
    expect((await admin('DELETE', `/appliances/${id}/login/users/temp.user`)).status).toBe(204);
    expect((await admin('GET', `/appliances/${id}/login/users/temp.user`)).status).toBe(404);
  });

  it('refuses bad input with 400/404/409 and changes nothing', async () => {
    const before = await stateOf(id);
    const cases: [string, string, unknown, number][] = [
      ['POST', `/appliances/${id}/login/users`, { username: '-bad', password: 'long-enough-1' }, 400],
      ['POST', `/appliances/${id}/login/users`, { username: 'shorty', password: 'short' }, 400],
      ['POST', `/appliances/${id}/login/users`, { username: 'x', password: 'long-enough-1', junk: 1 }, 400],
      ['POST', `/appliances/${id}/login/users`, { username: 'x', password: 'long-enough-1', permissions: { commandApi: 'yes' } }, 400],
      ['POST', `/appliances/${id}/login/users`, { username: 'ALICE', password: 'long-enough-1' }, 409],
      ['POST', `/appliances/${id}/login/users`, { username: 'zed', password: 'long-enough-1', userId: ids[id]!.alice }, 409],
      ['PATCH', `/appliances/${id}/login/users/alice`, {}, 400],
      ['PATCH', `/appliances/${id}/login/users/nobody-here`, { disabled: true }, 404],
      ['POST', `/appliances/${id}/login/support-teams`, { name: 'T', codeName: 'Bad Code' }, 400],
      ['POST', `/appliances/${id}/login/support-teams`, { name: 'T', codeName: 'other', members: [{ userId: 999 }] }, 400],
      ['POST', `/appliances/${id}/login/support-teams`, { name: 'T', codeName: 'network' }, 409],
      ['POST', `/appliances/${id}/login/support-teams`, { name: 'T', codeName: 'other', issues: ['printer'] }, 409],
      ['PATCH', `/appliances/${id}/login/support-teams/abc`, { name: 'x' }, 400],
      ['DELETE', `/appliances/${id}/login/support-teams/77`, undefined, 404],
      ['POST', '/appliances/no-such-site/login/users', { username: 'x', password: 'long-enough-1' }, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await admin(method, path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.code).toBeTypeOf('string');
    }
    expect(await stateOf(id)).toBe(before);
  });

  it('the staff console starts only with the credential of its own representative (issue 17 item 9)', async () => {
    const start = (headers: Record<string, string>, body?: string) => rawFetch(`${site[id]!.base}/staff-consoles/carol-desk/start`, { method: 'POST', headers, body });
    const before = await stateOf(id);
    for (const [headers, body, status, code] of [
      [{}, undefined, 401, 'MissingCredentials'],
      [{ authorization: basicAuth('carol', 'wrong-password') }, undefined, 401, 'LoginFailed'],
      [{ authorization: basicAuth('alice', PASSWORD.rep) }, undefined, 403, 'NotYourConsole'],
      [{ 'content-type': 'application/json' }, '{"username":"carol","password":"wrong-password"}', 401, 'LoginFailed'],
      [{ 'content-type': 'application/json' }, '{"username":"carol"}', 400, 'InvalidRequest'],
    ] as const) {
      const res = await start({ ...headers }, body);
      expect(res.status, code).toBe(status);
      expect(((await res.json()) as { code: string }).code).toBe(code);
    }
    expect(await stateOf(id)).toBe(before);
    const ok = await start({ 'content-type': 'application/json' }, JSON.stringify({ username: 'carol', password: PASSWORD.rep }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ consoleId: 'carol-desk', loggedIn: true });
    const reps = await site[id]!.command({ action: 'get_logged_in_reps' }, as('api'));
    expect(attrsOf(reps.text, 'rep', 'id').map(Number)).toContain(ids[id]!.carol);
  });
});

describe('the same, at the site root (Host header), as an unchanged legacy client would call it', () => {
  // 11.1.1 site addressed by its hostname on the main port; `.ns` is the form old clients use.
  const root = () => siteClient(rt.url, `${V.full}.support.example.com`);

  it('username/password in the query and in a form, on /api/command and /api/command.ns', async () => {
    for (const path of ['/api/command', '/api/command.ns']) {
      for (const via of ['query', 'form'] as const) {
        const res = await root().command({ action: 'get_logged_in_reps' }, as('api', via), path);
        expect(res.status, `${path} ${via}`).toBe(200);
        expect(attrsOf(res.text, 'rep', 'id').map(Number)).toEqual([ids[V.full]!.alice, ids[V.full]!.bob]);
      }
    }
    const failed = await root().command({ action: 'get_logged_in_reps' }, { user: 'api', password: 'bad-password' }, '/api/command.ns');
    expect(failed.text).toContain(`<logged_in_reps xmlns="${API_NAMESPACE}">\n<error>Login failed</error>\n</logged_in_reps>`);
  });

  it('an OAuth2 JSON token request at /oauth2/token, then a bearer call', async () => {
    const account = (await admin('POST', `/v1/appliances/${V.full}/api-accounts`, { name: 'root', permissions: { command: 'read_only' } })).body as { clientId: string; clientSecret: string };
    const token = await root().token({ 'content-type': 'application/json' }, JSON.stringify({ grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret }));
    expect(token.status).toBe(200);
    const info = await root().command({ action: 'get_api_info' }, { bearer: String(token.json.access_token) });
    expect(info.text).toContain('<api_version>1.6.0</api_version>');
    expect(info.text).toContain('<perm_command>read_only</perm_command>');
  });
});
