/**
 * The scenarios the assembly runner plays against the deployed-as-synthesized stack. Each reaches the stack
 * only as a client would: HTTP to the template's API URL and Function URL, EventBridge Scheduler firing the
 * schedules. Seeding and final inspection use the emulators directly (the operator's view, never the
 * function path). A scenario throws ScenarioError with what it expected and what it saw.
 */
import { request as httpRequest } from 'node:http';
import { runSeeds } from '../../functions/local/app/seed.js';
import { getAppliance, listAppliances } from '../../functions/emulator/app/appliance-store.js';
import { emulatorEnrolment } from '../../functions/local/driver-enrolment.js';
import { issueOperatorToken } from '../../functions/control-plane/app/operator-tokens.js';
import { DRIVER_USERNAME } from '../../functions/control-plane/app/appliance-drivers.js';
import { INVENTORY_CREDENTIAL } from '../../functions/control-plane/adapters/site-driver.js';
import { generateSessions } from '../../functions/emulator/app/session-generator.js';
import type { AssemblyRuntime } from './assembly-runtime.js';
import { ScenarioError } from './errors.js';
import { SYNC_PAYLOAD_LIMIT } from './lambda-service.js';

export const TOKENS = { viewer: 'demo-viewer-token', operator: 'demo-operator-token', approver: 'demo-approver-token' } as const;
const DEMO = { primary: 'appliance-a', backup: 'appliance-b', hostname: 'support.example.com', staging: 'staging-1', target: 'bomgar-10.6.0', version: '10.6.0' } as const;

export interface ScenarioContext {
  rt: AssemblyRuntime;
  log: (line: string) => void;
}

export interface Scenario {
  name: string;
  summary: string;
  /** Returns facts the tests assert on beyond the scenario's own checks. */
  run(ctx: ScenarioContext): Promise<Record<string, unknown>>;
}

type Json = Record<string, any>;

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ScenarioError(message);
}

async function call(rt: AssemblyRuntime, method: string, path: string, token: string | undefined, body?: unknown, base = rt.apiUrl): Promise<{ status: number; json: Json; text: string }> {
  const res = await fetch(`${base.replace(/\/$/, '')}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // not JSON (XML reports, API Gateway's own errors are JSON)
  }
  return { status: res.status, json, text };
}

/** The HTTP status the scenario needs, or a failure naming the call, what came back and the function's last log lines. */
async function ok(rt: AssemblyRuntime, method: string, path: string, token: string | undefined, body: unknown, want: number, base = rt.apiUrl): Promise<Json> {
  const res = await call(rt, method, path, token, body, base);
  if (res.status !== want) {
    const entry = [...rt.accessLog].reverse().find((e) => e.path === new URL(path, 'http://x').pathname);
    const logs = entry?.functionName ? rt.lambda.logsOf(entry.functionName).slice(-8).join('\n  ') : '';
    throw new ScenarioError(`${method} ${path}: expected ${want}, got ${res.status} ${res.text.slice(0, 600)}${entry?.error ? `\n  (${entry.error})` : ''}${logs ? `\n  ${entry?.functionName} log:\n  ${logs}` : ''}`);
  }
  return res.json;
}

/** A GET with a chosen Host header (fetch does not let a client set Host). */
function getWithHost(url: string, host?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: host ? { host } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.once('error', reject);
    req.end();
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000, intervalMs = 300): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new ScenarioError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const daysFromNow = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

/**
 * The demo fleet as an operator sets it up on AWS: the emulator's seeds, then each appliance enrolled with the
 * control plane (docs/driver.md: the site user `upgrade-driver`, and its credential as the secret the functions'
 * DRIVER_CREDENTIALS_PREFIX names). The functions read those secrets themselves, under their own policies.
 */
async function seedFleet(rt: AssemblyRuntime) {
  await runSeeds(rt.inspect);
  const prefix = rt.deployment.functions.map((f) => f.environment.DRIVER_CREDENTIALS_PREFIX).find(Boolean);
  expect(prefix, 'no function of the template has DRIVER_CREDENTIALS_PREFIX: the site driver has no credentials to read');
  const enrol = emulatorEnrolment(rt.inspect, {
    get: async () => undefined,
    put: async (applianceId, credential) => rt.secretsManager.put(`${prefix}${applianceId}`, JSON.stringify(credential), rt.deployment.env),
  });
  for (const appliance of await listAppliances(rt.inspect)) await enrol(appliance.applianceId);
  // The inventory token: a viewer operator token of the fleet API, stored beside the appliances' secrets.
  const { token } = await issueOperatorToken(rt.inspect, { operatorId: DRIVER_USERNAME, displayName: 'Upgrade control plane (fleet inventory)', roles: ['viewer'], createdBy: 'assembly' });
  rt.secretsManager.put(`${prefix}${INVENTORY_CREDENTIAL}`, JSON.stringify({ username: DRIVER_USERNAME, password: token }), rt.deployment.env);
}

async function demoPair(rt: AssemblyRuntime) {
  await seedFleet(rt);
  const { pairs } = await ok(rt, 'GET', '/v1/pairs', TOKENS.viewer, undefined, 200);
  const pair = (pairs as Json[]).find((p) => p.primaryId === DEMO.primary && p.backupId === DEMO.backup);
  expect(pair, `the demo pair ${DEMO.primary}/${DEMO.backup} is not listed by GET /v1/pairs: ${JSON.stringify(pairs)}`);
  return pair.pairId as string;
}

async function runUntil(rt: AssemblyRuntime, runId: string, statuses: string[], settled: (run: Json) => boolean = () => true): Promise<Json> {
  return until(`run ${runId} to reach ${statuses.join(' or ')}`, async () => {
    const detail = await ok(rt, 'GET', `/v1/runs/${runId}`, TOKENS.viewer, undefined, 200);
    return (statuses.includes(detail.run.status) && settled(detail.run)) || detail.run.status === 'failed' ? detail : undefined;
  });
}

const expectRunStatus = (detail: Json, status: string) =>
  expect(detail.run.status === status, `run ${detail.run.runId} is ${detail.run.status} (${detail.run.statusReason ?? 'no reason'}), expected ${status}; audit: ${JSON.stringify((detail.audit as Json[]).filter((a) => a.outcome === 'failed').map((a) => `${a.step}: ${a.detail}`))}`);

/** Option 1 or 2 on the demo pair, both windows started by an operator, the interim signed off by an approver. */
function failoverScenario(option: 'option1' | 'option2'): Scenario {
  return {
    name: option,
    summary: `failover ${option} on the demo pair: two windows through the HTTP API, the state machine of the template, approval between`,
    async run({ rt, log }) {
      const pairId = await demoPair(rt);
      const created = await ok(rt, 'POST', '/v1/runs', TOKENS.operator, {
        pairId,
        option,
        packageId: DEMO.target,
        windows: [
          { start: daysFromNow(1), durationMinutes: 1440, timeZone: 'UTC' },
          { start: daysFromNow(2), durationMinutes: 1440, timeZone: 'UTC' },
        ],
      }, 201);
      const runId = created.run.runId as string;
      log(`run ${runId} created with ${created.schedules.length} schedules`);
      expect(rt.scheduler.created.length === 2, `POST /v1/runs should create one EventBridge schedule per window, created ${rt.scheduler.created.length}`);
      await ok(rt, 'POST', `/v1/runs/${runId}/windows/1/start`, TOKENS.operator, undefined, 202);
      const interim = await runUntil(rt, runId, ['interim'], (r) => r.status !== 'interim' || r.interim?.checks !== undefined);
      expectRunStatus(interim, 'interim');
      expect(interim.run.interim.checks.passed, `interim checks failed: ${JSON.stringify(interim.run.interim.checks.results)}`);
      log('window 1 done, interim checks passed');
      await ok(rt, 'POST', `/v1/runs/${runId}/approve`, TOKENS.approver, { comment: 'verified by the assembly runner' }, 200);
      await ok(rt, 'POST', `/v1/runs/${runId}/windows/2/start`, TOKENS.operator, undefined, 202);
      const done = await runUntil(rt, runId, ['succeeded']);
      expectRunStatus(done, 'succeeded');
      const { pair } = await ok(rt, 'GET', `/v1/pairs/${pairId}`, TOKENS.viewer, undefined, 200);
      const versions = Object.fromEntries((pair.appliances as Json[]).map((a) => [a.applianceId, a.productVersion]));
      expect(versions[DEMO.primary] === DEMO.version && versions[DEMO.backup] === DEMO.version, `both appliances should run ${DEMO.version}: ${JSON.stringify(versions)}`);
      const primary = option === 'option1' ? DEMO.primary : DEMO.backup;
      expect(pair.primaryId === primary && pair.status === 'established', `pair should be established with ${primary} primary: ${JSON.stringify({ primaryId: pair.primaryId, status: pair.status })}`);
      // Starting a window by hand stands its schedule down (DeleteSchedule through the stack's own rights).
      expect(rt.scheduler.created.every((s) => !rt.scheduler.schedules.has(`${s.group}/${s.name}`)), 'windows started by hand should have deleted their EventBridge schedules');
      const serving = (pair.appliances as Json[]).find((a) => a.applianceId === primary)!;
      const dns = rt.route53.resolve(zoneOf(rt), DEMO.hostname);
      if (option === 'option2') {
        // The role swap moves the primary hostname: the Route 53 record must follow (the bug only running found).
        expect(dns?.[0] === serving.ipAddress, `Route 53 should resolve ${DEMO.hostname} to ${primary} (${serving.ipAddress}) after the role swap, resolves to ${JSON.stringify(dns)}; changes: ${JSON.stringify(rt.route53.changes)}`);
      }
      const executions = (done.run.windows as Json[]).map((w) => w.executionArn as string);
      return { runId, versions, primaryId: pair.primaryId, dns, executions, route53Changes: rt.route53.changes.length };
    },
  };
}

const zoneOf = (rt: AssemblyRuntime) => [...rt.route53.zones.keys()][0] ?? '';

/** A window started by EventBridge Scheduler invoking the scheduler function (not by hand). */
const scheduledWindow: Scenario = {
  name: 'scheduled-window',
  summary: 'a maintenance window started by its one-time EventBridge schedule invoking the scheduler function; the catch-up rate schedule then finds nothing to start twice',
  async run({ rt, log }) {
    await seedFleet(rt);
    // Window 1 opened a few seconds ago: its one-time schedule is due at once.
    const created = await ok(rt, 'POST', '/v1/runs', TOKENS.operator, {
      applianceId: DEMO.staging,
      option: 'single',
      packageId: DEMO.target,
      windows: [{ start: new Date(Date.now() - 5_000).toISOString(), durationMinutes: 1440, timeZone: 'Asia/Tokyo' }],
    }, 201);
    const runId = created.run.runId as string;
    const remote = rt.scheduler.created.find((s) => s.target.Input?.includes(runId));
    expect(remote, `POST /v1/runs should have created an EventBridge schedule for ${runId}; created: ${JSON.stringify(rt.scheduler.created.map((s) => s.name))}`);
    const scheduler = rt.deployment.functions.find((f) => f.arn === remote.target.Arn);
    expect(scheduler, `the schedule targets ${remote.target.Arn}, which is not a function of the template`);
    log(`schedule ${remote.name} → ${scheduler.name}`);
    const fired = await until('the one-time schedule to fire', async () => rt.firings.find((f) => f.schedule === `${remote.group}/${remote.name}`));
    expect(fired.outcome.ok, `the scheduler function failed when its schedule fired: ${JSON.stringify(fired.outcome)}`);
    const done = await runUntil(rt, runId, ['succeeded']);
    expectRunStatus(done, 'succeeded');
    const catchUp = await rt.fireTemplateSchedule((s) => s.target.Arn === scheduler.arn);
    expect(catchUp.outcome.ok, `the catch-up schedule of the template failed: ${JSON.stringify(catchUp.outcome)}`);
    const after = await ok(rt, 'GET', `/v1/runs/${runId}`, TOKENS.viewer, undefined, 200);
    const starts = (after.audit as Json[]).filter((a) => a.step === 'window1.start' && a.outcome === 'started');
    expect(starts.length === 1, `window 1 should have started exactly once, audit shows ${starts.length}`);
    expect(starts[0]!.actor === 'scheduler', `window 1 should have been started by the scheduler, was started by ${starts[0]!.actor}`);
    const schedule = (after.schedules as Json[])[0];
    expect(schedule?.status === 'started', `the schedule record should be started, is ${schedule?.status}`);
    return { runId, schedule: remote.name, scheduleDeleted: !rt.scheduler.schedules.has(`${remote.group}/${remote.name}`), starts: starts.length };
  },
};

/** A campaign: canary on the staging appliance, then the demo pair in one wave, advanced by the catch-up schedule. */
const campaignWave: Scenario = {
  name: 'campaign',
  summary: 'a campaign (canary on staging, then a wave with the demo pair), started by an approver and advanced by the template\'s catch-up schedule',
  async run({ rt, log }) {
    const pairId = await demoPair(rt);
    const { campaign } = await ok(rt, 'POST', '/v1/campaigns', TOKENS.operator, { packageId: DEMO.target, pairIds: [pairId], option: 'option2', concurrency: 1, waveSize: 1, windowMinutes: 1440, timeZone: 'UTC' }, 201);
    const campaignId = campaign.campaignId as string;
    await ok(rt, 'POST', `/v1/campaigns/${campaignId}/start`, TOKENS.approver, undefined, 202);
    const scheduler = rt.deployment.schedules[0];
    expect(scheduler, 'the template defines no recurring schedule to advance campaigns');
    let fires = 0;
    const final = await until('the campaign to finish', async () => {
      const fired = await rt.fireTemplateSchedule((s) => s.target.Arn === scheduler.target.arn);
      fires++;
      expect(fired.outcome.ok, `the scheduler function failed: ${JSON.stringify(fired.outcome)}`);
      const { campaign: c } = await ok(rt, 'GET', `/v1/campaigns/${campaignId}`, TOKENS.viewer, undefined, 200);
      return ['succeeded', 'halted', 'cancelled'].includes(c.status) ? c : undefined;
    }, 120_000, 1_000);
    expect(final.status === 'succeeded', `campaign ${campaignId} ended ${final.status}: ${final.statusReason ?? ''}`);
    log(`campaign succeeded after ${fires} scheduler invocations`);
    const targets = (final.targets as Json[]).map((t) => ({ targetId: t.targetId, wave: t.wave, status: t.status, runId: t.runId }));
    const { pair } = await ok(rt, 'GET', `/v1/pairs/${pairId}`, TOKENS.viewer, undefined, 200);
    return { campaignId, targets, fires, versions: (pair.appliances as Json[]).map((a) => a.productVersion) };
  },
};

/** A report larger than a buffered Lambda response can carry, streamed through the Function URL. */
const largeReport: Scenario = {
  name: 'large-report',
  summary: 'a SupportSession report over 6 MB (sessions seeded until it is): through the HTTP API it exceeds Lambda\'s buffered limit; the streaming Function URL delivers it',
  async run({ rt, log }) {
    await seedFleet(rt);
    const applianceId = DEMO.staging;
    const appliance = await getAppliance(rt.inspect, applianceId);
    expect(appliance, `${applianceId} was not seeded`);
    const account = await ok(rt, 'POST', `/v1/appliances/${applianceId}/api-accounts`, TOKENS.operator, { permissions: { reporting: true } }, 201, rt.sitesUrl);
    const token = await fetch(`${rt.sitesUrl}/appliances/${applianceId}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    if (token.status !== 200) throw new ScenarioError(`POST /oauth2/token through the HTTP API answered ${token.status}: ${await token.text()}`);
    const bearer = ((await token.json()) as Json).access_token as string;
    const query = `generate_report=SupportSession&start_date=2000-01-01&duration=0`;
    const path = `/appliances/${applianceId}/api/reporting?${query}`;
    const streamUrl = Object.entries(rt.deployment.outputs).find(([k]) => /StreamUrl$/.test(k))?.[1];
    expect(streamUrl, `the template has no streaming Function URL output: ${Object.keys(rt.deployment.outputs).join(', ')}`);
    const stream = async () => {
      const started = Date.now();
      const res = await fetch(`${streamUrl.replace(/\/$/, '')}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
      if (res.status !== 200) throw new ScenarioError(`the Function URL answered ${res.status}: ${(await res.text()).slice(0, 400)}`);
      let bytes = 0;
      let chunks = 0;
      let sessions = 0;
      // A match is 9 characters; carrying the previous 8 finds one across a chunk boundary and none twice.
      let carry = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength;
        chunks++;
        const text = carry + decoder.decode(chunk, { stream: true });
        sessions += (text.match(/<session[\s>]/g) ?? []).length;
        carry = text.slice(-8);
      }
      log(`streamed ${(bytes / 1e6).toFixed(1)} MB in ${chunks} chunks (${Date.now() - started} ms)`);
      return { res, bytes, chunks, sessions };
    };
    // Enough sessions for a report past the buffered limit, whatever a session weighs in the report today:
    // a first batch, then as many more as its size says are needed (with a margin).
    let count = 2_500;
    await generateSessions(rt.inspect, appliance, { count, days: 60, seed: 11 });
    let streamed = await stream();
    if (streamed.bytes <= SYNC_PAYLOAD_LIMIT) {
      const more = Math.ceil(((SYNC_PAYLOAD_LIMIT * 1.3 - streamed.bytes) / streamed.bytes) * (count + 200));
      await generateSessions(rt.inspect, (await getAppliance(rt.inspect, applianceId))!, { count: more, days: 60, seed: 12 });
      count += more;
      streamed = await stream();
    }
    const { res, bytes, chunks, sessions } = streamed;
    expect(bytes > SYNC_PAYLOAD_LIMIT, `the report is only ${bytes} bytes; the scenario needs one over the ${SYNC_PAYLOAD_LIMIT}-byte buffered limit`);
    expect(sessions >= count, `the streamed report holds ${sessions} <session> elements, expected at least ${count}`);
    expect(res.headers.get('content-type')?.startsWith('text/xml'), `content-type ${res.headers.get('content-type')}`);
    const buffered = await call(rt, 'GET', path, bearer, undefined, rt.sitesUrl);
    expect(buffered.status === 500, `through the HTTP API the same report should fail Lambda's 6 MB buffered limit (500), got ${buffered.status}`);
    const limitHit = rt.accessLog.some((e) => e.front === 'HTTP API' && e.error?.startsWith('Function.ResponseSizeTooLarge'));
    expect(limitHit, 'the HTTP API failure should be the buffered response size limit');
    return { bytes, chunks, sessions, seeded: count, bufferedStatus: buffered.status };
  },
};

/** An Integration Client export written to the exports bucket. */
const icExport: Scenario = {
  name: 'ic-export',
  summary: 'an Integration Client export through the HTTP API into the template\'s exports bucket (multipart-capable upload), read back from S3',
  async run({ rt }) {
    await seedFleet(rt);
    const applianceId = DEMO.primary;
    const out = await ok(rt, 'POST', `/v1/appliances/${applianceId}/ic-exports`, TOKENS.operator, {}, 201, rt.sitesUrl);
    const sqlKey = out.objects?.sql as string | undefined;
    expect(sqlKey !== undefined && sqlKey.endsWith('session.sql'), `the export response names no session.sql: ${JSON.stringify(out).slice(0, 400)}`);
    const blob = await rt.inspect.blobs.exports.get(sqlKey);
    expect(blob, `${sqlKey} is not in the exports bucket`);
    const chunks: Buffer[] = [];
    for await (const c of blob.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    const sql = Buffer.concat(chunks).toString('utf8');
    const inserts = (sql.match(/^INSERT/gim) ?? []).length;
    expect(out.sessionCount > 0 && inserts === out.sessionCount, `session.sql holds ${inserts} inserts for an export of ${out.sessionCount} sessions`);
    const listed = await rt.inspect.blobs.exports.list(`integration-client/${applianceId}/`);
    return { sqlKey, inserts, objects: listed.map((b) => b.key), response: out };
  },
};

/** Reads through every API function: health, the fleet, pairs, the operator console (files copied into the bundle). */
const reads: Scenario = {
  name: 'reads',
  summary: 'GET /health, the fleet, failover pairs and the operator console through the HTTP API: each group\'s function with its own rights and bundle',
  async run({ rt }) {
    await seedFleet(rt);
    const health = await ok(rt, 'GET', '/health', undefined, undefined, 200);
    expect(health.status === 'ok', `health is ${JSON.stringify(health)}`);
    // Each system has an HTTP API of its own; the platform's health probe answers on both.
    const sitesHealth = await ok(rt, 'GET', '/health', undefined, undefined, 200, rt.sitesUrl);
    expect(rt.sitesUrl !== rt.apiUrl && sitesHealth.status === 'ok', `health on the sites' API (${rt.sitesUrl}) is ${JSON.stringify(sitesHealth)}`);
    const fleet = await ok(rt, 'GET', '/appliances', TOKENS.viewer, undefined, 200, rt.sitesUrl);
    const ids = (Array.isArray(fleet) ? fleet : (fleet.appliances as Json[])).map((a: Json) => a.applianceId);
    expect(ids.includes(DEMO.primary), `GET /appliances should list ${DEMO.primary}: ${JSON.stringify(ids)}`);
    const pairs = await ok(rt, 'GET', '/failover-pairs', TOKENS.viewer, undefined, 200, rt.sitesUrl);
    const me = await ok(rt, 'GET', '/v1/me', TOKENS.operator, undefined, 200);
    expect(me.operator?.operatorId === 'demo-operator', `GET /v1/me: ${JSON.stringify(me)}`);
    // The console's static files are read at run time beside the bundle: the asset must carry them.
    const page = await call(rt, 'GET', '/', undefined);
    const script = await call(rt, 'GET', '/console/console.js', undefined);
    expect(page.status === 200 && /<html/i.test(page.text), `GET / answered ${page.status}: ${page.text.slice(0, 200)}`);
    expect(script.status === 200 && script.text.length > 100, `GET /console/console.js answered ${script.status}`);
    const missing = await call(rt, 'GET', '/no/such/route', undefined);
    expect(missing.status === 404 && missing.json.message === 'Not Found', `a path no route matches should get API Gateway's own 404, got ${missing.status} ${missing.text}`);
    // The site root is addressed by Host: through a custom domain of the API the site answers; through the
    // execute-api name no site does.
    const domains = rt.deployment.httpApis.flatMap((a) => a.customDomains);
    let siteRoot: Record<string, number> | undefined;
    if (domains.includes(DEMO.hostname)) {
      const viaDomain = await getWithHost(`${rt.sitesUrl}/check_health`, DEMO.hostname);
      const viaApiName = await getWithHost(`${rt.sitesUrl}/check_health`);
      expect(viaDomain.status === 200, `GET /check_health for Host ${DEMO.hostname} (a custom domain of the API) answered ${viaDomain.status}: ${viaDomain.text.slice(0, 300)}`);
      expect(viaApiName.status === 404 && viaApiName.text.includes('no appliance site answers at host'), `GET /check_health on the execute-api name should name no site, answered ${viaApiName.status}: ${viaApiName.text.slice(0, 300)}`);
      siteRoot = { viaDomain: viaDomain.status, viaApiName: viaApiName.status };
    }
    return { components: Object.keys(health.components ?? {}), appliances: ids.length, pairs: (pairs.pairs ?? pairs).length, consoleBytes: page.text.length, siteRoot };
  },
};

/** A window that cannot fit its install fails into the catch handler (the failWindow task) and restores the pair. */
const windowTooShort: Scenario = {
  name: 'window-too-short',
  summary: 'option 2 with a 30-minute window: the install does not fit, the catch handler (failWindow task) restores the pair and records the reason',
  async run({ rt }) {
    const pairId = await demoPair(rt);
    const created = await ok(rt, 'POST', '/v1/runs', TOKENS.operator, {
      pairId,
      option: 'option2',
      packageId: DEMO.target,
      windows: [
        { start: daysFromNow(1), durationMinutes: 30, timeZone: 'UTC' },
        { start: daysFromNow(2), durationMinutes: 1440, timeZone: 'UTC' },
      ],
      schedule: false,
    }, 201);
    const runId = created.run.runId as string;
    await ok(rt, 'POST', `/v1/runs/${runId}/windows/1/start`, TOKENS.operator, undefined, 202);
    const failed = await runUntil(rt, runId, ['failed']);
    expect(failed.run.status === 'failed', `run should fail, is ${failed.run.status}`);
    // On AWS a task error reaches the catch handler as {"errorType","errorMessage","trace"} JSON: the reason must be the message.
    const reason = String(failed.run.statusReason ?? failed.run.windows[0].error ?? '');
    expect(/^WindowTooShort: installing appliance-b takes about \d+ min/.test(reason), `the recorded reason should be the task's error message, is ${JSON.stringify(reason)}`);
    const alert = (failed.audit as Json[]).find((a) => a.step === 'window1.alert');
    expect(alert, 'the catch handler should have written the window1.alert audit event');
    const { pair } = await ok(rt, 'GET', `/v1/pairs/${pairId}`, TOKENS.viewer, undefined, 200);
    expect(pair.status === 'established' && pair.primaryId === DEMO.primary, `the pair should be restored with ${DEMO.primary} primary: ${JSON.stringify({ status: pair.status, primaryId: pair.primaryId })}`);
    return { runId, reason, alert: alert.detail };
  },
};

export const SCENARIOS: readonly Scenario[] = [failoverScenario('option1'), failoverScenario('option2'), scheduledWindow, campaignWave, largeReport, icExport, reads, windowTooShort];

export function scenarioNamed(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new ScenarioError(`unknown scenario "${name}"; known: ${SCENARIOS.map((x) => x.name).join(', ')}, all`);
  return s;
}
