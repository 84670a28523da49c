// @ts-check
/**
 * The Lambda Node.js runtime as one function's sandbox sees it, in a worker thread: loads the bundled
 * handler the way the runtime does (`_HANDLER` = `<module>.<export>` under LAMBDA_TASK_ROOT), provides the
 * `awslambda` global (streamifyResponse, HttpResponseStream with the 8-NUL prelude delimiter), and answers
 * invocations from the runner. Plain JavaScript on purpose: the function must not run under the project's
 * TypeScript loader, only under what the deployed bundle has.
 *
 * `process.env` is wrapped in a Proxy before the bundle loads, so every variable the function's own code
 * reads is recorded (attributed by the stack: frames in the bundle are the code, frames under node_modules
 * are the runtime's SDK).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { codeDirectory, handler: handlerSetting, functionName, functionArn, memoryMb, logGroupName, logStreamName } = workerData;
const SELF = fileURLToPath(import.meta.url);

/** @type {Map<string, Set<string>>} */
let reads = new Map();
/** @type {Set<string>} */
let enumerations = new Set();

/** Who is reading: the bundle ("code"), the runtime's SDK ("sdk"), Node itself ("node"). */
function reader() {
  const saved = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  Error.prepareStackTrace = (_, sites) => sites;
  /** @type {{ stack?: any }} */
  const holder = {};
  Error.captureStackTrace(holder, reader);
  const sites = /** @type {NodeJS.CallSite[]} */ (holder.stack ?? []);
  Error.prepareStackTrace = saved;
  Error.stackTraceLimit = limit;
  for (const site of sites) {
    let file = site.getFileName() ?? '';
    if (!file) continue;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (file === SELF) continue;
    if (file.startsWith(codeDirectory)) return 'code';
    if (file.includes('/node_modules/')) return 'sdk';
    if (file.startsWith('node:')) return 'node';
    return 'other';
  }
  return 'node';
}

const realEnv = process.env;
const note = (/** @type {string | symbol} */ key) => {
  if (typeof key !== 'string') return;
  const kind = reader();
  if (!reads.has(key)) reads.set(key, new Set());
  /** @type {Set<string>} */ (reads.get(key)).add(kind);
};
const envProxy = new Proxy(realEnv, {
  get(target, key) {
    note(key);
    return Reflect.get(target, key);
  },
  has(target, key) {
    note(key);
    return Reflect.has(target, key);
  },
  getOwnPropertyDescriptor(target, key) {
    note(key);
    return Reflect.getOwnPropertyDescriptor(target, key);
  },
  ownKeys(target) {
    enumerations.add(reader());
    return Reflect.ownKeys(target);
  },
});
Object.defineProperty(process, 'env', { value: envProxy, writable: true, configurable: true, enumerable: true });

function takeEnvReads() {
  const out = { reads: [...reads].map(([key, kinds]) => [key, [...kinds]]), enumerations: [...enumerations] };
  reads = new Map();
  enumerations = new Set();
  return out;
}

// NODE_OPTIONS is read by node at start; a worker cannot take node options, so honour the one the stack sets.
if (/--enable-source-maps/.test(realEnv.NODE_OPTIONS ?? '')) process.setSourceMapsEnabled(true);

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';

/** The response stream the runtime hands a streaming handler; its bytes go to the runner as written. */
class ResponseStream extends Writable {
  /** @param {number} id */
  constructor(id) {
    super({ highWaterMark: 64 * 1024 });
    this.id = id;
    this.contentType = 'application/octet-stream';
    this.started = false;
    /** @type {((write: (chunk: string | Uint8Array) => void) => void) | undefined} */
    this._onBeforeFirstWrite = undefined;
  }
  /** @param {string} type */
  setContentType(type) {
    this.contentType = type;
  }
  begin() {
    if (this.started) return;
    this.started = true;
    port.postMessage({ type: 'stream-start', id: this.id, contentType: this.contentType });
    this._onBeforeFirstWrite?.((chunk) => this.send(chunk));
  }
  /** @param {string | Uint8Array} chunk */
  send(chunk) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    port.postMessage({ type: 'chunk', id: this.id, data: new Uint8Array(bytes) });
  }
  /** @param {any} chunk @param {BufferEncoding} encoding @param {(e?: Error | null) => void} done */
  _write(chunk, encoding, done) {
    this.begin();
    this.send(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    done();
  }
  /** @param {(e?: Error | null) => void} done */
  _final(done) {
    this.begin();
    done();
  }
}

// @ts-ignore: the runtime's global
globalThis.awslambda = {
  /** @param {Function} fn */
  streamifyResponse(fn) {
    // @ts-ignore
    fn[STREAMING] = 'response';
    return fn;
  },
  HttpResponseStream: {
    /** @param {ResponseStream} stream @param {unknown} prelude */
    from(stream, prelude) {
      stream.setContentType(PRELUDE_CONTENT_TYPE);
      const metadata = JSON.stringify(prelude);
      stream._onBeforeFirstWrite = (write) => {
        write(metadata);
        write(new Uint8Array(8));
      };
      return stream;
    },
  },
};

/** @param {unknown} e */
function errorOf(e, fallbackType = 'Error') {
  const err = /** @type {Error} */ (e instanceof Error ? e : new Error(String(e)));
  return { errorType: err.name || fallbackType, errorMessage: err.message, trace: String(err.stack ?? '').split('\n') };
}

/** Lambda's rule: `<module path>.<export>`; the module file is .js, .mjs or .cjs under the task root. */
async function loadHandler() {
  const dot = handlerSetting.lastIndexOf('.');
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${handlerSetting}: expected <module>.<function>`), { name: 'Runtime.MalformedHandlerName' });
  const modulePath = handlerSetting.slice(0, dot);
  const exportName = handlerSetting.slice(dot + 1);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => join(codeDirectory, `${modulePath}${ext}`)).find((f) => existsSync(f));
  if (!file) throw Object.assign(new Error(`Error: Cannot find module '${modulePath}'`), { name: 'Runtime.ImportModuleError' });
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    throw Object.assign(e instanceof Error ? e : new Error(String(e)), { name: 'Runtime.ImportModuleError' });
  }
  const fn = mod[exportName] ?? mod.default?.[exportName];
  if (typeof fn !== 'function') throw Object.assign(new Error(`${handlerSetting} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  return fn;
}

let handler;
try {
  handler = await loadHandler();
  port.postMessage({ type: 'ready', env: takeEnvReads() });
} catch (e) {
  port.postMessage({ type: 'init-error', error: errorOf(e), env: takeEnvReads() });
}

port.on('message', async (/** @type {any} */ msg) => {
  if (msg.type !== 'invoke' || !handler) return;
  const { id, event, requestId, traceId, deadline } = msg;
  realEnv._X_AMZN_TRACE_ID = traceId;
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName,
    logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    if (handler[STREAMING]) {
      const stream = new ResponseStream(id);
      const done = new Promise((resolve, reject) => {
        stream.once('finish', resolve);
        stream.once('error', reject);
      });
      await handler(event, stream, context);
      await done;
      port.postMessage({ type: 'stream-end', id, env: takeEnvReads() });
    } else {
      const result = await handler(event, context);
      // The runtime returns JSON; an undefined result is null.
      port.postMessage({ type: 'result', id, payload: JSON.stringify(result === undefined ? null : result), env: takeEnvReads() });
    }
  } catch (e) {
    port.postMessage({ type: 'error', id, error: errorOf(e), env: takeEnvReads() });
  }
});
