/**
 * Site addressing on the main port, reached only through the wire as an outside client would: the Host
 * header names the site, the appliance's paths answer at its root (and in their `.ns` forms), an unknown
 * host is told which sites exist, and a client of a primary hostname follows a DNS switch with nothing
 * changed on its side. Set-up goes through the control plane's own HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { form, siteRequest, type SiteResponse } from '../helpers/site-client.js';
import { expectValid } from '../helpers/xml.js';

let rt: TestRuntime;
const A = { applianceId: 'site-a', hostname: 'a.sites.example.com', productVersion: '10.5.2' };
const B = { applianceId: 'site-b', hostname: 'B.Sites.Example.com', productVersion: '11.1.1' };
const PRIMARY = 'support.sites.example.com';
const accounts: Record<string, { clientId: string; clientSecret: string }> = {};

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${rt.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
};

/** A request to the main port addressed to `host`. */
const at = (host: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  siteRequest(`${rt.url}${path}`, { host, ...init });

/** What an integration script does against `https://<host>/`: a token, then one command. */
async function command(host: string, account: { clientId: string; clientSecret: string }, action: string, path = '/api/command'): Promise<SiteResponse> {
  const token = await at(host, '/oauth2/token', {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ grant_type: 'client_credentials' }),
  });
  expect(token.status, token.body).toBe(200);
  const { access_token } = JSON.parse(token.body) as { access_token: string };
  return at(host, `${path}?action=${action}`, { headers: { authorization: `Bearer ${access_token}` } });
}

beforeAll(async () => {
  rt = await startTestRuntime();
  for (const a of [A, B]) {
    await control('POST', '/appliances', { ...a, baseVersion: '3.2.6', license: { primaryHostname: PRIMARY, licenseCount: 5 } });
    accounts[a.applianceId] = (await control('POST', `/v1/appliances/${a.applianceId}/api-accounts`, { name: 'site test', permissions: { reporting: true, command: 'full', backup: true } })) as never;
  }
  await control('PUT', `/primary-hostnames/${PRIMARY}`, { applianceId: A.applianceId });
});
afterAll(() => rt?.dispose());

describe('Host-header addressing on the main port', () => {
  it("reaches each appliance at its own site root by its hostname (case and port ignored)", async () => {
    const a = await command(`${A.hostname}:443`, accounts[A.applianceId]!, 'check_health');
    expect(a.status, a.body).toBe(200);
    expect(a.body).toMatch(new RegExp(`<appliance id="${A.applianceId}">${A.hostname}</appliance>$`, 'm'));
    const b = await command('b.sites.example.COM', accounts[B.applianceId]!, 'get_api_info');
    expect(b.status, b.body).toBe(200);
    expect(b.body).toContain('<api_version>1.6.0</api_version>');
  });

  it('serves the XSDs at the site root, each in its appliance version (namespace from 10.6)', async () => {
    const a = await at(A.hostname, '/api/command.xsd');
    const b = await at(B.hostname.toLowerCase(), '/api/command.xsd');
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body).not.toContain('targetNamespace');
    expect(b.body).toContain('targetNamespace="http://www.networkstreaming.com/namespaces/API"');
  });

  it('answers the legacy .ns aliases exactly as the plain paths', async () => {
    const account = accounts[A.applianceId]!;
    const plain = await command(A.hostname, account, 'check_health');
    const legacy = await command(A.hostname, account, 'check_health', '/api/command.ns');
    expect(legacy.status).toBe(200);
    expect(legacy.body).toBe(plain.body);
    expect(legacy.headers['content-type']).toBe(plain.headers['content-type']);
    // Reporting and backup: the same answer (here: the same refusal without a credential) on both forms.
    for (const path of ['/api/reporting', '/api/backup']) {
      const [p, n] = await Promise.all([at(A.hostname, `${path}?generate_report=SupportSessionListing`), at(A.hostname, `${path}.ns?generate_report=SupportSessionListing`)]);
      expect(n.status).toBe(p.status);
      expect(n.body).toBe(p.body);
      expect(n.status).toBe(401);
    }
  });

  it('takes url-encoded POST at the site root like GET', async () => {
    const account = accounts[B.applianceId]!;
    const token = await at(B.hostname, '/oauth2/token', {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const { access_token } = JSON.parse(token.body) as { access_token: string };
    const res = await at(B.hostname, '/api/command.ns', { method: 'POST', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: form({ action: 'get_api_info' }) });
    expect(res.status, res.body).toBe(200);
    expect(res.body).toContain('<get_api_info xmlns="http://www.networkstreaming.com/namespaces/API">');
  });

  it('serves the appliance admin pages (/login, /appliance) at the site root, with site-relative links', async () => {
    const login = await at(A.hostname, '/login');
    expect(login.status).toBe(200);
    expect(JSON.parse(login.body)).toMatchObject({ applianceId: A.applianceId, hostname: A.hostname });
    const admin = { authorization: `Bearer ${rt.adminToken}`, 'content-type': 'application/json' };
    const updates = await at(A.hostname, '/appliance/updates', { headers: admin });
    expect(updates.status, updates.body).toBe(200);
    expect(JSON.parse(updates.body)).toMatchObject({ applianceId: A.applianceId, license: { primaryHostname: PRIMARY } });
    expect((await at(A.hostname, '/appliance/updates')).status).toBe(401);
    const backup = await at(A.hostname, '/login/software-management/backups', { method: 'POST', headers: admin, body: '{}' });
    expect(backup.status, backup.body).toBe(201);
    expect(backup.headers.location).toMatch(/^\/login\/software-management\/backups\/[0-9a-f]{32}$/);
    const listed = await at(A.hostname, '/login/software-management/backups', { headers: admin });
    expect(JSON.parse(listed.body).backups).toHaveLength(1);
  });

  it('refuses path traversal in ids at the site root too', async () => {
    const admin = { authorization: `Bearer ${rt.adminToken}` };
    for (const path of ['/login/software-management/backups/..%2F..%2Fsecrets', '/appliance/installs/..%2F..%2Fx']) {
      const res = await at(A.hostname, path, { headers: admin });
      expect(res.status, `${path}: ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('answers GET /check_health without a credential: 200 with a short text, no data', async () => {
    const res = await at(A.hostname, '/check_health');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/success/);
    expect(res.body).not.toContain(A.applianceId);
  });

  it("shows the appliance's public site at / on a site host, and the console on any other host", async () => {
    const site = await at(A.hostname, '/');
    expect(site.status).toBe(200);
    expect(site.headers['content-type']).toMatch(/^text\/html/);
    expect(site.body).toContain(`<h1>${A.hostname}</h1>`);
    expect(site.body).toContain('name="short_key"');
    const consolePage = await at(new URL(rt.url).host, '/');
    expect(consolePage.status).toBe(200);
    expect(consolePage.body).not.toContain('short_key');
    const unknownHost = await at('nowhere.example.net', '/');
    expect(unknownHost.body).toBe(consolePage.body);
  });

  it('keeps the control plane on hosts that are not sites', async () => {
    for (const host of [new URL(rt.url).host, 'localhost:3000', 'control.example.net']) {
      expect((await at(host, '/health')).status).toBe(200);
      const pairs = await at(host, '/v1/pairs', { headers: { authorization: `Bearer ${rt.adminToken}` } });
      expect(pairs.status).toBe(200);
    }
    // and /appliances/:id/... stays as it was, whatever the host
    const res = await at(new URL(rt.url).host, `/appliances/${A.applianceId}/login`);
    expect(JSON.parse(res.body).applianceId).toBe(A.applianceId);
  });

  it('refuses a site path on an unknown host with the XML error naming the sites, and changes nothing', async () => {
    const before = await control('GET', '/appliances');
    const xsd = (await at(B.hostname, '/api/command.xsd')).body;
    for (const host of ['nowhere.example.net', new URL(rt.url).host, 'localhost']) {
      const res = await at(host, '/api/command?action=get_api_info');
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('text/xml; charset=UTF-8');
      expect(res.headers['x-error-code']).toBe('UnknownSite');
      await expectValid(res.body, xsd);
      for (const name of [A.hostname, B.hostname.toLowerCase(), PRIMARY]) expect(res.body).toContain(name);
    }
    const injected = await at(`evil"&'.example.net`, '/api/reporting?generate_report=SupportSession');
    expect(injected.status).toBe(404);
    await expectValid(injected.body, xsd);
    expect(injected.body).toMatch(/evil(&quot;|")&amp;/);
    // The token endpoint keeps its own (OAuth2 JSON) error format; the admin pages theirs (problem+json).
    const token = await at('nowhere.example.net', '/oauth2/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(token.status).toBe(404);
    expect(JSON.parse(token.body)).toMatchObject({ code: 'UnknownSite' });
    const page = await at('nowhere.example.net', '/login');
    expect(page.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(page.body).code).toBe('UnknownSite');
    expect(await control('GET', '/appliances')).toEqual(before);
  });
});

describe('primary hostname', () => {
  it('follows an option-2 style DNS switch to B with nothing changed on the client side', async () => {
    // The pair's configuration sync would give B the same API account; the emulator keeps accounts per
    // appliance, so the test copies A's account record to B (what sync replicates), nothing else.
    const item = await rt.services.records.appliances.get({ pk: `APPLIANCE#${A.applianceId}`, sk: `API-ACCOUNT#${accounts[A.applianceId]!.clientId}` });
    expect(item, 'API account key layout changed').toBeDefined();
    await rt.services.records.appliances.put({ ...item!, pk: `APPLIANCE#${B.applianceId}`, applianceId: B.applianceId });

    const client = () => command(PRIMARY, accounts[A.applianceId]!, 'check_health');
    const before = await client();
    expect(before.status, before.body).toBe(200);
    expect(before.body).toMatch(new RegExp(`<appliance id="${A.applianceId}">`));
    expect(before.body).toContain('<version>10.5.2</version>');

    await control('PUT', `/primary-hostnames/${PRIMARY}`, { applianceId: B.applianceId });
    // The very next request, from the same client with the same URL and credentials, lands on B.
    const after = await client();
    expect(after.status, after.body).toBe(200);
    expect(after.body).toMatch(new RegExp(`<appliance id="${B.applianceId}">`));
    expect(after.body).toContain('<version>11.1.1</version>');
    expect(after.body).toContain('xmlns="http://www.networkstreaming.com/namespaces/API"');
    const publicProbe = await at(PRIMARY, '/login');
    expect(JSON.parse(publicProbe.body).applianceId).toBe(B.applianceId);

    await control('PUT', `/primary-hostnames/${PRIMARY}`, { applianceId: A.applianceId });
    expect(JSON.parse((await at(PRIMARY, '/login')).body).applianceId).toBe(A.applianceId);
  });

  it("notices an appliance's hostname changed by a restored backup on the next request", async () => {
    const admin = { authorization: `Bearer ${rt.adminToken}`, 'content-type': 'application/json' };
    await control('POST', '/appliances', { applianceId: 'site-c', hostname: 'c.sites.example.com', productVersion: '10.5.2', baseVersion: '3.2.6', license: { primaryHostname: PRIMARY, licenseCount: 5 } });
    await control('POST', '/appliances', { applianceId: 'site-d', hostname: 'd.sites.example.com', productVersion: '10.5.2', baseVersion: '3.2.6', license: { primaryHostname: PRIMARY, licenseCount: 5 } });
    expect(JSON.parse((await at('c.sites.example.com', '/login')).body).applianceId).toBe('site-c');
    expect(JSON.parse((await at('d.sites.example.com', '/login')).body).applianceId).toBe('site-d');
    // D takes C's settings (hostname included): d.sites.example.com is nobody's any more.
    const backup = JSON.parse((await at('c.sites.example.com', '/login/software-management/backups', { method: 'POST', headers: admin, body: '{}' })).body) as { backupId: string };
    const restore = await at('d.sites.example.com', `/login/software-management/backups/${backup.backupId}/restore`, { method: 'POST', headers: admin, body: '{}' });
    expect(restore.status, restore.body).toBe(200);
    expect((await at('d.sites.example.com', '/login')).status).toBe(404);
    // Both now claim c.sites.example.com: the first by id answers, deterministically.
    expect(JSON.parse((await at('c.sites.example.com', '/login')).body).applianceId).toBe('site-c');
  });
});
