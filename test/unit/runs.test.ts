import { describe, expect, it } from 'vitest';
import { approveInterim, cancelRun, createUpgradeRun, overrideInterim, recordWindowOutcome, runDetail, startRunWindow } from '../../functions/control-plane/app/runs.js';
import { reconcileRun } from '../../functions/control-plane/app/run-progress.js';
import { requireRun, updateRun } from '../../functions/control-plane/app/run-store.js';
import type { WorkflowEngine } from '../../functions/platform/core/ports.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import type { AppContext } from '../../functions/platform/app/context.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { FakeClock, memoryContext as bareContext } from '../helpers/memory-context.js';

/** The memory context with the appliances these runs drive (a run holds its appliances, so they must exist). */
async function memoryContext(options: Parameters<typeof bareContext>[0] = {}): Promise<AppContext> {
  const ctx = bareContext(options);
  for (const id of ['appliance-a', 'appliance-b', 'appliance-c', 'appliance-d']) await createAppliance(ctx, sampleAppliance(id));
  return ctx;
}

function recordingEngine() {
  const started: { workflow: string; input: unknown; name?: string }[] = [];
  const engine: WorkflowEngine = {
    stateMachineArn: (w) => `arn:sm:${w}`,
    start: async (workflow, input, name) => {
      started.push({ workflow, input, name });
      return { executionArn: `arn:exec:${workflow}:${name}`, startDate: new Date() };
    },
    describe: async () => { throw new Error('unused'); },
    list: async () => [],
    stop: async () => undefined,
  };
  return { engine, started };
}

const newRun = {
  option: 'option2' as const,
  packageId: 'pkg-11.1.1',
  targetVersion: '11.1.1',
  primaryId: 'appliance-a',
  backupId: 'appliance-b',
  windows: [
    { start: '2026-12-01T16:00:00Z', durationMinutes: 120, timeZone: 'Asia/Tokyo' },
    { start: '2026-12-03T16:00:00Z', durationMinutes: 120, timeZone: 'Asia/Tokyo' },
  ],
};

describe('upgrade runs', () => {
  it('walks an option-2 run through window 1, interim approval and window 2', async () => {
    const { engine, started } = recordingEngine();
    const ctx = { ...(await memoryContext()), workflows: engine };
    const run = await createUpgradeRun(ctx, { ...newRun, runId: 'r1' }, 'alice');
    expect(run.status).toBe('scheduled');
    await startRunWindow(ctx, 'r1', 1, 'alice');
    expect(started[0]).toEqual({ workflow: 'failover-option2', input: { runId: 'r1', window: 1 }, name: 'r1-w1-a1' });
    await expect(startRunWindow(ctx, 'r1', 2, 'alice')).rejects.toThrow(/window 1 has not succeeded/);
    await recordWindowOutcome(ctx, 'r1', 1, { ok: true });
    expect((await requireRun(ctx, 'r1')).status).toBe('interim');
    await expect(startRunWindow(ctx, 'r1', 2, 'alice')).rejects.toMatchObject({ code: 'InterimGateClosed' });
    await updateRun(ctx, 'r1', (r) => ({ ...r, interim: { ...r.interim, checks: { passed: true, results: [], checkedAt: 'now' } } }));
    await expect(approveInterim(ctx, 'r1', 'alice', { forbidSelfApproval: true })).rejects.toMatchObject({ code: 'SelfApprovalForbidden' });
    await approveInterim(ctx, 'r1', 'bob', { forbidSelfApproval: true });
    await startRunWindow(ctx, 'r1', 2, 'bob');
    expect(started[1]?.name).toBe('r1-w2-a1');
    await recordWindowOutcome(ctx, 'r1', 2, { ok: true });
    const { run: done, audit } = await runDetail(ctx, 'r1');
    expect(done.status).toBe('succeeded');
    expect(audit.map((e) => e.step)).toEqual(['run.create', 'window1.start', 'window1.end', 'interim.approve', 'window2.start', 'window2.end']);
  });

  it('refuses malformed runs without creating anything', async () => {
    const ctx = await memoryContext();
    await expect(createUpgradeRun(ctx, { ...newRun, windows: newRun.windows.slice(0, 1) }, 'a')).rejects.toMatchObject({ code: 'WindowCountMismatch' });
    await expect(createUpgradeRun(ctx, { ...newRun, backupId: 'appliance-a' }, 'a')).rejects.toMatchObject({ code: 'SameAppliance' });
    await expect(
      createUpgradeRun(ctx, { ...newRun, windows: [newRun.windows[0]!, { ...newRun.windows[1]!, start: '2026-12-01T17:00:00Z' }] }, 'a'),
    ).rejects.toMatchObject({ code: 'WindowsOverlap' });
    expect((await ctx.records.runs.query({ index: 'gsi1', pk: 'RUNS' })).items).toHaveLength(0);
  });

  it('cancels between steps: a running window ends as cancelled, a scheduled run at once', async () => {
    const { engine } = recordingEngine();
    const ctx = { ...(await memoryContext()), workflows: engine };
    await createUpgradeRun(ctx, { ...newRun, runId: 'r2' }, 'a');
    await startRunWindow(ctx, 'r2', 1, 'a');
    const requested = await cancelRun(ctx, 'r2', 'a', 'change freeze');
    expect(requested.status).toBe('window1-running');
    await expect(startRunWindow(ctx, 'r2', 1, 'a')).rejects.toMatchObject({ code: 'WindowRunning' });
    const ended = await recordWindowOutcome(ctx, 'r2', 1, { ok: false, error: 'cancelled by operator' });
    expect(ended.status).toBe('cancelled');
    await createUpgradeRun(ctx, { ...newRun, runId: 'r3' }, 'a');
    expect((await cancelRun(ctx, 'r3', 'a', 'not needed')).status).toBe('cancelled');
    // Idempotent: the same operator again gets the same answer; another operator a 409 naming the first.
    expect(await cancelRun(ctx, 'r3', 'a', 'again')).toMatchObject({ status: 'cancelled', cancelRequested: { by: 'a', reason: 'not needed' } });
    await expect(cancelRun(ctx, 'r3', 'b', 'again')).rejects.toMatchObject({ code: 'AlreadyCancelled', details: { cancelledBy: 'a' } });
  });

  it('overrides a closed interim gate only with a reason', async () => {
    const { engine } = recordingEngine();
    const ctx = { ...(await memoryContext()), workflows: engine };
    await createUpgradeRun(ctx, { ...newRun, runId: 'r4' }, 'a');
    await startRunWindow(ctx, 'r4', 1, 'a');
    await recordWindowOutcome(ctx, 'r4', 1, { ok: true });
    await expect(overrideInterim(ctx, 'r4', 'boss', '  ')).rejects.toMatchObject({ code: 'ReasonRequired' });
    await overrideInterim(ctx, 'r4', 'boss', 'health check endpoint flaky, verified by hand');
    expect((await startRunWindow(ctx, 'r4', 2, 'boss')).status).toBe('window2-running');
  });

  it('a window whose execution failed to start can be started again (the run is not closed)', async () => {
    let fail = true;
    const { engine } = recordingEngine();
    const flaky: WorkflowEngine = {
      ...engine,
      start: async (workflow, input, name) => {
        if (fail) {
          fail = false;
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        }
        return engine.start(workflow, input, name);
      },
    };
    const ctx = { ...(await memoryContext()), workflows: flaky };
    await createUpgradeRun(ctx, { ...newRun, runId: 'r-start' }, 'alice');
    await expect(startRunWindow(ctx, 'r-start', 1, 'alice')).rejects.toThrow('Rate exceeded');
    const after = await requireRun(ctx, 'r-start');
    expect(after.status).toBe('scheduled');
    expect(after.windows[0]).toMatchObject({ status: 'scheduled' });
    expect((await runDetail(ctx, 'r-start')).audit.map((e) => `${e.step}:${e.outcome}`)).toContain('window1.start:failed');
    const started = await startRunWindow(ctx, 'r-start', 1, 'alice');
    expect(started.status).toBe('window1-running');
    expect(started.windows[0]!.executionArn).toMatch(/-w1-a1$/);
  });

  it('a status poll during a resume does not judge the dead execution; a late outcome never reopens a closed run', async () => {
    const status = new Map<string, string>();
    let duringStart: (() => Promise<void>) | undefined;
    const engine: WorkflowEngine = {
      stateMachineArn: (w) => `arn:sm:${w}`,
      start: async (workflow, _input, name) => {
        await duringStart?.();
        const arn = `arn:exec:${workflow}:${name}`;
        status.set(arn, 'RUNNING');
        return { executionArn: arn, startDate: new Date() };
      },
      describe: async (arn) => ({ status: status.get(arn) ?? 'RUNNING' }) as never,
      list: async () => [],
      stop: async () => undefined,
    };
    const ctx = { ...(await memoryContext()), workflows: engine };
    await createUpgradeRun(ctx, { ...newRun, runId: 'r-race' }, 'alice');
    const first = await startRunWindow(ctx, 'r-race', 1, 'alice');
    status.set(first.windows[0]!.executionArn!, 'FAILED'); // the runtime died
    duringStart = async () => void (await reconcileRun(ctx, await requireRun(ctx, 'r-race')));
    const resumed = await startRunWindow(ctx, 'r-race', 1, 'alice');
    expect(resumed.status).toBe('window1-running');
    expect(resumed.windows[0]!.executionArn).toMatch(/-w1-a2$/);

    await cancelRun(ctx, 'r-race', 'alice', 'stop');
    await recordWindowOutcome(ctx, 'r-race', 1, { ok: false, error: 'RunCancelled' });
    expect((await requireRun(ctx, 'r-race')).status).toBe('cancelled');
    await recordWindowOutcome(ctx, 'r-race', 1, { ok: true }); // a stale success must not reopen it
    expect((await requireRun(ctx, 'r-race')).status).toBe('cancelled');
  });

  it('one open run per appliance: concurrent creations on one pair give one run; a closed run frees the pair', async () => {
    const ctx = { ...(await memoryContext()), workflows: recordingEngine().engine };
    const outcomes = await Promise.allSettled([1, 2, 3].map((i) => createUpgradeRun(ctx, { ...newRun, runId: `r-busy-${i}` }, 'alice')));
    const created = outcomes.filter((o): o is PromiseFulfilledResult<Awaited<ReturnType<typeof createUpgradeRun>>> => o.status === 'fulfilled');
    expect(created).toHaveLength(1);
    for (const o of outcomes.filter((x) => x.status === 'rejected')) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'ApplianceBusy', details: { runId: created[0]!.value.runId } });
    // the single-appliance form of the same appliance is refused too
    await expect(createUpgradeRun(ctx, { ...newRun, option: 'single', backupId: undefined, windows: newRun.windows.slice(0, 1), runId: 'r-busy-single' }, 'alice')).rejects.toMatchObject({ code: 'ApplianceBusy' });
    await cancelRun(ctx, created[0]!.value.runId, 'alice', 'replanned');
    expect((await createUpgradeRun(ctx, { ...newRun, runId: 'r-busy-next' }, 'alice')).status).toBe('scheduled');
    // a pair whose backup is busy: the refused run gives its claim on the primary back at once
    await expect(createUpgradeRun(ctx, { ...newRun, primaryId: 'appliance-c', runId: 'r-half' }, 'alice')).rejects.toMatchObject({ code: 'ApplianceBusy' });
    expect((await createUpgradeRun(ctx, { ...newRun, primaryId: 'appliance-c', backupId: 'appliance-d', runId: 'r-c' }, 'alice')).status).toBe('scheduled');
  });

  describe('starts whose answer was lost (the caller died while StartExecution was outstanding)', () => {
    /** Step Functions as far as these cases need: names are unique, describe of an unknown one fails. */
    function faithfulEngine() {
      const executions = new Map<string, string>();
      let hangNext = false;
      const engine: WorkflowEngine = {
        stateMachineArn: (w) => `arn:aws:states:eu-west-1:1:stateMachine:${w}`,
        start: async (w, _input, name) => {
          const executionArn = `arn:aws:states:eu-west-1:1:execution:${w}:${name}`;
          const existing = executions.get(executionArn);
          if (existing && existing !== 'RUNNING') throw Object.assign(new Error(`execution ${name} already exists`), { name: 'ExecutionAlreadyExists' });
          executions.set(executionArn, 'RUNNING');
          if (hangNext) {
            hangNext = false;
            return new Promise(() => undefined); // created, but the answer never arrives
          }
          return { executionArn, startDate: new Date() };
        },
        describe: async (executionArn) => {
          const status = executions.get(executionArn);
          if (!status) throw Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' });
          return { executionArn, stateMachineArn: 'sm', name: executionArn, status, startDate: new Date() } as never;
        },
        list: async () => [],
        stop: async () => undefined,
      };
      return { engine, executions, hang: () => (hangNext = true) };
    }
    const single = { ...newRun, option: 'single' as const, backupId: undefined, windows: newRun.windows.slice(0, 1) };

    it('created and then died: the next start adopts it and resumes as attempt 2 (no ExecutionAlreadyExists)', async () => {
      const clock = new FakeClock(new Date('2026-12-01T16:00:00Z'));
      const f = faithfulEngine();
      const ctx = { ...(await memoryContext({ clock })), workflows: f.engine };
      await createUpgradeRun(ctx, { ...single, runId: 'r-doubt' }, 'alice');
      f.hang();
      void startRunWindow(ctx, 'r-doubt', 1, 'alice');
      await new Promise((r) => setTimeout(r, 20));
      f.executions.set('arn:aws:states:eu-west-1:1:execution:single-appliance-upgrade:r-doubt-w1-a1', 'TIMED_OUT');
      clock.advance(10 * 60_000);
      const resumed = await startRunWindow(ctx, 'r-doubt', 1, 'alice');
      expect(resumed.windows[0]!.executionArn).toMatch(/r-doubt-w1-a2$/);
      expect(resumed.status).toBe('window1-running');
    });

    it('never created, then cancelled: reconciling closes the run and frees the appliance', async () => {
      const clock = new FakeClock(new Date('2026-12-01T16:00:00Z'));
      const f = faithfulEngine();
      const hanging: WorkflowEngine = { ...f.engine, start: () => new Promise(() => undefined) }; // dies before Step Functions sees it
      const ctx = { ...(await memoryContext({ clock })), workflows: hanging };
      await createUpgradeRun(ctx, { ...single, runId: 'r-lost' }, 'alice');
      void startRunWindow(ctx, 'r-lost', 1, 'alice');
      await new Promise((r) => setTimeout(r, 20));
      clock.advance(10 * 60_000);
      const interrupted = await reconcileRun(ctx, await requireRun(ctx, 'r-lost'));
      expect(interrupted.windows[0]!.interrupted?.reason).toMatch(/never reached Step Functions/);
      await cancelRun(ctx, 'r-lost', 'alice', 'abort');
      expect((await reconcileRun(ctx, await requireRun(ctx, 'r-lost'))).status).toBe('cancelled');
      expect((await createUpgradeRun({ ...ctx, workflows: f.engine }, { ...single, runId: 'r-next' }, 'bob')).status).toBe('scheduled');
    });

    it('a start that fails after a cancel was accepted ends the run cancelled', async () => {
      let release: (() => void) | undefined;
      const { engine } = recordingEngine();
      const slowFailing: WorkflowEngine = {
        ...engine,
        start: () => new Promise((_, reject) => (release = () => reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })))),
      };
      const ctx = { ...(await memoryContext()), workflows: slowFailing };
      await createUpgradeRun(ctx, { ...single, runId: 'r-race-cancel' }, 'alice');
      const starting = startRunWindow(ctx, 'r-race-cancel', 1, 'alice');
      await new Promise((r) => setTimeout(r, 10));
      await cancelRun(ctx, 'r-race-cancel', 'alice', 'change freeze');
      release!();
      await expect(starting).rejects.toThrow('Rate exceeded');
      expect(await requireRun(ctx, 'r-race-cancel')).toMatchObject({ status: 'cancelled', windows: [{ status: 'cancelled' }] });
    });
  });
});
