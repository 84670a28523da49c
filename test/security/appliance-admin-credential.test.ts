/** The appliance's own admin credential on appliance-admin routes (Basic, a site administrator of that appliance). */
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/platform/api/app.js';
import { routes } from '../../functions/local/routes.js';
import type { Services } from '../../functions/platform/adapters/services.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { createSiteUser } from '../../functions/emulator/app/site-users.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { memoryContext } from '../helpers/memory-context.js';

const ctx = memoryContext();
const app = createApp(ctx as Services, routes);
const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
const perms = { administrator: true, commandApi: true, reportingApi: false, backupApi: false, provideRemoteSupport: false };

beforeAll(async () => {
  await createAppliance(ctx, sampleAppliance('aa'));
  await createAppliance(ctx, sampleAppliance('bb', { ipAddress: '10.0.0.2' }));
  await createSiteUser(ctx, 'aa', { username: 'admin1', password: 'correct-horse-1', permissions: perms, disabled: false, showOnRepList: false });
  await createSiteUser(ctx, 'aa', { username: 'rep1', password: 'correct-horse-2', permissions: { ...perms, administrator: false }, disabled: false, showOnRepList: true });
});

const get = (path: string, headers: Record<string, string>) => app.request(`http://control.test${path}`, { headers });

describe('appliance admin credential', () => {
  it("an administrator of the appliance reads its admin pages", async () => {
    expect((await get('/appliances/aa/appliance/install', basic('admin1', 'correct-horse-1'))).status).toBe(200);
  });
  it('a wrong password is 401 Login failed', async () => {
    const res = await get('/appliances/aa/appliance/install', basic('admin1', 'wrong-password'));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('LoginFailed');
  });
  it('a user without Administrator is 403', async () => {
    expect((await get('/appliances/aa/appliance/install', basic('rep1', 'correct-horse-2'))).status).toBe(403);
  });
  it("one appliance's admin is nobody on another appliance", async () => {
    expect((await get('/appliances/bb/appliance/install', basic('admin1', 'correct-horse-1'))).status).toBe(401);
  });
  it('is not accepted on operator routes (the control API)', async () => {
    expect((await get('/v1/runs', basic('admin1', 'correct-horse-1'))).status).toBe(401);
  });
  it('on a fleet-wide route it needs X-Appliance-Id of a member', async () => {
    const put = (headers: Record<string, string>) => app.request('http://control.test/primary-hostnames/other.example.org', { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ applianceId: 'bb' }) });
    expect((await put(basic('admin1', 'correct-horse-1'))).status).toBe(403);
    expect((await put({ ...basic('admin1', 'correct-horse-1'), 'x-appliance-id': 'aa' })).status).toBe(403); // aa is not licensed for it, not its target
  });
});
