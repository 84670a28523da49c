/**
 * The run as an ordered pipeline. One definition per option lists the steps of both windows in the order
 * the state machines execute them (statemachines/*.asl.json); the dry-run plan (core/plan.ts) describes and
 * estimates exactly these steps, the run stores the plan's list at creation, and `runPipeline` lays the
 * run's step records, gates and checks over it: status, start, duration and outputs per step, the current
 * step, elapsed against the estimate and the time left before each window's deadline. Pure.
 */
import type { Interim, MaintenanceWindow, Run, UpgradeOption, WindowIndex } from './run.js';
import { minutesUsed } from './run.js';

export type StepAction =
  | 'backup'
  | 'check-api-integrations'
  | 'upgrade-integration-client'
  | 'force-sync'
  | 'break-failover'
  | 'install'
  | 'verify'
  | 'dns-switch'
  | 'check-integrations'
  | 'extract-sessions'
  | 'reestablish-failover'
  | 'resync'
  | 'console-report';

/** One step as the plan describes it (and the run keeps it). */
export interface PlannedStep {
  window: WindowIndex;
  action: StepAction;
  applianceId?: string;
  description: string;
  estimatedMinutes: number;
  /** True when the production site is down during this step. */
  productionDown: boolean;
}

/** What decides which optional steps a run has. */
export interface PipelineFacts {
  primaryId: string;
  backupId?: string;
  /** Principals to prepare before a 10.6 crossing: an acknowledgement step before the install. */
  apiUsers: boolean;
  /** A 10.6 crossing with Integration Clients registered on the pair: upgrade them first. */
  integrationClientUpgrade: boolean;
  /** Option 2 with Integration Clients registered: they must extract from B after the DNS change. */
  integrationCheck: boolean;
  /** A member predates 10.6: sessions completed while broken are extracted before re-establishing. */
  extractSessions: boolean;
}

export interface PipelineStepDef {
  window: WindowIndex;
  action: StepAction;
  applianceId?: string;
  productionDown: boolean;
}

/**
 * The steps of an option in execution order. Option 2 verifies B before the DNS change moves production to
 * it (the window-1 checks then verify it in production); option 1's install of A is the production outage.
 */
export function pipelineDefinition(option: UpgradeOption, f: PipelineFacts): PipelineStepDef[] {
  const a = f.primaryId;
  const s = (window: WindowIndex, action: StepAction, applianceId?: string, productionDown = false): PipelineStepDef => ({ window, action, ...(applianceId ? { applianceId } : {}), productionDown });
  const before = (w: WindowIndex) => [s(w, 'backup'), ...(f.apiUsers ? [s(w, 'check-api-integrations')] : [])];
  if (option === 'single') return [...before(1), s(1, 'install', a, true), s(1, 'verify', a), s(1, 'console-report')];
  const b = f.backupId!;
  const w1Prologue = [...before(1), ...(f.integrationClientUpgrade ? [s(1, 'upgrade-integration-client')] : []), s(1, 'force-sync', b), s(1, 'break-failover')];
  const w2Epilogue = [...(f.extractSessions ? [s(2, 'extract-sessions')] : []), s(2, 'reestablish-failover'), s(2, 'resync'), s(2, 'console-report')];
  if (option === 'option1') {
    return [...w1Prologue, s(1, 'install', a, true), s(1, 'verify', a), s(2, 'backup'), s(2, 'install', b), s(2, 'verify', b), ...w2Epilogue];
  }
  return [
    ...w1Prologue,
    s(1, 'install', b),
    s(1, 'verify', b),
    s(1, 'dns-switch', b, true),
    ...(f.integrationCheck ? [s(1, 'check-integrations', b)] : []),
    s(2, 'backup'),
    s(2, 'install', a),
    s(2, 'verify', a),
    ...w2Epilogue,
  ];
}

/** Plain descriptions, for a run created without a stored plan (older runs, campaign runs). */
export function defaultDescription(d: PipelineStepDef, targetVersion: string): string {
  const on = d.applianceId ? ` on ${d.applianceId}` : '';
  switch (d.action) {
    case 'backup': return 'Preflight: package, roles and DNS as planned; a settings backup of each appliance that counts (taken if none does)';
    case 'check-api-integrations': return `API users prepared for ${targetVersion} (operator acknowledgement)`;
    case 'upgrade-integration-client': return 'Integration Clients upgraded before the appliance';
    case 'force-sync': return `Force a sync${on} and wait until every completed session is there`;
    case 'break-failover': return 'Break the failover relationship';
    case 'install': return `Install ${targetVersion}${on}`;
    case 'verify': return `Verify ${targetVersion}${on}`;
    case 'dns-switch': return `Move the primary hostname to ${d.applianceId}`;
    case 'check-integrations': return `Integration Clients can extract from ${d.applianceId}`;
    case 'extract-sessions': return 'Extract sessions completed while failover was broken';
    case 'reestablish-failover': return 'Re-establish failover';
    case 'resync': return 'Resynchronize the appliances';
    case 'console-report': return 'Staff consoles that need action after the upgrade';
  }
}

// ---- the run's progress over the definition --------------------------------------------------------------

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** A workflow step record (runs table, `STEP#<window>#<step>[#<appliance>]`). */
export interface StepRecordView {
  key: string;
  status: string;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  output?: unknown;
}

export interface AuditView {
  step: string;
  outcome: string;
  at: string;
  actor?: string;
  detail?: string;
}

/** Live-traffic measurements stored on the run by the traffic area (issue 14). */
export interface RunTraffic {
  windows: { window: 1 | 2; from: string; to: string; attempts: number; failures: number; longestOutageMinutes: number; totalOutageMinutes: number; estimateMinutes: number }[];
  reconciliation?: { at: string; primaryId: string; completed: number; present: number; missing: number; duplicated: number; renumbered: number; byAppliance: Record<string, number> };
}

export interface PipelineOutput {
  label: string;
  value: string;
}

export interface PipelineStep extends PlannedStep {
  /** 1-based position in the whole run. */
  index: number;
  status: StepStatus;
  startedAt?: string;
  endedAt?: string;
  /** Modelled minutes (real minutes on AWS; scaled by TIME_SCALE_MS_PER_MINUTE locally). */
  durationMinutes?: number;
  attempts?: number;
  outputs: PipelineOutput[];
  /** Why a step is in its state when that is not obvious (interrupted, replayed, already at the version). */
  note?: string;
  current?: true;
}

export interface PipelineWindow {
  window: WindowIndex;
  status: MaintenanceWindow['status'];
  timeZone: string;
  /** The window's booked start and end (its deadline). */
  start: string;
  deadline: string;
  durationMinutes: number;
  /** The plan's estimate of the window's work. */
  estimatedMinutes: number;
  /** Modelled minutes since the window started (to its end once it ended). */
  elapsedMinutes?: number;
  /** Minutes left before the deadline, as the window deadline guard counts them (late start included). */
  minutesLeft?: number;
  interrupted?: string;
  steps: { total: number; done: number };
}

export type GateState = 'not-reached' | 'checks-running' | 'checks-failed' | 'awaiting-approval' | 'approved' | 'overridden' | 'closed';

export interface GateEvidence {
  state: GateState;
  checks?: { passed: boolean; checkedAt: string; results: { name: string; passed: boolean; detail: string }[] };
  approval?: Interim['approval'];
  override?: Interim['override'];
  /** Who created the run (four eyes: not its approver unless allowed). */
  startedBy: string;
  /** Who started window 1. */
  window1StartedBy?: string;
  /** Approve is offered only once the checks passed; otherwise an override with a reason. */
  approveAllowed: boolean;
  overrideAllowed: boolean;
  /** What still keeps window 2 from starting. */
  waitingFor: string[];
}

export interface DowntimeComparison {
  window: 1 | 2;
  /** Production downtime the plan estimated for the window's steps. */
  estimatedMinutes: number;
  /** What live traffic measured: the longest and the total customer-facing outage. */
  longestOutageMinutes: number;
  totalOutageMinutes: number;
  attempts: number;
  failures: number;
  from: string;
  to: string;
}

export interface RunPipeline {
  steps: PipelineStep[];
  total: number;
  /** The step under way (or about to start in a running window). */
  current?: { index: number; label: string; action: StepAction; window: WindowIndex; applianceId?: string; elapsedMinutes?: number; estimatedMinutes: number };
  windows: PipelineWindow[];
  gate?: GateEvidence;
  downtime?: DowntimeComparison[];
  reconciliation?: RunTraffic['reconciliation'];
  /** Real ms per modelled minute (60,000 on AWS): durations are modelled minutes. */
  msPerModelledMinute: number;
  /** The steps came from the plan stored at creation (false: the option's definition, plainly described). */
  fromPlan: boolean;
}

export interface PipelineInput {
  run: Pick<Run, 'option' | 'status' | 'windows' | 'interim' | 'acknowledgements' | 'cancelRequested' | 'primaryId' | 'backupId' | 'targetVersion' | 'createdBy'> & { plannedSteps?: PlannedStep[]; traffic?: RunTraffic };
  records: StepRecordView[];
  audit: AuditView[];
  nowMs: number;
  msPerModelledMinute: number;
}

/** The record key of a workflow step (functions/control-plane/app/upgrade-steps.ts `stepKey`). */
const keyOf = (window: WindowIndex, step: string, applianceId?: string) => `w${window}#${step}${applianceId ? `#${applianceId}` : ''}`;

const RECORD_STEP: Partial<Record<StepAction, string>> = {
  backup: 'preflight',
  'force-sync': 'sync-before-break',
  'break-failover': 'break-pair',
  verify: 'verify',
  'dns-switch': 'move-production',
  'extract-sessions': 'establish-pair',
  'reestablish-failover': 'establish-pair',
  resync: 'resync',
  'console-report': 'console-report',
};

/** Which record tracks a planned step (appliance-specific records carry the appliance in their key). */
export function recordKeyOf(s: Pick<PlannedStep, 'window' | 'action' | 'applianceId'>): string | undefined {
  if (s.action === 'install') return keyOf(s.window, 'begin-install', s.applianceId);
  const step = RECORD_STEP[s.action];
  if (!step) return undefined;
  return keyOf(s.window, step, s.action === 'verify' ? s.applianceId : undefined);
}

/** Fallback steps for a run without a stored plan: the definition, with what the run itself tells. */
export function fallbackSteps(run: PipelineInput['run'], records: StepRecordView[]): PlannedStep[] {
  const established = records.find((r) => r.key === 'w2#establish-pair')?.output as { exported?: number } | undefined;
  const facts: PipelineFacts = {
    primaryId: run.primaryId,
    backupId: run.backupId,
    apiUsers: Boolean(run.acknowledgements?.apiUsers),
    integrationClientUpgrade: Boolean(run.acknowledgements?.integrationClients),
    integrationCheck: run.option === 'option2' && Boolean(run.interim.checks?.results.some((c) => c.name === 'integrations')),
    extractSessions: (established?.exported ?? 0) > 0,
  };
  return pipelineDefinition(run.option, facts).map((d) => ({ ...d, description: defaultDescription(d, run.targetVersion), estimatedMinutes: 0 }));
}

const minutesBetween = (from: string | undefined, to: string | number | undefined, msPerMinute: number) => {
  if (!from || to === undefined) return undefined;
  const end = typeof to === 'number' ? to : Date.parse(to);
  return Math.max(0, (end - Date.parse(from)) / msPerMinute);
};

const round1 = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 10) / 10);
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** Outputs worth showing per step, from the step record's output (functions/control-plane/app/upgrade-steps.ts). */
function outputsOf(s: PlannedStep, out: Record<string, unknown> | undefined, run: PipelineInput['run']): PipelineOutput[] {
  if (!out) return [];
  const o: PipelineOutput[] = [];
  const add = (label: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '') o.push({ label, value: str(value) });
  };
  switch (s.action) {
    case 'backup': {
      const backups = (out.backups ?? {}) as Record<string, string>;
      for (const [id, backupId] of Object.entries(backups)) add(`backup of ${id}`, backupId);
      break;
    }
    case 'force-sync':
      add('sessions synced', out.transferred);
      add('completed sessions on the primary', out.primaryCompleted);
      add('active on the primary', out.activeOnPrimary);
      break;
    case 'break-failover':
      add('pair', `${str(out.pairId)} ${out.changed === false ? 'was already broken' : 'broken'}`);
      break;
    case 'install':
      if (out.alreadyAt) add('version', `already at ${str(out.alreadyAt)}`);
      add('install id', out.installId);
      if (out.installId) add('version', run.targetVersion);
      add('estimate', out.estimateMinutes === undefined ? undefined : `${str(out.estimateMinutes)} min`);
      add('backup relied on', out.backupId);
      break;
    case 'verify':
      add('version', out.productVersion);
      add('API version', out.apiVersion);
      add('failover role', out.failoverRole);
      break;
    case 'dns-switch':
      add('DNS change', `${str(out.hostname)} → ${str(out.target)}${out.changed === false ? ' (already there)' : ''}`);
      break;
    case 'extract-sessions':
      add('sessions exported', out.exported);
      break;
    case 'reestablish-failover':
      add('primary', out.primaryId);
      add('backup', out.backupId);
      add('sessions exported', out.exported);
      add('sessions re-imported', out.reimported);
      break;
    case 'resync':
      add('sessions synced', out.transferred);
      break;
    case 'console-report':
      add('consoles behind the site', out.laggards);
      add('consoles that need action (redeploy)', out.needAction);
      break;
    default:
      break;
  }
  return o;
}

const ENDED = new Set(['succeeded', 'failed', 'cancelled', 'missed']);

/** Lays the run's records over its steps. */
export function runPipeline(input: PipelineInput): RunPipeline {
  const { run, records, audit, nowMs, msPerModelledMinute } = input;
  const byKey = new Map(records.map((r) => [r.key, r]));
  const fromPlan = Boolean(run.plannedSteps?.length);
  const planned = fromPlan ? run.plannedSteps! : fallbackSteps(run, records);
  const closed = run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled';
  const failedAudit = new Set(audit.filter((e) => e.outcome === 'failed').map((e) => e.step));
  const windowOf = (w: WindowIndex) => run.windows[w - 1];
  const live = (w: WindowIndex) => windowOf(w)?.status === 'running' && !windowOf(w)?.interrupted;
  const windowEnded = (w: WindowIndex) => ENDED.has(windowOf(w)?.status ?? '') || closed;

  const steps: PipelineStep[] = planned.map((p, i) => {
    const base: PipelineStep = { ...p, index: i + 1, status: 'pending', outputs: [] };
    const w = windowOf(p.window);
    if (p.action === 'check-api-integrations' || p.action === 'upgrade-integration-client') {
      const ack = p.action === 'check-api-integrations' ? run.acknowledgements?.apiUsers : run.acknowledgements?.integrationClients;
      if (ack) return { ...base, status: 'succeeded', startedAt: ack.at, endedAt: ack.at, outputs: [{ label: p.action === 'check-api-integrations' ? 'acknowledged by' : 'order overridden by', value: `${ack.by}: ${ack.reason}` }] };
      if (w && w.status !== 'scheduled') return { ...base, status: w.status === 'missed' ? 'skipped' : 'succeeded', note: 'the start gate found nothing left to prepare' };
      return { ...base, status: closed ? 'skipped' : 'pending' };
    }
    if (p.action === 'check-integrations') {
      const check = run.interim.checks?.results.find((c) => c.name === 'integrations');
      if (check) return { ...base, status: check.passed ? 'succeeded' : 'failed', startedAt: run.interim.checks!.checkedAt, endedAt: run.interim.checks!.checkedAt, durationMinutes: 0, outputs: [{ label: 'result', value: check.detail }] };
      if (w?.status === 'succeeded' && !closed) return { ...base, status: 'running', note: 'the interim checks run as window 1 completes' };
      return { ...base, status: windowEnded(p.window) ? 'skipped' : 'pending' };
    }
    const key = recordKeyOf(p)!;
    const rec = byKey.get(key);
    if (p.action === 'install') {
      const out = rec?.output as Record<string, unknown> | undefined;
      const verify = byKey.get(keyOf(p.window, 'verify', p.applianceId));
      const outputs = outputsOf(p, out, run);
      if (rec?.status === 'succeeded' && out?.alreadyAt) return { ...base, status: 'skipped', startedAt: rec.startedAt, endedAt: rec.endedAt, outputs, note: `already at ${str(out.alreadyAt)}` };
      if (rec?.status === 'succeeded') {
        const timing = { startedAt: rec.startedAt, attempts: rec.attempts, outputs };
        if (verify?.startedAt) return { ...base, ...timing, status: 'succeeded', endedAt: verify.startedAt, durationMinutes: round1(minutesBetween(rec.startedAt, verify.startedAt, msPerModelledMinute)) };
        if (live(p.window)) return { ...base, ...timing, status: 'running', durationMinutes: round1(minutesBetween(rec.startedAt, nowMs, msPerModelledMinute)) };
        const cancelledDuring = run.cancelRequested?.duringInstall;
        if (cancelledDuring && cancelledDuring.window === p.window && cancelledDuring.applianceId === p.applianceId) return { ...base, ...timing, status: 'succeeded', note: 'completed after the cancel: an install cannot be stopped' };
        if (w?.interrupted) return { ...base, ...timing, status: 'pending', note: 'interrupted: the install is checked again when the window is resumed' };
        if (w?.status === 'failed' && /InstallFailed|VersionMismatch|ApplianceNotHealthy/.test(w.error ?? '')) return { ...base, ...timing, status: 'failed', note: w.error };
        return { ...base, ...timing, status: windowEnded(p.window) ? 'failed' : 'pending' };
      }
      return withRecord(base, rec, key);
    }
    const done = withRecord({ ...base, outputs: outputsOf(p, rec?.output as Record<string, unknown> | undefined, run) }, rec, key);
    return done;
  });

  function withRecord(base: PipelineStep, rec: StepRecordView | undefined, key: string): PipelineStep {
    const w = windowOf(base.window);
    if (rec?.status === 'succeeded') {
      const replayed = audit.some((e) => e.step === key && e.outcome === 'skipped') && !audit.some((e) => e.step === key && e.outcome === 'succeeded');
      return { ...base, status: 'succeeded', startedAt: rec.startedAt, endedAt: rec.endedAt, attempts: rec.attempts, durationMinutes: round1(minutesBetween(rec.startedAt, rec.endedAt, msPerModelledMinute)), ...(replayed ? { note: 'done by an earlier attempt' } : {}) };
    }
    if (rec) {
      const timing = { startedAt: rec.startedAt, attempts: rec.attempts };
      if (live(base.window)) return { ...base, ...timing, status: 'running', durationMinutes: round1(minutesBetween(rec.startedAt, nowMs, msPerModelledMinute)) };
      if (w?.interrupted) return { ...base, ...timing, status: 'pending', note: 'interrupted: runs again when the window is resumed' };
      const failure = [...audit].reverse().find((e) => e.step === key && e.outcome === 'failed');
      return { ...base, ...timing, status: 'failed', ...(failure?.detail ? { note: failure.detail } : w?.error ? { note: w.error } : {}) };
    }
    if (failedAudit.has(key)) return { ...base, status: 'failed', note: [...audit].reverse().find((e) => e.step === key && e.outcome === 'failed')?.detail };
    return { ...base, status: windowEnded(base.window) ? 'skipped' : 'pending' };
  }

  // The current step: the one running, else the next one of a live window.
  let current = steps.find((s) => s.status === 'running' && live(s.window));
  if (!current) {
    const liveWindow = run.windows.find((w) => live(w.index));
    if (liveWindow) current = steps.find((s) => s.window === liveWindow.index && s.status === 'pending');
  }
  if (current) current.current = true;

  const windows: PipelineWindow[] = run.windows.map((w) => {
    const mine = steps.filter((s) => s.window === w.index);
    const endMs = w.endedAt ? Date.parse(w.endedAt) : nowMs;
    const started = w.startedAt !== undefined;
    const left = started && !ENDED.has(w.status) ? w.durationMinutes - minutesUsed(w, nowMs, msPerModelledMinute) : undefined;
    return {
      window: w.index,
      status: w.status,
      timeZone: w.timeZone,
      start: w.start,
      deadline: new Date(Date.parse(w.start) + w.durationMinutes * 60_000).toISOString(),
      durationMinutes: w.durationMinutes,
      estimatedMinutes: mine.reduce((n, s) => n + s.estimatedMinutes, 0),
      ...(started ? { elapsedMinutes: round1(minutesBetween(w.startedAt, endMs, msPerModelledMinute)) } : {}),
      ...(left !== undefined ? { minutesLeft: Math.max(0, Math.floor(left)) } : {}),
      ...(w.interrupted ? { interrupted: w.interrupted.reason } : {}),
      steps: { total: mine.length, done: mine.filter((s) => s.status === 'succeeded' || s.status === 'skipped').length },
    };
  });

  const traffic = run.traffic;
  const downtime = traffic?.windows.map((t) => ({
    window: t.window,
    estimatedMinutes: steps.filter((s) => s.window === t.window && s.productionDown).reduce((n, s) => n + s.estimatedMinutes, 0),
    longestOutageMinutes: t.longestOutageMinutes,
    totalOutageMinutes: t.totalOutageMinutes,
    attempts: t.attempts,
    failures: t.failures,
    from: t.from,
    to: t.to,
  }));

  return {
    steps,
    total: steps.length,
    ...(current
      ? {
          current: {
            index: current.index,
            label: `step ${current.index} of ${steps.length}`,
            action: current.action,
            window: current.window,
            ...(current.applianceId ? { applianceId: current.applianceId } : {}),
            ...(current.durationMinutes !== undefined ? { elapsedMinutes: current.durationMinutes } : {}),
            estimatedMinutes: current.estimatedMinutes,
          },
        }
      : {}),
    windows,
    ...(run.option === 'single' ? {} : { gate: gateEvidence(run, audit) }),
    ...(downtime?.length ? { downtime } : {}),
    ...(traffic?.reconciliation ? { reconciliation: traffic.reconciliation } : {}),
    msPerModelledMinute,
    fromPlan,
  };
}

/** The interim gate's evidence: the checks, the approval or override, who started what, and what it waits for. */
export function gateEvidence(run: PipelineInput['run'], audit: AuditView[] = []): GateEvidence {
  const { checks, approval, override } = run.interim;
  const w1 = run.windows[0];
  const closed = run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled';
  const state: GateState = override
    ? 'overridden'
    : approval
      ? 'approved'
      : closed && run.status !== 'succeeded'
        ? 'closed'
        : w1?.status !== 'succeeded'
          ? 'not-reached'
          : !checks
            ? 'checks-running'
            : !checks.passed
              ? 'checks-failed'
              : 'awaiting-approval';
  const waitingFor: string[] = [];
  if (!override && !closed) {
    if (w1?.status !== 'succeeded') waitingFor.push('window 1 to succeed');
    if (!checks) waitingFor.push('the automated interim checks');
    else if (!checks.passed) waitingFor.push(`an override with a reason (checks failed: ${checks.results.filter((c) => !c.passed).map((c) => c.name).join(', ')})`);
    if (!approval && (!checks || checks.passed)) waitingFor.push('an approver\'s sign-off');
  }
  const starter = audit.find((e) => e.step === 'window1.start' && e.outcome === 'started')?.actor;
  return {
    state,
    ...(checks ? { checks: { passed: checks.passed, checkedAt: checks.checkedAt, results: checks.results } } : {}),
    ...(approval ? { approval } : {}),
    ...(override ? { override } : {}),
    startedBy: run.createdBy,
    ...(starter ? { window1StartedBy: starter } : {}),
    approveAllowed: run.status === 'interim' && !approval && !override && Boolean(checks?.passed),
    overrideAllowed: run.status === 'interim' && !override,
    waitingFor,
  };
}
