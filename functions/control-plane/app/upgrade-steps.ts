/**
 * The steps of the upgrade workflows (statemachines/*.asl.json), one function per Task state. Each step
 * checks for cancellation first, runs at most once to completion per (run, window, step, appliance) via
 * `runStepOnce`, and writes an audit event; a retried or resumed execution replays finished steps.
 */
import type { Appliance } from '../../platform/core/appliance.js';
import type { ApplianceDriver, BackupView, FailoverStatusView } from '../../platform/core/appliance-driver.js';
import { backupCounts } from '../../platform/core/backup-rules.js';
import { notFound, preconditionFailed } from '../../platform/core/errors.js';
import { estimateInstallMinutes } from '../../platform/core/install.js';
import { evaluatePackage } from '../../platform/core/packages.js';
import { cancelledBy, installTargets, minutesUsed, runVersionOf, servingAfterWindow1, type InstallBackup, type Run, type WindowIndex } from '../core/run.js';
import { apiVersionFor } from '../../platform/core/versions.js';
import { driverOf, inventoryOf } from './appliance-drivers.js';
import type { AppContext } from '../../platform/app/context.js';
import { holdTokenOf } from './run-holds.js';
import { appendAudit, getStep, requireRun, runStepOnce, updateRun } from './run-store.js';

export interface StepInput {
  runId: string;
  window: WindowIndex;
  step: string;
  applianceId?: string;
}

/** Backups older than this are refreshed by preflight. */
export const MAX_BACKUP_AGE_HOURS = 24;

/** The step's key on the appliance side (idempotency, a guided step's confirmation). */
const requestKeyOf = (input: StepInput) => `${input.runId}:w${input.window}:${input.step}${input.applianceId ? `:${input.applianceId}` : ''}`;

const stepKey = (input: StepInput) => `w${input.window}#${input.step}${input.applianceId ? `#${input.applianceId}` : ''}`;

/** Runs `work` as an audited, idempotent, cancellable step. */
export async function workflowStep<T>(ctx: AppContext, input: StepInput, work: (run: Run) => Promise<T>): Promise<T> {
  const run = await requireRun(ctx, input.runId);
  if (run.cancelRequested) {
    throw preconditionFailed('RunCancelled', `run ${run.runId} was ${cancelledBy(run.cancelRequested)}`);
  }
  const audit = { runId: input.runId, step: stepKey(input), actor: 'workflow', inputs: input };
  try {
    const { output, replayed } = await runStepOnce(ctx, input.runId, stepKey(input), () => work(run));
    await appendAudit(ctx, { ...audit, outcome: replayed ? 'skipped' : 'succeeded', detail: replayed ? 'already done by an earlier attempt' : summarize(output) });
    return output;
  } catch (e) {
    await appendAudit(ctx, { ...audit, outcome: 'failed', detail: `${(e as Error).name}: ${(e as Error).message}` });
    throw e;
  }
}

const summarize = (output: unknown) => (output === undefined ? undefined : JSON.stringify(output).slice(0, 500));

export { installTargets, servingAfterWindow1 } from '../core/run.js';

/** Facts the rest of the execution needs, in the execution's state. */
export async function loadRun(ctx: AppContext, input: StepInput) {
  const run = await requireRun(ctx, input.runId);
  const window = run.windows[input.window - 1];
  if (!window) throw preconditionFailed('NoSuchWindow', `run ${run.runId} has no window ${input.window}`);
  if (window.status !== 'running') throw preconditionFailed('WindowNotRunning', `window ${input.window} of run ${run.runId} is ${window.status}; start it through the control API`);
  return { option: run.option, primaryId: run.primaryId, backupId: run.backupId ?? null, targets: installTargets(run, input.window), targetVersion: run.targetVersion };
}

/** Every window: fresh backups, package present with its digest, prerequisites, roles and sync state as planned. */
export function preflight(ctx: AppContext, input: StepInput) {
  return workflowStep(ctx, input, async (run) => {
    const members = [run.primaryId, ...(run.backupId ? [run.backupId] : [])];
    const appliances = await Promise.all(members.map((id) => driverOf(ctx, id).describe(id)));
    const pkg = await inventoryOf(ctx).getPackage(run.packageId, { verifyFile: true });
    if (!pkg) throw notFound('PackageNotFound', `package ${run.packageId} does not exist`);
    const object = pkg.file;
    if (!object?.stored) throw preconditionFailed('PackageMissing', `package ${pkg.packageId} has no stored file (sha256/${pkg.sha256})`);
    if (object.size !== pkg.size) throw preconditionFailed('PackageDigestMismatch', `package ${pkg.packageId}: stored size ${object.size} does not match its manifest (${pkg.size})`);
    if (pkg.version !== run.targetVersion) throw preconditionFailed('PackageVersionMismatch', `package ${pkg.packageId} installs ${pkg.version}, the run targets ${run.targetVersion}`);

    // The package's own rules decide, as the appliance's install does: failover pairs cannot use automatic
    // update (the guide sends them to a package from support, installed by "Update Software"), so whether
    // Check for Updates offers the package does not matter; the plan checks the same rules.
    for (const id of installTargets(run, input.window)) {
      const appliance = appliances.find((a) => a.applianceId === id)!;
      if (runVersionOf(run, appliance) === run.targetVersion) continue; // a resumed run already installed it
      const evaluation = evaluatePackage(pkg, appliance, ctx.clock.now());
      if (evaluation.status !== 'installable') {
        const reasons = evaluation.reasons.length ? evaluation.reasons.map((r) => r.message) : [`${pkg.name} is ${evaluation.status} on ${id} (${runVersionOf(run, appliance)})`];
        throw preconditionFailed('PrerequisitesNotMet', reasons.join('; '), { applianceId: id, reasons });
      }
    }

    // Roles, sync state and (window 1) the primary hostname first: nothing is backed up or broken for a pair
    // that is not as planned. The primary's failover page is read once: the members recorded below are the same.
    const pair = run.option === 'single' ? undefined : await assertPairAsPlanned(ctx, run, input.window, appliances);

    // A backup counts only if taken at the version the appliance runs now and after its last settings change.
    const backups: Record<string, string> = {};
    for (const a of appliances) backups[a.applianceId] = (await backupForUpgrade(ctx, run, input.window, a, 'backup')).backupId;

    return { backups, package: { packageId: pkg.packageId, sha256: pkg.sha256 }, members: pair?.members.map((m) => ({ applianceId: m.applianceId, role: m.role, productVersion: m.productVersion })) };
  });
}

/** Refuses a pair that is not as the run planned it; answers the pair as the primary's failover page showed it. */
async function assertPairAsPlanned(ctx: AppContext, run: Run, window: WindowIndex, appliances: Appliance[]): Promise<FailoverStatusView> {
  const [a, b] = appliances as [Appliance, Appliance];
  const pairId = a.failover.pairId;
  if (!pairId || pairId !== b.failover.pairId) throw preconditionFailed('NotAPair', `${a.applianceId} and ${b.applianceId} are not one failover pair`);
  // The pair as the primary's Management > Failover page shows it (roles, sync, the primary hostname's record).
  const pair = await driverOf(ctx, run.primaryId).failoverStatus(run.primaryId);
  if (pair.pairId !== pairId) throw preconditionFailed('NotAPair', `failover pair ${pairId} does not exist`);
  if (window === 1) {
    const broke = await getStep(ctx, run.runId, 'w1#break-pair');
    if (broke?.status === 'succeeded') return pair; // resumed after the break: roles were checked then
    if (pair.status !== 'established') throw preconditionFailed('PairNotEstablished', `pair ${pairId} is ${pair.status}; window 1 starts from an established pair`);
    if (pair.primaryId !== run.primaryId || pair.backupId !== run.backupId) {
      throw preconditionFailed('RolesNotAsPlanned', `pair ${pairId} has primary ${pair.primaryId} and backup ${pair.backupId}; the run expects ${run.primaryId} primary and ${run.backupId} backup`);
    }
    // Guide, プロセスの注記 2: A must be the primary appliance, the one the primary hostname resolves to.
    const hostname = pair.primaryHostname?.hostname;
    const resolvesTo = pair.primaryHostname?.resolvesTo;
    if (resolvesTo !== run.primaryId) {
      throw preconditionFailed(
        'PrimaryHostnameNotOnPrimary',
        `${hostname ?? 'the primary hostname'} ${resolvesTo ? `resolves to ${resolvesTo}` : 'has no DNS record'}, not to the primary ${run.primaryId}: window 1 stops before anything is synced, broken or installed`,
        { hostname, resolvesTo: resolvesTo ?? null, expected: run.primaryId },
      );
    }
    return pair;
  }
  const upgraded = installTargets(run, 1)[0]!;
  const upgradedAppliance = appliances.find((x) => x.applianceId === upgraded)!;
  if (runVersionOf(run, upgradedAppliance) !== run.targetVersion) {
    throw preconditionFailed('Window1Incomplete', `${upgraded} runs ${runVersionOf(run, upgradedAppliance)}, not ${run.targetVersion}`);
  }
  const established = await getStep(ctx, run.runId, 'w2#establish-pair');
  if (pair.status === 'established' && established?.status !== 'succeeded') {
    throw preconditionFailed('PairNotBroken', `pair ${pairId} was re-established outside this run; window 2 expects it broken`);
  }
  const hostname = pair.primaryHostname?.hostname;
  const serving = pair.primaryHostname?.resolvesTo;
  if (hostname && serving !== servingAfterWindow1(run)) {
    throw preconditionFailed('DnsNotAsPlanned', `${hostname} points to ${serving}; the run expects ${servingAfterWindow1(run)} to serve production`);
  }
  return pair;
}

/**
 * Window 1 of a failover run: the backup pulls everything from the primary, then every completed session
 * above the backup's watermark must be on the backup, completed. Sessions still active cannot be final
 * anywhere yet; they are counted, and the pre-10.6 export before re-establishing covers them.
 */
export function syncBeforeBreak(ctx: AppContext, input: StepInput) {
  return workflowStep(ctx, input, async (run) => {
    const backupId = run.backupId!;
    const driver = driverOf(ctx, backupId);
    // Live traffic goes on during the sync: a session that starts or ends after the sync began is not the sync's
    // to carry (it was still active in what the sync read); the failover page counts as of the sync's cut.
    const cut = ctx.clock.now().toISOString();
    const sync = await driver.forceSync(backupId, { requestKey: requestKeyOf(input) });
    // After the pull, the backup's failover page must show nothing of the primary's missing.
    const status = await driver.failoverStatus(backupId, { asOf: cut });
    if (status.behind !== 0) {
      throw preconditionFailed('PairNotInSync', `the backup ${backupId} lacks ${status.behind ?? 'an unknown number of'} session(s) after the sync; not breaking the pair`, { missing: status.behind });
    }
    const primaryCompleted = await driverOf(ctx, run.primaryId).completedSessions(run.primaryId);
    return { pairId: sync.pairId, primaryCompleted, transferred: sync.transferred };
  });
}

export function breakFailover(ctx: AppContext, input: StepInput) {
  return workflowStep(ctx, input, async (run) => {
    const { pairId, changed } = await driverOf(ctx, run.primaryId).breakPair(run.primaryId, { holdToken: await holdTokenOf(ctx, run.runId), requestKey: requestKeyOf(input) });
    return { pairId, changed };
  });
}

/** Starts the install unless the window cannot fit it (window deadline guard); keyed so it never runs twice. */
export function beginInstall(ctx: AppContext, input: StepInput) {
  return workflowStep(ctx, input, async (run) => {
    const applianceId = input.applianceId!;
    const driver = driverOf(ctx, applianceId);
    const appliance = await driver.describe(applianceId);
    if (runVersionOf(run, appliance) === run.targetVersion && !appliance.install) return { applianceId, alreadyAt: run.targetVersion };
    const window = run.windows[input.window - 1]!;
    const left = window.durationMinutes - minutesUsed(window, ctx.clock.now().getTime(), ctx.config.msPerModelledMinute);
    const estimate = estimateInstallMinutes(appliance);
    if (!appliance.install && estimate > left) {
      throw preconditionFailed('WindowTooShort', `installing ${applianceId} takes about ${estimate} min but only ${Math.max(0, Math.floor(left))} min are left in window ${input.window}; stopping before the install`, { estimateMinutes: estimate, minutesLeft: Math.max(0, Math.floor(left)) });
    }
    // The backup this install relies on (taken now if the one preflight saw no longer counts), on the run.
    const backup = appliance.install ? undefined : await backupForUpgrade(ctx, run, input.window, appliance, 'install-backup');
    if (backup) await recordInstallBackup(ctx, run.runId, input.window, backup, driver);
    const { installId, replayed } = await driver.startInstall(applianceId, run.packageId, {
      requestKey: `${run.runId}:w${input.window}:install:${applianceId}`,
      requireBrokenFailover: run.option !== 'single',
      holdToken: await holdTokenOf(ctx, run.runId),
      targetVersion: run.targetVersion,
    });
    return { applianceId, installId, replayed, estimateMinutes: estimate, ...(backup ? { backupId: backup.backupId } : {}) };
  });
}

/** Poll: `installing` (keep waiting), `online` or `failed`. A read, so neither recorded as a step nor audited. */
export async function pollInstall(ctx: AppContext, input: StepInput): Promise<{ state: 'installing' | 'online' | 'failed'; detail?: string }> {
  const run = await requireRun(ctx, input.runId);
  const status = await driverOf(ctx, input.applianceId!).installStatus(input.applianceId!);
  if (status.state === 'failed') return { state: 'failed', detail: status.lastInstallError ?? 'install failed' };
  if (status.state === 'online' && runVersionOf(run, status) === run.targetVersion) return { state: 'online' };
  if (status.state === 'online') return { state: 'failed', detail: `${input.applianceId} came back online at ${runVersionOf(run, status)}, not ${run.targetVersion}` };
  return { state: 'installing' };
}

/** get_api_info and check_health as an integration would see them. */
export function verifyUpgraded(ctx: AppContext, input: StepInput) {
  return workflowStep(ctx, input, async (run) => {
    const appliance = await driverOf(ctx, input.applianceId!).describe(input.applianceId!);
    if (appliance.state !== 'online') throw preconditionFailed('ApplianceNotHealthy', `${appliance.applianceId} is ${appliance.state}`);
    if (runVersionOf(run, appliance) !== run.targetVersion) throw preconditionFailed('VersionMismatch', `${appliance.applianceId} reports ${runVersionOf(run, appliance)}, expected ${run.targetVersion}`);
    return { applianceId: appliance.applianceId, productVersion: appliance.productVersion, apiVersion: apiVersionFor(appliance.productVersion), failoverRole: appliance.failover.role };
  });
}

/** Option 2, window 1: the primary hostname moves to the upgraded backup, which now serves production. */
export function moveProductionToBackup(ctx: AppContext, input: StepInput) {
  return workflowStep(ctx, input, async (run) => {
    const { hostname } = await pairHostname(ctx, run);
    const { applianceId, changed } = await driverOf(ctx, run.backupId!).switchPrimaryHostname(hostname, run.backupId!);
    return { hostname, target: applianceId, changed };
  });
}

/** The pair's primary hostname (its DNS record, else the license's) and the pair id, from the primary's failover page. */
async function pairHostname(ctx: AppContext, run: Run) {
  const driver = driverOf(ctx, run.primaryId);
  const primary = await driver.describe(run.primaryId);
  const pair = primary.failover.pairId ? await driver.failoverStatus(run.primaryId) : undefined;
  const hostname = pair?.primaryHostname?.hostname ?? primary.license.primaryHostname;
  return { hostname, pairId: pair?.pairId };
}

/** Window 2: export sessions a pre-10.6 re-establish would overwrite, re-establish with the planned roles, re-import. */
export function reestablishFailover(ctx: AppContext, input: StepInput) {
  return workflowStep(ctx, input, async (run) => {
    const primaryId = servingAfterWindow1(run);
    const backupId = primaryId === run.primaryId ? run.backupId! : run.primaryId;
    const { pairId } = await pairHostname(ctx, run);
    if (!pairId) throw preconditionFailed('NotAPair', `${run.primaryId} is no longer in a failover pair`);
    const driver = driverOf(ctx, primaryId);
    const exported = await driver.exportSessionsAtRisk(pairId, primaryId);
    const established = await driver.establishPair({ primaryId, backupId, holdToken: await holdTokenOf(ctx, run.runId), requestKey: requestKeyOf(input) });
    // Always: a retry after the pair was re-established exports nothing new, but an earlier attempt's
    // export may still be pending (the re-import is idempotent).
    const reimported = await driver.reimportSessions(pairId, primaryId);
    return { pairId, primaryId, backupId, exported: exported.count, reimported: reimported.reimported, changed: established.changed };
  });
}

export function resyncPair(ctx: AppContext, input: StepInput) {
  return workflowStep(ctx, input, async (run) => {
    const backupId = servingAfterWindow1(run) === run.primaryId ? run.backupId! : run.primaryId;
    const driver = driverOf(ctx, backupId);
    // In sync as of the sync's cut: sessions that start or end while it runs (live traffic) are the next sync's.
    const cut = ctx.clock.now().toISOString();
    const sync = await driver.forceSync(backupId, { requestKey: requestKeyOf(input) });
    const status = await driver.failoverStatus(backupId, { asOf: cut });
    if (!status.inSync) throw preconditionFailed('PairNotInSync', `pair ${status.pairId} is not in sync after the resync`);
    const versions = status.members.map((m) => runVersionOf(run, m));
    if (versions.some((v) => v !== run.targetVersion)) throw preconditionFailed('VersionMismatch', `pair members run ${versions.join(' and ')}`);
    if (status.primaryHostname && !status.primaryHostname.resolvesToPrimary) throw preconditionFailed('DnsNotAsPlanned', `${status.primaryHostname.hostname} does not resolve to the primary ${status.primaryId}`);
    return { pairId: status.pairId, primaryId: status.primaryId, backupId: status.backupId, transferred: sync.transferred };
  });
}

export function staffConsoleReport(ctx: AppContext, input: StepInput) {
  return workflowStep(ctx, input, async (run) => {
    const members = [run.primaryId, ...(run.backupId ? [run.backupId] : [])];
    const reports = await Promise.all(members.map((id) => driverOf(ctx, id).consolesReport(id)));
    // Which consoles need someone to act (MSI on locked-down machines: redeploy); the rest update themselves.
    const needAction = reports.flatMap((r) => r.appliances.flatMap((a) => a.laggards.filter((l) => l.needsAction).map((l) => ({ applianceId: a.applianceId, consoleId: l.consoleId, username: l.username, action: l.action }))));
    return { laggards: reports.reduce((n, r) => n + r.laggards, 0), needAction: needAction.length, redeploy: needAction.slice(0, 50) };
  });
}

/**
 * The backup an upgrade of `appliance` relies on: the newest one if it still counts (taken at the current
 * version, after the last settings change, under a day old), otherwise a fresh one (keyed per run, window
 * and purpose, so a retried step finds the same).
 */
async function backupForUpgrade(ctx: AppContext, run: Run, window: WindowIndex, appliance: Appliance, purpose: 'backup' | 'install-backup'): Promise<BackupView> {
  const driver = driverOf(ctx, appliance.applianceId);
  const newest = (await driver.listBackups(appliance.applianceId))[0];
  if (newest && backupCounts(newest, appliance, ctx.clock.now(), MAX_BACKUP_AGE_HOURS).counts) return newest;
  return driver.createBackup(appliance.applianceId, `${run.runId}:w${window}:${purpose}:${appliance.applianceId}`);
}

/** Records on the run which backup the install of (window, appliance) relied on (idempotent). */
async function recordInstallBackup(ctx: AppContext, runId: string, window: WindowIndex, b: BackupView, driver: ApplianceDriver): Promise<void> {
  const entry: InstallBackup = { window, applianceId: b.applianceId, backupId: b.backupId, productVersion: b.productVersion ?? '', createdAt: b.createdAt, downloadPath: driver.backupDownloadPath(b) };
  await updateRun(ctx, runId, (r) => {
    const others = (r.installBackups ?? []).filter((x) => !(x.window === window && x.applianceId === b.applianceId));
    const same = r.installBackups?.find((x) => x.window === window && x.applianceId === b.applianceId);
    return same?.backupId === b.backupId ? r : { ...r, installBackups: [...others, entry] };
  });
}
