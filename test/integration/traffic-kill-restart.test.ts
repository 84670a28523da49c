/**
 * Issue 14: the runtime process (the `npm start` entry point) is killed with SIGKILL at a random point while live
 * traffic runs, restarted on the same data dir with traffic still on, and at the end every session the ledger saw
 * complete is on the primary exactly once (reconciliation with its SupportSession report over the wire).
 */
import { cp, rm } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerFile } from '../../functions/traffic/ledger-file.js';
import type { LedgerEntry } from '../../functions/traffic/ledger.js';
import { startRuntimeProcess } from '../helpers/process.js';
import { startTestRuntime, tempDir } from '../helpers/runtime.js';
import { pairFixture } from '../helpers/workflow-fixture.js';
import { join } from 'node:path';

const SCALE = 1000; // ms per modelled minute: 1–3 arrivals a second per site, the runtime not saturated
const dirs: string[] = [];
let template: string;
let hostname: string;

beforeAll(async () => {
  template = await tempDir();
  dirs.push(template);
  const rt = await startTestRuntime({ dataDir: template });
  ({ hostname } = await pairFixture(rt.services, 'kill', { sessions: 10 }));
  await rt.stop();
}, 60_000);

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('live traffic across a runtime kill and restart', () => {
  it('property: SIGKILL at a random point, restart on the same data dir → 0 missing, 0 duplicated', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ rate: fc.integer({ min: 60, max: 180 }), killAfterMs: fc.integer({ min: 1500, max: 5000 }), seed: fc.integer({ min: 1, max: 1000 }) }),
        async ({ rate, killAfterMs, seed }) => {
          const dir = await tempDir();
          dirs.push(dir);
          await cp(template, dir, { recursive: true });
          const env = { DATA_DIR: dir, PORT: '0', TIME_SCALE_MS_PER_MINUTE: String(SCALE), TRAFFIC_SESSIONS_PER_HOUR: String(rate), TRAFFIC_MEDIAN_MINUTES: '1', TRAFFIC_REPS_PER_TEAM: '8', TRAFFIC_SEED: String(seed) };
          const from = new Date().toISOString();
          const first = await startRuntimeProcess(env, 45_000);
          await sleep(killAfterMs);
          // The kill must hit running traffic: on a loaded machine the first customer may not be through after
          // `killAfterMs`, so the kill waits (up to 60 s) for one success of this site in the ledger.
          const ledger = new LedgerFile(join(dir, 'traffic', 'ledger.jsonl'));
          const servedBy = async (at: string) => (await ledger.read().catch(() => ({ entries: [] as LedgerEntry[] }))).entries.some((e) => e.kind === 'success' && e.hostname === hostname && e.at < at);
          for (const deadline = Date.now() + 60_000; !(await servedBy(new Date().toISOString())) && Date.now() < deadline; ) await sleep(100);
          const killedAt = new Date().toISOString();
          expect(await first.stop('SIGKILL')).toBeNull();
          const second = await startRuntimeProcess({ ...env, TRAFFIC_SEED: String(seed + 1) }, 45_000);
          // Traffic runs on after the restart: at least 6 s, and (a loaded machine is slower) until a session
          // of this site has ended normally since the kill, up to 60 s.
          await sleep(6000);
          const endedSince = async () => (await ledger.read().catch(() => ({ entries: [] as LedgerEntry[] }))).entries.some((e) => e.kind === 'session' && e.hostname === hostname && e.endedAt > killedAt);
          for (const deadline = Date.now() + 54_000; !(await endedSince()) && Date.now() < deadline; ) await sleep(200);
          await second.stop('SIGTERM');
          const to = new Date().toISOString();

          const { entries } = await new LedgerFile(join(dir, 'traffic', 'ledger.jsonl')).read();
          // The kill hit running traffic: customers of this site had been served before it.
          expect(entries.filter((e) => e.kind === 'success' && e.hostname === hostname && e.at < killedAt).length).toBeGreaterThan(0);
          const rt = await startTestRuntime({ dataDir: dir, env: { TIME_SCALE_MS_PER_MINUTE: String(SCALE) } });
          try {
            const r = await rt.traffic.reconcileInterval(hostname, { from, to }, entries);
            expect(r, 'the primary answered the SupportSession report').toBeDefined();
            // Traffic did run on both sides of the kill: sessions completed (the second process alone would do).
            expect(r!.completed).toBeGreaterThan(0);
            expect({ missing: r!.missing, duplicated: r!.duplicated, keys: [...(r!.missingKeys ?? []), ...(r!.duplicatedKeys ?? [])] }).toEqual({ missing: 0, duplicated: 0, keys: [] });
            expect(r!.present).toBe(r!.completed);
          } finally {
            await rt.stop();
          }
        },
      ),
      { numRuns: 2, seed: 14, endOnFailure: true },
    );
  }, 300_000);
});
