import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gateEvidence, pipelineDefinition, recordKeyOf, runPipeline, type PipelineInput, type PlannedStep, type StepRecordView } from '../../../functions/control-plane/core/pipeline.js';
import { planUpgrade, type PlanInput } from '../../../functions/control-plane/core/plan.js';
import type { Run, UpgradeOption } from '../../../functions/control-plane/core/run.js';
import type { Appliance } from '../../../functions/platform/core/appliance.js';
import { estimateInstallMinutes } from '../../../functions/platform/core/install.js';
import { sampleAppliance } from '../../helpers/fixtures.js';

// ---- one list, in execution order ----------------------------------------------------------------------

/** Task states of an ASL file, per window, as the step names their records carry (functions/control-plane/tasks/upgrade-tasks.ts). */
function aslSteps(file: string): Record<1 | 2, string[]> {
  const asl = JSON.parse(readFileSync(new URL(`../../../statemachines/${file}.asl.json`, import.meta.url), 'utf8')) as { States: Record<string, { Type: string; Next?: string }> };
  const name: Record<string, string> = {
    Preflight: 'preflight', SyncBeforeBreak: 'sync-before-break', BreakFailover: 'break-pair', BeginInstall: 'begin-install', Verify: 'verify',
    MoveProduction: 'move-production', Reestablish: 'establish-pair', Resync: 'resync', ConsoleReport: 'console-report',
  };
  const out: Record<1 | 2, string[]> = { 1: [], 2: [] };
  // Follow each window's chain from its preflight, in the order the execution visits the states.
  for (const w of [1, 2] as const) {
    let state: string | undefined = `W${w}Preflight`;
    const seen = new Set<string>();
    while (state && asl.States[state] && !seen.has(state)) {
      seen.add(state);
      const step = name[state.slice(2)];
      if (step) out[w].push(step);
      const s: { Type: string; Next?: string; Default?: string; Choices?: { Next: string }[] } = asl.States[state]!;
      state = s.Next ?? s.Default;
      if (state?.endsWith('WaitForInstall')) state = `W${w}Verify`; // the poll loop ends in Verify
    }
  }
  return out;
}

const facts = { primaryId: 'a', backupId: 'b', apiUsers: true, integrationClientUpgrade: true, integrationCheck: true, extractSessions: true };

describe('the pipeline definition: one step list for plan and run, in execution order', () => {
  for (const [option, file] of [['single', 'single-appliance-upgrade'], ['option1', 'failover-option1'], ['option2', 'failover-option2']] as const) {
    it(`${option}: every task of ${file}.asl.json appears once, in the order the state machine runs it`, () => {
      const asl = aslSteps(file);
      const defs = pipelineDefinition(option as UpgradeOption, facts);
      for (const w of [1, 2] as const) {
        const keys = defs.filter((d) => d.window === w).map((d) => recordKeyOf(d)?.split('#')[1]).filter((k): k is string => Boolean(k));
        // establish-pair tracks both the pre-10.6 extraction and the re-establish.
        expect([...new Set(keys)]).toEqual(asl[w]);
      }
    });
  }

  it('the plan describes exactly the definition\'s steps (same order, windows, appliances and outage flags)', () => {
    const appliance = (id: string, role: 'primary' | 'backup'): Appliance => ({ ...sampleAppliance(id, { productVersion: '10.5.2', baseVersion: '3.2.6', failover: { pairId: 'p', pairStatus: 'established', lastSyncAt: '2026-11-01T11:55:00.000Z', lastSyncStatus: 'ok', role } }), version: 1 });
    const input: PlanInput = {
      package: { packageId: 'bomgar-10.6.0', name: 'Bomgar-10.6.0', version: '10.6.0', prerequisites: {} },
      primary: { appliance: appliance('a', 'primary'), apiUsers: [{ applianceId: 'a', kind: 'api-account', principalId: 'crm', name: 'CRM', lastCallAt: '2026-10-30T10:00:00.000Z', lastCall: 'reporting' }] },
      backup: { appliance: appliance('b', 'backup') },
      now: '2026-11-01T12:00:00.000Z',
      estimateInstallMinutes,
      primaryHostname: { hostname: 'support.example.com', resolvesTo: 'a' },
      integrations: [{ integrationId: 'ic', name: 'IC', target: 'support.example.com', version: '10.6.0', reachesBackupAfterSwap: true }],
    };
    const plan = planUpgrade(input);
    for (const o of plan.options) {
      const shape = (s: { window: number; action: string; applianceId?: string; productionDown: boolean }) => `${s.window}:${s.action}:${s.applianceId ?? ''}:${s.productionDown}`;
      expect(o.steps.map(shape)).toEqual(pipelineDefinition(o.option, facts).map(shape));
    }
  });
});

// ---- the run's progress over its steps -------------------------------------------------------------------

const T0 = Date.parse('2026-12-01T16:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const planned: PlannedStep[] = pipelineDefinition('option2', { ...facts, apiUsers: false, integrationClientUpgrade: false, integrationCheck: false, extractSessions: false }).map((d) => ({
  ...d,
  description: d.action,
  estimatedMinutes: d.action === 'install' ? 17 : d.action === 'dns-switch' ? 5 : 1,
}));

function run(over: Partial<Run> = {}): PipelineInput['run'] {
  return {
    option: 'option2',
    status: 'window1-running',
    primaryId: 'a',
    backupId: 'b',
    targetVersion: '10.6.0',
    createdBy: 'carol',
    interim: {},
    windows: [
      { index: 1, start: at(0), durationMinutes: 180, timeZone: 'Asia/Tokyo', status: 'running', startedAt: at(0) },
      { index: 2, start: at(3 * 24 * 60), durationMinutes: 180, timeZone: 'Asia/Tokyo', status: 'scheduled' },
    ],
    plannedSteps: planned,
    ...over,
  };
}
const rec = (key: string, from: number, to?: number, output?: unknown): StepRecordView => ({ key, status: to === undefined ? 'started' : 'succeeded', attempts: 1, startedAt: at(from), ...(to !== undefined ? { endedAt: at(to) } : {}), ...(output ? { output } : {}) });
const pipe = (r: PipelineInput['run'], records: StepRecordView[], nowMinutes: number, audit: PipelineInput['audit'] = []) => runPipeline({ run: r, records, audit, nowMs: T0 + nowMinutes * 60_000, msPerModelledMinute: 60_000 });

describe('runPipeline', () => {
  const w1Done = [
    rec('w1#preflight', 0, 1, { backups: { a: 'bk-a', b: 'bk-b' } }),
    rec('w1#sync-before-break', 1, 3, { transferred: 12, primaryCompleted: 30, activeOnPrimary: 2 }),
    rec('w1#break-pair', 3, 4, { pairId: 'p', changed: true }),
    rec('w1#begin-install#b', 4, 4, { applianceId: 'b', installId: 'inst-1', estimateMinutes: 17, backupId: 'bk-b' }),
  ];

  it('mid-install: earlier steps succeeded with their outputs, the install is running and current ("step 4 of 12"), the rest pending; time left counts the deadline', () => {
    const p = pipe(run(), w1Done, 10);
    expect(p.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'running', 'pending', 'pending', 'pending', 'pending', 'pending', 'pending', 'pending', 'pending']);
    expect(p.current).toMatchObject({ index: 4, label: 'step 4 of 12', action: 'install', applianceId: 'b', elapsedMinutes: 6, estimatedMinutes: 17 });
    expect(p.steps[3]!.current).toBe(true);
    expect(p.steps[0]!.outputs).toEqual([{ label: 'backup of a', value: 'bk-a' }, { label: 'backup of b', value: 'bk-b' }]);
    expect(p.steps[1]!.outputs).toContainEqual({ label: 'sessions synced', value: '12' });
    expect(p.steps[3]!.outputs).toEqual(expect.arrayContaining([{ label: 'install id', value: 'inst-1' }, { label: 'version', value: '10.6.0' }]));
    expect(p.steps[1]!.durationMinutes).toBe(2);
    expect(p.windows[0]).toMatchObject({ elapsedMinutes: 10, minutesLeft: 170, estimatedMinutes: 1 + 1 + 1 + 17 + 1 + 5, deadline: at(180), steps: { total: 6, done: 3 } });
    expect(p.gate?.state).toBe('not-reached');
  });

  it('the install ends when verification starts; the DNS change is an output; window 1 complete leaves the gate awaiting checks', () => {
    const records = [...w1Done, rec('w1#verify#b', 21, 22, { productVersion: '10.6.0', apiVersion: '1.13.0', failoverRole: 'none' }), rec('w1#move-production', 22, 22, { hostname: 'support.example.com', target: 'b', changed: true })];
    const p = pipe(run({ status: 'interim', windows: [{ ...run().windows[0]!, status: 'succeeded', endedAt: at(23) }, run().windows[1]!] }), records, 30);
    expect(p.steps.slice(0, 6).map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(p.steps[3]).toMatchObject({ endedAt: at(21), durationMinutes: 17 });
    expect(p.steps[5]!.outputs).toEqual([{ label: 'DNS change', value: 'support.example.com → b' }]);
    expect(p.current).toBeUndefined();
    expect(p.windows[0]!.elapsedMinutes).toBe(23);
    expect(p.gate).toMatchObject({ state: 'checks-running', approveAllowed: false, overrideAllowed: true, startedBy: 'carol' });
    expect(p.gate!.waitingFor).toEqual(['the automated interim checks', "an approver's sign-off"]);
  });

  it('a failed step is failed with the reason; the window\'s later steps are skipped, not pending', () => {
    const records = [rec('w1#preflight', 0, 1), { ...rec('w1#sync-before-break', 1), status: 'started' }];
    const audit = [{ step: 'w1#sync-before-break', outcome: 'failed', at: at(2), detail: 'PairNotInSync: the backup b lacks 3 completed session(s)' }];
    const p = pipe(run({ status: 'failed', windows: [{ ...run().windows[0]!, status: 'failed', endedAt: at(3), error: 'PairNotInSync' }, { ...run().windows[1]!, status: 'cancelled' }] }), records, 5, audit);
    expect(p.steps[1]).toMatchObject({ status: 'failed', note: 'PairNotInSync: the backup b lacks 3 completed session(s)' });
    expect(p.steps.slice(2).every((s) => s.status === 'skipped')).toBe(true);
    expect(p.gate?.state).toBe('closed');
  });

  it('an interrupted window shows its unfinished step as pending (it runs again on resume), with no current step', () => {
    const w = { ...run().windows[0]!, interrupted: { at: at(9), reason: 'execution FAILED' } };
    const p = pipe(run({ windows: [w, run().windows[1]!] }), w1Done, 10);
    expect(p.steps[3]).toMatchObject({ status: 'pending', note: expect.stringContaining('interrupted') });
    expect(p.current).toBeUndefined();
    expect(p.windows[0]!.interrupted).toBe('execution FAILED');
  });

  it('an install already at the target is skipped; a replayed step says it was done by an earlier attempt', () => {
    const records = [rec('w1#preflight', 0, 1), { ...rec('w1#begin-install#b', 4, 4, { applianceId: 'b', alreadyAt: '10.6.0' }) }];
    const p = pipe(run(), records, 5, [{ step: 'w1#preflight', outcome: 'skipped', at: at(1) }]);
    expect(p.steps[3]).toMatchObject({ status: 'skipped', note: 'already at 10.6.0' });
    expect(p.steps[0]!.note).toBe('done by an earlier attempt');
  });

  it('the gate: failed checks offer only an override; passed checks allow approval; an approval or override is evidence', () => {
    const checks = { passed: false, checkedAt: at(23), results: [{ name: 'integrations', passed: false, detail: 'configured by IP' }, { name: 'version', passed: true, detail: 'b runs 10.6.0' }] };
    const interimRun = (interim: Run['interim']) => run({ status: 'interim', interim, windows: [{ ...run().windows[0]!, status: 'succeeded' }, run().windows[1]!] });
    expect(gateEvidence(interimRun({ checks }))).toMatchObject({ state: 'checks-failed', approveAllowed: false, overrideAllowed: true, waitingFor: ['an override with a reason (checks failed: integrations)'] });
    expect(gateEvidence(interimRun({ checks: { ...checks, passed: true } }))).toMatchObject({ state: 'awaiting-approval', approveAllowed: true });
    const approval = { by: 'amy', at: at(30), comment: 'B verified' };
    expect(gateEvidence(interimRun({ checks: { ...checks, passed: true }, approval }), [{ step: 'window1.start', outcome: 'started', actor: 'olivia', at: at(0) }])).toMatchObject({ state: 'approved', approval, approveAllowed: false, window1StartedBy: 'olivia', waitingFor: [] });
    expect(gateEvidence(interimRun({ checks, override: { by: 'amy', at: at(31), reason: 'IC moved to hostname' } }))).toMatchObject({ state: 'overridden', overrideAllowed: false });
  });

  it('measured downtime sits beside the estimate of the same window; reconciliation is passed on; both absent without traffic', () => {
    const traffic = {
      windows: [{ window: 1 as const, from: at(0), to: at(30), attempts: 120, failures: 3, longestOutageMinutes: 2, totalOutageMinutes: 3, estimateMinutes: 5 }],
      reconciliation: { at: at(40), primaryId: 'b', completed: 30, present: 30, missing: 0, duplicated: 0, renumbered: 0, byAppliance: { b: 30 } },
    };
    const p = pipe(run({ ...({ traffic } as object) }), w1Done, 10);
    expect(p.downtime).toEqual([{ window: 1, estimatedMinutes: 5, longestOutageMinutes: 2, totalOutageMinutes: 3, attempts: 120, failures: 3, from: at(0), to: at(30) }]);
    expect(p.reconciliation).toEqual(traffic.reconciliation);
    const none = pipe(run(), w1Done, 10);
    expect(none.downtime).toBeUndefined();
    expect(none.reconciliation).toBeUndefined();
  });

  it('a run without a stored plan gets the definition, plainly described', () => {
    const p = pipe(run({ plannedSteps: undefined }), w1Done, 10);
    expect(p.fromPlan).toBe(false);
    expect(p.steps.map((s) => s.action)).toEqual(planned.map((s) => s.action));
    expect(p.steps[3]!.description).toBe('Install 10.6.0 on b');
  });
});
