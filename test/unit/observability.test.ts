/** The pure parts of observability: redaction, run transitions (what is counted once), EMF documents, line formats. */
import { describe, expect, it, vi } from 'vitest';
import type { Run } from '../../functions/control-plane/core/run.js';
import { runTransitions } from '../../functions/control-plane/core/run-transitions.js';
import { checkLogLevel, chosenFormat, log, prettyLine, setLogSink, type LogRecord } from '../../functions/platform/observability/logger.js';
import { withLogContext } from '../../functions/platform/observability/log-context.js';
import { emfDocuments } from '../../functions/platform/observability/metrics.js';
import { redact, REDACTED } from '../../functions/platform/observability/redact.js';
import { requestIdFrom } from '../../functions/platform/api/observe.js';

const run = (over: Partial<Run> = {}): Run => ({
  runId: 'r1',
  option: 'option1',
  packageId: 'p',
  targetVersion: '10.6.0',
  primaryId: 'a',
  backupId: 'b',
  windows: [
    { index: 1, start: '2030-01-01T00:00:00Z', durationMinutes: 60, timeZone: 'UTC', status: 'scheduled' },
    { index: 2, start: '2030-01-02T00:00:00Z', durationMinutes: 60, timeZone: 'UTC', status: 'scheduled' },
  ],
  interim: {},
  status: 'scheduled',
  createdBy: 'olivia',
  createdAt: '2030-01-01T00:00:00Z',
  updatedAt: '2030-01-01T00:00:00Z',
  version: 1,
  ...over,
});
const withWindow = (r: Run, index: 1 | 2, w: Partial<Run['windows'][number]>): Run => ({ ...r, windows: r.windows.map((x) => (x.index === index ? { ...x, ...w } : x)) });

describe('runTransitions', () => {
  const starting = withWindow(run(), 1, { status: 'running', attempt: 1, startingAt: 't' });
  const started = withWindow(starting, 1, { executionArn: 'arn:e:r1-w1-a1', startingAt: undefined });

  it('counts a start once, when the execution ARN is stored (not when the start is only attempted)', () => {
    expect(runTransitions(run(), starting)).toEqual([]);
    expect(runTransitions(starting, started)).toEqual([{ kind: 'window-started', window: 1, attempt: 1, executionArn: 'arn:e:r1-w1-a1' }]);
    expect(runTransitions(started, started)).toEqual([]);
    const resumed = withWindow(started, 1, { attempt: 2, executionArn: 'arn:e:r1-w1-a2' });
    expect(runTransitions(started, resumed).map((t) => [t.kind, t.attempt])).toEqual([['window-started', 2]]);
  });

  it('tells succeeded, failed, cancelled and interrupted apart, each once', () => {
    expect(runTransitions(started, withWindow(started, 1, { status: 'succeeded' })).map((t) => t.kind)).toEqual(['window-succeeded']);
    expect(runTransitions(started, withWindow(started, 1, { status: 'failed', error: 'InstallFailed: x' }))).toEqual([{ kind: 'window-failed', window: 1, attempt: 1, detail: 'InstallFailed: x' }]);
    const cancelling = { ...started, cancelRequested: { by: 'olivia', at: 't', reason: 'stop' } };
    expect(runTransitions(cancelling, withWindow(cancelling, 1, { status: 'failed', error: 'cancelled: x' })).map((t) => t.kind)).toEqual(['window-cancelled']);
    const interrupted = withWindow(started, 1, { interrupted: { at: 't', reason: 'process stopped' } });
    expect(runTransitions(started, interrupted).map((t) => t.kind)).toEqual(['window-interrupted']);
    expect(runTransitions(interrupted, interrupted)).toEqual([]);
    // A scheduled window cancelled with its run is not a failure.
    expect(runTransitions(run(), withWindow(run(), 2, { status: 'cancelled' }))).toEqual([]);
  });

  it('reports an interim override once', () => {
    const overridden = run({ interim: { override: { by: 'amy', at: 't', reason: 'checked by hand' } } });
    expect(runTransitions(run(), overridden)).toEqual([{ kind: 'gate-overridden', detail: 'checked by hand' }]);
    expect(runTransitions(overridden, overridden)).toEqual([]);
  });
});

describe('redact', () => {
  it('replaces secrets under sensitive keys at any depth and inside strings', () => {
    const out = redact({
      password: 'p', Client_Secret: 's', headers: { Authorization: 'Bearer x', 'x-api-key': 'k' }, tokenId: 'ok',
      list: [{ access_token: 'a' }], message: 'GET /api?password=hunter2&x=1 with Bearer abc.def and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig',
      empty: '', count: 3,
    }) as Record<string, any>;
    expect(out).toMatchObject({ password: REDACTED, Client_Secret: REDACTED, headers: { Authorization: REDACTED, 'x-api-key': REDACTED }, tokenId: 'ok', list: [{ access_token: REDACTED }], empty: '', count: 3 });
    expect(out.message).toBe(`GET /api?password=${REDACTED}&x=1 with Bearer ${REDACTED} and ${REDACTED}`);
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redact(a)).toEqual({ name: 'a', self: '[truncated]' });
  });
});

describe('EMF documents (Powertools Metrics)', () => {
  it('one document per dimension set, namespace and service dimension, metadata as properties', () => {
    const docs = emfDocuments(
      [
        { name: 'ApiErrors', value: 1, dimensions: { route: '/v1/runs/:runId', status: '404' } },
        { name: 'WindowsFailed', value: 1, dimensions: {}, metadata: { runId: 'r1', window: 2 } },
      ],
      { POWERTOOLS_METRICS_NAMESPACE: 'NS', METRICS_SERVICE_NAME: 'upgrade-cp-test' },
    ) as Record<string, any>[];
    expect(docs).toHaveLength(2);
    expect(docs[0]).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'NS', Dimensions: [['service', 'route', 'status']], Metrics: [{ Name: 'ApiErrors', Unit: 'Count' }] }] }, service: 'upgrade-cp-test', route: '/v1/runs/:runId', status: '404', ApiErrors: 1 });
    expect(docs[1]).toMatchObject({ _aws: { CloudWatchMetrics: [{ Dimensions: [['service']] }] }, WindowsFailed: 1, runId: 'r1', window: '2' });
  });
});

describe('log configuration and formats', () => {
  it('validates LOG_LEVEL and picks the format', () => {
    expect(checkLogLevel('debug')).toBeUndefined();
    expect(checkLogLevel(undefined)).toBeUndefined();
    expect(checkLogLevel('loud')).toMatch(/LOG_LEVEL must be one of trace, debug, info/);
    expect(chosenFormat({}, true)).toBe('pretty');
    expect(chosenFormat({}, false)).toBe('json');
    expect(chosenFormat({ AWS_LAMBDA_FUNCTION_NAME: 'f' }, true)).toBe('json');
    expect(chosenFormat({ LOG_FORMAT: 'JSON' }, true)).toBe('json');
  });

  it('writes a terminal line with the fields and the error stack below', () => {
    const line = prettyLine({ level: 'WARN', message: 'request', timestamp: '2030-01-01T10:11:12.345Z', service: 's', route: '/v1/runs', status: 404, detail: 'two words', error: { name: 'E', message: 'm', stack: 'E: m\n    at x' } });
    expect(line).toBe('10:11:12.345 WARN  request route=/v1/runs status=404 detail="two words"\n  E: m\n    at x');
  });

  it('builds a direct line (the access line) exactly as Powertools builds the same line', () => {
    const lines: LogRecord[] = [];
    const restore = setLogSink((r) => lines.push(r));
    const viaPowertools = [vi.spyOn(log, 'info'), vi.spyOn(log, 'warn'), vi.spyOn(log, 'error')];
    const cases: [('INFO' | 'WARN' | 'ERROR'), Record<string, string | number | boolean | undefined>][] = [
      ['INFO', { method: 'GET', route: '/appliances/:applianceId/api/command', path: '/appliances/a/api/command', status: 200, durationMs: 1.2, actor: undefined, clientAddress: '127.0.0.1', errorCode: undefined }],
      ['WARN', { method: 'POST', route: '/v1/runs', path: '/v1/runs?password=x', status: 401, durationMs: 0, actor: '', errorCode: 'Unauthorized', ok: false }],
      ['ERROR', { method: 'GET', route: '/x', path: '/x', status: 500, durationMs: 3 }],
      // Keys of Powertools' own record, a number JSON cannot hold: the line goes through Powertools.
      ['INFO', { service: 'other', status: 200 }],
      ['INFO', { xray_trace_id: 't', durationMs: Number.NaN }],
    ];
    try {
      withLogContext({ requestId: 'req-1', route: '/from-context', actor: 'olivia', token: 'ucp_secretsecretsecretsecret' }, () => {
        for (const [level, fields] of cases) {
          log.line(level, 'request', fields);
          if (level === 'ERROR') log.error('request', fields);
          else if (level === 'WARN') log.warn('request', fields);
          else log.info('request', fields);
        }
      });
    } finally {
      restore();
    }
    // The first three built directly; the last two through Powertools (and each case once more, to compare).
    // (Powertools also warns once per line about the reserved key `service`.)
    expect(viaPowertools.reduce((n, spy) => n + spy.mock.calls.filter(([message]) => message === 'request').length, 0)).toBe(cases.length + 2);
    for (const spy of viaPowertools) spy.mockRestore();
    const comparable = (r: LogRecord) => ({ ...r, timestamp: typeof r.timestamp });
    const pairs = lines.filter((r) => r.message === 'request');
    expect(pairs).toHaveLength(cases.length * 2);
    for (let i = 0; i < pairs.length; i += 2) {
      expect(Object.keys(pairs[i]!)).toEqual(Object.keys(pairs[i + 1]!));
      expect(comparable(pairs[i]!)).toEqual(comparable(pairs[i + 1]!));
    }
    expect(pairs[0]).toMatchObject({ level: 'INFO', service: expect.any(String), requestId: 'req-1', route: '/appliances/:applianceId/api/command', actor: 'olivia', status: 200, token: REDACTED });
    expect(pairs[2]).toMatchObject({ level: 'WARN', path: `/v1/runs?password=${REDACTED}`, actor: 'olivia', ok: false });
  });

  it('accepts a well-formed caller request id and replaces anything else', () => {
    expect(requestIdFrom('abc-123_x.y:z@w')).toBe('abc-123_x.y:z@w');
    for (const bad of ['', 'has space', 'x'.repeat(129), 'semi;colon', '-leading']) expect(requestIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('GET /metrics outside the local runtime', () => {
  it('answers 404 naming CloudWatch (no registry on Lambda), with a request id and one access line', async () => {
    const { createApp } = await import('../../functions/platform/api/app.js');
    const { systemRoutes } = await import('../../functions/platform/api/routes/system-routes.js');
    const { memoryContext } = await import('../helpers/memory-context.js');
    const { mark, recordsSince } = await import('../helpers/log-capture.js');
    const app = createApp({ ...memoryContext(), awsClients: async () => ({}) as never, destroy: () => undefined } as never, systemRoutes);
    const from = mark();
    const res = await app.request('/metrics');
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('MetricsNotServedHere');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(recordsSince(from).filter((r) => r.message === 'request')).toEqual([expect.objectContaining({ route: '/metrics', status: 404, errorCode: 'MetricsNotServedHere' })]);
  });
});

describe('OIDC settings', () => {
  it('is off without an issuer, and refuses bad values naming the variable', async () => {
    const { oidcSettings } = await import('../../functions/platform/adapters/oidc-settings.js');
    expect(oidcSettings({})).toBeUndefined();
    expect(oidcSettings({ OIDC_ISSUER: 'https://idp.example.com/', OIDC_AUDIENCE: 'api', OIDC_ROLE_MAP: '{"ops":["operator","approver"]}' })).toMatchObject({
      issuer: 'https://idp.example.com', audience: 'api', clientId: 'api', rolesClaim: 'groups', roleMap: { ops: ['operator', 'approver'] }, scope: 'openid email profile',
    });
    expect(() => oidcSettings({ OIDC_ISSUER: 'idp.example.com', OIDC_AUDIENCE: 'api' })).toThrow(/OIDC_ISSUER/);
    expect(() => oidcSettings({ OIDC_ISSUER: 'https://idp.example.com' })).toThrow(/OIDC_AUDIENCE/);
    expect(() => oidcSettings({ OIDC_ISSUER: 'https://idp.example.com', OIDC_AUDIENCE: 'api', OIDC_ROLE_MAP: '{"ops":["root"]}' })).toThrow(/OIDC_ROLE_MAP/);
    expect(() => oidcSettings({ OIDC_ISSUER: 'https://idp.example.com', OIDC_AUDIENCE: 'api', OIDC_ROLE_MAP: 'ops=operator' })).toThrow(/OIDC_ROLE_MAP/);
  });
});
