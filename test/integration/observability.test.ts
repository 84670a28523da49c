/**
 * Logs and metrics of the running system, seen from outside (HTTP) and in the captured log records:
 * one access line per request with the request id echoed, step lines with the run id, window outcome
 * metrics as EMF documents and as Prometheus text at GET /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPackageCatalog } from '../../functions/emulator/app/appliance-seed.js';
import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import { FaultInjector } from '../../functions/local/faults.js';
import type { LogRecord } from '../../functions/platform/observability/logger.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { captured, captureEmf, mark, recordsSince } from '../helpers/log-capture.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { newRun, waitForExecution } from '../helpers/workflow-fixture.js';
import { requireRun, updateRun } from '../../functions/control-plane/app/run-store.js';
import { createUpgradeRun } from '../../functions/control-plane/app/runs.js';

let rt: TestRuntime;
const faults = new FaultInjector();

beforeAll(async () => {
  captureEmf();
  rt = await startTestRuntime({ faults });
  await seedPackageCatalog(rt.services);
});
afterAll(() => rt?.dispose());

const accessLines = (records: LogRecord[]) => records.filter((r) => r.message === 'request');

/** Prometheus text format → `name{labels}` → value (HELP/TYPE lines checked for shape). */
function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      expect(line).toMatch(/^# (HELP|TYPE) [a-z_:][a-z0-9_:]* .+$/);
      continue;
    }
    const m = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|NaN|\+Inf)$/.exec(line);
    expect(m, line).not.toBeNull();
    out.set(`${m![1]}${m![2] ?? ''}`, Number(m![3]));
  }
  return out;
}
const metricsNow = async () => {
  const res = await rawFetch(`${rt.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parsePrometheus(await res.text());
};

async function startWindow(runId: string, requestId: string) {
  const res = await fetch(`${rt.url}/v1/runs/${runId}/windows/1/start`, { method: 'POST', headers: { 'x-request-id': requestId } });
  expect(res.status).toBe(202);
  expect(res.headers.get('x-request-id')).toBe(requestId);
  const arn = (await res.json()).run.windows[0].executionArn as string;
  return waitForExecution(rt.services, arn);
}

describe('access lines and request ids', () => {
  it('writes one access line per request and echoes the request id (given, replaced when malformed, or generated)', async () => {
    const from = mark();
    const given = await fetch(`${rt.url}/v1/appliances`, { headers: { 'x-request-id': 'trace-abc.123' } });
    const malformed = await fetch(`${rt.url}/health`, { headers: { 'x-request-id': 'bad id with spaces' } });
    const none = await rawFetch(`${rt.url}/v1/runs/run-unknown`);
    const unrouted = await rawFetch(`${rt.url}/no/such/route`);
    const ids = [given, malformed, none, unrouted].map((r) => r.headers.get('x-request-id')!);
    expect(ids[0]).toBe('trace-abc.123');
    for (const id of ids.slice(1)) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(4);

    const lines = accessLines(recordsSince(from));
    for (const id of ids) expect(lines.filter((l) => l.requestId === id)).toHaveLength(1);
    const first = lines.find((l) => l.requestId === 'trace-abc.123')!;
    expect(first).toMatchObject({ level: 'INFO', method: 'GET', route: '/v1/appliances', path: '/v1/appliances', status: 200, actor: 'test-admin', clientAddress: expect.stringMatching(/127\.0\.0\.1/) });
    expect(first.durationMs).toEqual(expect.any(Number));
    expect(lines.find((l) => l.requestId === ids[2])).toMatchObject({ level: 'WARN', status: 401, route: '/v1/runs/:runId', errorCode: 'Unauthorized' });
    expect(lines.find((l) => l.requestId === ids[3])).toMatchObject({ status: 404, route: '(no route)', errorCode: 'RouteNotFound' });
  });

  it('logs client mistakes as warnings with their code, never as an unhandled error', async () => {
    const from = mark();
    const malformed = await fetch(`${rt.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"option":' });
    expect(malformed.status).toBe(400);
    const missing = await fetch(`${rt.url}/v1/runs/run-nope`);
    expect(missing.status).toBe(404);
    const records = recordsSince(from);
    expect(records.filter((r) => r.message === 'unhandled error')).toEqual([]);
    expect(records.filter((r) => r.level === 'ERROR')).toEqual([]);
    expect(accessLines(records).map((l) => [l.status, l.level, l.errorCode])).toEqual([
      [400, 'WARN', 'MalformedJson'],
      [404, 'WARN', 'RunNotFound'],
    ]);
  });

  it('logs a failure of ours as one unhandled error with its stack, beside an ERROR access line', async () => {
    faults.add({ target: 'runs.get', kind: 'fail', times: 1, errorName: 'InjectedFault', message: 'store down' });
    const from = mark();
    const res = await fetch(`${rt.url}/v1/runs/run-any`);
    faults.clear();
    expect(res.status).toBe(503);
    const records = recordsSince(from);
    const unhandled = records.filter((r) => r.message === 'unhandled error');
    expect(unhandled).toHaveLength(1);
    expect(unhandled[0]).toMatchObject({ level: 'ERROR', requestId: res.headers.get('x-request-id'), error: { name: 'InjectedFault', message: 'store down', stack: expect.stringContaining('InjectedFault') } });
    expect(accessLines(records)).toEqual([expect.objectContaining({ level: 'ERROR', status: 503, errorCode: 'InternalError' })]);
  });

  it('counts API errors by route in /metrics', async () => {
    const before = (await metricsNow()).get('upgrade_cp_api_errors_total{route="/v1/runs/:runId",status="404"}') ?? 0;
    await fetch(`${rt.url}/v1/runs/run-none-1`);
    await fetch(`${rt.url}/v1/runs/run-none-2`);
    expect((await metricsNow()).get('upgrade_cp_api_errors_total{route="/v1/runs/:runId",status="404"}')).toBe(before + 2);
  });
});

describe('workflow steps and window metrics', () => {
  it('step lines carry run id, window, attempt, step, appliance and duration; the start request id reaches the execution input', async () => {
    await createAppliance(rt.services, sampleAppliance('obs-1', { productVersion: '10.5.2', baseVersion: '3.2.4', storedDataGb: 10 }));
    const run = await newRun(rt.services, 'single', 'obs-1');
    const metricsBefore = await metricsNow();
    const emfBefore = captured.emf.length;
    const from = mark();
    const execution = await startWindow(run.runId, 'start-obs-1');
    expect(execution.status).toBe('SUCCEEDED');
    expect((execution.input as { requestId?: string }).requestId).toBe('start-obs-1');

    const records = recordsSince(from);
    const steps = records.filter((r) => r.runId === run.runId && typeof r.message === 'string' && r.message.startsWith('step '));
    const names = new Set(steps.map((s) => s.step));
    for (const step of ['loadRun', 'preflight', 'beginInstall', 'pollInstall', 'verifyUpgraded', 'completeWindow']) expect(names, step).toContain(step);
    for (const s of steps) expect(s).toMatchObject({ runId: run.runId, window: 1, attempt: 1 });
    const begin = steps.filter((s) => s.step === 'beginInstall');
    expect(begin.map((s) => s.message)).toEqual(['step started', 'step finished']);
    expect(begin[1]).toMatchObject({ applianceId: 'obs-1', durationMs: expect.any(Number) });
    // The window's start is logged inside the start request: request id, run, window and execution together.
    expect(records.find((r) => r.message === 'window started')).toMatchObject({ requestId: 'start-obs-1', runId: run.runId, window: 1, attempt: 1, executionArn: expect.stringContaining(run.runId) });
    expect(records.find((r) => r.message === 'install finished')).toMatchObject({ applianceId: 'obs-1', minutes: expect.any(Number), estimateMinutes: expect.any(Number) });

    const after = await metricsNow();
    const delta = (name: string) => (after.get(name) ?? 0) - (metricsBefore.get(name) ?? 0);
    expect(delta('upgrade_cp_windows_started_total')).toBe(1);
    expect(delta('upgrade_cp_windows_succeeded_total')).toBe(1);
    expect(delta('upgrade_cp_windows_failed_total')).toBe(0);
    expect(delta('upgrade_cp_install_minutes_count')).toBe(1);
    expect(delta('upgrade_cp_install_estimate_minutes_count')).toBe(1);

    // EMF: the same outcome as CloudWatch would receive it.
    const docs = captured.emf.slice(emfBefore).filter((d) => 'WindowsSucceeded' in d);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({
      _aws: { Timestamp: expect.any(Number), CloudWatchMetrics: [{ Namespace: 'UpgradeControlPlane', Dimensions: [['service']], Metrics: [{ Name: 'WindowsSucceeded', Unit: 'Count' }] }] },
      service: 'upgrade-cp-local',
      WindowsSucceeded: 1,
      runId: run.runId,
      option: 'single',
    });
    const install = captured.emf.slice(emfBefore).find((d) => 'InstallMinutes' in d)!;
    expect(install).toMatchObject({ InstallEstimateMinutes: expect.any(Number), InstallOverEstimateMinutes: 0, applianceId: 'obs-1' });
  });

  it('a failed window is counted as failed (EMF and /metrics) and its failing step is logged with the run id', async () => {
    await createAppliance(rt.services, sampleAppliance('obs-2', { productVersion: '10.5.2', baseVersion: '3.2.4', storedDataGb: 10 }));
    const run = await newRun(rt.services, 'single', 'obs-2');
    faults.add({ target: 'task:verifyUpgraded', kind: 'fail', runId: run.runId, errorName: 'InjectedFault', message: 'verify broke' });
    const before = await metricsNow();
    const emfBefore = captured.emf.length;
    const from = mark();
    await startWindow(run.runId, 'start-obs-2');
    expect((await requireRun(rt.services, run.runId)).status).toBe('failed');
    const after = await metricsNow();
    expect((after.get('upgrade_cp_windows_failed_total') ?? 0) - (before.get('upgrade_cp_windows_failed_total') ?? 0)).toBe(1);
    expect((after.get('upgrade_cp_windows_succeeded_total') ?? 0) - (before.get('upgrade_cp_windows_succeeded_total') ?? 0)).toBe(0);
    expect(captured.emf.slice(emfBefore).filter((d) => 'WindowsFailed' in d)).toEqual([expect.objectContaining({ WindowsFailed: 1, runId: run.runId })]);
    const records = recordsSince(from);
    expect(records.find((r) => r.message === 'window failed')).toMatchObject({ level: 'WARN', runId: run.runId, window: 1 });
    expect(records.find((r) => r.step === 'failWindow' && r.message === 'step finished')).toMatchObject({ runId: run.runId, window: 1, attempt: 1 });
    faults.clear();
  });

  it('counts interim gate refusals and overrides', async () => {
    await createAppliance(rt.services, sampleAppliance('gate-a', { productVersion: '10.5.2', baseVersion: '3.2.4' }));
    await createAppliance(rt.services, sampleAppliance('gate-b', { productVersion: '10.5.2', baseVersion: '3.2.4' }));
    const t = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
    const run = await createUpgradeRun(rt.services, { option: 'option1', packageId: 'bomgar-10.6.0', targetVersion: '10.6.0', primaryId: 'gate-a', backupId: 'gate-b', windows: [{ start: t(1), durationMinutes: 60, timeZone: 'UTC' }, { start: t(3), durationMinutes: 60, timeZone: 'UTC' }] }, 'olivia');
    await updateRun(rt.services, run.runId, (r) => ({ ...r, status: 'interim', windows: r.windows.map((w) => (w.index === 1 ? { ...w, status: 'succeeded' } : w)) }));
    const before = await metricsNow();
    const refused = await fetch(`${rt.url}/v1/runs/${run.runId}/windows/2/start`, { method: 'POST' });
    expect(refused.status).toBe(422);
    expect((await refused.json()).code).toBe('InterimGateClosed');
    const overridden = await fetch(`${rt.url}/v1/runs/${run.runId}/override`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'checked by hand' }) });
    expect(overridden.status).toBe(200);
    const after = await metricsNow();
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(delta('upgrade_cp_interim_gate_refusals_total')).toBe(1);
    expect(delta('upgrade_cp_interim_gate_overrides_total')).toBe(1);
  });
});
