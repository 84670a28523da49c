import { createAppliance, requireAppliance } from '../../functions/emulator/app/appliance-store.js';
import type { AppContext } from '../../functions/platform/app/context.js';
import { getPair } from '../../functions/emulator/app/failover-pair-store.js';
import { breakPair, establishPair, forceSync } from '../../functions/emulator/app/failover-pairs.js';
import { switchPrimaryHostname } from '../../functions/emulator/app/primary-hostname.js';
import { allocateSessionIds, putSession } from '../../functions/emulator/app/session-store.js';
import type { SupportSession } from '../../functions/emulator/core/session.js';
import { sampleAppliance } from './fixtures.js';
import { FakeClock, memoryContext } from './memory-context.js';

/** Pair a (primary) / b (backup) on the memory context, established, at `version`. */
export async function setup(version: string) {
  const clock = new FakeClock();
  const ctx = memoryContext({ clock });
  for (const id of ['a', 'b']) await createAppliance(ctx, sampleAppliance(id, { productVersion: version, ipAddress: id === 'a' ? '10.0.0.1' : '10.0.0.2', license: { primaryHostname: 'support.example.com', licenseCount: 15, expires: null } }));
  await establishPair(ctx, { primaryId: 'a', backupId: 'b' });
  return { ctx, clock };
}

/** Records one session on `on` a minute after the previous one. */
export async function record(ctx: AppContext, clock: FakeClock, on: string, status: 'active' | 'completed' = 'completed'): Promise<SupportSession> {
  const a = await requireAppliance(ctx, on);
  const { lsid, lseq } = (await allocateSessionIds(ctx, on, a.productVersion, 1))[0]!;
  clock.advance(60_000);
  const start = clock.now().toISOString();
  const s: SupportSession = {
    applianceId: on, lsid, ...(lseq !== undefined ? { lseq } : {}), sessionType: 'support', status,
    startTime: start, ...(status === 'completed' ? { endTime: start, duration: 0, endReason: 'completed' as const } : {}),
    fileTransfers: 0, hostName: 'host', externalKey: '', publicSiteId: 1, publicSiteName: 'Default', customerName: 'c', representativeName: 'rep', recordedBy: on,
  };
  await putSession(ctx, s);
  return s;
}

export const pairOf = async (ctx: AppContext) => (await getPair(ctx, (await requireAppliance(ctx, 'a')).failover.pairId!))!;

/** The usual start of a broken-pair case: one session recorded on a and synced to b, then the pair broken. */
export async function brokenAfterSync(version: string, options: { hostname?: boolean } = {}) {
  const { ctx, clock } = await setup(version);
  if (options.hostname) await switchPrimaryHostname(ctx, 'support.example.com', 'a');
  await record(ctx, clock, 'a');
  await forceSync(ctx, 'b');
  await breakPair(ctx, 'a');
  return { ctx, clock };
}
