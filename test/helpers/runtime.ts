import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueOperatorToken } from '../../functions/control-plane/app/operator-tokens.js';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../functions/local/runtime.js';

export const tempDir = (prefix = 'upgrade-cp-') => mkdtemp(join(tmpdir(), prefix));

/** Fast modelled time for tests: one modelled minute = 1 ms. */
export const TEST_ENV = { TIME_SCALE_MS_PER_MINUTE: '1' };

/** The unpatched fetch, for tests that must send no credential (auth refusals). */
export const rawFetch: typeof fetch = globalThis.fetch.bind(globalThis);
const tokensByOrigin = new Map<string, string>();

/**
 * Requests to a test runtime carry its admin operator token unless the test sets `authorization`
 * itself, so area tests exercise their behaviour while auth is enforced; auth tests use `rawFetch`.
 */
globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const token = tokensByOrigin.get(url.origin);
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  return rawFetch(input, { ...init, headers });
}) as typeof fetch;

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestRuntime extends LocalRuntime {
  dataDir: string;
  /** Operator token with every role (viewer, operator, approver), sent by default by the patched fetch. */
  adminToken: string;
  /** Stops the runtime and deletes its data. */
  dispose(): Promise<void>;
}

/** The whole local runtime on free ports in a temp dir. */
export async function startTestRuntime(options: LocalRuntimeOptions = {}): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? (await tempDir());
  const runtime = await startLocalRuntime({ port: 0, ...options, dataDir, env: { ...TEST_ENV, ...options.env } });
  await issueOperatorToken(runtime.services, { operatorId: 'test-admin', displayName: 'Test admin', roles: ['viewer', 'operator', 'approver'], token: TEST_ADMIN_TOKEN });
  const origin = new URL(runtime.url).origin;
  tokensByOrigin.set(origin, TEST_ADMIN_TOKEN);
  return {
    ...runtime,
    dataDir,
    adminToken: TEST_ADMIN_TOKEN,
    async stop() {
      tokensByOrigin.delete(origin);
      await runtime.stop();
    },
    async dispose() {
      tokensByOrigin.delete(origin);
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls until `fn` returns a value that is not undefined, or fails after `timeoutMs`. The default deadline is a
 * bound for a condition that never comes, sized for a loaded machine (a window that takes 5 s quiet took over
 * 30 s at load 8); it returns as soon as the condition holds.
 */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 45_000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
