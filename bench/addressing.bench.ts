/**
 * Site addressing cost: the same authenticated `get_api_info` call addressed four ways, in one runtime
 * process under the same bounded loopback load (autocannon), each beside the path-addressed baseline
 * `/appliances/appliance-a/api/command` measured in the same run (rounds interleaved, best round kept):
 * the appliance's hostname as Host, the primary hostname as Host (DNS record read per request), and
 * the appliance's own per-site port (plain HTTP, so the figure is the addressing, not TLS).
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round, type BenchResult, type Benchmark } from './bench.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DURATION_S = 4;
const CONNECTIONS = 10;
const ROUNDS = 2;
const LEAD = { authorization: 'Bearer demo-lead-token-1', 'content-type': 'application/json' };

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

function load(url: string, headers: Record<string, string>): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

const bench: Benchmark = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-addressing-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['tools/start.mjs'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, SITE_BASE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; !out.includes('CA certificate'); i++) {
      if (child.exitCode !== null || i > 3000) throw new Error(`runtime did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const sitePort = Number(/a\.support\.example\.com\s+→ https:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const account = (await (await fetch(`${base}/v1/appliances/appliance-a/api-accounts`, { method: 'POST', headers: LEAD, body: '{"permissions":{"command":"read_only"}}' })).json()) as { clientId: string; clientSecret: string };
    const issued = await fetch(`${base}/appliances/appliance-a/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const { access_token } = (await issued.json()) as { access_token: string };
    const bearer = { authorization: `Bearer ${access_token}` };
    const query = '?action=get_api_info';
    const targets: [string, string, Record<string, string>][] = [
      ['path /appliances/appliance-a/api/command', `${base}/appliances/appliance-a/api/command${query}`, bearer],
      ['Host: a.support.example.com, /api/command', `${base}/api/command${query}`, { ...bearer, host: 'a.support.example.com' }],
      ['Host: support.example.com (primary hostname → appliance-a), /api/command', `${base}/api/command${query}`, { ...bearer, host: 'support.example.com' }],
      ['per-site port of a.support.example.com (plain HTTP), /api/command', `http://127.0.0.1:${sitePort}/api/command${query}`, bearer],
    ];
    const best = new Map<string, autocannon.Result>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, url, headers] of targets) {
        const result = await load(url, headers);
        const kept = best.get(name);
        if (!kept || result.requests.average > kept.requests.average) best.set(name, result);
      }
    }
    const baseline = best.get(targets[0]![0])!;
    const results: BenchResult[] = [];
    for (const [name] of targets) {
      const result = best.get(name)!;
      const errors = result.errors + result.timeouts + result.non2xx;
      const rps = Math.round(result.requests.average);
      const isBaseline = result === baseline;
      const ratio = round(rps / Math.round(baseline.requests.average), 2);
      results.push({
        name: `get_api_info, ${name}: throughput, ${CONNECTIONS} connections, best of ${ROUNDS} × ${DURATION_S} s (${errors} errors)`,
        value: rps,
        unit: 'req/s',
        ...(isBaseline ? {} : { baseline: { name: 'path-addressed, same run', value: Math.round(baseline.requests.average) }, ratio }),
        notes: `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
        target: isBaseline ? 'no errors' : 'ratio ≥ 0.7 (one point read more than the path), no errors',
        pass: errors === 0 && (isBaseline || ratio >= 0.7),
      });
    }
    return results;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    await rm(dataDir, { recursive: true, force: true });
  }
};
export default bench;
