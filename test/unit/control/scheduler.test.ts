import { describe, expect, it } from 'vitest';
import type { AppContext } from '../../../functions/platform/app/context.js';
import { listAudit, requireRun, updateRun } from '../../../functions/control-plane/app/run-store.js';
import { createUpgradeRun, recordWindowOutcome } from '../../../functions/control-plane/app/runs.js';
import { getSchedule, runDueSchedules, scheduleRunWindows, type RemoteScheduler } from '../../../functions/control-plane/app/scheduler.js';
import { resolveWindow, type WindowSpec } from '../../../functions/platform/core/schedule.js';
import { createAppliance } from '../../../functions/emulator/app/appliance-store.js';
import { sampleAppliance } from '../../helpers/fixtures.js';
import { FakeClock, memoryContext } from '../../helpers/memory-context.js';
import { recordingEngine } from '../../helpers/recording-engine.js';

async function setup(specs: WindowSpec[], now = '2026-03-01T00:00:00Z', remote?: RemoteScheduler) {
  const clock = new FakeClock(new Date(now));
  const rec = recordingEngine();
  const ctx: AppContext = { ...memoryContext({ clock }), workflows: rec.engine };
  for (const id of ['a', 'b']) await createAppliance(ctx, sampleAppliance(id));
  const windows = specs.map(resolveWindow).map((w) => ({ start: w.start, durationMinutes: w.durationMinutes, timeZone: w.timeZone }));
  const run = await createUpgradeRun(ctx, { runId: 'r1', option: specs.length === 1 ? 'single' : 'option2', packageId: 'p', targetVersion: '11.1.1', primaryId: 'a', backupId: specs.length === 1 ? undefined : 'b', windows }, 'olivia');
  await scheduleRunWindows(ctx, run, 'olivia', remote);
  return { ctx, clock, ...rec };
}

describe('window scheduler (fake clock)', () => {
  it('fires a window once, at its start, even when two schedulers race', async () => {
    const { ctx, clock, started } = await setup([{ start: '2026-03-01T02:00:00Z', durationMinutes: 120, timeZone: 'UTC' }]);
    expect(await runDueSchedules(ctx)).toEqual([]);
    clock.set(new Date('2026-03-01T01:59:59Z'));
    await runDueSchedules(ctx);
    expect(started).toHaveLength(0);
    clock.set(new Date('2026-03-01T02:00:00Z'));
    await Promise.all([runDueSchedules(ctx), runDueSchedules(ctx), runDueSchedules(ctx)]);
    clock.advance(60_000);
    await runDueSchedules(ctx);
    expect(started.map((s) => s.name)).toEqual(['r1-w1-a1']);
    expect((await getSchedule(ctx, 'r1-w1'))?.status).toBe('started');
    expect((await requireRun(ctx, 'r1')).status).toBe('window1-running');
    expect((await listAudit(ctx, 'r1')).filter((e) => e.step === 'window1.start').map((e) => e.actor)).toEqual(['scheduler']);
  });

  it('a transient failure while starting leaves the window pending: the next tick starts it', async () => {
    const { ctx, clock, started, engine } = await setup([{ start: '2026-03-01T02:00:00Z', durationMinutes: 120, timeZone: 'UTC' }]);
    const start = engine.start;
    engine.start = async () => {
      engine.start = start;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    };
    clock.set(new Date('2026-03-01T02:00:00Z'));
    await runDueSchedules(ctx);
    expect((await getSchedule(ctx, 'r1-w1'))?.status).toBe('pending');
    expect((await requireRun(ctx, 'r1')).status).toBe('scheduled');
    clock.advance(30_000);
    await runDueSchedules(ctx);
    expect(started.map((s) => s.name)).toEqual(['r1-w1-a1']);
    expect((await getSchedule(ctx, 'r1-w1'))?.status).toBe('started');
    expect((await listAudit(ctx, 'r1')).map((e) => `${e.step}:${e.outcome}`)).toContain('window1.schedule:failed');
  });

  it('a claim whose process died before starting the window is fired again after the grace period', async () => {
    const { ctx, clock, started, engine } = await setup([{ start: '2026-03-01T02:00:00Z', durationMinutes: 120, timeZone: 'UTC' }]);
    const start = engine.start;
    let reached: () => void;
    const dying = new Promise<void>((r) => (reached = r));
    engine.start = () => (reached(), new Promise(() => undefined)); // the process "dies" here: the start never returns
    clock.set(new Date('2026-03-01T02:00:00Z'));
    void runDueSchedules(ctx);
    await dying; // (the holds go to the appliances over HTTP first)
    expect((await getSchedule(ctx, 'r1-w1'))?.status).toBe('fired');
    engine.start = start;
    clock.advance(60_000);
    await runDueSchedules(ctx); // within the grace period: still someone else's claim
    expect(started).toHaveLength(0);
    clock.advance(90_000);
    await runDueSchedules(ctx);
    expect((await getSchedule(ctx, 'r1-w1'))?.status).toBe('started');
    expect((await requireRun(ctx, 'r1')).status).toBe('window1-running');
  });

  it('survives a restart: a new scheduler over the same store fires the pending window', async () => {
    const { ctx, clock, started } = await setup([{ start: '2026-03-01T02:00:00Z', durationMinutes: 120, timeZone: 'UTC' }]);
    // "restart": nothing in memory but the store; a new clock reading after the start
    const restarted: AppContext = { ...ctx, clock: new FakeClock(new Date('2026-03-01T02:30:00Z')) };
    await runDueSchedules(restarted);
    expect(started).toHaveLength(1);
    clock.set(new Date('2026-03-01T02:31:00Z'));
    await runDueSchedules(ctx);
    expect(started).toHaveLength(1);
  });

  it('fires at the DST-correct instant: a gap time moves past the gap, an overlap takes the earlier instant', async () => {
    // 2026-03-08 02:30 does not exist in New York: it runs at 03:30 EDT = 07:30Z.
    const gap = await setup([{ localStart: '2026-03-08T02:30', durationMinutes: 60, timeZone: 'America/New_York' }]);
    expect((await getSchedule(gap.ctx, 'r1-w1'))?.fireAt).toBe('2026-03-08T07:30:00.000Z');
    gap.clock.set(new Date('2026-03-08T07:29:00Z'));
    await runDueSchedules(gap.ctx);
    expect(gap.started).toHaveLength(0);
    gap.clock.set(new Date('2026-03-08T07:30:00Z'));
    await runDueSchedules(gap.ctx);
    expect(gap.started).toHaveLength(1);

    // 2026-11-01 01:30 happens twice in New York: the first one (EDT, 05:30Z), not an hour later.
    const overlap = await setup([{ localStart: '2026-11-01T01:30', durationMinutes: 60, timeZone: 'America/New_York' }], '2026-10-31T00:00:00Z');
    overlap.clock.set(new Date('2026-11-01T05:30:00Z'));
    await runDueSchedules(overlap.ctx);
    expect(overlap.started).toHaveLength(1);
  });

  it('records a window missed while the process was down and never starts it late', async () => {
    const { ctx, clock, started } = await setup([{ start: '2026-03-01T02:00:00Z', durationMinutes: 120, timeZone: 'UTC' }]);
    clock.set(new Date('2026-03-01T04:00:00Z')); // exactly the end
    const acted = await runDueSchedules(ctx);
    expect(acted.map((s) => s.status)).toEqual(['missed']);
    clock.advance(3_600_000);
    await runDueSchedules(ctx);
    expect(started).toHaveLength(0);
    const run = await requireRun(ctx, 'r1');
    expect(run.status).toBe('scheduled');
    expect(run.windows[0]).toMatchObject({ status: 'missed' });
    expect((await listAudit(ctx, 'r1')).map((e) => `${e.step}:${e.outcome}:${e.actor}`)).toContain('window1.missed:skipped:scheduler');
  });

  it('refuses (and audits) a window-2 schedule while the interim gate is closed', async () => {
    const { ctx, clock, started } = await setup([
      { start: '2026-03-01T02:00:00Z', durationMinutes: 60, timeZone: 'UTC' },
      { start: '2026-03-02T02:00:00Z', durationMinutes: 60, timeZone: 'UTC' },
    ]);
    clock.set(new Date('2026-03-01T02:00:00Z'));
    await runDueSchedules(ctx);
    await recordWindowOutcome(ctx, 'r1', 1, { ok: true });
    clock.set(new Date('2026-03-02T02:05:00Z'));
    await runDueSchedules(ctx);
    expect(started).toHaveLength(1);
    const w2 = await getSchedule(ctx, 'r1-w2');
    expect(w2?.status).toBe('refused');
    expect(w2?.outcome).toMatch(/^InterimGateClosed/);
    expect((await requireRun(ctx, 'r1')).status).toBe('interim');
    // with checks and approval in place a later, manual start works; the schedule does not fire again
    await updateRun(ctx, 'r1', (r) => ({ ...r, interim: { checks: { passed: true, results: [], checkedAt: 'x' }, approval: { by: 'amy', at: 'x' } } }));
    await runDueSchedules(ctx);
    expect(started).toHaveLength(1);
  });

  it('creates one cloud schedule per window through the RemoteScheduler port', async () => {
    const created: { name: string; at: string }[] = [];
    const remote: RemoteScheduler = { create: async (s) => void created.push(s), delete: async () => undefined };
    await setup([{ start: '2026-03-01T02:00:00Z', durationMinutes: 60, timeZone: 'UTC' }, { start: '2026-03-02T02:00:00Z', durationMinutes: 60, timeZone: 'UTC' }], undefined, remote);
    expect(created.map((c) => [c.name, c.at])).toEqual([
      ['upgrade-cp-r1-w1', '2026-03-01T02:00:00.000Z'],
      ['upgrade-cp-r1-w2', '2026-03-02T02:00:00.000Z'],
    ]);
  });
});
