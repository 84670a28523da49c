/**
 * Fleet campaign over 200 failover pairs on the local runtime, in compressed time (1 ms per modelled minute:
 * a 30-minute install window takes 30 ms). The upgrade state machines are the stand-ins from
 * test/helpers/stand-in-workflows.ts until the workflow area lands; the campaign, runs, scheduler loop,
 * API, DynamoDB (dynalite) and Step Functions endpoint are the real ones.
 * Baseline in the same run: the same campaign over 1 pair.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppliance } from '../functions/emulator/app/appliance-store.js';
import { startLocalRuntime, type LocalRuntime } from '../functions/local/runtime.js';
import { createPair, issueTestTokens, pairAppliances, seedFleet, TOKENS, controlClient } from '../test/helpers/control.js';
import { installStandInTask, registerStandInWorkflows } from '../test/helpers/stand-in-workflows.js';
import { round, type Benchmark } from './bench.js';

const PAIRS = 200;
const CONCURRENCY = 20;
const WAVE_SIZE = 50;

async function campaign(runtime: LocalRuntime, pairIds: string[], id: string) {
  const operator = controlClient(runtime.url, TOKENS.operator);
  const approver = controlClient(runtime.url, TOKENS.approver);
  const t0 = performance.now();
  const created = await operator.post('/v1/campaigns', { campaignId: id, packageId: 'bomgar-11.1.1', pairIds, concurrency: CONCURRENCY, waveSize: WAVE_SIZE });
  if (created.status !== 201) throw new Error(`campaign create: ${created.status} ${await created.text()}`);
  const planned = performance.now();
  const started = await approver.post(`/v1/campaigns/${id}/start`);
  if (started.status !== 202) throw new Error(`campaign start: ${started.status} ${await started.text()}`);
  for (;;) {
    const { campaign: c } = (await (await operator.get(`/v1/campaigns/${id}`)).json()) as { campaign: { status: string; statusReason?: string; targets: { status: string }[] } };
    if (c.status === 'succeeded') break;
    if (c.status === 'halted' || c.status === 'cancelled') throw new Error(`campaign ${id} ${c.status}: ${c.statusReason}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { totalMs: performance.now() - t0, createMs: planned - t0 };
}

const bench: Benchmark = async () => {
  installStandInTask();
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-control-'));
  const runtime = await startLocalRuntime({ dataDir, port: 0, env: { TIME_SCALE_MS_PER_MINUTE: '1', SCHEDULER_INTERVAL_MS: '20' } });
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 25);
  try {
    registerStandInWorkflows(runtime.stepFunctions);
    await issueTestTokens(runtime.services);
    await seedFleet(runtime.services, { pairs: ['base-pair'] });
    const now = new Date().toISOString();
    const pairIds = Array.from({ length: PAIRS }, (_, i) => `fleet-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < pairIds.length; i += 20) {
      await Promise.all(pairIds.slice(i, i + 20).map((p) => createPair(runtime.services, p, now)));
    }
    // A second staging appliance so both campaigns have a canary that is not yet upgraded.
    await createAppliance(runtime.services, { ...pairAppliances('staging', now)[0]!, applianceId: 'staging-2', staging: true, failover: { role: 'none' } });

    global.gc?.();
    const idleRss = process.memoryUsage.rss();
    const baseline = await campaign(runtime, ['base-pair'], 'bench-baseline');
    peakRss = process.memoryUsage.rss();
    const fleet = await campaign(runtime, pairIds, 'bench-200');
    const rssMb = round(peakRss / 2 ** 20, 0);
    const idleMb = round(idleRss / 2 ** 20, 0);
    const perPairMs = fleet.totalMs / PAIRS;
    return [
      {
        name: `campaign over ${PAIRS} pairs (canary + waves of ${WAVE_SIZE}, concurrency ${CONCURRENCY}, option 2, 2 windows each), wall time`,
        value: round(fleet.totalMs / 1000, 1),
        unit: 's',
        baseline: { name: 'same campaign over 1 pair', value: round(baseline.totalMs / 1000, 2) },
        ratio: round(fleet.totalMs / baseline.totalMs, 1),
        target: `< 60 s and ratio < ${(PAIRS / CONCURRENCY) * 4} (at least ${CONCURRENCY / 4}x faster than one pair after another)`,
        pass: fleet.totalMs < 60_000 && fleet.totalMs / baseline.totalMs < (PAIRS / CONCURRENCY) * 4,
        notes: `${round(perPairMs, 0)} ms per pair; planning all ${PAIRS + 1} targets at create: ${round(fleet.createMs, 0)} ms`,
      },
      {
        name: `peak RSS of the whole local runtime during the ${PAIRS}-pair campaign`,
        value: rssMb,
        unit: 'MB',
        baseline: { name: 'RSS of the idle runtime with the fleet seeded', value: idleMb },
        ratio: round(rssMb / idleMb, 2),
        target: '< 1024 MB',
        pass: rssMb < 1024,
      },
    ];
  } finally {
    clearInterval(sampler);
    await runtime.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
};
export default bench;
