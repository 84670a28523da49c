import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAppliance } from '../../functions/app/appliance-store.js';
import { listRuns } from '../../functions/app/run-store.js';
import { runCli } from '../../functions/cli/upgrade-cp.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { issueTestTokens, seedFleet, TOKENS } from '../helpers/control.js';
import { ROOT } from '../helpers/process.js';
import { installStandInTask, registerStandInWorkflows } from '../helpers/stand-in-workflows.js';

let runtime: TestRuntime;
beforeAll(async () => {
  installStandInTask();
  runtime = await startTestRuntime({ env: { SCHEDULER_INTERVAL_MS: '0' } });
  registerStandInWorkflows(runtime.stepFunctions);
  await issueTestTokens(runtime.services);
  await seedFleet(runtime.services, { pairs: ['pair-1'] });
});
afterAll(async () => {
  await runtime?.dispose();
});

async function cli(args: string[], token: string = TOKENS.carol) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { fetch, out: (l) => out.push(l), err: (l) => err.push(l), env: { UPGRADE_CP_URL: runtime.url, UPGRADE_CP_TOKEN: token }, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('upgrade-cp CLI', () => {
  it('plans, creates, starts with progress, approves and watches a run to success', async () => {
    const plan = await cli(['plan', '--pair', 'pair-1', '--package', 'bomgar-11.1.1']);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain('recommendation: option2');
    expect(plan.out).toMatch(/production downtime 5 min/);

    const date = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const later = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const created = await cli(['run', '--pair', 'pair-1', '--package', 'bomgar-11.1.1', '--option', 'option2', '--tz', 'Europe/Berlin', '--window1', `${date}T02:00`, '--window2', `${later}T02:00`, '--json']);
    expect(created.code).toBe(0);
    const runId: string = JSON.parse(created.out).run.runId;

    const w1 = await cli(['start', runId, '--window', '1', '--wait']);
    expect(w1.code).toBe(0);
    expect(w1.out).toContain('window1.start');
    expect(w1.out).toContain('status: interim');

    const self = await cli(['approve', runId]);
    expect(self.code).toBe(1);
    expect(self.err).toContain('403 SelfApprovalForbidden');
    expect((await cli(['override', runId])).code).toBe(2); // --reason is required
    const selfOverride = await cli(['override', runId, '--reason', 'trust me']);
    expect(selfOverride.code).toBe(1);
    expect(selfOverride.err).toContain('403 SelfApprovalForbidden');
    expect((await cli(['approve', runId, '--comment', 'ok'], TOKENS.approver)).out).toBe('approved by amy: "ok"'); // the comment is kept and shown

    const w2 = await cli(['start', runId, '--window', '2', '--wait']);
    expect(w2.code).toBe(0);
    expect(w2.out).toContain('window2.start');
    expect(w2.out).not.toContain('window1.start'); // only what this start added to the audit trail
    const watched = await cli(['status', runId, '--watch']);
    expect(watched.code).toBe(0);
    expect(watched.out).toContain('status: succeeded');
    expect((await getAppliance(runtime.services, 'pair-1-a'))?.productVersion).toBe('11.1.1');
  });

  it('reports usage errors (2) and API validation errors with field paths (1), changing nothing', async () => {
    const before = (await listRuns(runtime.services)).runs.length;
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['start', 'run-x', '--window', '3'])).err).toContain('--window must be 1 or 2');
    const bad = await cli(['run', '--pair', 'pair-1', '--package', 'bomgar-11.1.1', '--option', 'option2', '--tz', 'Nowhere/City', '--window1', '2030-01-01T02:00', '--window2', '2030-01-03T02:00']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('windows[0].timeZone');
    expect((await listRuns(runtime.services)).runs.length).toBe(before);
  });

  it('runs as `npm run cli` entry point (separate process)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'functions/cli/main.ts', 'status', 'run-missing'], {
      cwd: ROOT,
      env: { ...process.env, UPGRADE_CP_URL: runtime.url, UPGRADE_CP_TOKEN: TOKENS.viewer },
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(err).toContain('404 RunNotFound');
  });
});
