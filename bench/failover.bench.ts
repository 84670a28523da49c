import { createAppliance } from '../functions/emulator/app/appliance-store.js';
import type { AppContext } from '../functions/platform/app/context.js';
import { establishPair, forceSync } from '../functions/emulator/app/failover-pairs.js';
import { writeSessions } from '../functions/emulator/app/failover-sync.js';
import { allocateSessionIds } from '../functions/emulator/app/session-store.js';
import type { SupportSession } from '../functions/emulator/core/session.js';
import { sampleAppliance } from '../test/helpers/fixtures.js';
import { startTestRuntime } from '../test/helpers/runtime.js';
import { round, type Benchmark } from './bench.js';

const TOTAL = 100_000;
const CHANGED = TOTAL / 100;
const VERSION = '10.6.0';

async function recordSessions(ctx: AppContext, applianceId: string, count: number): Promise<void> {
  const ids = await allocateSessionIds(ctx, applianceId, VERSION, count);
  const sessions: SupportSession[] = ids.map(({ lsid, lseq }, i) => ({
    applianceId, lsid, lseq, sessionType: 'support', status: 'completed',
    startTime: new Date(Date.UTC(2026, 0, 1) + (lseq ?? i) * 60_000).toISOString(),
    endTime: new Date(Date.UTC(2026, 0, 1) + (lseq ?? i) * 60_000 + 600_000).toISOString(),
    duration: 600, fileTransfers: 0, hostName: `pc-${i % 500}`, externalKey: '', publicSiteId: 1, publicSiteName: 'Default',
    customerName: `customer ${i}`, representativeName: `rep ${i % 40}`, endReason: 'completed', recordedBy: applianceId,
  }));
  await writeSessions(ctx, sessions);
}

const time = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
};

/** Incremental force sync of 1% changed sessions vs a full resync of the same 100,000-session pair, on dynalite. */
const bench: Benchmark = async () => {
  const runtime = await startTestRuntime();
  try {
    const ctx = runtime.services;
    await createAppliance(ctx, sampleAppliance('bench-primary', { productVersion: VERSION }));
    await createAppliance(ctx, sampleAppliance('bench-backup', { productVersion: VERSION }));
    const [seedMs] = await time(() => recordSessions(ctx, 'bench-primary', TOTAL - CHANGED));
    const [establishMs] = await time(() => establishPair(ctx, { primaryId: 'bench-primary', backupId: 'bench-backup' }));
    await recordSessions(ctx, 'bench-primary', CHANGED);
    const [incrementalMs, incremental] = await time(() => forceSync(ctx, 'bench-backup'));
    if (incremental.kind !== 'incremental' || incremental.transferred !== CHANGED) throw new Error(`incremental sync moved ${incremental.transferred}`);
    const [fullMs, full] = await time(() => forceSync(ctx, 'bench-backup', { full: true }));
    if (full.kind !== 'full' || full.transferred !== TOTAL) throw new Error(`full resync moved ${full.transferred}`);
    const ratio = round(fullMs / incrementalMs, 1);
    return [
      {
        name: `incremental force sync: ${CHANGED.toLocaleString('en')} changed of ${TOTAL.toLocaleString('en')} sessions (dynalite)`,
        value: round(incrementalMs, 0),
        unit: 'ms',
        baseline: { name: `full resync of the same ${TOTAL.toLocaleString('en')} sessions`, value: round(fullMs, 0) },
        ratio,
        target: '≥ 20× faster (ratio = full / incremental)',
        pass: ratio >= 20,
      },
      {
        name: `seeding ${(TOTAL - CHANGED).toLocaleString('en')} sessions (8 parallel BatchWriteItem writers)`,
        value: round(seedMs, 0),
        unit: 'ms',
        notes: `${Math.round((TOTAL - CHANGED) / (seedMs / 1000))} sessions/s; establish with full sync of them took ${round(establishMs, 0)} ms`,
      },
    ];
  } finally {
    await runtime.dispose();
  }
};
export default bench;
