import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAppliance } from '../../functions/emulator/app/appliance-store.js';
import { listRuns } from '../../functions/control-plane/app/run-store.js';
import { runCli } from '../../functions/control-plane/cli/upgrade-cp.js';
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
  await seedFleet(runtime.services, { pairs: ['pair-1', 'pair-2'] }); // pair-2 for the list commands
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
    expect(w1.out).toMatch(/^  step \d+\/\d+: .+ — (starting|\S+ min of ~\S+ min)$/m); // progress: the current step

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
    // --json with --watch: stdout is the final document only, the progress is on stderr.
    const watchedJson = await cli(['status', runId, '--watch', '--json']);
    expect(JSON.parse(watchedJson.out).run.status).toBe('succeeded');
    expect(watchedJson.err).toContain('status: succeeded');
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
    const child = spawn(process.execPath, ['--import', 'tsx', 'functions/control-plane/cli/main.ts', 'status', 'run-missing'], {
      cwd: ROOT,
      env: { ...process.env, UPGRADE_CP_URL: runtime.url, UPGRADE_CP_TOKEN: TOKENS.viewer },
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(err).toContain('404 RunNotFound');
  });

  it('lists runs, schedules, campaigns, appliances, pairs and packages, as text and as --json', async () => {
    const date = new Date(Date.now() + 9 * 86_400_000).toISOString().slice(0, 10);
    const later = new Date(Date.now() + 11 * 86_400_000).toISOString().slice(0, 10);
    const created = await cli(['run', '--pair', 'pair-2', '--package', 'bomgar-11.1.1', '--option', 'option2', '--tz', 'Asia/Tokyo', '--window1', `${date}T01:00`, '--window2', `${later}T01:00`]);
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    // One clock: the window's zone with its offset.
    expect(created.out).toContain(`window 1 scheduled at ${date} 01:00:00 +09:00`);
    const runId = /created (run-\S+)/.exec(created.out)![1]!;

    const runs = await cli(['runs', '--limit', '50']);
    expect(runs.code).toBe(0);
    expect(runs.out.split('\n')[0]).toMatch(/^RUN\s+OPTION\s+TARGET\s+APPLIANCES\s+STATUS\s+BY\s+CREATED$/);
    expect(runs.out).toMatch(new RegExp(`${runId}\\s+option2\\s+11\\.1\\.1\\s+pair-2-a/pair-2-b\\s+scheduled\\s+carol\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\+09:00`));
    const runsJson = await cli(['runs', '--json']);
    expect(JSON.parse(runsJson.out).runs.map((r: { runId: string }) => r.runId)).toContain(runId);
    expect((await cli(['runs', '--limit', 'many'])).code).toBe(2);

    const schedules = await cli(['schedules']);
    expect(schedules.code).toBe(0);
    expect(schedules.out).toMatch(new RegExp(`${runId}\\s+1\\s+${date} 01:00:00 \\+09:00`));
    expect(JSON.parse((await cli(['schedules', '--json'])).out).schedules.filter((x: { runId: string }) => x.runId === runId).map((x: { window: number }) => x.window)).toEqual([1, 2]);

    const status = await cli(['status', runId]);
    expect(status.out).toContain(`window 1: scheduled (starts ${date} 01:00:00 +09:00, 180 min)`);
    expect(status.out).toMatch(/steps: 0 of \d+ succeeded/);

    const campaigns = await cli(['campaigns']);
    expect(campaigns).toMatchObject({ code: 0, out: 'no campaigns' });
    expect(JSON.parse((await cli(['campaigns', '--json'])).out)).toEqual({ campaigns: [] });
    const missing = await cli(['campaign', 'campaign-nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('404');

    const appliances = await cli(['appliances']);
    expect(appliances.out).toMatch(/^APPLIANCE\s+HOSTNAME\s+VERSION/);
    expect(appliances.out).toMatch(/pair-1-a\s+\S+\s+11\.1\.1\s/); // upgraded by the first test
    expect(JSON.parse((await cli(['appliances', '--json'])).out).appliances.map((a: { applianceId: string }) => a.applianceId)).toContain('pair-1-b');
    const pairs = await cli(['pairs']);
    expect(pairs.out).toMatch(/^pair-1\s+pair-1-b\s+pair-1-a\s+established\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00$/m); // option 2 swapped the roles
    expect(JSON.parse((await cli(['pairs', '--json'])).out).pairs).toHaveLength(2);
    const packages = await cli(['packages']);
    expect(packages.out).toMatch(/bomgar-11\.1\.1\s+Bomgar-11\.1\.1\s+product\s+11\.1\.1/);
    expect(JSON.parse((await cli(['packages', '--json'])).out).packages.length).toBeGreaterThan(1);

    // --json also on the actions: the API's document as is.
    const cancelled = await cli(['cancel', runId, '--reason', 'replanned', '--json']);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.out).run.runId).toBe(runId);
  });

  it('per-command --help, "did you mean" for commands and options, exit codes 2 and 4', async () => {
    const help = await cli(['schedules', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: upgrade-cp schedules/);
    expect(help.out).not.toContain('approve <runId>'); // its own usage, not the whole list
    expect(help.out).toContain('exit codes:');
    const all = await cli(['--help']);
    expect(all.code).toBe(0);
    for (const name of ['plan', 'run', 'start', 'approve', 'acknowledge', 'override', 'cancel', 'status', 'runs', 'schedules', 'campaigns', 'campaign', 'appliances', 'pairs', 'packages']) expect(all.out).toContain(`  ${name} `.replace(/ $/, ''));

    const typo = await cli(['stauts', 'run-1']);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('unknown command "stauts" (did you mean "status"?)');
    const option = await cli(['runs', '--jsno']);
    expect(option.code).toBe(2);
    expect(option.err).toContain('unknown option --jsno (did you mean --json?)');
    expect(option.err).toContain('usage: upgrade-cp runs');
    const far = await cli(['xyzzy']);
    expect(far.err).not.toContain('did you mean');

    const missingId = await cli(['approve']);
    expect(missingId.code).toBe(2);
    expect(missingId.err).toContain('approve needs a run id');

    // Nothing listens on port 9 (discard): the API cannot be reached, exit 4, one line, no stack.
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['runs'], { fetch, out: (l) => out.push(l), err: (l) => err.push(l), env: { UPGRADE_CP_URL: 'http://127.0.0.1:9', UPGRADE_CP_TOKEN: TOKENS.viewer }, sleep: async () => undefined });
    expect(code).toBe(4);
    expect(err.join('\n')).toMatch(/^error: cannot reach the control API at http:\/\/127\.0\.0\.1:9: /);
    expect(err.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('piped into `head`, or into a reader that closes at once, the entry point ends quietly (no EPIPE trace)', async () => {
    const env = { ...process.env, UPGRADE_CP_URL: runtime.url, UPGRADE_CP_TOKEN: TOKENS.viewer };
    const head = spawn('sh', ['-c', 'node --import tsx functions/control-plane/cli/main.ts --help | head -1; echo "exit=${PIPESTATUS:-$?}"'], { cwd: ROOT, env });
    let headOut = '';
    let headErr = '';
    head.stdout.on('data', (d) => (headOut += d));
    head.stderr.on('data', (d) => (headErr += d));
    await new Promise((r) => head.once('exit', r));
    expect(headOut.split('\n')[0]).toMatch(/^usage: upgrade-cp <command>/);
    expect(headErr).toBe('');

    // The reader is gone before the first line is written: every write fails with EPIPE.
    const child = spawn(process.execPath, ['--import', 'tsx', 'functions/control-plane/cli/main.ts', 'appliances', '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.once('exit', r));
    expect(err).not.toContain('EPIPE');
    expect(err).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
  });
});
