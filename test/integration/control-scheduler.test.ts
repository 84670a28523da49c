import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../functions/platform/app/context.js';
import { listAudit, requireRun } from '../../functions/control-plane/app/run-store.js';
import { createUpgradeRun } from '../../functions/control-plane/app/runs.js';
import { getSchedule, scheduleRunWindows } from '../../functions/control-plane/app/scheduler.js';
import { eventually, startTestRuntime, tempDir, type TestRuntime } from '../helpers/runtime.js';
import { seedFleet } from '../helpers/control.js';
import { installStandInTask, registerStandInWorkflows } from '../helpers/stand-in-workflows.js';
import { mark, recordsSince } from '../helpers/log-capture.js';

const started: TestRuntime[] = [];
let dataDir: string;
const boot = async (intervalMs: number) => {
  const r = await startTestRuntime({ dataDir, env: { SCHEDULER_INTERVAL_MS: String(intervalMs) } });
  started.push(r);
  return r;
};
afterAll(async () => {
  for (const r of started) await r.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function scheduledRun(ctx: AppContext, runId: string, applianceId: string, startOffsetMs: number) {
  const run = await createUpgradeRun(
    ctx,
    { runId, option: 'single', packageId: 'bomgar-11.1.1', targetVersion: '11.1.1', primaryId: applianceId, windows: [{ start: new Date(Date.now() + startOffsetMs).toISOString(), durationMinutes: 60, timeZone: 'Europe/Berlin' }] },
    'olivia',
  );
  await scheduleRunWindows(ctx, run, 'olivia');
}

describe('local scheduler across restarts (real runtime, DynamoDB records)', () => {
  it('fires a window that came due while the process was down, and records an ended one as missed', async () => {
    installStandInTask();
    dataDir = await tempDir();
    const first = await boot(0);
    await seedFleet(first.services, { pairs: ['pair-1'] });
    await scheduledRun(first.services, 'due-run', 'staging-1', -60_000); // opened a minute ago, open for 59 more
    await scheduledRun(first.services, 'ended-run', 'pair-1-a', -2 * 3_600_000); // ended an hour ago
    await first.stop(); // "down": nothing fired

    const second = await boot(0);
    registerStandInWorkflows(second.stepFunctions);
    const from = mark();
    await second.scheduler.tick();
    // Each firing is logged with its outcome (issue 16).
    const firings = recordsSince(from).filter((r) => String(r.message).startsWith('schedule fired'));
    expect(firings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: 'schedule fired: window started', runId: 'due-run', window: 1, scheduleId: 'due-run-w1', executionArn: expect.any(String) }),
        expect.objectContaining({ message: 'schedule fired: window missed', level: 'WARN', runId: 'ended-run', scheduleId: 'ended-run-w1' }),
      ]),
    );
    expect((await getSchedule(second.services, 'due-run-w1'))?.status).toBe('started');
    expect((await getSchedule(second.services, 'ended-run-w1'))?.status).toBe('missed');
    const ended = await requireRun(second.services, 'ended-run');
    expect(ended.windows[0]!.status).toBe('missed');
    expect(ended.status).toBe('scheduled');
    expect((await listAudit(second.services, 'ended-run')).map((e) => e.step)).not.toContain('window1.start');
    const done = await eventually(async () => {
      const r = await requireRun(second.services, 'due-run');
      return r.status === 'succeeded' ? r : undefined;
    });
    expect(done.windows[0]!.status).toBe('succeeded');

    // Another tick or another restart never fires them again.
    await second.scheduler.tick();
    await scheduledRun(second.services, 'loop-run', 'pair-1-b', -1000);
    await second.stop();
    const third = await boot(25); // the loop runs by itself on start
    const fired = await eventually(async () => {
      const s = await getSchedule(third.services, 'loop-run-w1');
      return s && s.status !== 'pending' ? s : undefined;
    });
    expect(fired.firedAt).toBeDefined();
    expect((await listAudit(third.services, 'due-run')).filter((e) => e.step === 'window1.start')).toHaveLength(1);
    expect((await getSchedule(third.services, 'ended-run-w1'))?.status).toBe('missed');
  });
});
