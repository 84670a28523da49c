/**
 * Live traffic (issue 14): customer-facing downtime measured from the traffic ledger for option 1 and option 2
 * on the same pre-10.6 pair shape at a fixed rate and seed (modelled minutes), beside the plan's estimates;
 * sessions lost (reconciliation missing + duplicated) per run. Each option runs in its own runtime.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRun } from '../functions/app/run-store.js';
import { approveInterim, startRunWindow } from '../functions/app/runs.js';
import type { RunTraffic, UpgradeOption, WindowIndex } from '../functions/core/run.js';
import { startLocalRuntime, type LocalRuntime } from '../functions/local/runtime.js';
import { newRun, pairFixture } from '../test/helpers/workflow-fixture.js';
import type { Benchmark, BenchResult } from './bench.js';
import { round } from './bench.js';

const SCALE = 100; // ms per modelled minute
const RATE = 12; // sessions per modelled hour per site
const SEED = 14;

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function window(rt: LocalRuntime, runId: string, w: WindowIndex) {
  const run = await startRunWindow(rt.services, runId, w, 'bench');
  const arn = run.windows[w - 1]!.executionArn!;
  await waitFor(async () => ((await rt.services.workflows.describe(arn)).status === 'RUNNING' ? undefined : true), 300_000);
}

async function measured(option: UpgradeOption): Promise<{ traffic: RunTraffic; estimate: number; wallMs: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-traffic-'));
  const rt = await startLocalRuntime({ port: 0, dataDir, env: { TIME_SCALE_MS_PER_MINUTE: String(SCALE) } });
  const started = performance.now();
  try {
    const { a, b } = await pairFixture(rt.services, `bt-${option}`, { storedDataGb: 100, sessions: 20 });
    await rt.traffic.configure({ sessionsPerHour: RATE, medianSessionMinutes: 1, seed: SEED }, 'bench');
    await waitFor(async () => (rt.traffic.status().completed >= 3 ? true : undefined), 60_000);
    const run = await newRun(rt.services, option, a, b);
    await window(rt, run.runId, 1);
    await approveInterim(rt.services, run.runId, 'bench-approver');
    await window(rt, run.runId, 2);
    await rt.traffic.configure({ sessionsPerHour: 0 }, 'bench');
    await rt.traffic.generator.drain(60_000);
    const traffic = (await rt.traffic.measureRun(run.runId, { reconcile: true }))!;
    const estimate = ((await requireRun(rt.services, run.runId)).downtimeEstimateMinutes ?? []).reduce((n, m) => n + m, 0);
    return { traffic, estimate, wallMs: performance.now() - started };
  } finally {
    await rt.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const total = (t: RunTraffic) => round(t.windows.reduce((n, w) => n + w.totalOutageMinutes, 0));
const lost = (t: RunTraffic) => (t.reconciliation ? t.reconciliation.missing + t.reconciliation.duplicated : Number.NaN);

const bench: Benchmark = async () => {
  const o1 = await measured('option1');
  const o2 = await measured('option2');
  const results: BenchResult[] = [
    { name: 'option 2 measured customer-facing downtime (modelled min)', value: total(o2.traffic), unit: 'min', baseline: { name: 'option 2 plan estimate', value: o2.estimate }, target: 'measured ≤ estimate', pass: total(o2.traffic) <= o2.estimate, notes: `rate ${RATE}/h, seed ${SEED}, ${SCALE} ms/min` },
    { name: 'option 1 measured customer-facing downtime (modelled min)', value: total(o1.traffic), unit: 'min', baseline: { name: 'option 1 plan estimate', value: o1.estimate }, notes: `rate ${RATE}/h, seed ${SEED}` },
    { name: 'option 2 measured vs option 1 measured', value: total(o2.traffic), unit: 'min', baseline: { name: 'option 1 measured', value: total(o1.traffic) }, ratio: total(o1.traffic) ? round(total(o2.traffic) / total(o1.traffic), 2) : undefined, target: 'option 2 < option 1', pass: total(o2.traffic) < total(o1.traffic) },
    { name: `sessions lost at ${RATE}/h (option 1 + option 2)`, value: lost(o1.traffic) + lost(o2.traffic), unit: 'sessions', baseline: { name: 'sessions completed', value: (o1.traffic.reconciliation?.completed ?? 0) + (o2.traffic.reconciliation?.completed ?? 0) }, target: '0', pass: lost(o1.traffic) + lost(o2.traffic) === 0 },
    { name: 'wall time of the option 2 run with traffic', value: round(o2.wallMs / 1000), unit: 's', notes: 'the 10/100/1,000 per hour sweep and its peak RSS are not measured yet' },
  ];
  return results;
};
export default bench;
