import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { AccessLedger } from './access-ledger.js';
import type { FunctionSpec } from './deployment.js';

const RUNTIME = new URL('./lambda-runtime.mjs', import.meta.url);

/** Synchronous invocation payloads (request and buffered response) are capped at 6 MB by Lambda. */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
/** Streamed responses may reach 200 MB (Lambda response streaming's default maximum). */
export const STREAM_RESPONSE_LIMIT = 200 * 1024 * 1024;

export type InvokeOutcome =
  | { ok: true; payload: string; coldStart: boolean }
  | { ok: false; errorType: string; errorMessage: string; trace?: string[]; coldStart: boolean };

/** Where a streaming invocation's bytes go, as the Lambda service relays them to the Function URL. */
export interface StreamSink {
  start(contentType: string): void;
  chunk(data: Uint8Array): void;
}

/** What the function's own code read from process.env, and whether it enumerated it. */
export interface EnvUsage {
  reads: Map<string, Set<string>>;
  enumerations: Set<string>;
  invocations: number;
}

interface Sandbox {
  worker: Worker;
  busy: boolean;
  fresh: boolean;
  logStream: string;
}

/**
 * Runs functions the way the Lambda service does: a sandbox (worker thread) per concurrent invocation, kept
 * warm between invocations; the function's timeout ends the sandbox; buffered results over 6 MB fail.
 * Each sandbox's environment is exactly the template's variables plus what the Lambda runtime defines.
 */
export class LambdaService {
  private readonly sandboxes = new Map<string, Sandbox[]>();
  private readonly logs = new Map<string, string[]>();
  readonly envUsage = new Map<string, EnvUsage>();
  /** Per function: invocations, cold starts (sandbox created), and time spent (ms) including the cold start. */
  readonly stats = new Map<string, { invocations: number; coldStarts: number; totalMs: number; coldStartMs: number; maxMs: number }>();
  private stopped = false;

  constructor(
    private readonly options: {
      ledger: AccessLedger;
      /** The full environment a sandbox of `fn` starts with. */
      environmentOf: (fn: FunctionSpec, logStream: string) => Record<string, string>;
      /** Directory the code runs from (the unpacked asset, /var/task on Lambda). */
      codeDirectoryOf: (fn: FunctionSpec) => string;
    },
  ) {}

  logsOf(functionName: string): string[] {
    return this.logs.get(functionName) ?? [];
  }

  private usage(fn: FunctionSpec): EnvUsage {
    let u = this.envUsage.get(fn.name);
    if (!u) this.envUsage.set(fn.name, (u = { reads: new Map(), enumerations: new Set(), invocations: 0 }));
    return u;
  }

  private mergeEnv(fn: FunctionSpec, env: { reads: [string, string[]][]; enumerations: string[] } | undefined) {
    if (!env) return;
    const u = this.usage(fn);
    for (const [key, kinds] of env.reads) {
      const set = u.reads.get(key) ?? new Set<string>();
      for (const k of kinds) set.add(k);
      u.reads.set(key, set);
    }
    for (const e of env.enumerations) u.enumerations.add(e);
  }

  private log(fn: string, line: string) {
    const lines = this.logs.get(fn) ?? [];
    lines.push(line);
    if (lines.length > 2000) lines.splice(0, lines.length - 2000);
    this.logs.set(fn, lines);
  }

  private async sandbox(fn: FunctionSpec): Promise<{ box: Sandbox; error?: InvokeOutcome }> {
    const pool = this.sandboxes.get(fn.name) ?? [];
    this.sandboxes.set(fn.name, pool);
    const idle = pool.find((s) => !s.busy);
    if (idle) {
      idle.busy = true;
      return { box: idle };
    }
    const logStream = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`;
    const codeDirectory = this.options.codeDirectoryOf(fn);
    const worker = new Worker(RUNTIME, {
      // No TypeScript loader, no inherited flags: the bundle runs on plain Node, as on Lambda.
      execArgv: [],
      env: this.options.environmentOf(fn, logStream),
      workerData: { codeDirectory, handler: fn.handler, functionName: fn.name, functionArn: fn.arn, memoryMb: fn.memoryMb, logGroupName: fn.logGroupName, logStreamName: logStream },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(128, fn.memoryMb) },
    });
    worker.stdout.setEncoding('utf8').on('data', (d: string) => d.split('\n').filter(Boolean).forEach((l) => this.log(fn.name, l)));
    worker.stderr.setEncoding('utf8').on('data', (d: string) => d.split('\n').filter(Boolean).forEach((l) => this.log(fn.name, l)));
    const box: Sandbox = { worker, busy: true, fresh: true, logStream };
    // Lambda assumes the execution role for the sandbox's credentials, then writes its logs with them.
    this.options.ledger.checkAssumeRole(fn.roleArn, fn.name, 'lambda.amazonaws.com', { 'aws:SourceAccount': accountOf(fn.arn), 'aws:SourceArn': fn.arn });
    this.options.ledger.checkRoleCall(fn.roleArn, fn.name, 'platform', 'CreateLogStream', { action: 'logs:CreateLogStream', resource: `${fn.logGroupArn}:log-stream:${logStream}` });
    const ready = await new Promise<{ type: string; error?: { errorType: string; errorMessage: string; trace?: string[] }; env?: any }>((resolve) => {
      worker.once('message', resolve);
      worker.once('error', (e) => resolve({ type: 'init-error', error: { errorType: 'Runtime.ExitError', errorMessage: String(e) } }));
      worker.once('exit', (code) => resolve({ type: 'init-error', error: { errorType: 'Runtime.ExitError', errorMessage: `sandbox exited with code ${code} during init` } }));
    });
    this.mergeEnv(fn, ready.env);
    if (ready.type !== 'ready') {
      await worker.terminate();
      const e = ready.error!;
      this.log(fn.name, `INIT_REPORT Status: error Error Type: ${e.errorType} ${e.errorMessage}`);
      return { box, error: { ok: false, errorType: e.errorType, errorMessage: e.errorMessage, trace: e.trace, coldStart: true } };
    }
    pool.push(box);
    worker.once('exit', () => pool.splice(pool.indexOf(box) >>> 0, 1));
    return { box };
  }

  /** Invokes `fn` synchronously (RequestResponse); with `stream`, as a response-streaming invocation. */
  async invoke(fn: FunctionSpec, event: unknown, stream?: StreamSink): Promise<InvokeOutcome> {
    if (this.stopped) return { ok: false, errorType: 'ServiceException', errorMessage: 'the runner is stopping', coldStart: false };
    const eventJson = JSON.stringify(event ?? {});
    if (Buffer.byteLength(eventJson) > SYNC_PAYLOAD_LIMIT) {
      return { ok: false, errorType: 'RequestEntityTooLargeException', errorMessage: `Request must be smaller than ${SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`, coldStart: false };
    }
    const begun = performance.now();
    const { box, error } = await this.sandbox(fn);
    if (error) return error;
    const stat = this.stats.get(fn.name) ?? { invocations: 0, coldStarts: 0, totalMs: 0, coldStartMs: 0, maxMs: 0 };
    this.stats.set(fn.name, stat);
    if (box.fresh) {
      stat.coldStarts++;
      stat.coldStartMs += performance.now() - begun;
    }
    const coldStart = box.fresh;
    box.fresh = false;
    const usage = this.usage(fn);
    usage.invocations++;
    const ledger = this.options.ledger;
    ledger.checkRoleCall(fn.roleArn, fn.name, 'platform', 'PutLogEvents', { action: 'logs:PutLogEvents', resource: `${fn.logGroupArn}:log-stream:${box.logStream}` });
    if (fn.tracing) {
      for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']) ledger.checkRoleCall(fn.roleArn, fn.name, 'platform', 'Tracing', { action, resource: '*' });
    }
    const id = Math.floor(Math.random() * 2 ** 31);
    const requestId = randomUUID();
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    this.log(fn.name, `START RequestId: ${requestId}`);
    return new Promise<InvokeOutcome>((resolve) => {
      let streamed = 0;
      const finish = (outcome: InvokeOutcome) => {
        clearTimeout(timer);
        const ms = performance.now() - begun;
        stat.invocations++;
        stat.totalMs += ms;
        stat.maxMs = Math.max(stat.maxMs, ms);
        box.worker.off('message', onMessage);
        box.worker.off('exit', onExit);
        box.busy = false;
        this.log(fn.name, `END RequestId: ${requestId}${outcome.ok ? '' : ` ${outcome.errorType}: ${outcome.errorMessage}`}`);
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        void box.worker.terminate();
        finish({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`, coldStart });
      }, fn.timeoutSeconds * 1000);
      const onExit = (code: number) => finish({ ok: false, errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: exit status ${code}`, coldStart });
      const onMessage = (msg: any) => {
        if (msg.id !== id) return;
        if (msg.env) this.mergeEnv(fn, msg.env);
        if (msg.type === 'stream-start') stream?.start(msg.contentType);
        else if (msg.type === 'chunk') {
          streamed += msg.data.byteLength;
          if (streamed > STREAM_RESPONSE_LIMIT) {
            void box.worker.terminate();
            finish({ ok: false, errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${STREAM_RESPONSE_LIMIT} bytes).`, coldStart });
          } else stream?.chunk(msg.data);
        } else if (msg.type === 'stream-end') finish({ ok: true, payload: '', coldStart });
        else if (msg.type === 'result') {
          if (Buffer.byteLength(msg.payload) > SYNC_PAYLOAD_LIMIT) {
            finish({ ok: false, errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${SYNC_PAYLOAD_LIMIT} bytes).`, coldStart });
          } else finish({ ok: true, payload: msg.payload, coldStart });
        } else if (msg.type === 'error') finish({ ok: false, ...msg.error, coldStart });
      };
      box.worker.on('message', onMessage);
      box.worker.once('exit', onExit);
      box.worker.postMessage({ type: 'invoke', id, event: JSON.parse(eventJson), requestId, traceId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=1`, deadline, streaming: Boolean(stream) });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.sandboxes.values()].flat().map((s) => s.worker.terminate()));
    this.sandboxes.clear();
  }
}

const accountOf = (arn: string) => arn.split(':')[4] ?? '';
