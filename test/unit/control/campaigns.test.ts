import { describe, expect, it } from 'vitest';
import { advanceCampaign, campaignRunId, createCampaign, requireCampaign, startCampaign } from '../../../functions/control-plane/app/campaigns.js';
import type { AppContext } from '../../../functions/platform/app/context.js';
import { requireRun, updateRun } from '../../../functions/control-plane/app/run-store.js';
import { memoryContext } from '../../helpers/memory-context.js';
import { recordingEngine } from '../../helpers/recording-engine.js';
import { createPair, seedFleet } from '../../helpers/control.js';
import { mark, recordsSince } from '../../helpers/log-capture.js';

const PAIRS = ['p1', 'p2', 'p3', 'p4', 'p5'];

async function setup(options: { staging?: boolean } = {}) {
  const rec = recordingEngine();
  const ctx: AppContext = { ...memoryContext(), workflows: rec.engine };
  await seedFleet(ctx, { pairs: PAIRS, staging: options.staging ?? true });
  /** Plays the workflow: window 1 of a pair leaves passing checks; the execution ends as `status`. */
  const finish = async (runId: string, window: 1 | 2, ok = true) => {
    const exec = rec.started.find((s) => s.input.runId === runId && s.input.window === window)!;
    if (ok && window === 1) await updateRun(ctx, runId, (r) => ({ ...r, interim: { checks: { passed: true, results: [], checkedAt: 'x' } } }));
    rec.status.set(exec.executionArn, ok ? 'SUCCEEDED' : 'FAILED');
  };
  const running = () => rec.started.filter((s) => rec.status.get(s.executionArn) === 'RUNNING');
  return { ctx, ...rec, finish, running };
}

const newCampaign = { campaignId: 'c1', packageId: 'bomgar-11.1.1', pairIds: PAIRS, option: 'option2' as const, concurrency: 2, waveSize: 3, windowMinutes: 120, timeZone: 'UTC' };

describe('fleet campaigns', () => {
  it('runs the staging canary alone first, then waves with at most `concurrency` runs at a time', async () => {
    const { ctx, started, finish, running } = await setup();
    const from = mark();
    const c = await createCampaign(ctx, newCampaign, 'olivia');
    expect(c.targets.map((t) => `${t.targetId}@${t.wave}`)).toEqual(['staging-1@0', 'p1@1', 'p2@1', 'p3@1', 'p4@2', 'p5@2']);
    await startCampaign(ctx, 'c1', 'amy', { forbidSelfApproval: true });
    await advanceCampaign(ctx, 'c1');
    expect(started.map((s) => s.workflow)).toEqual(['single-appliance-upgrade']);
    await advanceCampaign(ctx, 'c1');
    expect(started).toHaveLength(1); // nothing else until the canary succeeds

    await finish('c1-staging-1', 1);
    let state = await advanceCampaign(ctx, 'c1');
    expect(state.status).toBe('rolling');
    expect(running().map((s) => s.input.runId).sort()).toEqual(['c1-p1', 'c1-p2']);

    // Safety invariants hold at every step: concurrency bound, and no wave-2 run before wave 1 has finished.
    for (let i = 0; i < 30 && state.status === 'rolling'; i++) {
      expect(running().length).toBeLessThanOrEqual(2);
      const wave2Started = started.some((s) => s.input.runId === 'c1-p4' || s.input.runId === 'c1-p5');
      if (wave2Started) expect(['p1', 'p2', 'p3'].every((p) => state.targets.find((t) => t.targetId === p)!.status === 'succeeded')).toBe(true);
      const next = running()[0];
      if (next) await finish(next.input.runId, next.input.window as 1 | 2);
      state = await advanceCampaign(ctx, 'c1');
    }
    expect(state.status).toBe('succeeded');
    expect(state.targets.every((t) => t.status === 'succeeded')).toBe(true);
    const run = await requireRun(ctx, 'c1-p1');
    expect(run.interim.approval?.by).toBe('amy');
    expect(run.createdBy).toBe('olivia');
    // Waves are logged (issue 16): the canary, each wave with its targets, the end.
    const waves = recordsSince(from).filter((r) => r.campaignId === 'c1' && /^campaign (canary|wave) starting$/.test(String(r.message)));
    expect(waves[0]).toMatchObject({ message: 'campaign canary starting', wave: 0, targets: ['staging-1'] });
    expect(waves.filter((w) => w.wave === 1).flatMap((w) => w.targets as string[]).sort()).toEqual(['p1', 'p2', 'p3']);
    expect(recordsSince(from).some((r) => r.message === 'campaign succeeded' && r.campaignId === 'c1')).toBe(true);
  });

  it('halts on the first failure: pending targets are skipped, no new run starts, in-flight runs are still recorded', async () => {
    const { ctx, started, finish } = await setup();
    await createCampaign(ctx, newCampaign, 'olivia');
    await startCampaign(ctx, 'c1', 'amy');
    await advanceCampaign(ctx, 'c1');
    await finish('c1-staging-1', 1);
    await advanceCampaign(ctx, 'c1'); // starts p1, p2
    await finish('c1-p1', 1, false);
    const haltMark = mark();
    const halted = await advanceCampaign(ctx, 'c1');
    expect(halted.status).toBe('halted');
    expect(halted.statusReason).toMatch(/p1 failed/);
    expect(halted.targets.filter((t) => t.status === 'skipped').map((t) => t.targetId)).toEqual(['p3', 'p4', 'p5']);
    expect(recordsSince(haltMark).find((r) => r.message === 'campaign target failed')).toMatchObject({ level: 'WARN', campaignId: 'c1', targetId: 'p1', runId: 'c1-p1' });
    const startedBefore = started.length;
    await finish('c1-p2', 1);
    const later = await advanceCampaign(ctx, 'c1');
    await advanceCampaign(ctx, 'c1');
    expect(started.length).toBe(startedBefore + 1); // p2 continues into its window 2 (already approved by the campaign)...
    expect(started.at(-1)?.input).toEqual({ runId: 'c1-p2', window: 2 });
    expect(later.targets.find((t) => t.targetId === 'p3')?.status).toBe('skipped'); // ...but nothing new starts
  });

  it('never starts a run twice when advancers race (scheduler loop + API call)', async () => {
    const { ctx, started, finish } = await setup();
    await createCampaign(ctx, newCampaign, 'olivia');
    await startCampaign(ctx, 'c1', 'amy');
    await Promise.all([advanceCampaign(ctx, 'c1'), advanceCampaign(ctx, 'c1'), advanceCampaign(ctx, 'c1')]);
    expect(started.map((s) => s.input.runId)).toEqual(['c1-staging-1']);
    await finish('c1-staging-1', 1);
    await Promise.all([advanceCampaign(ctx, 'c1'), advanceCampaign(ctx, 'c1')]);
    await advanceCampaign(ctx, 'c1');
    expect(started.map((s) => s.input.runId).sort()).toEqual(['c1-p1', 'c1-p2', 'c1-staging-1']); // p1 and p2 start concurrently
    const c = await requireCampaign(ctx, 'c1');
    expect(c.status).toBe('rolling');
    expect(c.lease).toBeUndefined();
  });

  it('halts when the canary fails, before touching production', async () => {
    const { ctx, started, finish } = await setup();
    await createCampaign(ctx, newCampaign, 'olivia');
    await startCampaign(ctx, 'c1', 'amy');
    await advanceCampaign(ctx, 'c1');
    await finish('c1-staging-1', 1, false);
    const c = await advanceCampaign(ctx, 'c1');
    expect(c.status).toBe('halted');
    expect(c.statusReason).toContain('(canary)');
    expect(started).toHaveLength(1);
  });

  it('refuses without a staging appliance, an unknown target or self-start, storing nothing', async () => {
    const { ctx } = await setup({ staging: false });
    await expect(createCampaign(ctx, newCampaign, 'olivia')).rejects.toMatchObject({ code: 'NoStagingAppliance' });
    await expect(createCampaign(ctx, { ...newCampaign, pairIds: ['nope'] }, 'olivia')).rejects.toMatchObject({ code: 'CampaignTargetsNotFound' });
    await expect(requireCampaign(ctx, 'c1')).rejects.toMatchObject({ code: 'CampaignNotFound' });
    const withStaging = await setup();
    await createCampaign(withStaging.ctx, newCampaign, 'olivia');
    await expect(startCampaign(withStaging.ctx, 'c1', 'olivia', { forbidSelfApproval: true })).rejects.toMatchObject({ code: 'SelfApprovalForbidden' });
    expect((await requireCampaign(withStaging.ctx, 'c1')).status).toBe('created');
  });

  it('gives every target its own run id, however long the ids (no truncation collisions)', () => {
    const long = 'q4-2026-rollout-of-the-remote-support-fleet-to-11-1-1-wave-plan';
    const ids = [campaignRunId(long, 'staging-1'), campaignRunId(long, 'pair-emea-1'), campaignRunId(long, 'pair-emea-2'), campaignRunId('c1', 'p1')];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(70);
    expect(campaignRunId('c1', 'p1')).toBe('c1-p1'); // short ids stay readable
    expect(campaignRunId(long, 'staging-1')).toBe(campaignRunId(long, 'staging-1')); // deterministic: a retried claim finds its run
  });

  it('[インストールには通常 15 分から 1 時間…かなり長く: much stored data makes the install far longer] a target whose modelled work does not fit the campaign windows is refused before anything is stored', async () => {
    const { ctx } = await setup();
    await createPair(ctx, 'big', ctx.clock.now().toISOString(), { storedDataGb: 2000 }); // 215-minute installs
    await expect(createCampaign(ctx, { ...newCampaign, campaignId: 'c-big', pairIds: ['p1', 'big'], windowMinutes: 240 }, 'olivia')).rejects.toMatchObject({
      code: 'CampaignTargetsBlocked',
      details: { blocked: [expect.stringMatching(/^big: option2 window 1 needs about 2\d\d min, only 240 min booked/)] },
    });
    await expect(requireCampaign(ctx, 'c-big')).rejects.toMatchObject({ code: 'CampaignNotFound' });
    expect((await createCampaign(ctx, { ...newCampaign, campaignId: 'c-big2', pairIds: ['p1', 'big'], windowMinutes: 300 }, 'olivia')).targets).toHaveLength(3);
  });
});
