/**
 * Load: concurrent API clients (autocannon) against the local runtime in its own process — reporting
 * listing, check_health and control API reads — while an option-2 upgrade of the demo pair runs.
 * No errors allowed; p50/p99 per endpoint, beside /health as the same-run baseline.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult, Benchmark } from './bench.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DURATION_S = 5;
const CONNECTIONS = 10;
const LEAD = { authorization: 'Bearer demo-lead-token-1' };

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

async function json(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const body = await res.json();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

function load(url: string, headers: Record<string, string>): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

const bench: Benchmark = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-load-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['tools/start.mjs'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, TIME_SCALE_MS_PER_MINUTE: '50', SITE_BASE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => (String(d).includes('ready at') ? resolve() : undefined));
      child.once('exit', (code) => reject(new Error(`runtime exited ${code}`)));
    });
    const account = await json(`${base}/v1/appliances/appliance-a/api-accounts`, { method: 'POST', headers: { ...LEAD, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'load', permissions: { reporting: true, command: 'read_only', backup: false } }) });
    const basic = `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`;
    const { access_token } = await json(`${base}/appliances/appliance-a/oauth2/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    const bearer = { authorization: `Bearer ${access_token}` };

    // An option-2 upgrade of the demo pair runs while the load runs (windows of 8 h at 50 ms per modelled minute).
    const pairId = (await json(`${base}/v1/pairs`, { headers: LEAD })).pairs[0].pairId;
    const now = Date.now();
    const windows = [0, 1].map((i) => ({ start: new Date(now + i * 9 * 3_600_000).toISOString(), durationMinutes: 480, timeZone: 'UTC' }));
    const { run } = await json(`${base}/v1/runs`, { method: 'POST', headers: { ...LEAD, 'content-type': 'application/json' }, body: JSON.stringify({ pairId, option: 'option2', packageId: 'bomgar-10.6.0', windows, schedule: false }) });
    await json(`${base}/v1/runs/${run.runId}/windows/1/start`, { method: 'POST', headers: LEAD });

    const targets: [string, string, Record<string, string>][] = [
      ['GET /health (baseline)', `${base}/health`, {}],
      ['reporting SupportSessionListing (200 sessions)', `${base}/appliances/appliance-a/api/reporting?generate_report=SupportSessionListing&start_date=2000-01-01&duration=0`, bearer],
      ['command check_health', `${base}/appliances/appliance-a/api/command?action=check_health`, bearer],
      ['control API GET /v1/appliances', `${base}/v1/appliances`, LEAD],
    ];
    const measured: { name: string; result: autocannon.Result }[] = [];
    for (const [name, url, headers] of targets) measured.push({ name, result: await load(url, headers) });
    const runAfter = (await json(`${base}/v1/runs/${run.runId}`, { headers: LEAD })).run;

    const baseline = measured[0]!.result;
    const results: BenchResult[] = [];
    for (const { name, result } of measured) {
      const errors = result.errors + result.timeouts + result.non2xx;
      results.push({
        name: `${name}: p50 / p99 latency, ${CONNECTIONS} connections, ${DURATION_S} s (${result.requests.total} requests, ${errors} errors)`,
        value: result.latency.p50,
        unit: 'ms',
        baseline: { name: 'health p50', value: baseline.latency.p50 },
        notes: `p99 ${result.latency.p99} ms, ${Math.round(result.requests.average)} req/s`,
        target: 'no errors',
        pass: errors === 0,
      });
    }
    results.push({ name: `upgrade run during the load reached: ${runAfter.status}`, value: runAfter.status === 'failed' ? 0 : 1, unit: 'ok', target: 'not failed', pass: runAfter.status !== 'failed' });
    return results;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    await rm(dataDir, { recursive: true, force: true });
  }
};
export default bench;
