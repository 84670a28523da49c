/**
 * The upgrade guide's rules as an operator meets them over HTTP and the CLI, against the whole local
 * runtime with the real state machines: plans read the pair's own facts, holds answer 409 on the
 * appliance's own paths, approve and cancel are idempotent under concurrency, acknowledgements are audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteApiCall } from '../../functions/emulator/app/api-usage.js';
import { requireAppliance, updateAppliance } from '../../functions/emulator/app/appliance-store.js';
import { breakPair } from '../../functions/emulator/app/failover-pairs.js';
import { listAudit, requireRun } from '../../functions/control-plane/app/run-store.js';
import { runCli } from '../../functions/control-plane/cli/upgrade-cp.js';
import * as S from '../../functions/control-plane/api/control/schemas.js';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { controlClient, issueTestTokens, TOKENS } from '../helpers/control.js';
import { pairFixture, waitForExecution } from '../helpers/workflow-fixture.js';

let runtime: TestRuntime;
let operator: ReturnType<typeof controlClient>;
let approver: ReturnType<typeof controlClient>;
let carol: ReturnType<typeof controlClient>;
let viewer: ReturnType<typeof controlClient>;

beforeAll(async () => {
  // 10 ms per modelled minute: real windows (at most 1440 min) are not eaten by the real time the steps take.
  runtime = await startTestRuntime({ env: { SCHEDULER_INTERVAL_MS: '0', TIME_SCALE_MS_PER_MINUTE: '10' } });
  await issueTestTokens(runtime.services);
  operator = controlClient(runtime.url, TOKENS.operator);
  approver = controlClient(runtime.url, TOKENS.approver);
  carol = controlClient(runtime.url, TOKENS.carol);
  viewer = controlClient(runtime.url, TOKENS.viewer);
});
afterAll(() => runtime?.dispose());

const inDays = (d: number, hour = 2) => `${new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10)}T${String(hour).padStart(2, '0')}:00`;
const pairIdOf = async (a: string) => (await requireAppliance(runtime.services, a)).failover.pairId!;
async function cli(args: string[], token: string = TOKENS.carol) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { fetch, out: (l) => out.push(l), err: (l) => err.push(l), env: { UPGRADE_CP_URL: runtime.url, UPGRADE_CP_TOKEN: token }, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('plans read the pair\'s own facts', () => {
  it('[統合クライアント: one source of truth] an Integration Client registered on the pair by IP reaches the plan: option 1 is recommended until B can be reached', async () => {
    const { a } = await pairFixture(runtime.services, 'cg-ic');
    const pairId = await pairIdOf(a);
    const ip = (await requireAppliance(runtime.services, a)).ipAddress;
    const put = await runtime.services.records.appliances.get({ pk: `PAIR#${pairId}`, sk: 'PAIR' });
    expect(put).toBeDefined();
    const reg = await fetch(`${runtime.url}/failover-pairs/${pairId}/integrations/ic-sql`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'IC SQL', ipAddress: ip, version: '10.5.0' }) });
    expect(reg.status).toBe(200);
    const res = await viewer.post('/v1/plans', { pairId, packageId: 'bomgar-10.6.0', windows: [{ localStart: inDays(2), durationMinutes: 240, timeZone: 'Asia/Tokyo' }, { localStart: inDays(6), durationMinutes: 240, timeZone: 'Asia/Tokyo' }] });
    expect(res.status).toBe(200);
    const plan = S.Plan.parse(await res.json());
    expect(plan.integrations).toEqual([expect.objectContaining({ integrationId: 'ic-sql', version: '10.5.0', reachesBackupAfterSwap: false })]);
    expect(plan.recommendation.option).toBe('option1');
    const codes = plan.risks.map((r) => r.code);
    expect(codes).toEqual(expect.arrayContaining(['IntegrationByIp', 'IntegrationClientTooOld', 'LongInterim', 'NotPretested']));
    expect(plan.options[0]!.steps.map((s) => s.action)).toContain('upgrade-integration-client');
    expect(plan.options[0]!.withoutFailoverMinutes).toBeGreaterThan(4 * 24 * 60 - 60);
    expect(plan.backups.map((b) => b.applianceId)).toEqual([a, `cg-ic-b`]);
    expect(plan.suggestedWindows?.length).toBe(3);
    // Re-registered by hostname and upgraded: option 2 again.
    await fetch(`${runtime.url}/failover-pairs/${pairId}/integrations/ic-sql`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'IC SQL', hostname: 'cg-ic.example.com', version: '10.6.0' }) });
    const again = S.Plan.parse(await (await viewer.post('/v1/plans', { pairId, packageId: 'bomgar-10.6.0' })).json());
    expect(again.recommendation.option).toBe('option2');
    expect(again.risks.map((r) => r.code)).not.toContain('IntegrationClientTooOld');
  });
});

describe('holds answer on the appliance\'s own paths', () => {
  it('[nothing else touches an appliance a run holds] a direct install and a failover change answer 409 naming the run; the hold is visible on the appliance', async () => {
    const { a, b } = await pairFixture(runtime.services, 'cg-hold');
    const pairId = await pairIdOf(a);
    const created = await operator.post('/v1/runs', { pairId, option: 'option1', packageId: 'bomgar-10.6.0', schedule: false, windows: [{ localStart: inDays(2), durationMinutes: 600, timeZone: 'UTC' }, { localStart: inDays(3), durationMinutes: 600, timeZone: 'UTC' }] });
    expect(created.status, await created.clone().text()).toBe(201);
    const { run } = await created.json();
    const install = await fetch(`${runtime.url}/appliances/${a}/appliance/updates/bomgar-10.6.0/install`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requireBrokenFailover: false }) });
    expect(install.status).toBe(409);
    const problem = await install.json();
    expect(problem).toMatchObject({ code: 'ApplianceHeld', holder: run.runId });
    expect(problem.detail).toContain(run.runId);
    const brk = await fetch(`${runtime.url}/appliances/${b}/login/failover/break`, { method: 'POST' });
    expect(brk.status).toBe(409);
    expect((await brk.json()).code).toBe('ApplianceHeld');
    expect(await (await fetch(`${runtime.url}/appliances/${a}/appliance/maintenance-hold`)).json()).toMatchObject({ held: true, owner: run.runId });
    expect((await requireAppliance(runtime.services, a)).state).toBe('online');
    // Cancelled: released, the direct path works again.
    expect((await operator.post(`/v1/runs/${run.runId}/cancel`, { reason: 'replanned' })).status).toBe(200);
    expect(await (await fetch(`${runtime.url}/appliances/${a}/appliance/maintenance-hold`)).json()).toEqual({ applianceId: a, held: false });
  });
});

describe('the interim gate over HTTP', () => {
  it('[approval after the checks; idempotent] 20 concurrent approvals by one approver all get the same 200, the same key replays, another approver gets 409 naming the first; the comment is kept and shown', async () => {
    const { a } = await pairFixture(runtime.services, 'cg-approve', { version: '10.6.0' });
    const pairId = await pairIdOf(a);
    const created = await operator.post('/v1/runs', { pairId, option: 'option2', packageId: 'bomgar-11.1.1', schedule: false, windows: [{ localStart: inDays(1), durationMinutes: 1440, timeZone: 'UTC' }, { localStart: inDays(3), durationMinutes: 1440, timeZone: 'UTC' }] });
    // 11.1.1 needs base 3.2.6: this pair is on 3.2.4, so the plan blocks it.
    expect((await created.json()).code).toBe('PlanBlocked');

    const { a: a2 } = await pairFixture(runtime.services, 'cg-appr2');
    const pair2 = await pairIdOf(a2);
    const res = await operator.post('/v1/runs', { pairId: pair2, option: 'option2', packageId: 'bomgar-10.6.0', schedule: false, windows: [{ start: new Date(Date.now() - 60_000).toISOString(), durationMinutes: 1440, timeZone: 'UTC' }, { start: new Date(Date.now() + 2 * 86_400_000).toISOString(), durationMinutes: 1440, timeZone: 'UTC' }] });
    expect(res.status, await res.clone().text()).toBe(201);
    const runId: string = (await res.json()).run.runId;
    // Before window 1 there are no checks: an approval is refused, not stored.
    expect((await approver.post(`/v1/runs/${runId}/approve`, { comment: 'early' })).status).toBe(422);
    const started = await operator.post(`/v1/runs/${runId}/windows/1/start`);
    expect(started.status).toBe(202);
    await waitForExecution(runtime.services, (await requireRun(runtime.services, runId)).windows[0]!.executionArn!);
    const afterW1 = await requireRun(runtime.services, runId);
    expect(afterW1.status, afterW1.statusReason).toBe('interim');

    const twenty = await Promise.all(Array.from({ length: 20 }, () => approver.post(`/v1/runs/${runId}/approve`, { comment: 'B verified in production' })));
    expect(twenty.map((r) => r.status)).toEqual(Array(20).fill(200));
    const bodies = await Promise.all(twenty.map((r) => r.json()));
    expect(new Set(bodies.map((b) => JSON.stringify(b.run.interim.approval))).size).toBe(1);
    expect(bodies[0].run.interim.approval).toMatchObject({ by: 'amy', comment: 'B verified in production' });
    const keyed = await Promise.all(Array.from({ length: 5 }, () => approver.post(`/v1/runs/${runId}/approve`, { comment: 'B verified in production' }, { 'idempotency-key': 'approve-once' })));
    expect(keyed.map((r) => r.status)).toEqual(Array(5).fill(200));
    expect(keyed.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(4);
    const other = await carol.post(`/v1/runs/${runId}/approve`, {});
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ code: 'AlreadyApproved', approvedBy: 'amy' });
    expect((await listAudit(runtime.services, runId)).filter((e) => e.step === 'interim.approve' && e.outcome === 'succeeded')).toHaveLength(1);
    const status = await cli(['status', runId]);
    expect(status.out).toContain('approved by amy');
    expect(status.out).toContain('"B verified in production"');

    // 20 concurrent cancels: one answer; another operator 409 naming the first.
    const cancels = await Promise.all(Array.from({ length: 20 }, () => operator.post(`/v1/runs/${runId}/cancel`, { reason: 'change freeze' })));
    expect(cancels.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set((await Promise.all(cancels.map((r) => r.json()))).map((b) => JSON.stringify(b.run.cancelRequested))).size).toBe(1);
    const late = await carol.post(`/v1/runs/${runId}/cancel`, { reason: 'me too' });
    expect(await late.json()).toMatchObject({ status: 409, code: 'AlreadyCancelled', cancelledBy: 'olivia' });
  });
});

describe('before crossing 10.6', () => {
  it('[LSID および LSEQ: Bomgar API のユーザーのために] window 1 refuses to start until an operator acknowledges the API users; the CLI acknowledges, the audit keeps it', async () => {
    const { a } = await pairFixture(runtime.services, 'cg-api');
    const pairId = await pairIdOf(a);
    await noteApiCall(runtime.services, { applianceId: a, kind: 'api-account', principalId: 'crm-client', name: 'CRM sync', lastCall: 'reporting:SupportSession' });
    const plan = S.Plan.parse(await (await viewer.post('/v1/plans', { pairId, packageId: 'bomgar-10.6.0' })).json());
    expect(plan.apiUsers?.users.map((u) => u.principalId)).toEqual(['crm-client']);
    const planText = await cli(['plan', '--pair', pairId, '--package', 'bomgar-10.6.0']);
    expect(planText.out).toContain('API users to prepare for 10.6:');
    expect(planText.out).toContain('CRM sync');
    const res = await operator.post('/v1/runs', { pairId, option: 'option2', packageId: 'bomgar-10.6.0', schedule: false, windows: [{ localStart: inDays(2), durationMinutes: 600, timeZone: 'UTC' }, { localStart: inDays(3), durationMinutes: 600, timeZone: 'UTC' }] });
    const { run } = await res.json();
    expect(run.warnings.map((w: { code: string }) => w.code)).toContain('ApiUsersMustPrepare');
    const refused = await operator.post(`/v1/runs/${run.runId}/windows/1/start`);
    expect(refused.status).toBe(422);
    expect((await refused.json()).code).toBe('ApiUsersNotAcknowledged');
    expect((await requireRun(runtime.services, run.runId)).status).toBe('scheduled');
    const ack = await cli(['acknowledge', run.runId, '--subject', 'api-users', '--reason', 'CRM team moved lsid to varchar and parses namespaces']);
    expect(ack.code, ack.err).toBe(0);
    expect(ack.out).toContain(`covers ${a}:api-account:crm-client`);
    const events = await listAudit(runtime.services, run.runId);
    expect(events.find((e) => e.step === 'run.acknowledge-api-users')).toMatchObject({ actor: 'carol', outcome: 'succeeded' });
    expect(events.find((e) => e.step === 'window1.start' && e.outcome === 'refused')?.detail).toMatch(/^ApiUsersNotAcknowledged/);
  });
});

describe('cancel during an install, as the operator reads it', () => {
  it('[an install cannot be stopped] the API answers with a plain notice and the CLI prints it', async () => {
    const { a, b } = await pairFixture(runtime.services, 'cg-cancel', { storedDataGb: 2000 }); // 215 min: about 2 s here
    const pairId = await pairIdOf(a);
    const res = await operator.post('/v1/runs', { pairId, option: 'option1', packageId: 'bomgar-10.6.0', schedule: false, windows: [{ start: new Date(Date.now() - 60_000).toISOString(), durationMinutes: 1440, timeZone: 'UTC' }, { start: new Date(Date.now() + 2 * 86_400_000).toISOString(), durationMinutes: 1440, timeZone: 'UTC' }] });
    expect(res.status, await res.clone().text()).toBe(201);
    const { run } = await res.json();
    await operator.post(`/v1/runs/${run.runId}/windows/1/start`);
    await eventually(async () => ((await requireAppliance(runtime.services, a)).state === 'installing' ? true : undefined), 15_000);
    const out = await cli(['cancel', run.runId, '--reason', 'change freeze'], TOKENS.operator);
    expect(out.code, out.err).toBe(0);
    expect(out.out).toContain('note: cancel recorded during the install on');
    expect(out.out).toContain('an install cannot be stopped');
    await waitForExecution(runtime.services, (await requireRun(runtime.services, run.runId)).windows[0]!.executionArn!);
    const detail = S.RunDetail.parse(await (await viewer.get(`/v1/runs/${run.runId}`)).json());
    expect(detail.run.status).toBe('cancelled');
    expect(detail.run.statusReason).toMatch(/an install cannot be stopped/);
    expect((await requireAppliance(runtime.services, b)).productVersion).toBe('10.5.2');
  });
});

describe('a broken pair', () => {
  it('[フェールオーバーを再構築: a pair run starts from an established pair] a run on a broken, mixed-version pair is refused at creation; the plan says how to proceed', async () => {
    const { a, b } = await pairFixture(runtime.services, 'cg-mixed');
    const pairId = await pairIdOf(a);
    await breakPair(runtime.services, a);
    await updateAppliance(runtime.services, b, (x) => ({ ...x, productVersion: '10.6.0' })); // an earlier run upgraded B only
    const windows = [{ localStart: inDays(2), durationMinutes: 600, timeZone: 'UTC' }, { localStart: inDays(3), durationMinutes: 600, timeZone: 'UTC' }];
    const refused = await operator.post('/v1/runs', { pairId, option: 'option1', packageId: 'bomgar-10.6.0', schedule: false, windows });
    expect(refused.status).toBe(422);
    const problem = await refused.json();
    expect(problem.code).toBe('PlanBlocked');
    expect(problem.detail).toMatch(/broken with mixed versions.*Proceed by upgrading cg-mixed-a alone to 10\.6\.0/);
    const plan = S.Plan.parse(await (await viewer.post('/v1/plans', { pairId, packageId: 'bomgar-10.6.0' })).json());
    expect(plan.proceed).toMatchObject({ option: 'single', applianceId: a });
    // The plan's way forward is accepted: a single run on the lagging member of the broken pair.
    const single = await operator.post('/v1/runs', { applianceId: a, option: 'single', packageId: 'bomgar-10.6.0', schedule: false, windows: windows.slice(0, 1) });
    expect(single.status, await single.clone().text()).toBe(201);
  });
});

