import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../functions/local/runtime.js';

export const tempDir = (prefix = 'upgrade-cp-') => mkdtemp(join(tmpdir(), prefix));

/** Fast modelled time for tests: one modelled minute = 1 ms. */
export const TEST_ENV = { TIME_SCALE_MS_PER_MINUTE: '1' };

export interface TestRuntime extends LocalRuntime {
  dataDir: string;
  /** Stops the runtime and deletes its data. */
  dispose(): Promise<void>;
}

/** The whole local runtime on free ports in a temp dir. */
export async function startTestRuntime(options: LocalRuntimeOptions = {}): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? (await tempDir());
  const runtime = await startLocalRuntime({ port: 0, ...options, dataDir, env: { ...TEST_ENV, ...options.env } });
  return {
    ...runtime,
    dataDir,
    async dispose() {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `fn` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
