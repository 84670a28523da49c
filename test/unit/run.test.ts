import { describe, expect, it } from 'vitest';
import { finishWindow, interimGate, minutesUsed, startWindow, type Run } from '../../functions/control-plane/core/run.js';
import { appendAudit, createRun, listAudit, runStepOnce, updateRun } from '../../functions/control-plane/app/run-store.js';
import { memoryContext } from '../helpers/memory-context.js';

const run = (overrides: Partial<Run> = {}): Run => ({
  runId: 'r1',
  option: 'option2',
  packageId: 'pkg',
  targetVersion: '11.1.1',
  primaryId: 'a',
  backupId: 'b',
  windows: [
    { index: 1, start: '2026-12-01T01:00:00Z', durationMinutes: 120, timeZone: 'Asia/Tokyo', status: 'scheduled' },
    { index: 2, start: '2026-12-03T01:00:00Z', durationMinutes: 120, timeZone: 'Asia/Tokyo', status: 'scheduled' },
  ],
  interim: {},
  status: 'scheduled',
  createdBy: 'op',
  createdAt: '2026-11-26T00:00:00Z',
  updatedAt: '2026-11-26T00:00:00Z',
  version: 1,
  ...overrides,
});

describe('run rules', () => {
  it('keeps window 2 closed until window 1 succeeded, checks passed and an approver signed off', () => {
    const w1done = run({ status: 'interim', windows: run().windows.map((w) => (w.index === 1 ? { ...w, status: 'succeeded' } : w)) });
    expect(interimGate(run()).reasons).toContain('window 1 has not succeeded');
    expect(interimGate(w1done).reasons).toEqual(['interim checks have not run', 'operator approval is missing']);
    const checked = { ...w1done, interim: { checks: { passed: true, results: [], checkedAt: 'x' } } };
    expect(() => startWindow(checked, 2)).toThrow(/operator approval is missing/);
    const approved = { ...checked, interim: { ...checked.interim, approval: { by: 'boss', at: 'x' } } };
    expect(startWindow(approved, 2)).toBe('window2-running');
    const failedChecks = { ...w1done, interim: { checks: { passed: false, results: [{ name: 'version', passed: false, detail: '' }], checkedAt: 'x' }, approval: { by: 'boss', at: 'x' } } };
    expect(interimGate(failedChecks).reasons).toEqual(['interim checks failed: version']);
    const overridden = { ...w1done, interim: { override: { by: 'boss', at: 'x', reason: 'checks flaky' } } };
    expect(interimGate(overridden).open).toBe(true);
  });

  it('refuses windows on closed runs and out of order', () => {
    expect(() => startWindow(run({ status: 'cancelled' }), 1)).toThrow(/cancelled/);
    expect(() => startWindow(run({ status: 'interim' }), 1)).toThrow(/window 1 cannot start/);
    expect(() => startWindow(run({ option: 'single' }), 2)).toThrow(/no window 2/);
    expect(finishWindow(run(), 1, true)).toBe('interim');
    expect(finishWindow(run(), 2, true)).toBe('succeeded');
    expect(finishWindow(run({ option: 'single' }), 1, true)).toBe('succeeded');
    expect(finishWindow(run(), 1, false)).toBe('failed');
  });
});

describe('window minutes used (install deadline guard)', () => {
  const start = '2026-12-01T01:00:00.000Z';
  const at = (iso: string) => Date.parse(iso);
  it('counts from the scheduled start: a late start has already lost those minutes', () => {
    expect(minutesUsed({ start, startedAt: '2026-12-01T02:40:00.000Z' }, at('2026-12-01T02:40:00.000Z'), 60_000)).toBe(100);
    expect(minutesUsed({ start, startedAt: '2026-12-01T02:40:00.000Z' }, at('2026-12-01T02:45:00.000Z'), 60_000)).toBe(105);
  });
  it('an early (manual) start does not get extra minutes back, nor lose any', () => {
    expect(minutesUsed({ start, startedAt: '2026-12-01T00:30:00.000Z' }, at('2026-12-01T00:40:00.000Z'), 60_000)).toBe(10);
  });
  it('after the start, work runs on the modelled clock (locally 100 ms a minute)', () => {
    expect(minutesUsed({ start, startedAt: start }, at(start) + 3_000, 100)).toBe(30);
    expect(minutesUsed({ start }, at('2026-12-01T01:20:00.000Z'), 100)).toBe(20); // not started yet: lateness so far
  });
});

describe('run store', () => {
  it('runs a step once and replays its output', async () => {
    const ctx = memoryContext();
    let calls = 0;
    const work = async () => ({ n: ++calls });
    expect(await runStepOnce(ctx, 'r1', 'w1#install-a', work)).toEqual({ output: { n: 1 }, replayed: false });
    expect(await runStepOnce(ctx, 'r1', 'w1#install-a', work)).toEqual({ output: { n: 1 }, replayed: true });
    expect(calls).toBe(1);
  });

  it('re-runs a step whose work failed', async () => {
    const ctx = memoryContext();
    await expect(runStepOnce(ctx, 'r1', 's', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect((await runStepOnce(ctx, 'r1', 's', async () => 'ok')).output).toBe('ok');
  });

  it('stores runs with versions and audit events in order', async () => {
    const ctx = memoryContext();
    const { version: _v, ...fresh } = run();
    await createRun(ctx, fresh);
    await expect(createRun(ctx, fresh)).rejects.toMatchObject({ code: 'RunExists' });
    const updated = await updateRun(ctx, 'r1', (r) => ({ ...r, status: 'window1-running' }));
    expect(updated.version).toBe(2);
    await appendAudit(ctx, { runId: 'r1', step: 'a', actor: 'op', outcome: 'started', inputs: { x: 1 } });
    await appendAudit(ctx, { runId: 'r1', step: 'b', actor: 'op', outcome: 'succeeded' });
    const audit = await listAudit(ctx, 'r1');
    expect(audit.map((e) => e.step)).toEqual(['a', 'b']);
    expect(audit[0]!.inputsDigest).toMatch(/^[0-9a-f]{64}$/);
  });
});
