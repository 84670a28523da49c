/**
 * Live state of a run through HTTP, with the real state machines: the pipeline the run page shows (the plan's
 * steps, their status, timing and outputs), ETag revalidation, the run's server-sent events locally, and
 * the same events behind API Gateway (the real Lambda entry: buffered, so one snapshot and a fallback).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateRun } from '../../functions/control-plane/app/run-store.js';
import type { RunTraffic } from '../../functions/control-plane/core/pipeline.js';
import * as S from '../../functions/control-plane/api/control/schemas.js';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { controlClient, issueTestTokens, TOKENS } from '../helpers/control.js';
import { newRun, pairFixture } from '../helpers/workflow-fixture.js';
import { rawFetch } from '../helpers/runtime.js';

let runtime: TestRuntime;
let pairId: string;
let a: string;
let b: string;
let carol: ReturnType<typeof controlClient>;
let amy: ReturnType<typeof controlClient>;

beforeAll(async () => {
  // 40 ms per modelled minute (not the tests' usual 1 ms): the install's window deadline guard counts real time
  // since the window started on the modelled clock, so a 1440-minute window gave 1.4 s at 1 ms, which a loaded
  // machine spends before the install (WindowTooShort, and the run never reached the interim). 57 s at 40 ms.
  runtime = await startTestRuntime({ env: { SCHEDULER_INTERVAL_MS: '0', TIME_SCALE_MS_PER_MINUTE: '40' } });
  await issueTestTokens(runtime.services);
  ({ a, b } = await pairFixture(runtime.services, 'live'));
  pairId = (await (await controlClient(runtime.url, TOKENS.viewer).get(`/v1/appliances/${a}`)).json()).appliance.failover.pairId;
  carol = controlClient(runtime.url, TOKENS.carol);
  amy = controlClient(runtime.url, TOKENS.approver);
}, 60_000);
afterAll(async () => {
  await runtime?.dispose();
});

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** Reads server-sent events from a fetch body (what the console does: EventSource cannot send a bearer token). */
function sse(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: SseEvent[] = [];
  let done = false;
  const pump = (async () => {
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const e: SseEvent = { event: 'message', data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'event') e.event = value;
          if (field === 'id') e.id = value;
          if (field === 'data') data.push(value);
        }
        if (data.length) queue.push({ ...e, data: data.join('\n') });
      }
    }
    done = true;
  })().catch(() => {
    done = true;
  });
  const lastRun = () => {
    try {
      const { run } = JSON.parse(queue.at(-1)!.data) as { run: { status: string; statusReason?: string } };
      return `${run.status}${run.statusReason ? ` (${run.statusReason})` : ''}`;
    } catch {
      return 'none';
    }
  };
  return {
    queue,
    get done() {
      return done;
    },
    pump,
    /** The next event that satisfies `test`, waiting up to `ms` (a bound for an event that never comes). */
    async next(test: (e: SseEvent) => boolean, ms = 45_000): Promise<SseEvent & { at: number }> {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = queue.findIndex(test);
        if (i >= 0) return { ...queue.splice(0, i + 1)[i]!, at: Date.now() };
        if (done || Date.now() > deadline) throw new Error(`no matching event within ${ms} ms (got ${queue.map((x) => x.event).join(', ') || 'nothing'}; last run: ${lastRun()})`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

const detailOf = (e: SseEvent) => JSON.parse(e.data) as { run: { status: string; interim: { approval?: { by: string } } }; pipeline: { steps: { action: string; status: string; window: number; outputs: { label: string; value: string }[] }[] } };
const soon = (days: number, hour: number) => `${new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)}T${String(hour).padStart(2, '0')}:00`;

describe('a run\'s live state over HTTP (real option-2 workflow)', () => {
  let runId: string;

  it('the run page\'s pipeline is the plan\'s step list; events stream each change; ETags revalidate; the finished run shows every output', async () => {
    const windows = [
      { localStart: soon(2, 1), durationMinutes: 1440, timeZone: 'Asia/Tokyo' },
      { localStart: soon(20, 1), durationMinutes: 1440, timeZone: 'Asia/Tokyo' },
    ];
    const planRes = await carol.post("/v1/plans", { pairId, packageId: "bomgar-10.6.0", windows });
    const planBody = await planRes.json();
    if (planRes.status !== 200) throw new Error(JSON.stringify(planBody));
    const plan = S.Plan.parse(planBody);
    const created = await carol.post('/v1/runs', { pairId, option: 'option2', packageId: 'bomgar-10.6.0', windows, schedule: true });
    expect(created.status).toBe(201);
    runId = (await created.json()).run.runId;

    // The schedules list shows both windows, soonest first.
    const upcoming = S.ScheduleList.parse(await (await carol.get('/v1/schedules')).json()).schedules.filter((s) => s.runId === runId);
    expect(upcoming.map((s) => `${s.window}:${s.status}`)).toEqual(['1:pending', '2:pending']);

    const first = await (await carol.get(`/v1/runs/${runId}`)).json();
    const planned = plan.options.find((o) => o.option === 'option2')!.steps;
    expect(first.pipeline.steps.map((s: { action: string; description: string }) => `${s.action}|${s.description}`)).toEqual(planned.map((s) => `${s.action}|${s.description}`));
    expect(first.pipeline.steps.every((s: { status: string }) => s.status === 'pending')).toBe(true);

    // ETag: an unchanged run answers 304 without a body.
    const tagged = await carol.get(`/v1/runs/${runId}`);
    const etag = tagged.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    const unchanged = await rawFetch(`${runtime.url}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${TOKENS.carol}`, 'if-none-match': etag } });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');

    // Events: the snapshot at once, then each change.
    const stream = sse(await rawFetch(`${runtime.url}/v1/runs/${runId}/events`, { headers: { authorization: `Bearer ${TOKENS.viewer}`, accept: 'text/event-stream' } }));
    const snapshot = await stream.next((e) => e.event === 'run', 15_000);
    expect(detailOf(snapshot).run.status).toBe('scheduled');

    const started = await carol.post(`/v1/runs/${runId}/windows/1/start`);
    expect(started.status).toBe(202);
    // The starter's replaced schedule is marked as replaced, not failed.
    const replaced = (await (await carol.get(`/v1/runs/${runId}`)).json()).schedules.find((s: { window: number }) => s.window === 1);
    expect(replaced).toMatchObject({ status: 'cancelled', supersededBy: { by: 'carol' } });
    // Window 1 takes about 5 s on a quiet machine and over 30 s at load 8: the deadline bounds a hung window only.
    const interim = await stream.next((e) => detailOf(e).run.status === 'interim', 120_000);
    const w1 = detailOf(interim).pipeline.steps.filter((s) => s.window === 1);
    expect(w1.map((s) => s.status).every((s) => s === 'succeeded')).toBe(true);
    expect(w1.find((s) => s.action === 'dns-switch')!.outputs).toEqual([{ label: 'DNS change', value: `live.example.com → ${b}` }]);

    // A change (the approval) reaches the stream within about a second.
    const changed = await eventually(async () => {
      const d = await (await carol.get(`/v1/runs/${runId}`)).json();
      return d.pipeline.gate.state === 'awaiting-approval' ? d : undefined;
    });
    expect(changed.pipeline.gate).toMatchObject({ approveAllowed: true, startedBy: 'carol', window1StartedBy: 'carol' });
    const approvedAt = Date.now();
    expect((await amy.post(`/v1/runs/${runId}/approve`, { comment: 'B verified' })).status).toBe(200);
    const seen = await stream.next((e) => detailOf(e).run.interim.approval?.by === 'amy', 5_000);
    expect(seen.at - approvedAt).toBeLessThan(1_500);
    const revalidated = await rawFetch(`${runtime.url}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${TOKENS.carol}`, 'if-none-match': etag } });
    expect(revalidated.status).toBe(200);
    expect(revalidated.headers.get('etag')).not.toBe(etag);

    expect((await carol.post(`/v1/runs/${runId}/windows/2/start`)).status).toBe(202);
    const finished = await stream.next((e) => detailOf(e).run.status === 'succeeded', 120_000);
    await stream.cancel();
    const steps = detailOf(finished).pipeline.steps;
    expect(steps.map((s) => s.status)).toEqual(steps.map(() => 'succeeded'));
    const outputs = (action: string, window: number) => Object.fromEntries(steps.find((s) => s.action === action && s.window === window)!.outputs.map((o) => [o.label, o.value]));
    expect(outputs('install', 1)).toMatchObject({ version: '10.6.0', 'install id': expect.any(String) });
    expect(outputs('force-sync', 1)['sessions synced']).toMatch(/^\d+$/);
    expect(outputs('reestablish-failover', 2)).toMatchObject({ primary: b, backup: a, 'sessions exported': expect.stringMatching(/^\d+$/), 'sessions re-imported': expect.stringMatching(/^\d+$/) });
    expect(outputs('backup', 2)[`backup of ${a}`]).toBeTruthy();
  }, 300_000);

  it('measured downtime and the reconciliation appear on the run once live traffic stored them (absent before)', async () => {
    const before = await (await carol.get(`/v1/runs/${runId}`)).json();
    expect(before.pipeline.downtime).toBeUndefined();
    const traffic: RunTraffic = {
      windows: [
        { window: 1, from: new Date().toISOString(), to: new Date().toISOString(), attempts: 400, failures: 6, longestOutageMinutes: 1.5, totalOutageMinutes: 2, estimateMinutes: 5 },
        { window: 2, from: new Date().toISOString(), to: new Date().toISOString(), attempts: 380, failures: 0, longestOutageMinutes: 0, totalOutageMinutes: 0, estimateMinutes: 0 },
      ],
      reconciliation: { at: new Date().toISOString(), primaryId: b, completed: 30, present: 30, missing: 0, duplicated: 0, renumbered: 3, byAppliance: { [b]: 30 } },
    };
    await updateRun(runtime.services, runId, (r) => ({ ...r, traffic }) as typeof r);
    const after = await (await carol.get(`/v1/runs/${runId}`)).json();
    expect(after.run.traffic).toEqual(traffic);
    expect(after.pipeline.downtime).toEqual([
      expect.objectContaining({ window: 1, estimatedMinutes: 5, longestOutageMinutes: 1.5, totalOutageMinutes: 2, failures: 6 }),
      expect.objectContaining({ window: 2, estimatedMinutes: 0, longestOutageMinutes: 0 }),
    ]);
    expect(after.pipeline.reconciliation).toMatchObject({ missing: 0, renumbered: 3 });
  });

  it('a plan that upgrades nothing says so, recommends nothing, and a run of it is refused, changing nothing', async () => {
    const plan = S.Plan.parse(await (await carol.post('/v1/plans', { pairId, packageId: 'bomgar-10.6.0' })).json());
    expect(plan.nothingToUpgrade).toBe(`nothing to upgrade: ${b} and ${a} already run 10.6.0`) // B is the primary now;
    expect(plan.recommendation.option).toBeNull();
    const windows = [{ localStart: soon(3, 1), durationMinutes: 180, timeZone: 'UTC' }, { localStart: soon(4, 1), durationMinutes: 180, timeZone: 'UTC' }];
    const before = (await (await carol.get('/v1/runs')).json()).runs.length;
    const res = await carol.post('/v1/runs', { pairId, option: 'option2', packageId: 'bomgar-10.6.0', windows });
    expect(res.status).toBe(422);
    expect((await res.json()).code).toBe('NothingToUpgrade');
    expect((await (await carol.get('/v1/runs')).json()).runs.length).toBe(before);
  });
});

describe('the run\'s events behind API Gateway (the real control Lambda entry, responses buffered)', () => {
  it('answer at once with one snapshot and a fallback event that says to poll with If-None-Match', async () => {
    const runs = [await newRun(runtime.services, 'option2', a, b)];
    const saved = { ...process.env };
    Object.assign(process.env, { DYNAMODB_ENDPOINT: runtime.endpoints.dynamodb, S3_ENDPOINT: runtime.endpoints.s3, SFN_ENDPOINT: runtime.endpoints.sfn });
    try {
      const { handler } = (await import('../../functions/control-plane/api/entries/control.js')) as unknown as { handler: (e: object, c: object) => Promise<{ statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded?: boolean }> };
      const path = `/v1/runs/${runs[0]!.runId}/events`;
      const started = Date.now();
      const res = await handler(
        {
          version: '2.0',
          routeKey: `GET ${path}`,
          rawPath: path,
          rawQueryString: '',
          headers: { host: 'api.example.com', authorization: `Bearer ${TOKENS.viewer}`, accept: 'text/event-stream' },
          requestContext: { domainName: 'api.example.com', http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' }, requestId: 'r1', stage: '$default' },
          isBase64Encoded: false,
        },
        {},
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/event-stream');
      // API Gateway decodes a base64 body before the client sees it (hono/aws-lambda encodes non-text types).
      const body = res.isBase64Encoded ? Buffer.from(res.body, 'base64').toString('utf8') : res.body;
      const events = body.split('\n\n').filter(Boolean).map((block) => block.split('\n').find((l) => l.startsWith('event:'))?.slice(7));
      expect(events).toEqual(['run', 'fallback']);
      expect(body).toContain(`"poll":"/v1/runs/${runs[0]!.runId}"`);
    } finally {
      process.env = saved;
    }
  });
});
