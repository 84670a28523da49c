import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { captureExternal } from './log-capture.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface StartedProcess {
  child: ChildProcess;
  url: string;
  dynamodbEndpoint: string;
  readyMs: number;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the `npm start` entry point (`tools/start.mjs`: functions/local/main.ts, bundled once) as a child process. Its site listeners
 * take free ports (SITE_BASE_PORT=0) unless the test says otherwise: parallel test files share the machine.
 */
export function spawnRuntime(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['tools/start.mjs'], {
    cwd: ROOT,
    // Live traffic is off in tests unless a test turns it on (npm start runs it at a demo rate).
    env: { ...process.env, SITE_BASE_PORT: '0', TRAFFIC_SESSIONS_PER_HOUR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Everything the child logs joins the suite's secret scan (test/helpers/log-capture.ts).
  child.stdout!.on('data', (d) => captureExternal(String(d)));
  child.stderr!.on('data', (d) => captureExternal(String(d)));
  return child;
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

export async function startRuntimeProcess(env: Record<string, string>, timeoutMs = 45_000): Promise<StartedProcess> {
  const started = performance.now();
  const child = spawnRuntime(env);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const ready = await new Promise<{ url: string; dynamodb: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runtime not ready in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const url = /ready at (http:\/\/\S+)/.exec(out)?.[1];
      const dynamodb = /dynamodb (http:\/\/\S+)/.exec(out)?.[1];
      if (url && dynamodb) {
        clearTimeout(timer);
        // Stop scanning the (growing) output: under load every chunk would re-read all of it.
        child.stdout!.off('data', check);
        resolve({ url, dynamodb });
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    url: ready.url,
    dynamodbEndpoint: ready.dynamodb,
    readyMs: performance.now() - started,
    output: () => out,
    stop: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exitOf(child);
    },
  };
}
