import { randomUUID } from 'node:crypto';
import { conflict, DomainError, isDomainError, preconditionFailed, validationError } from '../../platform/core/errors.js';
import type { PackageKind } from '../../platform/core/packages.js';
import type { PlannedStep } from '../core/pipeline.js';
import { ConditionFailedError } from '../../platform/core/ports.js';
import { crosses106, integrationClientReady } from '../core/plan.js';
import { plannedDowntime } from './run-traffic.js';
import { GUID_LSID_SINCE } from '../../platform/core/versions.js';
import {
  cancelledBy,
  decideApproval,
  decideCancel,
  finishWindow,
  installTargets,
  isClosed,
  startWindow,
  windowCount,
  type MaintenanceWindow,
  type Run,
  type RunWarning,
  type RunStatus,
  type UpgradeOption,
  type WindowIndex,
} from '../core/run.js';
import type { ApiUsageView as ApiUsage } from '../../platform/core/appliance-driver.js';
import { driverOf, inventoryOf, isDriverUsage } from './appliance-drivers.js';
import type { AppContext } from '../../platform/app/context.js';
import { controlSettings } from './control-settings.js';
import { holdRunAppliances, releaseHoldsOf, releaseIfClosed, releaseRunHolds } from './run-holds.js';
import { appendAudit, createRun, getRun, listAudit, requireRun, updateRun } from './run-store.js';

/** How long a start may wait for StartExecution before another caller may retry it (same execution name). */
const START_GRACE_MS = 2 * 60_000;

/** A window whose StartExecution answer was lost (its caller died): running, no ARN, started long enough ago. */
export const startInDoubt = (w: MaintenanceWindow | undefined, nowMs: number): w is MaintenanceWindow =>
  w?.status === 'running' && !w.executionArn && !!w.startingAt && nowMs - Date.parse(w.startingAt) >= START_GRACE_MS;

/**
 * Resolves an in-doubt start by asking Step Functions for the execution it would have created (names are
 * deterministic): `missing` (never started), `adopted` (it exists: its ARN is now on the window), or
 * `unknown` (the engine could not be read).
 */
export async function resolveInDoubtStart(ctx: AppContext, run: Run, index: WindowIndex): Promise<'missing' | 'adopted' | 'unknown'> {
  const w = run.windows[index - 1]!;
  const name = `${run.runId}-w${index}-a${w.attempt ?? 1}`;
  const executionArn = `${ctx.workflows.stateMachineArn(WORKFLOW_BY_OPTION[run.option]).replace(':stateMachine:', ':execution:')}:${name}`;
  const found = await ctx.workflows.describe(executionArn).then(
    () => true,
    (e: Error) => (e.name === 'ExecutionDoesNotExist' ? false : undefined),
  );
  if (found === undefined) return 'unknown';
  if (!found) return 'missing';
  await updateRun(ctx, run.runId, (r) => ({
    ...r,
    windows: r.windows.map((x) => (x.index === index && x.status === 'running' && !x.executionArn ? { ...x, executionArn, startingAt: undefined } : x)),
  }));
  return 'adopted';
}

/** The state machine (statemachines/<name>.asl.json) that runs each window of an option. */
export const WORKFLOW_BY_OPTION: Record<UpgradeOption, string> = {
  single: 'single-appliance-upgrade',
  option1: 'failover-option1',
  option2: 'failover-option2',
};

export interface NewRun {
  option: UpgradeOption;
  packageId: string;
  targetVersion: string;
  packageKind?: PackageKind;
  primaryId: string;
  backupId?: string;
  pairId?: string;
  windows: { start: string; durationMinutes: number; timeZone: string }[];
  runId?: string;
  /** Plan warnings the operator creates the run with (long interim, busy hours, not pre-tested...). */
  warnings?: RunWarning[];
  /** The plan's production downtime per window (computed here when not given: live traffic compares with it). */
  downtimeEstimateMinutes?: number[];
  /** The chosen option's steps from the plan (core/pipeline.ts): what the run page tracks. */
  plannedSteps?: PlannedStep[];
}

/** A claim without its run is a creation in progress for this long (the run is written right after its claims). */
const CLAIM_GRACE_MS = 5 * 60_000;

/**
 * One open run per appliance: each appliance of a new run is claimed for it (a record in the runs table),
 * so two runs can never drive the same appliance or pair. A claim whose run is closed, or whose run was
 * never created (past the grace period), is stale and taken over; claims are superseded, never released.
 */
async function claimAppliances(ctx: AppContext, runId: string, applianceIds: string[]): Promise<() => Promise<void>> {
  const taken: { key: { pk: string; sk: string }; version: number }[] = [];
  const giveBack = async () => {
    for (const { key, version } of taken) await ctx.records.runs.delete(key, { expectVersion: version }).catch(() => undefined);
  };
  try {
    for (const applianceId of applianceIds) {
      const key = { pk: `CLAIM#${applianceId}`, sk: 'RUN' };
      for (let attempt = 0; ; attempt++) {
        const current = await ctx.records.runs.get(key);
        if (current?.runId === runId) break;
        if (current) {
          const holder = await getRun(ctx, String(current.runId));
          const beingCreated = !holder && ctx.clock.now().getTime() - Date.parse(String(current.claimedAt)) < CLAIM_GRACE_MS;
          if ((holder && !isClosed(holder.status)) || beingCreated) {
            throw conflict('ApplianceBusy', `appliance ${applianceId} is already in run ${String(current.runId)} (${holder?.status ?? 'being created'}); let it finish or cancel it first`, { applianceId, runId: String(current.runId) });
          }
          // A closed run whose holds were never released (it crashed closing): release them on its behalf.
          if (holder) await releaseRunHolds(ctx, holder);
        }
        const version = Number(current?.version ?? 0) + 1;
        try {
          await ctx.records.runs.put({ ...key, runId, claimedAt: ctx.clock.now().toISOString(), version }, { expectVersion: version - 1 });
          taken.push({ key, version });
          break;
        } catch (e) {
          if (!(e instanceof ConditionFailedError) || attempt >= 5) throw e;
        }
      }
    }
  } catch (e) {
    // The pair's other appliance is busy: give back what this run took, so its first appliance is not held
    // "being created" for the grace period (a claim someone else took over meanwhile is left alone).
    await giveBack();
    throw e;
  }
  return giveBack;
}

/** Creates a run in `scheduled` state; windows must match the option and be in order. */
export async function createUpgradeRun(ctx: AppContext, input: NewRun, actor: string): Promise<Run> {
  const count = windowCount(input.option);
  if (input.windows.length !== count) {
    throw validationError('WindowCountMismatch', `${input.option} needs exactly ${count} maintenance window(s), got ${input.windows.length}`);
  }
  if (input.option !== 'single' && !input.backupId) throw validationError('BackupRequired', 'a failover run needs backupId');
  if (input.option !== 'single' && input.backupId === input.primaryId) throw validationError('SameAppliance', 'primary and backup must differ');
  const starts = input.windows.map((w) => Date.parse(w.start));
  if (starts.some(Number.isNaN)) throw validationError('InvalidWindowStart', 'window start must be an ISO 8601 instant');
  const w1 = input.windows[0]!;
  if (count === 2 && starts[1]! < starts[0]! + w1.durationMinutes * 60_000) {
    throw validationError('WindowsOverlap', 'window 2 must start after window 1 ends (leave an interim for verification)');
  }
  const now = ctx.clock.now().toISOString();
  const windows: MaintenanceWindow[] = input.windows.map((w, i) => ({ ...w, index: (i + 1) as WindowIndex, status: 'scheduled' }));
  const runId = input.runId ?? `run-${randomUUID()}`;
  const members = [input.primaryId, ...(input.backupId ? [input.backupId] : [])];
  for (const id of members) await driverOf(ctx, id).describe(id);
  const estimate = input.downtimeEstimateMinutes ?? (await plannedDowntime(ctx, input));
  const giveBack = await claimAppliances(ctx, runId, members);
  // The appliances keep the hold themselves: their own install and failover paths refuse anyone else.
  try {
    await holdRunAppliances(ctx, { runId, windows }, members);
  } catch (e) {
    await giveBack();
    throw e;
  }
  let run: Run;
  try {
    run = await createRun(ctx, {
      runId,
      option: input.option,
      packageId: input.packageId,
      targetVersion: input.targetVersion,
      ...(input.packageKind === 'base' ? { packageKind: 'base' as const } : {}),
      primaryId: input.primaryId,
      backupId: input.backupId,
      pairId: input.pairId,
      windows,
      interim: {},
      status: 'scheduled',
      createdBy: actor,
      createdAt: now,
      updatedAt: now,
      holds: { applianceIds: members },
      ...(input.warnings?.length ? { warnings: input.warnings } : {}),
      ...(estimate ? { downtimeEstimateMinutes: estimate } : {}),
      ...(input.plannedSteps?.length ? { plannedSteps: input.plannedSteps } : {}),
    });
  } catch (e) {
    // A replayed creation (same run id) keeps what it holds; any other failure gives the appliances back.
    if (!(isDomainError(e) && e.code === 'RunExists')) {
      await releaseHoldsOf(ctx, runId, members);
      await giveBack();
    }
    throw e;
  }
  await appendAudit(ctx, { runId: run.runId, step: 'run.create', actor, outcome: 'succeeded', inputs: input });
  return run;
}

/**
 * Starts window `index` as a new Step Functions execution. Refuses when the run is closed, the window
 * is out of order or (window 2) the interim gate is closed. A window that failed to start or whose
 * execution died can be started again: each attempt is a new execution name, and the steps it repeats
 * are idempotent per run.
 */
export async function startRunWindow(ctx: AppContext, runId: string, index: WindowIndex, actor: string): Promise<Run> {
  // A window marked running whose execution died (process stopped, execution failed without reporting)
  // is resumed: a new attempt replays the finished steps and continues from the first unfinished one.
  let before = await requireRun(ctx, runId);
  if (before.windows[index - 1]?.status === 'scheduled' && !isClosed(before.status) && !before.cancelRequested) {
    // A fresh start: the guide's order before crossing 10.6, then the appliances' holds are renewed.
    await assertStartGates(ctx, before, index);
    if (before.holds) await holdRunAppliances(ctx, before, before.holds.applianceIds);
  }
  // A start whose answer was lost: if its execution exists, adopt it and go on as for any running window.
  const doubt = startInDoubt(before.windows[index - 1], ctx.clock.now().getTime()) ? await resolveInDoubtStart(ctx, before, index) : undefined;
  if (doubt === 'adopted') before = await requireRun(ctx, runId);
  const previous = before.windows[index - 1];
  let resuming = false;
  if (previous?.status === 'running' && previous.executionArn) {
    // Only a confirmed-dead execution is resumed; if its state cannot be read, refuse rather than risk two.
    const execution = await ctx.workflows.describe(previous.executionArn).catch(() => undefined);
    resuming = execution !== undefined && execution.status !== 'RUNNING';
    if (doubt === 'adopted' && execution?.status === 'RUNNING') {
      // The lost start did happen and its execution runs: this start is done (a retry of the same one).
      await appendAudit(ctx, { runId, step: `window${index}.start`, actor, outcome: 'started', inputs: { index }, detail: `adopted: ${previous.executionArn}` });
      return before;
    }
  }
  let attempt = 0;
  let prior: { window: MaintenanceWindow; status: RunStatus; statusReason?: string } | undefined;
  const now = ctx.clock.now();
  const run = await updateRun(ctx, runId, (r) => {
    const window = r.windows[index - 1];
    // A start whose caller died before StartExecution answered: retried under the same execution name,
    // which Step Functions treats as the same execution (idempotent), once nobody can still be waiting on it.
    const inDoubt = doubt === 'missing' && startInDoubt(window, now.getTime());
    if (window?.status === 'running' && !inDoubt && !(resuming && window.executionArn === previous?.executionArn)) {
      throw preconditionFailed('WindowRunning', `window ${index} of run ${runId} is already running`);
    }
    if (r.cancelRequested) throw preconditionFailed('RunCancelled', `run ${runId} was cancelled`);
    const status = inDoubt ? r.status : startWindow(r, index);
    prior = window && { window, status: r.status, statusReason: r.statusReason };
    // Windows started before `attempt` was recorded carry it only in their execution name.
    const lastAttempt = window?.attempt ?? Number(/-a(\d+)$/.exec(window?.executionArn ?? '')?.[1] ?? 0);
    attempt = inDoubt ? lastAttempt || 1 : lastAttempt + 1;
    const startedAt = (resuming || inDoubt) && window?.startedAt ? window.startedAt : now.toISOString();
    // No executionArn until the new one is known: a status poll meanwhile must not judge the dead one.
    const starting = { status: 'running' as const, startedAt, startingAt: now.toISOString(), attempt, endedAt: undefined, error: undefined, executionArn: undefined, interrupted: undefined };
    return { ...r, status, statusReason: resuming ? undefined : r.statusReason, windows: r.windows.map((w) => (w.index === index ? { ...w, ...starting } : w)) };
  });
  try {
    const { executionArn } = await ctx.workflows.start(WORKFLOW_BY_OPTION[run.option], { runId, window: index }, `${runId}-w${index}-a${attempt}`);
    await appendAudit(ctx, { runId, step: `window${index}.start`, actor, outcome: 'started', inputs: { index, attempt }, detail: `${resuming ? 'resumed: ' : ''}${executionArn}` });
    return await updateRun(ctx, runId, (r) => ({ ...r, windows: r.windows.map((w) => (w.index === index ? { ...w, executionArn, startingAt: undefined } : w)) }));
  } catch (e) {
    // Nothing started: put the window back as it was, so starting it again is possible.
    await updateRun(ctx, runId, (r) => {
      const w = r.windows[index - 1];
      if (!prior || w?.status !== 'running' || w.executionArn) return r;
      // A cancel accepted while the start was in flight: nothing started, so the run ends cancelled here.
      if (r.cancelRequested && prior.window.status === 'scheduled') {
        // (cancelRun already cancelled the other scheduled windows.)
        return { ...r, status: 'cancelled', statusReason: cancelledBy(r.cancelRequested), windows: r.windows.map((x) => (x.index === index ? { ...prior!.window, status: 'cancelled' } : x)) };
      }
      return { ...r, status: prior.status, statusReason: prior.statusReason, windows: r.windows.map((x) => (x.index === index ? prior!.window : x)) };
    });
    await appendAudit(ctx, { runId, step: `window${index}.start`, actor, outcome: 'failed', inputs: { index, attempt }, detail: `execution did not start: ${(e as Error).message}` });
    throw e;
  }
}

/** Called by the last task of a window (success) or its failure handler. Idempotent. */
export async function recordWindowOutcome(
  ctx: AppContext,
  runId: string,
  index: WindowIndex,
  outcome: { ok: boolean; error?: string; cancelled?: boolean },
  actor = 'workflow',
): Promise<Run> {
  const run = await updateRun(ctx, runId, (r) => {
    const w = r.windows[index - 1];
    const finalStatus = outcome.ok ? 'succeeded' : outcome.cancelled ? 'cancelled' : 'failed';
    if (w?.status === finalStatus) return r;
    const next = finishWindow(r, index, outcome.ok);
    // A closed run stays closed; a cancel that arrived during the window's last step stops at the interim.
    const status = isClosed(r.status) ? r.status : r.cancelRequested && next !== 'succeeded' ? 'cancelled' : next;
    return {
      ...r,
      status,
      statusReason: status === 'cancelled' && outcome.ok ? cancelledBy(r.cancelRequested!) : outcome.ok ? r.statusReason : outcome.error,
      windows: r.windows.map((x) => (x.index === index ? { ...x, status: finalStatus, endedAt: ctx.clock.now().toISOString(), error: outcome.error } : x)),
    };
  });
  await appendAudit(ctx, { runId, step: `window${index}.end`, actor, outcome: outcome.ok ? 'succeeded' : 'failed', inputs: outcome, detail: outcome.error });
  return releaseIfClosed(ctx, run);
}

/**
 * Records the approver's sign-off, accepted only once the automated interim checks finished and passed
 * (otherwise only an override with a reason opens the gate). Idempotent: the same approver again gets
 * the same answer without a write; a different approver gets 409 `AlreadyApproved` naming the first.
 */
export async function approveInterim(
  ctx: AppContext,
  runId: string,
  approver: string,
  options: { comment?: string; forbidSelfApproval?: boolean } = {},
): Promise<Run> {
  let repeat = false;
  const run = await updateRun(ctx, runId, (r) => {
    repeat = decideApproval(r, approver, options) === 'repeat';
    if (repeat) return r;
    return { ...r, interim: { ...r.interim, approval: { by: approver, at: ctx.clock.now().toISOString(), ...(options.comment?.trim() ? { comment: options.comment.trim() } : {}) } } };
  });
  if (!repeat) await appendAudit(ctx, { runId, step: 'interim.approve', actor: approver, outcome: 'succeeded', inputs: options, detail: run.interim.approval?.comment ? `comment: ${run.interim.approval.comment}` : undefined });
  return run;
}

/** Lets window 2 start despite failing checks or missing approval; the reason is mandatory and audited. */
export async function overrideInterim(ctx: AppContext, runId: string, actor: string, reason: string, options: { forbidSelfApproval?: boolean } = {}): Promise<Run> {
  if (!reason.trim()) throw validationError('ReasonRequired', 'an override needs a reason');
  const run = await updateRun(ctx, runId, (r) => {
    if (r.status !== 'interim') throw preconditionFailed('NotInInterim', `run ${runId} is ${r.status}, not waiting in the interim`);
    // An override opens the gate without an approval: the same four-eyes rule applies.
    if (options.forbidSelfApproval && r.createdBy === actor) {
      throw new DomainError('forbidden', 'SelfApprovalForbidden', 'the operator who started the run cannot override its interim');
    }
    return { ...r, interim: { ...r.interim, override: { by: actor, at: ctx.clock.now().toISOString(), reason } } };
  });
  await appendAudit(ctx, { runId, step: 'interim.override', actor, outcome: 'succeeded', inputs: { reason } });
  return run;
}

/**
 * Cancels a run between steps: the flag is checked by every workflow step before it acts, so a running
 * window stops at the next step boundary. An install cannot be stopped on a real appliance: a cancel that
 * arrives during one is recorded with `duringInstall`, the install completes, and the run stops right
 * after it in the safe state its result allows. Idempotent per operator (the same answer again); another
 * operator gets 409 `AlreadyCancelled` naming the first.
 */
export async function cancelRun(ctx: AppContext, runId: string, actor: string, reason: string): Promise<Run> {
  const before = await requireRun(ctx, runId);
  const running = before.windows.find((w) => w.status === 'running');
  const duringInstall = running ? await installRunning(ctx, before, running.index) : undefined;
  let repeat = false;
  const updated = await updateRun(ctx, runId, (r) => {
    repeat = decideCancel(r, actor) === 'repeat';
    if (repeat) return r;
    const stillRunning = r.windows.some((w) => w.status === 'running');
    return {
      ...r,
      cancelRequested: { by: actor, at: ctx.clock.now().toISOString(), reason, ...(duringInstall && stillRunning ? { duringInstall } : {}) },
      // A running window finishes its current step and then records the cancellation itself.
      status: stillRunning ? r.status : 'cancelled',
      statusReason: stillRunning ? r.statusReason : cancelledBy({ by: actor, reason }),
      windows: r.windows.map((w) => (w.status === 'scheduled' ? { ...w, status: 'cancelled' } : w)),
    };
  });
  if (repeat) return updated;
  await appendAudit(ctx, {
    runId,
    step: 'run.cancel',
    actor,
    outcome: 'succeeded',
    inputs: { reason },
    detail: updated.cancelRequested?.duringInstall ? cancelNotice(updated) : undefined,
  });
  return releaseIfClosed(ctx, updated);
}

/** The install of this run's window `index` still running on an appliance, if any. */
async function installRunning(ctx: AppContext, run: Run, index: WindowIndex) {
  for (const id of installTargets(run, index)) {
    const a = await driverOf(ctx, id).describe(id).catch(() => undefined);
    if (a?.install?.requestKey === `${run.runId}:w${index}:install:${id}`) return { window: index, applianceId: id, onlineAt: a.install.onlineAt };
  }
  return undefined;
}

/** What the API, console and CLI tell the operator about a cancel that met an install. */
export function cancelNotice(run: Run): string | undefined {
  const d = run.cancelRequested?.duringInstall;
  if (!d || isClosed(run.status)) return undefined; // once closed, the run's reason says what happened
  return `cancel recorded during the install on ${d.applianceId}: an install cannot be stopped on the appliance, so it completes (about ${d.onlineAt}) and the run then stops in the safe state that follows from the new version; nothing after the install runs`;
}

/**
 * The start gates of a window that crosses 10.6 (guide, 補足): API users must have prepared (LSID
 * integer → string, LSEQ, namespaces), acknowledged by an operator; every Integration Client registered on
 * the pair must already run 10.6 or later (upgrade the Integration Client, then the appliance), unless an
 * operator overrode that with a reason.
 */
async function assertStartGates(ctx: AppContext, run: Run, index: WindowIndex): Promise<void> {
  if ((run.packageKind ?? 'product') !== 'product') return;
  const targets = await Promise.all(installTargets(run, index).map((id) => driverOf(ctx, id).describe(id)));
  if (!targets.some((a) => crosses106(a.productVersion, run.targetVersion))) return;
  const gates = await startGateFacts(ctx, run);
  if (gates.unacknowledgedApiUsers.length > 0) {
    throw preconditionFailed(
      'ApiUsersNotAcknowledged',
      `window ${index} crosses ${GUID_LSID_SINCE} and these use the appliance's API: ${gates.unacknowledgedApiUsers.map((u) => `${u.name} (${u.applianceId}, ${u.kind} ${u.principalId}, last call ${u.lastCallAt})`).join(', ')}; check their LSID type (integer → string), LSEQ and namespace-aware parsing, then acknowledge on the run (POST /v1/runs/${run.runId}/acknowledge {"subject":"api-users","reason":...})`,
      { apiUsers: gates.unacknowledgedApiUsers },
    );
  }
  if (gates.uncoveredIntegrationClients.length > 0) {
    throw preconditionFailed(
      'IntegrationClientTooOld',
      `window ${index} crosses ${GUID_LSID_SINCE} but Integration Client(s) ${gates.uncoveredIntegrationClients.map((c) => `${c.name} (${c.version ?? 'version unknown'})`).join(', ')} are older: upgrade the Integration Client before the appliance (newer ones work with the older appliance), or override with a reason (POST /v1/runs/${run.runId}/acknowledge {"subject":"integration-clients","reason":...})`,
      { integrationClients: gates.uncoveredIntegrationClients },
    );
  }
}

const usageKey = (u: ApiUsage) => `${u.applianceId}:${u.kind}:${u.principalId}`;

/** API users and too-old Integration Clients of the run's appliances, and which of them are not yet acknowledged. */
async function startGateFacts(ctx: AppContext, run: Run) {
  const since = new Date(ctx.clock.now().getTime() - controlSettings().apiUsageDays * 86_400_000).toISOString();
  const members = [run.primaryId, ...(run.backupId ? [run.backupId] : [])];
  const apiUsers = (await Promise.all(members.map((id) => inventoryOf(ctx).apiUsage(id, since)))).flat().filter((u) => !isDriverUsage(u));
  const tooOld = run.pairId ? (await inventoryOf(ctx).integrationClients(run.pairId)).filter((c) => !integrationClientReady(c.version)) : [];
  const ackedUsers = new Set(run.acknowledgements?.apiUsers?.items ?? []);
  const ackedClients = new Set(run.acknowledgements?.integrationClients?.items ?? []);
  return {
    apiUsers,
    tooOld,
    unacknowledgedApiUsers: apiUsers.filter((u) => !ackedUsers.has(usageKey(u))),
    uncoveredIntegrationClients: tooOld.map((c) => ({ integrationId: c.integrationId, name: c.name, version: c.version })).filter((c) => !ackedClients.has(c.integrationId)),
  };
}

export type AcknowledgeSubject = 'api-users' | 'integration-clients';

/**
 * An operator acknowledges, with a reason, that the API users were prepared for 10.6 (`api-users`) or
 * overrides the Integration Client order (`integration-clients`). It covers exactly what is listed now; a
 * principal or client that appears later needs a new acknowledgement. Audited.
 */
export async function acknowledgeRun(ctx: AppContext, runId: string, actor: string, subject: AcknowledgeSubject, reason: string): Promise<Run> {
  if (!reason.trim()) throw validationError('ReasonRequired', 'an acknowledgement needs a reason');
  const before = await requireRun(ctx, runId);
  if (isClosed(before.status)) throw preconditionFailed('RunClosed', `run ${runId} is already ${before.status}`);
  const facts = await startGateFacts(ctx, before);
  const items = subject === 'api-users' ? facts.apiUsers.map(usageKey) : facts.tooOld.map((c) => c.integrationId);
  if (items.length === 0) {
    throw preconditionFailed('NothingToAcknowledge', subject === 'api-users' ? `no API users of run ${runId}'s appliances were seen in the last ${controlSettings().apiUsageDays} days` : `every Integration Client of run ${runId}'s pair already runs ${GUID_LSID_SINCE} or later`);
  }
  const ack = { by: actor, at: ctx.clock.now().toISOString(), reason: reason.trim(), items };
  const run = await updateRun(ctx, runId, (r) => ({ ...r, acknowledgements: { ...r.acknowledgements, [subject === 'api-users' ? 'apiUsers' : 'integrationClients']: ack } }));
  await appendAudit(ctx, { runId, step: subject === 'api-users' ? 'run.acknowledge-api-users' : 'run.override-integration-client-order', actor, outcome: 'succeeded', inputs: { subject, reason }, detail: `${ack.reason} (covers ${items.join(', ')})` });
  return run;
}

/** Run with its audit trail, for the control API and console. */
export async function runDetail(ctx: AppContext, runId: string) {
  const run = await requireRun(ctx, runId);
  return { run, audit: await listAudit(ctx, runId) };
}
