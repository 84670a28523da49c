import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round, type Benchmark } from './bench.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 5;

/**
 * ms from spawning `command` until GET /health answers 200 (or until exit, for the baseline), and until
 * the per-site listeners are up (main.ts prints the site table, ending with the CA line, once they are).
 */
async function timeToReady(command: string, args: string[], port: number | undefined, dataDir: string): Promise<{ health: number; sites: number }> {
  const started = performance.now();
  // Site ports from the free range: other runs on this machine may hold the default base.
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, PORT: String(port ?? 0), DATA_DIR: dataDir, SITE_BASE_PORT: '0' }, stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  let sites: number | undefined;
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
    if (sites === undefined && out.includes('CA certificate')) sites = performance.now() - started;
  });
  try {
    if (port === undefined) {
      await new Promise((r) => child.once('exit', r));
      const ms = performance.now() - started;
      return { health: ms, sites: ms };
    }
    let health: number | undefined;
    for (;;) {
      if (health === undefined) {
        try {
          if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) health = performance.now() - started;
        } catch {
          // not listening yet
        }
      }
      if (health !== undefined && sites !== undefined) return { health, sites };
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    // npm and tsx sit between us and the runtime: signal the whole process group, as a terminal would.
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const FRESH_RUNS = 3;

const bench: Benchmark = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-startup-'));
  const freshDirs: string[] = [];
  try {
    const baseline: number[] = [];
    const npmStart: number[] = [];
    const sitesUp: number[] = [];
    const fresh: { health: number; sites: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      baseline.push((await timeToReady(process.execPath, ['-e', ''], undefined, dataDir)).health);
      const t = await timeToReady('npm', ['start', '--silent'], await freePort(), dataDir);
      npmStart.push(t.health);
      sitesUp.push(t.sites);
    }
    // First start on an empty data dir: tables, seeds, the CA and one certificate per site hostname.
    for (let i = 0; i < FRESH_RUNS; i++) {
      const dir = await mkdtemp(join(tmpdir(), 'bench-startup-fresh-'));
      freshDirs.push(dir);
      fresh.push(await timeToReady('npm', ['start', '--silent'], await freePort(), dir));
    }
    const ready = round(median(npmStart), 0);
    const bare = round(median(baseline), 0);
    const sites = round(median(sitesUp), 0);
    const freshHealth = round(median(fresh.map((f) => f.health)), 0);
    const freshSites = round(median(fresh.map((f) => f.sites)), 0);
    return [
      {
        name: '`npm start` until /health is ok (median of 5, warm data dir after the first)',
        value: ready,
        unit: 'ms',
        baseline: { name: 'bare `node -e ""` process', value: bare },
        ratio: round(ready / bare, 1),
        target: '< 1500 ms',
        pass: ready < 1500,
      },
      {
        name: '`npm start` until the per-site HTTPS listeners are up and the site table is printed (warm data dir)',
        value: sites,
        unit: 'ms',
        baseline: { name: 'the same starts until /health is ok', value: ready },
        ratio: round(sites / ready, 2),
        notes: 'informational: /health answers before the site listeners; the warm start only reads the stored certificates',
      },
      {
        name: `first \`npm start\` on an empty data dir until /health is ok (median of ${FRESH_RUNS})`,
        value: freshHealth,
        unit: 'ms',
        baseline: { name: 'warm start until /health', value: ready },
        ratio: round(freshHealth / ready, 2),
        notes: 'creates tables and buckets, seeds the demo fleet',
      },
      {
        name: `first \`npm start\` on an empty data dir until the site listeners are up (CA + 4 site certificates generated; median of ${FRESH_RUNS})`,
        value: freshSites,
        unit: 'ms',
        baseline: { name: 'warm start until the site listeners are up', value: sites },
        ratio: round(freshSites / sites, 2),
        notes: 'informational: the certificate generation is what the warm start saves',
      },
    ];
  } finally {
    await Promise.all([dataDir, ...freshDirs].map((d) => rm(d, { recursive: true, force: true })));
  }
};
export default bench;
