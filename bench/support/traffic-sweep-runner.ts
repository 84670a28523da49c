/**
 * One case of the traffic sweep, in its own process so its peak RSS is its own: the local runtime (the same one
 * `npm start` runs: API, sites, dynalite, s3rver, Step Functions) with a pair behind a primary hostname, live
 * traffic at RATE sessions per modelled hour for MINUTES modelled minutes at SCALE ms per modelled minute, then
 * arrivals stop, in-flight customers finish, and the ledger is reconciled with the primary's SupportSession report.
 * Usage: traffic-sweep-runner.ts <rate> <scale> <minutes> <seed> <representatives>; prints one JSON line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime } from '../../functions/local/runtime.js';
import { pairFixture } from '../../test/helpers/workflow-fixture.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const [rate, scale, minutes, seed, reps] = process.argv.slice(2).map(Number) as [number, number, number, number, number];
const dataDir = await mkdtemp(join(tmpdir(), 'bench-traffic-sweep-'));
const rt = await startLocalRuntime({ port: 0, dataDir, env: { TIME_SCALE_MS_PER_MINUTE: String(scale) } });
try {
  const { hostname } = await pairFixture(rt.services, `sweep-${rate}`, { sessions: 20 });
  const idleRssKb = Math.round(process.memoryUsage().rss / 1024);
  const started = performance.now();
  const from = new Date().toISOString();
  await rt.traffic.configure({ sessionsPerHour: rate, medianSessionMinutes: 1, seed, representativesPerTeam: reps }, 'bench');
  await new Promise((r) => setTimeout(r, minutes * scale));
  await rt.traffic.configure({ sessionsPerHour: 0 }, 'bench');
  const drained = await rt.traffic.generator.drain(120_000);
  const to = new Date(Date.now() + 1).toISOString();
  const wallMs = performance.now() - started;
  const reconciliation = await rt.traffic.reconcileInterval(hostname, { from, to });
  const { entries } = await rt.traffic.ledger.read();
  const requests = entries.filter((e) => e.kind === 'success' || e.kind === 'failure');
  const status = rt.traffic.status();
  console.log(
    JSON.stringify({
      rate, scale, minutes, wallMs, drained, idleRssKb,
      // maxRSS: the process's peak resident set (KiB on Linux), dynalite and s3rver included.
      peakRssKb: process.resourceUsage().maxRSS,
      completed: reconciliation?.completed ?? -1,
      missing: reconciliation?.missing ?? -1,
      duplicated: reconciliation?.duplicated ?? -1,
      failedRequests: requests.filter((e) => e.kind === 'failure').length,
      failureReasons: requests.reduce<Record<string, number>>((n, e) => (e.kind === 'failure' ? { ...n, [`${e.status} ${e.reason}`]: (n[`${e.status} ${e.reason}`] ?? 0) + 1 } : n), {}),
      requests: requests.length,
      dropped: status.dropped, gaveUp: status.gaveUp, cutOff: status.cutOff,
    }),
  );
} finally {
  await rt.stop();
  await rm(dataDir, { recursive: true, force: true });
}
