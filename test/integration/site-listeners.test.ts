/**
 * Per-site ports of the local runtime, reached only through the wire: each site hostname has its own
 * port, HTTPS there verifies with nothing but the generated CA (Node `https` with `ca:`, and a child
 * process with NODE_EXTRA_CA_CERTS), the same port answers plain HTTP, ports survive a restart, a hostname
 * added while running gets a port, and a primary hostname's port follows its DNS record.
 */
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import type { LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestRuntime, tempDir, type TestRuntime } from '../helpers/runtime.js';
import { siteRequest } from '../helpers/site-client.js';

const A = { applianceId: 'port-a', hostname: 'a.ports.example.com', productVersion: '10.5.2' };
const B = { applianceId: 'port-b', hostname: 'b.ports.example.com', productVersion: '11.1.1' };
const PRIMARY = 'support.ports.example.com';

let dataDir: string;
let rt: TestRuntime;
let ca: string;
const lines: string[] = [];

const start = (plainHttp?: boolean) => startTestRuntime({ dataDir, sites: { basePort: 0, plainHttp, log: (l) => lines.push(l) } });
const portOf = (hostname: string) => {
  const row = rt.sites!.table().find((t) => t.hostname === hostname);
  if (!row) throw new Error(`no listener for ${hostname}: ${JSON.stringify(rt.sites!.table())}`);
  return row.port;
};
const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${rt.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
};
const appliance = (a: { applianceId: string; hostname: string; productVersion: string }) =>
  control('POST', '/appliances', { ...a, baseVersion: '3.2.6', license: { primaryHostname: PRIMARY, licenseCount: 5 } });
/** GET https://127.0.0.1:PORT/login trusting only the generated CA: which appliance answers there. */
const whoIsAt = async (port: number, host?: string) => {
  const res = await siteRequest(`https://127.0.0.1:${port}/login`, { ca, host });
  expect(res.status, res.body).toBe(200);
  return (JSON.parse(res.body) as { applianceId: string }).applianceId;
};
/** As with a hosts entry: the client connects to `hostname`, which resolves to 127.0.0.1. */
const hostsEntry: LookupFunction = (_host, options, callback) =>
  (options as { all?: boolean }).all ? (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);

beforeAll(async () => {
  dataDir = await tempDir();
  rt = await start();
  ca = await readFile(rt.sites!.caFile, 'utf8');
  await appliance(A);
  await appliance(B);
  await control('PUT', `/primary-hostnames/${PRIMARY}`, { applianceId: A.applianceId });
  await rt.sites!.settled();
});
afterAll(async () => {
  await rt?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('per-site ports', () => {
  it('gives every site hostname its own port; the port decides, whatever Host the client sends', async () => {
    expect(rt.sites!.table().map((t) => t.hostname)).toEqual([A.hostname, B.hostname, PRIMARY]);
    expect(new Set(rt.sites!.table().map((t) => t.port)).size).toBe(3);
    expect(await whoIsAt(portOf(A.hostname))).toBe(A.applianceId);
    expect(await whoIsAt(portOf(B.hostname))).toBe(B.applianceId);
    expect(await whoIsAt(portOf(A.hostname), B.hostname)).toBe(A.applianceId);
    expect(await whoIsAt(portOf(PRIMARY))).toBe(A.applianceId);
  });

  it('serves only the site there: control-plane paths are not pages of the site', async () => {
    const res = await siteRequest(`https://127.0.0.1:${portOf(A.hostname)}/v1/pairs`, { ca, headers: { authorization: `Bearer ${rt.adminToken}` } });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const xsd = await siteRequest(`https://127.0.0.1:${portOf(B.hostname)}/api/reporting.xsd`, { ca });
    expect(xsd.status).toBe(200);
    expect(xsd.body).toContain('targetNamespace="http://www.networkstreaming.com/namespaces/API"');
  });

  it('verifies https://<hostname>:PORT (hosts entry) and https://127.0.0.1:PORT with only the generated CA', async () => {
    const port = portOf(B.hostname);
    const byName = await siteRequest(`https://${B.hostname}:${port}/check_health`, { ca, lookup: hostsEntry });
    expect(byName.status).toBe(200);
    expect(byName.body).toMatch(/success/);
    expect((await siteRequest(`https://localhost:${port}/check_health`, { ca, lookup: hostsEntry })).status).toBe(200);
    // Another site's name is not in this certificate; without the CA nothing verifies.
    await expect(siteRequest(`https://127.0.0.1:${port}/check_health`, { ca, servername: A.hostname })).rejects.toThrow(/altnames|Hostname\/IP does not match/i);
    await expect(siteRequest(`https://127.0.0.1:${port}/check_health`)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it('is trusted by a child process given NODE_EXTRA_CA_CERTS, and refused without it', async () => {
    const url = `https://127.0.0.1:${portOf(A.hostname)}/check_health`;
    const script = `require('node:https').get(process.argv[1], (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => console.log(r.statusCode, b.trim())); }).on('error', (e) => { console.log('error', e.code); process.exitCode = 3; });`;
    const run = (extra: Record<string, string>) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        const env = { ...process.env, ...extra };
        if (!extra.NODE_EXTRA_CA_CERTS) delete env.NODE_EXTRA_CA_CERTS;
        execFile(process.execPath, ['-e', script, url], { env }, (e, out) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out: out.trim() }));
      });
    const trusted = await run({ NODE_EXTRA_CA_CERTS: rt.sites!.caFile });
    expect(trusted, trusted.out).toEqual({ code: 0, out: '200 Health check: success' });
    const refused = await run({});
    expect(refused.code).toBe(3);
    expect(refused.out).toMatch(/^error (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  });

  it('answers plain HTTP on the same port (the first byte tells TLS from HTTP)', async () => {
    const port = portOf(A.hostname);
    const plain = await siteRequest(`http://127.0.0.1:${port}/api/command.xsd`);
    const secure = await siteRequest(`https://127.0.0.1:${port}/api/command.xsd`, { ca });
    expect(plain.status).toBe(200);
    expect(plain.body).toBe(secure.body);
  });

  it("follows the primary hostname's DNS record on every request", async () => {
    const port = portOf(PRIMARY);
    await control('PUT', `/primary-hostnames/${PRIMARY}`, { applianceId: B.applianceId });
    expect(await whoIsAt(port)).toBe(B.applianceId);
    await control('PUT', `/primary-hostnames/${PRIMARY}`, { applianceId: A.applianceId });
    expect(await whoIsAt(port)).toBe(A.applianceId);
  });

  it('opens a listener for a hostname added while running (new appliance, new DNS record, restored backup)', async () => {
    await appliance({ applianceId: 'port-c', hostname: 'c.ports.example.com', productVersion: '10.5.2' });
    const c = await eventually(async () => rt.sites!.table().find((t) => t.hostname === 'c.ports.example.com'));
    expect(await whoIsAt(c.port)).toBe('port-c');
    expect(lines.some((l) => l.includes(`c.ports.example.com → https://127.0.0.1:${c.port}`))).toBe(true);

    await control('PUT', '/primary-hostnames/remote.ports.example.com', { applianceId: 'port-c' });
    const remote = await eventually(async () => rt.sites!.table().find((t) => t.hostname === 'remote.ports.example.com'));
    expect(await whoIsAt(remote.port)).toBe('port-c');

    // E's backup restored onto C gives C E's hostname: c.ports.example.com is nobody's any more.
    await appliance({ applianceId: 'port-e', hostname: 'e.ports.example.com', productVersion: '10.5.2' });
    const admin = { authorization: `Bearer ${rt.adminToken}`, 'content-type': 'application/json' };
    const backup = (await (await fetch(`${rt.url}/appliances/port-e/login/software-management/backups`, { method: 'POST', headers: admin, body: '{}' })).json()) as { backupId: string };
    const oldPort = c.port;
    const renamed = await fetch(`${rt.url}/appliances/port-c/login/software-management/backups/${backup.backupId}/restore`, { method: 'POST', headers: admin, body: '{}' });
    expect(renamed.status).toBe(200);
    await eventually(async () => (rt.sites!.table().some((t) => t.hostname === 'c.ports.example.com') ? undefined : true));
    expect(lines.some((l) => l.includes('c.ports.example.com is no site any more'))).toBe(true);
    await expect(siteRequest(`https://127.0.0.1:${oldPort}/login`, { ca })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('keeps every hostname on its port across a restart with the same data dir', async () => {
    await rt.sites!.settled();
    const before = rt.sites!.table().map((t) => [t.hostname, t.port]);
    const record = JSON.parse(await readFile(`${dataDir}/sites/ports.json`, 'utf8')) as { ports: Record<string, number> };
    expect(record.ports['c.ports.example.com']).toBeDefined(); // kept for when the name comes back
    await rt.stop();
    rt = await start(false);
    expect(rt.sites!.certificates.caCreated).toBe(false);
    expect(rt.sites!.table().map((t) => [t.hostname, t.port])).toEqual(before);
    expect(await readFile(rt.sites!.caFile, 'utf8')).toBe(ca);
    expect(await whoIsAt(portOf(B.hostname))).toBe(B.applianceId);
    // Started with plain HTTP off: the port speaks TLS only.
    await expect(siteRequest(`http://127.0.0.1:${portOf(B.hostname)}/check_health`)).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});
