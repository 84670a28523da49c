import { createAppliance, requireAppliance } from '../../functions/emulator/app/appliance-store.js';
import { seedPackageCatalog } from '../../functions/emulator/app/appliance-seed.js';
import type { AppContext } from '../../functions/platform/app/context.js';
import { establishPair, forceSync } from '../../functions/emulator/app/failover-pairs.js';
import { switchPrimaryHostname } from '../../functions/emulator/app/primary-hostname.js';
import { listAudit, requireRun } from '../../functions/control-plane/app/run-store.js';
import { createUpgradeRun, startRunWindow } from '../../functions/control-plane/app/runs.js';
import { generateSessions } from '../../functions/emulator/app/session-generator.js';
import { iterateSessions } from '../../functions/emulator/app/session-store.js';
import type { Appliance } from '../../functions/platform/core/appliance.js';
import type { UpgradeOption, WindowIndex } from '../../functions/control-plane/core/run.js';
import type { SupportSession } from '../../functions/emulator/core/session.js';
import { sampleAppliance } from './fixtures.js';
import { eventually } from './runtime.js';

let ip = 20;

/** A failover pair `<prefix>-a` (primary, DNS target) / `<prefix>-b` (backup), in sync, with session history. */
export async function pairFixture(ctx: AppContext, prefix: string, options: { version?: string; baseVersion?: string; storedDataGb?: number; sessions?: number } = {}) {
  await seedPackageCatalog(ctx);
  const hostname = `${prefix}.example.com`;
  const license = { primaryHostname: hostname, licenseCount: 15, expires: null };
  const base = { productVersion: options.version ?? '10.5.2', baseVersion: options.baseVersion ?? '3.2.4', storedDataGb: options.storedDataGb ?? 20, license } satisfies Partial<Appliance>;
  const a = await createAppliance(ctx, sampleAppliance(`${prefix}-a`, { ...base, ipAddress: `10.8.0.${ip++}` }));
  await createAppliance(ctx, sampleAppliance(`${prefix}-b`, { ...base, ipAddress: `10.8.0.${ip++}` }));
  await establishPair(ctx, { primaryId: a.applianceId, backupId: `${prefix}-b` });
  await switchPrimaryHostname(ctx, hostname, a.applianceId);
  await generateSessions(ctx, await requireAppliance(ctx, a.applianceId), { count: options.sessions ?? 30, activeFraction: 0.1, seed: prefix.length });
  await forceSync(ctx, `${prefix}-b`);
  return { a: `${prefix}-a`, b: `${prefix}-b`, hostname };
}

/** Windows are long in modelled minutes: at 1 ms per modelled minute, a busy machine must not trip the deadline guard. */
export async function newRun(ctx: AppContext, option: UpgradeOption, primaryId: string, backupId?: string, windowMinutes = 20_000, packageId = 'bomgar-10.6.0', targetVersion = '10.6.0') {
  const start = ctx.clock.now().getTime();
  const windows = Array.from({ length: option === 'single' ? 1 : 2 }, (_, i) => ({
    start: new Date(start + i * (windowMinutes + 60) * 60_000).toISOString(),
    durationMinutes: windowMinutes,
    timeZone: 'Asia/Tokyo',
  }));
  return createUpgradeRun(ctx, { option, packageId, targetVersion, primaryId, backupId, windows }, 'olivia');
}

/** Starts a window through the control plane and waits for its Step Functions execution to end. */
export async function runWindow(ctx: AppContext, runId: string, window: WindowIndex, actor = 'olivia') {
  const run = await startRunWindow(ctx, runId, window, actor);
  const arn = run.windows[window - 1]!.executionArn!;
  const execution = await waitForExecution(ctx, arn);
  return { execution, run: await requireRun(ctx, runId) };
}

export const waitForExecution = (ctx: AppContext, executionArn: string) =>
  eventually(async () => {
    const d = await ctx.workflows.describe(executionArn);
    return d.status === 'RUNNING' ? undefined : d;
  }, 45_000); // a bound for a hung execution (within the 60 s test timeout), not a speed claim

/** Session identity that survives the 10.6 migration and failover copies. */
export const identity = (s: SupportSession) => `${s.recordedBy}:${s.legacyLsid ?? s.sourceLsid ?? s.lsid}`;

export async function sessionsOf(ctx: AppContext, applianceId: string): Promise<SupportSession[]> {
  const out: SupportSession[] = [];
  for await (const s of iterateSessions(ctx, applianceId)) out.push(s);
  return out;
}

export const auditSteps = async (ctx: AppContext, runId: string) => (await listAudit(ctx, runId)).map((e) => `${e.step}:${e.outcome}`);
