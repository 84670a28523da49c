import { describe, expect, it } from 'vitest';
import { createAppliance, getApplianceForSite, listAppliances, requireAppliance, SITE_SNAPSHOT_MS, updateAppliance } from '../../functions/emulator/app/appliance-store.js';
import { DomainError, preconditionFailed } from '../../functions/platform/core/errors.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { FakeClock, memoryContext } from '../helpers/memory-context.js';

describe('appliance store', () => {
  it('creates once, lists and updates with a version counter', async () => {
    const ctx = memoryContext();
    await createAppliance(ctx, sampleAppliance('a1'));
    await expect(createAppliance(ctx, sampleAppliance('a1'))).rejects.toMatchObject({ code: 'ApplianceExists' });
    const updated = await updateAppliance(ctx, 'a1', (a) => ({ ...a, productVersion: '10.6.0' }));
    expect(updated.version).toBe(2);
    expect((await listAppliances(ctx)).map((a) => a.productVersion)).toEqual(['10.6.0']);
  });

  it('leaves the record untouched when the change refuses', async () => {
    const ctx = memoryContext();
    await createAppliance(ctx, sampleAppliance('a2'));
    await expect(
      updateAppliance(ctx, 'a2', () => {
        throw preconditionFailed('Nope', 'refused');
      }),
    ).rejects.toBeInstanceOf(DomainError);
    expect(await requireAppliance(ctx, 'a2')).toMatchObject({ version: 1, productVersion: '10.5.2' });
  });

  it('serializes concurrent updates without losing one', async () => {
    const ctx = memoryContext();
    await createAppliance(ctx, sampleAppliance('a3', { storedDataGb: 0 }));
    await Promise.all(Array.from({ length: 5 }, () => updateAppliance(ctx, 'a3', (a) => ({ ...a, storedDataGb: a.storedDataGb + 1 }))));
    expect((await requireAppliance(ctx, 'a3')).storedDataGb).toBe(5);
  });

  describe('site snapshots (a client calling in a loop costs no store read)', () => {
    const counted = (ctx: ReturnType<typeof memoryContext>) => {
      const store = ctx.records.appliances;
      let gets = 0;
      const get = store.get.bind(store);
      store.get = ((key) => {
        gets++;
        return get(key);
      }) as typeof store.get;
      return () => gets;
    };

    it('answers from a recent copy, and reads again once it is older than SITE_SNAPSHOT_MS', async () => {
      const clock = new FakeClock();
      const ctx = memoryContext({ clock });
      await createAppliance(ctx, sampleAppliance('s1'));
      const gets = counted(ctx);
      await getApplianceForSite(ctx, 's1');
      await getApplianceForSite(ctx, 's1');
      expect(gets()).toBe(1);
      clock.advance(SITE_SNAPSHOT_MS);
      await getApplianceForSite(ctx, 's1');
      expect(gets()).toBe(2);
    });

    it('never answers from a copy older than a write in this process', async () => {
      const ctx = memoryContext();
      await createAppliance(ctx, sampleAppliance('s2'));
      await getApplianceForSite(ctx, 's2');
      await updateAppliance(ctx, 's2', (a) => ({ ...a, productVersion: '10.6.0' }));
      expect((await getApplianceForSite(ctx, 's2'))?.productVersion).toBe('10.6.0');
    });

    it('reads through (and settles) a copy whose install passed a phase boundary: the site goes down on time', async () => {
      const clock = new FakeClock();
      const ctx = memoryContext({ clock });
      const now = clock.now().getTime();
      const at = (ms: number) => new Date(now + ms).toISOString();
      await createAppliance(ctx, sampleAppliance('s3', {
        state: 'installing',
        install: { packageId: 'bomgar-10.6.0', fromVersion: '10.5.2', targetVersion: '10.6.0', startedAt: at(0), restartAt: at(200), onlineAt: at(400) },
      }));
      expect((await getApplianceForSite(ctx, 's3'))?.state).toBe('installing');
      clock.advance(250);
      expect((await getApplianceForSite(ctx, 's3'))?.state).toBe('restarting');
      clock.advance(200);
      expect(await getApplianceForSite(ctx, 's3')).toMatchObject({ state: 'online', productVersion: '10.6.0' });
    });
  });
});
