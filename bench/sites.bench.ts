/**
 * Site API throughput (issue 13) and the token endpoint under a flood (issue 17 item 2), on loopback with a
 * bounded number of connections (autocannon):
 *  - get_api_info and a 100-session SupportSession report, with a site user's username/password and with a
 *    bearer token, each beside a bare Hono route answering the same bytes in the same run (its own process,
 *    like the runtime); req/s ratio and p50/p99 latency. Target: get_api_info ≥ 0.25 of the bare route.
 *  - /health p50 while 16 bounded loops send /oauth2/token with unknown client ids, beside /health p50 idle,
 *    same run. Target ratio ≤ 2.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEMO_PASSWORDS } from '../functions/emulator/app/site-seed.js';
import { ROOT, startRuntimeProcess } from '../test/helpers/process.js';
import { tempDir } from '../test/helpers/runtime.js';
import { round, type BenchResult, type Benchmark } from './bench.js';

const CONNECTIONS = 8;
const DURATION_S = Number(process.env.BENCH_SITES_SECONDS ?? 4);
const LEAD = { authorization: 'Bearer demo-lead-token-1' };
const SITE = 'appliance-a';

function load(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon(options, (err, result) => (err ? reject(err) : resolve(result))));
}

async function startBare(bodyFile: string, contentType: string, extra: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/bare-server.ts'], { cwd: ROOT, env: { ...process.env, BARE_BODY_FILE: bodyFile, BARE_CONTENT_TYPE: contentType, ...extra }, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}/` };
}

const stop = (child: ChildProcess) => new Promise((r) => (child.exitCode !== null ? r(null) : (child.once('exit', r), child.kill('SIGTERM'))));

const bench: Benchmark = async () => {
  const dataDir = await tempDir('bench-sites-');
  const server = await startRuntimeProcess({ DATA_DIR: dataDir, PORT: '0' }, 60_000);
  const bare: ChildProcess[] = [];
  try {
    const base = `${server.url}/appliances/${SITE}`;
    const json = async (url: string, init: RequestInit) => {
      const res = await fetch(url, init);
      const body = (await res.json()) as Record<string, any>;
      if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    const account = await json(`${server.url}/v1/appliances/${SITE}/api-accounts`, { method: 'POST', headers: { ...LEAD, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', permissions: { reporting: true, command: 'read_only', backup: false } }) });
    const token = await json(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const bearer = { authorization: `Bearer ${token.access_token}` };
    const user = new URLSearchParams({ username: 'api', password: DEMO_PASSWORDS.api }).toString();
    // The newest 100 of the demo primary's sessions, as one start-time window (start_time = the 100th newest start).
    // (The listing shows no start times: read them from the full report of the demo history, about 200 sessions.)
    const listing = await (await fetch(`${base}/api/reporting?generate_report=SupportSession&start_date=2000-01-01&duration=0`, { headers: bearer })).text();
    const starts = [...listing.matchAll(/<start_time timestamp="(\d+)"/g)].map((m) => Number(m[1])).sort((a, b) => b - a);
    const from = starts[99]!;
    const selected = starts.filter((t) => t >= from).length;
    if (selected !== 100) throw new Error(`the window from ${from} selects ${selected} sessions, not 100`);
    const dynamodb = /dynamodb (http:\/\/\S+)/.exec(server.output())![1]!;
    const floor = { BARE_DYNAMODB_ENDPOINT: dynamodb, BARE_TABLE: 'appliances', BARE_PK: `APPLIANCE#${SITE}`, BARE_SK: 'PROFILE' };

    const cases = [
      { name: 'get_api_info', path: '/api/command?action=get_api_info', marker: '<api_version>' },
      { name: 'SupportSession report, 100 sessions', path: `/api/reporting?generate_report=SupportSession&start_time=${from}&duration=0`, marker: '<session lsid=' },
    ];
    const results: BenchResult[] = [];
    for (const c of cases) {
      const sample = await fetch(`${base}${c.path}`, { headers: bearer });
      const bytes = Buffer.from(await sample.arrayBuffer());
      if (sample.status !== 200 || !bytes.toString().includes(c.marker)) throw new Error(`${c.name}: unexpected answer ${sample.status}`);
      if (c.marker === '<session lsid=' && (bytes.toString().match(/<session lsid=/g) ?? []).length !== 100) throw new Error('the report does not hold 100 sessions');
      const file = join(dataDir, `${c.name.replace(/\W+/g, '-')}.xml`);
      await writeFile(file, bytes);
      const type = sample.headers.get('content-type') ?? 'text/xml';
      const baseline = await startBare(file, type);
      const withRead = await startBare(file, type, floor);
      bare.push(baseline.child, withRead.child);
      const bareRun = await load({ url: baseline.url, connections: CONNECTIONS, duration: DURATION_S });
      const floorRun = await load({ url: withRead.url, connections: CONNECTIONS, duration: DURATION_S });
      for (const [auth, url, headers] of [
        ['site user (username + password)', `${base}${c.path}&${user}`, {}],
        ['bearer token', `${base}${c.path}`, bearer],
      ] as const) {
        const run = await load({ url, connections: CONNECTIONS, duration: DURATION_S, headers });
        const errors = run.errors + run.timeouts + run.non2xx;
        const ratio = round(run.requests.average / bareRun.requests.average, 2);
        const isInfo = c.name === 'get_api_info';
        results.push({
          name: `${c.name} with a ${auth}: throughput, ${CONNECTIONS} connections, ${DURATION_S} s (${bytes.length} bytes, ${errors} errors)`,
          value: Math.round(run.requests.average),
          unit: 'req/s',
          baseline: { name: 'bare Hono route, same bytes', value: Math.round(bareRun.requests.average) },
          ratio,
          target: isInfo ? 'ratio ≥ 0.25, no errors' : 'no errors (informational ratio)',
          pass: errors === 0 && (!isInfo || ratio >= 0.25),
          notes: `p50 ${run.latency.p50} ms, p99 ${run.latency.p99} ms (bare: p50 ${bareRun.latency.p50} ms, p99 ${bareRun.latency.p99} ms); the same bare route after one store read (the appliance record, as every site call reads it): ${Math.round(floorRun.requests.average)} req/s, ratio to it ${round(run.requests.average / floorRun.requests.average, 2)}`,
        });
      }
      await stop(baseline.child);
      await stop(withRead.child);
    }

    // /health idle, then under 16 bounded loops of token requests with unknown client ids.
    // One client in a loop, timed precisely (autocannon rounds to whole milliseconds).
    const health = async () => {
      const times: number[] = [];
      const until = performance.now() + DURATION_S * 1000;
      while (performance.now() < until) {
        const t = performance.now();
        const res = await fetch(`${server.url}/health`);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return { p50: round(times[Math.floor(times.length / 2)]!, 2), p99: round(times[Math.floor(times.length * 0.99)]!, 2), count: times.length };
    };
    const idle = await health();
    const flood = load({
      url: `${base}/oauth2/token`,
      connections: 16,
      duration: DURATION_S + 2,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
      requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Basic ${Buffer.from(`${randomBytes(16).toString('hex')}:guess`).toString('base64')}` } }) }],
    });
    await new Promise((r) => setTimeout(r, 1000));
    const busy = await health();
    const floodResult = await flood;
    const ratio = round(busy.p50 / idle.p50, 2);
    const statuses = floodResult.statusCodeStats as unknown as Record<string, { count: number }>;
    results.push({
      name: `/health p50 while 16 bounded loops send /oauth2/token with unknown client ids (${Math.round(floodResult.requests.average)} token req/s: ${Object.entries(statuses).map(([s, v]) => `${v.count}×${s}`).join(', ')})`,
      value: busy.p50,
      unit: 'ms',
      baseline: { name: '/health p50 idle', value: idle.p50 },
      ratio,
      target: 'ratio ≤ 2',
      pass: ratio <= 2,
      notes: `p99 ${busy.p99} ms over ${busy.count} probes (idle p99 ${idle.p99} ms over ${idle.count})`,
    });
    return results;
  } finally {
    for (const child of bare) await stop(child);
    await server.stop();
  }
};
export default bench;
