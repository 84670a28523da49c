/** The fleet inventory over the emulator's fleet API (in process, the same HTTP requests): answers and refusals. */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/platform/api/app.js';
import { routes } from '../../../functions/local/routes.js';
import type { Services } from '../../../functions/platform/adapters/services.js';
import { createAppliance } from '../../../functions/emulator/app/appliance-store.js';
import { issueOperatorToken } from '../../../functions/control-plane/app/operator-tokens.js';
import { memoryContext } from '../../helpers/memory-context.js';
import { sampleAppliance } from '../../helpers/fixtures.js';

async function setup() {
  const ctx = memoryContext();
  await createAppliance(ctx, sampleAppliance('a1'));
  const { token } = await issueOperatorToken(ctx, { operatorId: 'viewer', displayName: 'Viewer', roles: ['viewer'] });
  const app = createApp(ctx as Services, routes);
  const get = (path: string) => app.fetch(new Request(`http://control.test${path}`, { headers: { authorization: `Bearer ${token}` } }));
  return { ctx, get };
}

describe('fleet inventory (SiteInventory over the fleet API)', () => {
  it('reads the appliance, its busy hours and API callers; what does not exist is undefined', async () => {
    const { ctx } = await setup();
    const inventory = ctx.drivers!.inventory;
    expect((await inventory.getAppliance('a1'))?.applianceId).toBe('a1');
    expect(await inventory.getAppliance('nope')).toBeUndefined();
    expect(await inventory.getPackage('nope')).toBeUndefined();
    expect((await inventory.trafficProfile('a1', 'Asia/Tokyo')).timeZone).toBe('Asia/Tokyo');
    expect(await inventory.apiUsage('a1', '2000-01-01T00:00:00Z')).toEqual([]);
    expect(await inventory.resolveHostname('nowhere.example.com')).toBeUndefined();
  });

  it('refuses a time zone that is not an IANA name and a since that is not an ISO time, with 400', async () => {
    const { get } = await setup();
    for (const path of ['/appliances/a1/busy-hours?timeZone=%2B09:00', '/appliances/a1/busy-hours?timeZone=Mars/Olympus', '/appliances/a1/api-usage?since=yesterday']) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { code: string }).code, path).toBe('InvalidRequest');
    }
    expect((await get('/appliances/missing/busy-hours')).status).toBe(404);
  });
});
