/** An install in progress, observed in real time scale (the install outlasts the test): 409, 503 + Retry-After, replay. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoFleet, seedPackageCatalog } from '../../functions/emulator/app/appliance-seed.js';
import { getConsole } from '../../functions/emulator/app/staff-console-store.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

let rt: TestRuntime;
beforeAll(async () => {
  // Real time: a 33-minute install never finishes during the test, so the in-progress state is stable.
  rt = await startTestRuntime({ env: { TIME_SCALE_MS_PER_MINUTE: '60000' } });
  // The appliance area's seeds only: the full demo seed also pairs appliance-a, which blocks installs.
  await seedPackageCatalog(rt.services);
  await seedDemoFleet(rt.services);
});
afterAll(async () => rt?.dispose());

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${rt.url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
};

describe('while appliance-a installs', () => {
  let installId: string;
  beforeAll(async () => {
    const res = await call('POST', '/appliances/appliance-a/appliance/updates/bomgar-10.6.0/install', { requestKey: 'run-7:w1:install-a' });
    expect(res.status).toBe(202);
    installId = res.body.installId;
  });

  it('seeds idempotently: the catalog and the demo fleet are there once', async () => {
    await seedPackageCatalog(rt.services);
    await seedDemoFleet(rt.services);
    const fleet = (await call('GET', '/appliances')).body.appliances.map((a: any) => a.applianceId).sort();
    expect(fleet).toEqual(['appliance-a', 'appliance-b', 'staging-1']);
    expect((await call('GET', '/packages')).body.packages).toHaveLength(3);
  });

  it('reports installing with the modelled duration (180 GB: 33 minutes)', async () => {
    const status = await call('GET', '/appliances/appliance-a/appliance/install');
    expect(status.body).toMatchObject({ state: 'installing', install: { installId, state: 'installing', fromVersion: '10.5.2', targetVersion: '10.6.0' } });
    const { startedAt, onlineAt } = status.body.install;
    expect(Date.parse(onlineAt) - Date.parse(startedAt)).toBe(33 * 60_000);
    expect(Number(status.headers.get('retry-after'))).toBeGreaterThan(30 * 60);
  });

  it('answers the site APIs with 503 and Retry-After', async () => {
    for (const [method, path] of [
      ['GET', '/appliances/appliance-a/login'],
      ['POST', '/appliances/appliance-a/login/software-management/backups'],
      ['GET', '/appliances/appliance-a/login/software-management/backups'],
      ['POST', '/appliances/appliance-a/staff-consoles/alice-laptop/start'],
    ] as const) {
      const res = await call(method, path);
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(res.body).toMatchObject({ code: 'SiteUnavailable', state: 'installing' });
      expect(Number(res.headers.get('retry-after'))).toBe(res.body.retryAfterSeconds);
    }
    expect((await call('GET', '/appliances/appliance-b/login')).status).toBe(200);
  });

  it('logged out the staff with a reason', async () => {
    expect(await getConsole(rt.services, 'appliance-a', 'alice-laptop')).toMatchObject({ loggedIn: false, lastLogout: { reason: 'terminated-by-upgrade' } });
  });

  it('refuses a second install with 409 and changes nothing', async () => {
    const before = (await call('GET', '/appliances/appliance-a')).body;
    const res = await call('POST', '/appliances/appliance-a/appliance/updates/base-3.2.6/install', {});
    expect(res).toMatchObject({ status: 409, body: { code: 'InstallInProgress', installId } });
    const manual = await fetch(`${rt.url}/appliances/appliance-a/appliance/updates/manual`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' });
    expect(manual.status).toBe(409);
    expect((await call('GET', '/appliances/appliance-a')).body).toEqual(before);
    expect((await call('GET', '/appliances/appliance-a/appliance/installs')).body.installs).toHaveLength(1);
  });

  it('returns the same install for a retried request key and installs nothing new', async () => {
    const viaHeader = await call('POST', '/appliances/appliance-a/appliance/updates/bomgar-10.6.0/install', {}, { 'idempotency-key': 'run-7:w1:install-a' });
    expect(viaHeader).toMatchObject({ status: 200, body: { installId, replayed: true, state: 'installing' } });
    expect((await call('GET', '/appliances/appliance-a/appliance/installs')).body.installs).toHaveLength(1);
  });
});
