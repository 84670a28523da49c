/**
 * Upgrade runs. A run upgrades one appliance (single) or a failover pair (option 1 or 2) in one or two
 * maintenance windows; each window is its own Step Functions execution, linked by `runId`. Between the
 * windows the run waits in the interim until automated checks pass and an approver signs off.
 */
import { preconditionFailed } from './errors.js';
import { installedVersion, type PackageKind } from './packages.js';

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
  approval?: { by: string; at: string; comment?: string };
  override?: { by: string; at: string; reason: string };
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
  cancelRequested?: { by: string; at: string; reason: string };
  version: number;
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
