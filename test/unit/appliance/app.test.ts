import { describe, expect, it } from 'vitest';
import { seedDemoFleet, seedPackageCatalog } from '../../../functions/emulator/app/appliance-seed.js';
import { createAppliance, requireAppliance } from '../../../functions/emulator/app/appliance-store.js';
import { checkForUpdates, installStatus, startInstall } from '../../../functions/emulator/app/install.js';
import { buildPackageFile } from '../../../functions/emulator/app/package-signing.js';
import { getPackage, listPackages, storePackage } from '../../../functions/emulator/app/packages.js';
import { allocateSessionIds, getSession, iterateSessions, putSession } from '../../../functions/emulator/app/session-store.js';
import { consolesReport } from '../../../functions/emulator/app/staff-consoles.js';
import { getConsole } from '../../../functions/emulator/app/staff-console-store.js';
import type { SupportSession } from '../../../functions/emulator/core/session.js';
import { sampleAppliance } from '../../helpers/fixtures.js';
import { FakeClock, memoryContext } from '../../helpers/memory-context.js';

const once = (bytes: Uint8Array) => (async function* () { yield bytes; })();
const file = (payload = Buffer.from('payload-bytes'), o: { sign?: boolean } = {}) =>
  buildPackageFile({ packageId: 'bomgar-12.1.0', kind: 'product', version: '12.1.0' }, payload, o);

describe('storePackage', () => {
  it('stores a signed package content-addressed and refuses bad files without storing anything', async () => {
    const ctx = memoryContext();
    const good = file();
    const cases: [Uint8Array, string][] = [
      [file(undefined, { sign: false }), 'PackageUnsigned'],
      [good.subarray(0, good.length - 3), 'PackageTruncated'],
      [Buffer.concat([good, Buffer.from('x')]), 'PackageTrailingData'],
      [Buffer.concat([good.subarray(0, good.length - 1), Buffer.from('!')]), 'PackageDigestMismatch'],
      [Buffer.from('not a package at all, definitely not'), 'PackageCorrupt'],
    ];
    for (const [bytes, code] of cases) {
      await expect(storePackage(ctx, once(bytes), { source: 'upload' })).rejects.toMatchObject({ code });
    }
    expect(await ctx.blobs.packages.list('')).toEqual([]);
    expect(await getPackage(ctx, 'bomgar-12.1.0')).toBeUndefined();
    const { record, created } = await storePackage(ctx, once(good), { source: 'upload' });
    expect(created).toBe(true);
    expect((await ctx.blobs.packages.list('')).map((o) => o.key)).toEqual([`sha256/${record.sha256}`]);
    expect((await storePackage(ctx, once(good), { source: 'upload' })).created).toBe(false);
  });

  it('two concurrent uploads of one package id: one is stored, the other with different bytes is a conflict', async () => {
    const ctx = memoryContext();
    const outcomes = await Promise.allSettled([
      storePackage(ctx, once(file(Buffer.from('first payload'))), { source: 'upload' }),
      storePackage(ctx, once(file(Buffer.from('second payload'))), { source: 'upload' }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value.created)).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult | undefined;
    expect(refused?.reason).toMatchObject({ code: 'PackageConflict' });
    const stored = await getPackage(ctx, 'bomgar-12.1.0');
    const winner = outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ record: { sha256: string } }>;
    expect(stored?.sha256).toBe(winner.value.record.sha256);
  });
});

describe('install lifecycle on the memory context', () => {
  it('installs, ends sessions with a reason, logs staff out, settles lazily, flags consoles and migrates lsids across 10.6', async () => {
    const clock = new FakeClock();
    const ctx = memoryContext({ clock, env: { TIME_SCALE_MS_PER_MINUTE: '1000' } });
    await seedPackageCatalog(ctx);
    await seedDemoFleet(ctx);
    await seedDemoFleet(ctx); // idempotent
    expect((await listPackages(ctx)).map((p) => p.packageId)).toEqual(['base-3.2.6', 'bomgar-11.1.1', 'bomgar-10.6.0']);
    const [id] = await allocateSessionIds(ctx, 'appliance-a', '10.5.2', 1);
    const session: SupportSession = {
      applianceId: 'appliance-a', lsid: id!.lsid, sessionType: 'support', status: 'active', startTime: clock.now().toISOString(), fileTransfers: 0,
      hostName: 'h', externalKey: '', publicSiteId: 1, publicSiteName: 'Default', customerName: 'c', representativeName: 'alice', recordedBy: 'appliance-a',
    };
    await putSession(ctx, session);
    const updates = await checkForUpdates(ctx, 'appliance-a');
    expect(updates.updates.find((u) => u.packageId === 'bomgar-11.1.1')?.reasons[0]?.message).toBe("Bomgar-11.1.1: 3.2.4 does not satisfy 11.1.1's requirements");

    const { install } = await startInstall(ctx, 'appliance-a', 'bomgar-10.6.0', { requestKey: 'run-1:w1:install' });
    expect(install).toMatchObject({ state: 'installing', sessionsTerminated: 1, staffLoggedOut: 2 });
    expect(await getSession(ctx, 'appliance-a', id!.lsid)).toMatchObject({ status: 'completed', endReason: 'terminated-by-upgrade' });
    const again = await startInstall(ctx, 'appliance-a', 'bomgar-10.6.0', { requestKey: 'run-1:w1:install' });
    expect(again).toMatchObject({ replayed: true, install: { installId: install.installId } });

    clock.advance(33 * 1000 - 1);
    expect((await installStatus(ctx, 'appliance-a')).state).toBe('restarting');
    clock.advance(1);
    expect(await requireAppliance(ctx, 'appliance-a')).toMatchObject({ state: 'online', productVersion: '10.6.0', version: 4 });
    const migrated = [];
    for await (const s of iterateSessions(ctx, 'appliance-a')) migrated.push(s);
    expect(migrated).toHaveLength(1);
    expect(migrated[0]).toMatchObject({ lseq: 1, legacyLsid: 1, endReason: 'terminated-by-upgrade' });
    expect((await getConsole(ctx, 'appliance-a', 'bob-lockdown'))?.flag?.status).toBe('needs-redeploy');
    const report = await consolesReport(ctx, 'appliance-a');
    expect(report.appliances[0]!.laggards.map((l) => l.status).sort()).toEqual(['needs-redeploy', 'pending-auto-update', 'pending-auto-update']);
    // The replay after completion still returns the same install, now online, and does not install again.
    const late = await startInstall(ctx, 'appliance-a', 'bomgar-10.6.0', { requestKey: 'run-1:w1:install' });
    expect(late).toMatchObject({ replayed: true, install: { state: 'online', outcome: 'online' } });
    expect((await requireAppliance(ctx, 'appliance-a')).version).toBe(4);
  });

  it('refuses an install on an unknown package or appliance', async () => {
    const ctx = memoryContext();
    await createAppliance(ctx, sampleAppliance('x1'));
    await expect(startInstall(ctx, 'x1', 'bomgar-99.0.0')).rejects.toMatchObject({ code: 'PackageNotFound' });
    await seedPackageCatalog(ctx);
    await expect(startInstall(ctx, 'nope', 'bomgar-10.6.0')).rejects.toMatchObject({ code: 'ApplianceNotFound' });
    expect((await requireAppliance(ctx, 'x1')).version).toBe(1);
  });
});
