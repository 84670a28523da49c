/**
 * Upgrade runs. A run upgrades one appliance (single) or a failover pair (option 1 or 2) in one or two
 * maintenance windows; each window is its own Step Functions execution, linked by `runId`. Between the
 * windows the run waits in the interim until automated checks pass and an approver signs off.
 */
import { conflict, DomainError, preconditionFailed } from '../../platform/core/errors.js';
import { installedVersion, type PackageKind } from '../../platform/core/packages.js';
import type { PlannedStep } from './pipeline.js';

export type UpgradeOption = 'single' | 'option1' | 'option2';
export type WindowIndex = 1 | 2;
export type WindowStatus = 'scheduled' | 'running' | 'succeeded' | 'failed' | 'missed' | 'cancelled';
export type RunStatus =
  | 'scheduled' // created, window 1 not started
  | 'window1-running'
  | 'interim' // window 1 done, waiting for checks + approval
  | 'window2-running'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

export interface MaintenanceWindow {
  index: WindowIndex;
  /** ISO instant the window opens. */
  start: string;
  durationMinutes: number;
  /** IANA time zone the operator scheduled it in (display and DST-correct scheduling). */
  timeZone: string;
  status: WindowStatus;
  executionArn?: string;
  startedAt?: string;
  endedAt?: string;
  error?: string;
  /**
   * The execution ended without reporting an outcome (runtime stopped, timed out, failure handler
   * itself failed). The window stays `running` so it can be resumed; cancelling the run runs the
   * failure handler instead.
   */
  interrupted?: { at: string; reason: string };
  /** The attempt being (or last) started: its execution is named `<runId>-w<index>-a<attempt>`. */
  attempt?: number;
  /** Set while StartExecution is awaited (cleared once the execution ARN is stored). */
  startingAt?: string;
}

export interface InterimCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export interface Interim {
  checks?: { passed: boolean; results: InterimCheck[]; checkedAt: string };
  /** The approver's sign-off, given only once the checks passed; the comment is kept and shown. */
  approval?: { by: string; at: string; comment?: string };
  override?: { by: string; at: string; reason: string };
}

/** A risk the plan raised that the run was created with (shown on the run). */
export interface RunWarning {
  code: string;
  message: string;
}

/** An operator's acknowledgement (API users) or override (Integration Client order) of a start gate, audited. */
export interface Acknowledgement {
  by: string;
  at: string;
  reason: string;
  /** What was acknowledged: principals (`<appliance>:<kind>:<id>`) or Integration Clients (`<id>`). */
  items: string[];
}

/** The settings backup an install relied on (the guide: always download a backup before upgrading). */
export interface InstallBackup {
  window: WindowIndex;
  applianceId: string;
  backupId: string;
  productVersion: string;
  createdAt: string;
  downloadPath: string;
}

export interface Run {
  runId: string;
  option: UpgradeOption;
  packageId: string;
  targetVersion: string;
  /** `base` packages upgrade the base software: the target is then a base software version (default product). */
  packageKind?: PackageKind;
  /** single: the appliance; failover: A (primary before the run). */
  primaryId: string;
  /** failover only: B (backup before the run). */
  backupId?: string;
  pairId?: string;
  windows: MaintenanceWindow[];
  interim: Interim;
  status: RunStatus;
  statusReason?: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /**
   * The cancel. `duringInstall` is set when an install was running then: an install cannot be stopped on a
   * real appliance, so it completes and the run stops right after it, in the safe state its result allows.
   */
  cancelRequested?: { by: string; at: string; reason: string; duringInstall?: { window: WindowIndex; applianceId: string; onlineAt: string } };
  /** Plan warnings the run was created with. */
  warnings?: RunWarning[];
  acknowledgements?: { apiUsers?: Acknowledgement; integrationClients?: Acknowledgement };
  /** Which backup each install relied on. */
  installBackups?: InstallBackup[];
  /** The maintenance holds this run placed on its appliances (released when it closes). */
  holds?: { applianceIds: string[]; releasedAt?: string };
  /** Live traffic measured while the windows ran (issue 14; written by the local runtime's traffic generator). */
  traffic?: RunTraffic;
  /** The plan's production downtime estimate per window for the chosen option (modelled minutes), kept at creation. */
  downtimeEstimateMinutes?: number[];
  /** The chosen option's steps as the plan described and estimated them at creation (the run page's pipeline). */
  plannedSteps?: PlannedStep[];
  version: number;
}

/** Customer-facing downtime per window and the ledger's reconciliation with the final primary (docs/traffic.md). */
export interface RunTrafficWindow {
  window: 1 | 2;
  from: string;
  to: string;
  attempts: number;
  failures: number;
  longestOutageMinutes: number;
  totalOutageMinutes: number;
  estimateMinutes: number;
  /** Sessions the ledger saw complete normally during the window (optional extension). */
  completed?: number;
}

export interface RunTrafficReconciliation {
  at: string;
  primaryId: string;
  completed: number;
  present: number;
  missing: number;
  duplicated: number;
  renumbered: number;
  byAppliance: Record<string, number>;
  /** The interval compared (optional extension). */
  from?: string;
  to?: string;
  /** A few of the missing and duplicated external keys, for the operator to look up (optional extension). */
  missingKeys?: string[];
  duplicatedKeys?: string[];
}

export interface RunTraffic {
  windows: RunTrafficWindow[];
  reconciliation?: RunTrafficReconciliation;
}


export interface AuditEvent {
  runId: string;
  at: string;
  step: string;
  actor: string;
  /** SHA-256 of the step's canonical input JSON. */
  inputsDigest: string;
  outcome: 'started' | 'succeeded' | 'failed' | 'skipped' | 'refused' | 'info';
  detail?: string;
}

export const windowCount = (option: UpgradeOption) => (option === 'single' ? 1 : 2);

/** Window 2 may start only after window 1 succeeded and the interim gate is open. */
export function interimGate(run: Run): { open: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (run.windows[0]?.status !== 'succeeded') reasons.push('window 1 has not succeeded');
  if (run.interim.override) return { open: reasons.length === 0, reasons };
  if (!run.interim.checks) reasons.push('interim checks have not run');
  else if (!run.interim.checks.passed) reasons.push(`interim checks failed: ${run.interim.checks.results.filter((c) => !c.passed).map((c) => c.name).join(', ')}`);
  if (!run.interim.approval) reasons.push('operator approval is missing');
  return { open: reasons.length === 0, reasons };
}

/** The status a run moves to when window `index` starts; refuses out-of-order windows. */
export function startWindow(run: Run, index: WindowIndex): RunStatus {
  if (isClosed(run.status)) {
    throw preconditionFailed('RunClosed', `run ${run.runId} is ${run.status}`);
  }
  if (index > windowCount(run.option)) throw preconditionFailed('NoSuchWindow', `a ${run.option} run has no window ${index}`);
  if (index === 1 && run.status !== 'scheduled' && run.status !== 'window1-running') {
    throw preconditionFailed('WindowOutOfOrder', `window 1 cannot start: run is ${run.status}`);
  }
  if (index === 2) {
    const gate = interimGate(run);
    if (!gate.open) throw preconditionFailed('InterimGateClosed', `window 2 cannot start: ${gate.reasons.join('; ')}`, { reasons: gate.reasons });
  }
  return index === 1 ? 'window1-running' : 'window2-running';
}

/**
 * Window minutes already gone at `nowMs`. The schedule is wall-clock: a window started late has lost
 * the minutes between its scheduled start and its actual start (real minutes). Since the actual start,
 * work runs on the modelled clock (`msPerModelledMinute`: 60,000 on AWS, less locally).
 */
export function minutesUsed(window: Pick<MaintenanceWindow, 'start' | 'startedAt'>, nowMs: number, msPerModelledMinute: number): number {
  const scheduled = Date.parse(window.start);
  const started = window.startedAt ? Date.parse(window.startedAt) : nowMs;
  const lateMinutes = Math.max(0, started - scheduled) / 60_000;
  return lateMinutes + Math.max(0, nowMs - started) / msPerModelledMinute;
}

/** The status reason of a cancelled run (or campaign). */
export const cancelledBy = (c: { by: string; reason: string }) => `cancelled by ${c.by}: ${c.reason}`;

export const isClosed = (status: RunStatus) => status === 'succeeded' || status === 'failed' || status === 'cancelled';

/** The status after window `index` ended with `ok`. */
export function finishWindow(run: Run, index: WindowIndex, ok: boolean): RunStatus {
  if (!ok) return 'failed';
  return index < windowCount(run.option) ? 'interim' : 'succeeded';
}

/** What an appliance runs of the kind this run installs (base software or product version). */
export const runVersionOf = (run: Pick<Run, 'packageKind'>, a: { productVersion: string; baseVersion: string }) =>
  installedVersion(a, run.packageKind ?? 'product');

/**
 * An interim approval: only once the automated checks finished and passed (otherwise only an override
 * with a reason), not by the run's creator when four eyes are required, and idempotent: the same approver
 * again gets the same answer (`repeat`), a different approver a 409 naming the first.
 */
export function decideApproval(run: Run, approver: string, options: { forbidSelfApproval?: boolean } = {}): 'approve' | 'repeat' {
  const existing = run.interim.approval;
  if (existing?.by === approver) return 'repeat';
  if (existing) throw conflict('AlreadyApproved', `run ${run.runId} was already approved by ${existing.by} at ${existing.at}`, { approvedBy: existing.by, approvedAt: existing.at });
  // Before window 1 ended the checks have not run: say so (the approval is accepted only after them).
  if (run.status === 'scheduled' || run.status === 'window1-running') {
    throw preconditionFailed('InterimChecksPending', `the automated interim checks of run ${run.runId} run when window 1 ends (the run is ${run.status}); approve once they passed, or override with a reason`);
  }
  if (run.status !== 'interim') throw preconditionFailed('NotInInterim', `run ${run.runId} is ${run.status}, not waiting in the interim`);
  if (options.forbidSelfApproval && run.createdBy === approver) {
    throw new DomainError('forbidden', 'SelfApprovalForbidden', 'the operator who started the run cannot approve its interim');
  }
  const checks = run.interim.checks;
  if (!checks) throw preconditionFailed('InterimChecksPending', `the automated interim checks of run ${run.runId} have not finished; approve once they passed, or override with a reason`);
  if (!checks.passed) {
    throw preconditionFailed('InterimChecksFailed', `the automated interim checks failed (${checks.results.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`).join('; ')}); only an override with a reason opens the gate`, {
      failed: checks.results.filter((c) => !c.passed).map((c) => c.name),
    });
  }
  return 'approve';
}

/** A cancel: idempotent for the same operator (`repeat`); another operator gets a 409 naming the first. */
export function decideCancel(run: Run, actor: string): 'cancel' | 'repeat' {
  const existing = run.cancelRequested;
  if (existing?.by === actor) return 'repeat';
  if (existing) throw conflict('AlreadyCancelled', `run ${run.runId} was already cancelled by ${existing.by} at ${existing.at}: ${existing.reason}`, { cancelledBy: existing.by, cancelledAt: existing.at });
  if (isClosed(run.status)) throw preconditionFailed('RunClosed', `run ${run.runId} is already ${run.status}`);
  return 'cancel';
}

/** The appliances a window installs, in order. */
export function installTargets(run: Pick<Run, 'option' | 'primaryId' | 'backupId'>, window: WindowIndex): string[] {
  if (run.option === 'single') return [run.primaryId];
  const [a, b] = [run.primaryId, run.backupId!];
  if (run.option === 'option1') return window === 1 ? [a] : [b];
  return window === 1 ? [b] : [a];
}

/** Which appliance serves production (the primary hostname's target) once window 1 is done: B after a role swap. */
export function servingAfterWindow1(run: Pick<Run, 'option' | 'primaryId' | 'backupId'>): string {
  return run.option === 'option2' ? run.backupId! : run.primaryId;
}
