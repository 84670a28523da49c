import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round, type Benchmark } from './bench.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 5;

/** ms from spawning `command` until GET /health answers 200 (or until exit, for the baseline). */
async function timeToReady(command: string, args: string[], port: number | undefined, dataDir: string): Promise<number> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, PORT: String(port ?? 0), DATA_DIR: dataDir }, stdio: 'ignore', detached: true });
  try {
    if (port === undefined) {
      await new Promise((r) => child.once('exit', r));
      return performance.now() - started;
    }
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return performance.now() - started;
      } catch {
        // not listening yet
      }
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

const bench: Benchmark = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-startup-'));
  try {
    const baseline: number[] = [];
    const npmStart: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      baseline.push(await timeToReady(process.execPath, ['-e', ''], undefined, dataDir));
      npmStart.push(await timeToReady('npm', ['start', '--silent'], await freePort(), dataDir));
    }
    const ready = round(median(npmStart), 0);
    const bare = round(median(baseline), 0);
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
    ];
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
};
export default bench;
