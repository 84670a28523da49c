/**
 * Fault matrix: for every task step of the option-2 workflow, a non-retryable failure there ends the
 * window in a safe state — production served by an online appliance, the run failed with the reason
 * and an alert, no install started twice, no completed session or backup lost (checked in the stores).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireAppliance } from '../../functions/emulator/app/appliance-store.js';
import { listBackups } from '../../functions/emulator/app/backups.js';
import { listInstallRecords } from '../../functions/emulator/app/install-records.js';
import { resolveHostname } from '../../functions/emulator/app/primary-hostname.js';
import { listAudit, requireRun } from '../../functions/control-plane/app/run-store.js';
import { approveInterim } from '../../functions/control-plane/app/runs.js';
import { FaultInjector } from '../../functions/local/faults.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { identity, newRun, pairFixture, runWindow, sessionsOf } from '../helpers/workflow-fixture.js';

const faults = new FaultInjector();
let rt: TestRuntime;
const ctx = () => rt.services;
beforeAll(async () => {
  rt = await startTestRuntime({ faults });
});
afterAll(() => rt?.dispose());

const W1 = ['preflight', 'syncBeforeBreak', 'breakFailover', 'beginInstall', 'pollInstall', 'verifyUpgraded', 'moveProductionToBackup', 'completeWindow'];
const W2 = ['preflight', 'beginInstall', 'pollInstall', 'verifyUpgraded', 'reestablishFailover', 'resyncPair', 'staffConsoleReport', 'completeWindow'];

describe.each([
  ...W1.map((task) => [1, task] as const),
  ...W2.map((task) => [2, task] as const),
])('window %i, task %s fails', (window, task) => {
  it('leaves a safe state', async () => {
    const prefix = `fm-${window}-${task.toLowerCase()}`.slice(0, 40);
    const { a, b, hostname } = await pairFixture(ctx(), prefix, { sessions: 12 });
    const completedBefore = new Set((await sessionsOf(ctx(), a)).filter((s) => s.status === 'completed').map(identity));
    const run = await newRun(ctx(), 'option2', a, b);
    if (window === 2) {
      expect((await runWindow(ctx(), run.runId, 1)).run.status).toBe('interim');
      await approveInterim(ctx(), run.runId, 'amy');
    }
    const backupsBefore = (await listBackups(ctx(), a)).length + (await listBackups(ctx(), b)).length;
    faults.clear();
    faults.add({ target: `task:${task}`, kind: 'fail', errorName: 'InjectedFault', runId: run.runId, times: 1 });
    const { execution, run: after } = await runWindow(ctx(), run.runId, window);
    faults.clear();

    expect(execution.status).toBe('FAILED');
    expect(after.status).toBe('failed');
    expect(after.statusReason).toMatch(/InjectedFault/);
    expect((await listAudit(ctx(), run.runId)).some((e) => e.step === `window${window}.alert` && e.outcome === 'failed')).toBe(true);

    // Production is served by an online appliance.
    const serving = await resolveHostname(ctx(), hostname);
    expect(serving === a || serving === b).toBe(true);
    expect((await requireAppliance(ctx(), serving!)).state).toBe('online');

    // No install started twice; no backup lost.
    for (const id of [a, b]) {
      const keys = (await listInstallRecords(ctx(), id)).map((r) => r.requestKey);
      expect(new Set(keys).size).toBe(keys.length);
    }
    expect((await listBackups(ctx(), a)).length + (await listBackups(ctx(), b)).length).toBeGreaterThanOrEqual(backupsBefore);

    // Every completed session of the old primary is still held by the appliance serving production.
    const held = new Set((await sessionsOf(ctx(), serving!)).map(identity));
    for (const id of completedBefore) expect(held.has(id), `session ${id} lost`).toBe(true);
    expect((await requireRun(ctx(), run.runId)).windows[window - 1]!.status).toBe('failed');
  });
});
