/**
 * Failure paths of the upgrade workflows: each ends in a documented safe state, recorded on the run with a
 * clear reason and an alert in the audit trail, never installing twice and never losing a session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireAppliance, updateAppliance } from '../../functions/emulator/app/appliance-store.js';
import { getPair } from '../../functions/emulator/app/failover-pair-store.js';
import { forceSync } from '../../functions/emulator/app/failover-pairs.js';
import { listInstalls } from '../../functions/emulator/app/install.js';
import { resolveHostname } from '../../functions/emulator/app/primary-hostname.js';
import { runProgress } from '../../functions/control-plane/app/run-progress.js';
import { listAudit, requireRun } from '../../functions/control-plane/app/run-store.js';
import { approveInterim, cancelRun, overrideInterim, startRunWindow } from '../../functions/control-plane/app/runs.js';
import { FaultInjector } from '../../functions/local/faults.js';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { auditSteps, identity, newRun, pairFixture, runWindow, sessionsOf, waitForExecution } from '../helpers/workflow-fixture.js';

const faults = new FaultInjector();
let rt: TestRuntime;
const ctx = () => rt.services;
beforeAll(async () => {
  rt = await startTestRuntime({ faults });
});
afterAll(() => rt?.dispose());

async function state(a: string, b: string, hostname: string) {
  const [pa, pb] = [await requireAppliance(ctx(), a), await requireAppliance(ctx(), b)];
  const pair = await getPair(ctx(), pa.failover.pairId!);
  return {
    versions: [pa.productVersion, pb.productVersion],
    states: [pa.state, pb.state],
    pair: { status: pair?.status, primaryId: pair?.primaryId },
    dns: await resolveHostname(ctx(), hostname),
  };
}

const completed = async (id: string) => new Set((await sessionsOf(ctx(), id)).filter((s) => s.status === 'completed').map(identity));

describe('install failure', () => {
  it('window 1 (option 1): A fails to install, production moves to the healthy B, run failed with the reason', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'f-w1');
    const before = await completed(a);
    await updateAppliance(ctx(), a, (x) => ({ ...x, failNextInstall: true }));
    const run = await newRun(ctx(), 'option1', a, b);
    const { execution, run: after } = await runWindow(ctx(), run.runId, 1);
    expect(execution.status).toBe('FAILED');
    expect(after.status).toBe('failed');
    expect(after.statusReason).toMatch(/^InstallFailed/);
    expect(await state(a, b, hostname)).toEqual({ versions: ['10.5.2', '10.5.2'], states: ['failed', 'online'], pair: { status: 'broken', primaryId: a }, dns: b });
    const onB = await completed(b);
    for (const id of before) expect(onB.has(id)).toBe(true);
    const steps = await auditSteps(ctx(), run.runId);
    expect(steps).toContain('window1.alert:failed');
    expect(steps).not.toContain('window1.end:succeeded');
  });

  it('window 2 (option 2): A fails, B keeps serving production', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'f-w2');
    const run = await newRun(ctx(), 'option2', a, b);
    expect((await runWindow(ctx(), run.runId, 1)).run.status).toBe('interim');
    await approveInterim(ctx(), run.runId, 'amy');
    await updateAppliance(ctx(), a, (x) => ({ ...x, failNextInstall: true }));
    const { run: after } = await runWindow(ctx(), run.runId, 2);
    expect(after.status).toBe('failed');
    expect(after.statusReason).toMatch(/^InstallFailed/);
    expect(await state(a, b, hostname)).toMatchObject({ versions: ['10.5.2', '10.6.0'], states: ['failed', 'online'], dns: b });
    expect((await listInstalls(ctx(), b)).length).toBe(1);
  });
});

describe('install started, record not written', () => {
  it('option 1 window 1: A went down installing but the step failed before recording it; production moves to B', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'f-partial');
    const run = await newRun(ctx(), 'option1', a, b);
    faults.add({ target: 'task:beginInstall', kind: 'delay', delayMs: 500, runId: run.runId });
    const started = await startRunWindow(ctx(), run.runId, 1, 'olivia');
    await eventually(async () => ((await auditSteps(ctx(), run.runId)).includes('w1#break-pair:succeeded') ? true : undefined));
    // startInstall marks A installing, then ends its sessions: that write fails (not retried), before the install record.
    faults.add({ target: 'sessions.batchPut', kind: 'fail', errorName: 'InjectedFault', times: 1 });
    await waitForExecution(ctx(), started.windows[0]!.executionArn!);
    faults.clear();
    expect((await requireRun(ctx(), run.runId)).status).toBe('failed');
    // The handler took the "an install started" branch (keep a healthy side serving; the install finishes on
    // its own, here at once on the fast test clock), not "restore the pair" around a half-upgraded A.
    const alert = (await listAudit(ctx(), run.runId)).find((e) => e.step === 'window1.alert');
    expect(alert?.detail).toMatch(new RegExp(`Safe state: ${hostname} (stays on healthy ${a}|moved to healthy ${b})`));
    expect((await getPair(ctx(), (await requireAppliance(ctx(), a)).failover.pairId!))?.status).toBe('broken');
    expect((await requireAppliance(ctx(), a)).lastInstall?.requestKey).toBe(`${run.runId}:w1:install:${a}`);
  });
});

describe('guards before the install', () => {
  it('pair not in sync: a failing sync stops window 1 before the break; the pair stays as it was', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'f-sync');
    const run = await newRun(ctx(), 'option2', a, b);
    // New history on A after the fixture's sync, and the sync's writes to B fail.
    const appliance = await requireAppliance(ctx(), a);
    const { generateSessions } = await import('../../functions/emulator/app/session-generator.js');
    await generateSessions(ctx(), appliance, { count: 5, activeFraction: 0, seed: 99 });
    faults.clear();
    faults.add({ target: 'sessions.batchPut', kind: 'fail', errorName: 'SyncInterrupted', runId: undefined });
    const { run: after } = await runWindow(ctx(), run.runId, 1);
    faults.clear();
    expect(after.status).toBe('failed');
    // Over the wire the control plane sees the appliance's 503 InternalError on the sync (the store's error stays inside it).
    expect(after.statusReason).toMatch(/^ApplianceError: POST \/appliances\/f-sync-b\/login\/failover\/sync on f-sync-b answered 503 InternalError/);
    // Never broken: the interrupted sync leaves the pair `syncing`, and the next sync finishes it.
    expect(await state(a, b, hostname)).toEqual({ versions: ['10.5.2', '10.5.2'], states: ['online', 'online'], pair: { status: 'syncing', primaryId: a }, dns: a });
    await forceSync(ctx(), b);
    expect((await state(a, b, hostname)).pair.status).toBe('established');
    expect(await listInstalls(ctx(), a)).toHaveLength(0);
    expect(await listInstalls(ctx(), b)).toHaveLength(0);
    expect(await auditSteps(ctx(), run.runId)).not.toContain('w1#break-pair:succeeded');
  });

  it('window too short: stops before the install and re-establishes the pair it broke', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'f-short', { storedDataGb: 200 });
    const run = await newRun(ctx(), 'option2', a, b, 10);
    const { run: after } = await runWindow(ctx(), run.runId, 1);
    const alert = (await listAudit(ctx(), run.runId)).find((e) => e.step === 'window1.alert');
    expect(alert?.detail).toMatch(/Safe state: pair re-established with f-short-a primary/);
    expect(after.status).toBe('failed');
    expect(after.statusReason).toMatch(/^WindowTooShort: installing f-short-b takes about \d+ min but only \d+ min are left/);
    expect(await state(a, b, hostname)).toEqual({ versions: ['10.5.2', '10.5.2'], states: ['online', 'online'], pair: { status: 'established', primaryId: a }, dns: a });
    expect(await listInstalls(ctx(), b)).toHaveLength(0);
    const steps = await auditSteps(ctx(), run.runId);
    expect(steps).toContain('w1#break-pair:succeeded');
    expect(steps).toContain('window1.alert:failed');
  });

  it('approval missing: window 2 refuses to start until an approver signs off (or overrides with a reason)', async () => {
    const { a, b } = await pairFixture(ctx(), 'f-appr');
    const run = await newRun(ctx(), 'option2', a, b);
    await runWindow(ctx(), run.runId, 1);
    await expect(startRunWindow(ctx(), run.runId, 2, 'olivia')).rejects.toMatchObject({ code: 'InterimGateClosed' });
    expect((await requireRun(ctx(), run.runId)).status).toBe('interim');
    expect((await requireAppliance(ctx(), a)).productVersion).toBe('10.5.2');
    await overrideInterim(ctx(), run.runId, 'boss', 'verified the upgraded side by hand');
    expect((await runWindow(ctx(), run.runId, 2)).run.status).toBe('succeeded');
  });
});

describe('cancellation', () => {
  it('cancelled between steps: the window stops before the install and restores the pair', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'f-cancel');
    const run = await newRun(ctx(), 'option2', a, b);
    faults.clear();
    faults.add({ target: 'task:breakFailover', kind: 'delay', delayMs: 400, runId: run.runId });
    const started = await startRunWindow(ctx(), run.runId, 1, 'olivia');
    await cancelRun(ctx(), run.runId, 'olivia', 'change freeze');
    await waitForExecution(ctx(), started.windows[0]!.executionArn!);
    faults.clear();
    const after = await requireRun(ctx(), run.runId);
    expect(after.status).toBe('cancelled');
    expect(after.statusReason).toMatch(/RunCancelled/);
    expect(await state(a, b, hostname)).toEqual({ versions: ['10.5.2', '10.5.2'], states: ['online', 'online'], pair: { status: 'established', primaryId: a }, dns: a });
    expect(await listInstalls(ctx(), b)).toHaveLength(0);
  });
});

describe('cancellation during the last step', () => {
  it('a cancel accepted while window 1 completes stops the run at the interim: cancelled, approvals refused', async () => {
    const { a, b } = await pairFixture(ctx(), 'f-lastcancel');
    const run = await newRun(ctx(), 'option2', a, b);
    faults.add({ target: 'task:completeWindow', kind: 'delay', delayMs: 400, runId: run.runId });
    const started = await startRunWindow(ctx(), run.runId, 1, 'olivia');
    await eventually(async () => ((await auditSteps(ctx(), run.runId)).includes('w1#move-production:succeeded') ? true : undefined));
    expect((await cancelRun(ctx(), run.runId, 'olivia', 'change freeze')).status).toBe('window1-running');
    await waitForExecution(ctx(), started.windows[0]!.executionArn!);
    faults.clear();
    const after = await requireRun(ctx(), run.runId);
    expect(after.status).toBe('cancelled');
    expect(after.windows[0]!.status).toBe('succeeded');
    expect(after.statusReason).toBe('cancelled by olivia: change freeze');
    await expect(approveInterim(ctx(), run.runId, 'amy')).rejects.toMatchObject({ code: 'NotInInterim' });
  });
});

/** Starts window 1 of an option-2 run on its own runtime, holds `holdTask`, stops the runtime once `reached` is audited, and restarts it on the same data. */
async function crashMidWindow(prefix: string, holdTask: string, reached: (b: string) => string) {
  const crashFaults = new FaultInjector();
  const first = await startTestRuntime({ faults: crashFaults });
  const { a, b, hostname } = await pairFixture(first.services, prefix);
  const run = await newRun(first.services, 'option2', a, b);
  crashFaults.add({ target: `task:${holdTask}`, kind: 'delay', delayMs: 400, runId: run.runId });
  await startRunWindow(first.services, run.runId, 1, 'olivia');
  await eventually(async () => ((await auditSteps(first.services, run.runId)).includes(reached(b)) ? true : undefined));
  await first.stop();
  return { second: await startTestRuntime({ dataDir: first.dataDir }), run, a, b, hostname };
}

describe('crash and resume', () => {
  it('a window whose runtime died mid-way is resumed without repeating the install', async () => {
    // Hold the step after the install so the runtime can be killed between two steps of the window.
    const { second, run, b, hostname } = await crashMidWindow('f-crash', 'moveProductionToBackup', (b) => `w1#verify#${b}:succeeded`);
    try {
      const c2 = second.services;
      const stuck = await requireRun(c2, run.runId);
      expect(stuck.status).toBe('window1-running');
      // Looking at the run (GET /v1/runs/:id) marks the window interrupted; it does not close the run.
      const { run: viewed } = await runProgress(c2, run.runId);
      expect(viewed.status).toBe('window1-running');
      expect(viewed.windows[0]!.interrupted?.reason).toMatch(/^execution (FAILED|ABORTED)/);
      expect(viewed.statusReason).toMatch(/window 1 interrupted: .* start the window again to resume it, or cancel the run/);
      const resumed = await startRunWindow(c2, run.runId, 1, 'olivia');
      expect(resumed.windows[0]!.interrupted).toBeUndefined();
      expect(resumed.windows[0]!.executionArn).toMatch(/-w1-a2$/);
      expect((await waitForExecution(c2, resumed.windows[0]!.executionArn!)).status).toBe('SUCCEEDED');
      const after = await requireRun(c2, run.runId);
      expect(after.status).toBe('interim');
      expect((await listInstalls(c2, b)).length).toBe(1);
      const steps = await auditSteps(c2, run.runId);
      expect(steps).toContain(`w1#begin-install#${b}:skipped`);
      expect(steps.filter((x) => x === `w1#begin-install#${b}:succeeded`)).toHaveLength(1);
      expect(await resolveHostname(c2, hostname)).toBe(b);
    } finally {
      await second.dispose();
    }
  });

  it('cancelling a run whose window died runs the failure handler: the broken pair is restored, the run cancelled', async () => {
    const { second, run, a, b, hostname } = await crashMidWindow('f-dead', 'beginInstall', () => 'w1#break-pair:succeeded');
    try {
      const c2 = second.services;
      expect((await getPair(c2, (await requireAppliance(c2, a)).failover.pairId!))?.status).toBe('broken');
      await cancelRun(c2, run.runId, 'olivia', 'change freeze');
      const { run: after } = await runProgress(c2, run.runId); // the cancel handler reconciles the same way
      expect(after.status).toBe('cancelled');
      expect(after.statusReason).toMatch(/^cancelled: RunCancelled: change freeze/);
      expect((await getPair(c2, (await requireAppliance(c2, a)).failover.pairId!))?.status).toBe('established');
      expect(await resolveHostname(c2, hostname)).toBe(a);
      expect(await auditSteps(c2, run.runId)).toContain('window1.alert:failed');
      expect(await listInstalls(c2, b)).toHaveLength(0);
    } finally {
      await second.dispose();
    }
  });
});
