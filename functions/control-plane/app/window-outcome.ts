/**
 * How a window ends: success records the outcome (and, after window 1 of a failover run, the interim
 * checks); failure first puts the system in a safe state, then records the failure with a clear reason.
 */
import { isDomainError } from '../../platform/core/errors.js';
import { installTargets, runVersionOf, servingAfterWindow1, type InterimCheck, type Run, type WindowIndex } from '../core/run.js';
import { siteAvailable } from '../../platform/core/appliance.js';
import type { ApplianceView, FailoverStatusView } from '../../platform/core/appliance-driver.js';
import { driverOf } from './appliance-drivers.js';
import { getManualStep } from './guided-driver.js';
import type { AppContext } from '../../platform/app/context.js';
import { appendAudit, getStep, requireRun, updateRun } from './run-store.js';
import { recordWindowOutcome } from './runs.js';
import { recordMetric } from '../../platform/observability/metrics.js';
import { holdTokenOf } from './run-holds.js';

export async function completeWindow(ctx: AppContext, runId: string, window: WindowIndex) {
  const run = await recordWindowOutcome(ctx, runId, window, { ok: true });
  if (run.option !== 'single' && window === 1) await runInterimChecks(ctx, runId);
  return { runId, window, status: (await requireRun(ctx, runId)).status };
}

/**
 * Automated interim checks after window 1: the upgraded side is online at the target version, it is the
 * one serving production, every session the primary held before the break is still readable there, and
 * (option 2) IP-configured integrations can reach it. Stored on the run; window 2 also needs an approval.
 */
export async function runInterimChecks(ctx: AppContext, runId: string): Promise<InterimCheck[]> {
  const run = await requireRun(ctx, runId);
  const upgradedId = installTargets(run, 1)[0]!;
  const upgraded = await driverOf(ctx, upgradedId).describe(upgradedId);
  const servingId = servingAfterWindow1(run);
  // Option 2: the upgraded appliance is the one serving (one read of it).
  const serving = servingId === upgradedId ? upgraded : await driverOf(ctx, servingId).describe(servingId);
  const pair = serving.failover.pairId ? await driverOf(ctx, servingId).failoverStatus(servingId) : undefined;
  const hostname = pair?.primaryHostname?.hostname;
  const resolvesTo = pair?.primaryHostname?.resolvesTo;
  const checks: InterimCheck[] = [
    { name: 'upgraded-online', passed: upgraded.state === 'online', detail: `${upgradedId} is ${upgraded.state}` },
    { name: 'version', passed: runVersionOf(run, upgraded) === run.targetVersion, detail: `${upgradedId} runs ${runVersionOf(run, upgraded)} (target ${run.targetVersion})` },
    {
      name: 'serving-production',
      passed: siteAvailable(serving) && (!hostname || resolvesTo === servingId),
      detail: hostname ? `${hostname} → ${resolvesTo ?? 'nothing'}; ${servingId} is ${serving.state}` : `${servingId} is ${serving.state}`,
    },
  ];
  const baseline = (await getStep(ctx, runId, 'w1#sync-before-break'))?.output as { primaryCompleted?: number } | undefined;
  const completed = await driverOf(ctx, servingId).completedSessions(servingId);
  const expected = baseline?.primaryCompleted;
  // Sessions lost must stay 0: recorded on every check, so the alarm sees the zeros too.
  recordMetric('SessionsLost', Math.max(0, (expected ?? completed) - completed), {}, { runId, servingId });
  checks.push({
    name: 'session-records',
    passed: expected === undefined || completed >= expected,
    detail: expected === undefined ? `${completed} completed session(s) readable on ${servingId}` : `${completed} completed session(s) on ${servingId}, ${expected} before the break`,
  });
  if (run.option === 'option2' && pair) {
    const readiness = await driverOf(ctx, servingId).integrationReadiness(pair.pairId, servingId);
    const blocked = readiness.integrations.filter((i) => !i.ready);
    checks.push({ name: 'integrations', passed: readiness.ready, detail: blocked.length ? `configured by IP, will not follow the DNS change: ${blocked.map((i) => i.name).join(', ')}` : 'all integrations reach the serving appliance' });
  }
  const passed = checks.every((c) => c.passed);
  await updateRun(ctx, runId, (r) => ({ ...r, interim: { ...r.interim, checks: { passed, results: checks, checkedAt: ctx.clock.now().toISOString() } } }));
  await appendAudit(ctx, { runId, step: 'interim.checks', actor: 'workflow', outcome: passed ? 'succeeded' : 'failed', inputs: { runId }, detail: checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`).join('; ') || 'all passed' });
  return checks;
}

export interface WindowFailure {
  Error?: string;
  Cause?: string;
}

/**
 * Catch handler of every window. Before any install of this window started: abort and restore the pair
 * as it was (roles, DNS). After an install started: keep a healthy appliance serving production and do
 * not touch the failed one. Then the window is recorded failed (or cancelled) with the reason, and an
 * alert event is written. Idempotent: each action checks the state it wants first.
 */
export async function failWindow(ctx: AppContext, runId: string, window: WindowIndex, failure: WindowFailure) {
  const run = await requireRun(ctx, runId);
  const reason = describeFailure(failure);
  const actions: string[] = [];
  const installStarted = await anyInstallStarted(ctx, run, window);
  if (run.option !== 'single') {
    try {
      if (!installStarted) actions.push(...(await restorePair(ctx, run, window)));
      else actions.push(...(await keepHealthySideServing(ctx, run)));
    } catch (e) {
      actions.push(`safe-state action failed: ${isDomainError(e) ? e.message : String(e)}`);
    }
  }
  const cancelled = failure.Error === 'RunCancelled';
  // A cancel that met an install: the install could not be stopped, so say what it left, plainly.
  const afterInstall = cancelled && installStarted ? await stateAfterCancelledInstall(ctx, run, window) : undefined;
  const error = afterInstall ?? (cancelled ? `cancelled: ${reason}` : reason);
  await recordWindowOutcome(ctx, runId, window, { ok: false, error, cancelled });
  await appendAudit(ctx, {
    runId,
    step: `window${window}.alert`,
    actor: 'workflow',
    outcome: 'failed',
    inputs: failure,
    detail: `${cancelled ? 'CANCELLED' : 'ALERT'}: window ${window} stopped: ${afterInstall ?? reason}. Safe state: ${actions.join('; ') || 'nothing to undo'}`,
  });
  return { runId, window, installStarted, actions, reason };
}

/**
 * After a cancel that arrived while an install ran: the install completed (it cannot be stopped), and the
 * run stops in the safe state that follows from the new version. Describes it for the run's reason.
 */
async function stateAfterCancelledInstall(ctx: AppContext, run: Run, window: WindowIndex): Promise<string> {
  const members = await Promise.all([run.primaryId, ...(run.backupId ? [run.backupId] : [])].map((id) => describeIfReachable(ctx, id)));
  const version = (a: ApplianceView | undefined) => (a ? `${a.applianceId} ${a.state === 'online' ? `runs ${runVersionOf(run, a)}` : `is ${a.state}`}` : '');
  const installed = installTargets(run, window).map((id) => members.find((m) => m?.applianceId === id)).filter((a): a is ApplianceView => a !== undefined);
  const pair = members[0]?.failover.pairId ? await pairOf(ctx, run.primaryId) : undefined;
  const hostname = pair?.primaryHostname?.hostname;
  const serving = pair?.primaryHostname?.resolvesTo;
  const c = run.cancelRequested;
  const who = c ? `cancelled by ${c.by} (${c.reason})` : 'cancelled';
  const done = installed.map((a) => `${a.applianceId} finished the install (${a.state === 'online' ? `now ${runVersionOf(run, a)}` : a.state})`).join(', ');
  const parts = [
    `${who} during the install: an install cannot be stopped, so ${done}; the run stopped after it`,
    `now: ${members.map(version).filter(Boolean).join(', ')}`,
    ...(hostname ? [`${hostname} → ${serving ?? 'nothing'}`] : []),
    ...(pair ? [`failover ${pair.status}`] : []),
  ];
  if (run.option !== 'single' && pair?.status === 'broken') {
    const behind = members.filter((m): m is ApplianceView => m !== undefined && runVersionOf(run, m) !== run.targetVersion);
    if (behind.length) parts.push(`to finish: upgrade ${behind.map((b) => b.applianceId).join(', ')} to ${run.targetVersion} alone (a single-appliance run), then re-establish failover`);
  }
  return parts.join('; ');
}

function describeFailure(failure: WindowFailure): string {
  let cause = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; message?: string };
    cause = parsed.errorMessage ?? parsed.message ?? cause;
  } catch {
    // plain text cause
  }
  return `${failure.Error ?? 'Error'}: ${cause}`.slice(0, 1000);
}

/**
 * Whether this window's install request reached an appliance. The appliance carries the request key from
 * the moment it is marked installing (`install`, then `lastInstall` once settled); the install record is
 * written last, so a step that failed in between leaves only the appliance's mark.
 */
async function anyInstallStarted(ctx: AppContext, run: Run, window: WindowIndex): Promise<boolean> {
  for (const id of installTargets(run, window)) {
    const requestKey = `${run.runId}:w${window}:install:${id}`;
    const driver = driverOf(ctx, id);
    const appliance = await describeIfReachable(ctx, id);
    if (appliance?.install?.requestKey === requestKey || appliance?.lastInstall?.requestKey === requestKey) return true;
    if ((await driver.listInstalls(id)).some((r) => r.requestKey === requestKey)) return true;
    // A guided install: once the operator was asked to install, it may have started (conservative).
    if (await getManualStep(ctx, requestKey)) return true;
  }
  return false;
}

/** The appliance's view, or undefined when it is gone (a failure handler must still finish). */
async function describeIfReachable(ctx: AppContext, applianceId: string): Promise<ApplianceView | undefined> {
  return driverOf(ctx, applianceId)
    .describe(applianceId)
    .catch((e: unknown) => {
      if (isDomainError(e) && e.kind === 'not-found') return undefined;
      throw e;
    });
}

/** The pair of `applianceId` as its failover page shows it, or undefined when it is in none. */
async function pairOf(ctx: AppContext, applianceId: string): Promise<FailoverStatusView | undefined> {
  return driverOf(ctx, applianceId)
    .failoverStatus(applianceId)
    .catch((e: unknown) => {
      if (isDomainError(e) && (e.kind === 'not-found' || e.kind === 'precondition')) return undefined;
      throw e;
    });
}

/** Nothing was installed in this window: undo the break (and the DNS move) so the pair is as it was. */
async function restorePair(ctx: AppContext, run: Run, window: WindowIndex): Promise<string[]> {
  const actions: string[] = [];
  if (window !== 1) return actions; // window 2 starts from a broken pair by design; leave it for a retry
  const broke = await getStep(ctx, run.runId, 'w1#break-pair');
  if (!broke) return actions;
  const driver = driverOf(ctx, run.primaryId);
  const primary = await driver.describe(run.primaryId);
  const pair = primary.failover.pairId ? await pairOf(ctx, run.primaryId) : undefined;
  if (!pair) return actions;
  const hostname = pair.primaryHostname?.hostname;
  if (hostname && pair.primaryHostname?.resolvesTo !== run.primaryId) {
    await driver.switchPrimaryHostname(hostname, run.primaryId);
    actions.push(`${hostname} moved back to ${run.primaryId}`);
  }
  if (pair.status === 'broken') {
    const exported = await driver.exportSessionsAtRisk(pair.pairId, run.primaryId);
    await driver.establishPair({ primaryId: run.primaryId, backupId: run.backupId!, holdToken: await holdTokenOf(ctx, run.runId) });
    actions.push(`pair re-established with ${run.primaryId} primary${exported.count ? ` (${exported.count} session(s) exported first)` : ''}`);
  }
  return actions;
}

/** An install started: production must stay on an online appliance; the failed one is left for diagnosis. */
async function keepHealthySideServing(ctx: AppContext, run: Run): Promise<string[]> {
  const primary = await driverOf(ctx, run.primaryId).describe(run.primaryId);
  const pair = primary.failover.pairId ? await pairOf(ctx, run.primaryId) : undefined;
  const hostname = pair?.primaryHostname?.hostname;
  if (!pair || !hostname) return [];
  const servingId = pair.primaryHostname?.resolvesTo;
  const serving = servingId ? await describeIfReachable(ctx, servingId) : undefined;
  if (serving && siteAvailable(serving) && serving.state === 'online') return [`${hostname} stays on healthy ${serving.applianceId}`];
  const other = [run.primaryId, run.backupId!].find((id) => id !== servingId)!;
  const candidate = await describeIfReachable(ctx, other);
  if (candidate?.state !== 'online') return [`no healthy appliance to serve ${hostname}: both members are down`];
  await driverOf(ctx, other).switchPrimaryHostname(hostname, other);
  return [`${hostname} moved to healthy ${other} (${servingId} is ${serving?.state ?? 'unknown'})`];
}
