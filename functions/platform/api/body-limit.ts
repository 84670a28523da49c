/**
 * Request-body limits, enforced in one place (functions/platform/api/app.ts calls `limitRequestBody` before auth and
 * before any handler runs). A declared `Content-Length` over the route's limit is refused up front, without
 * reading a byte; a body without one (chunked) is counted as it streams and cut off at the first byte past
 * the limit. Handlers read the body as before (`c.req.text()`, `parseBody()`, `requestBodyStream()`): every
 * read goes through the counter, so nothing is buffered or parsed beyond the limit.
 */
import type { Context } from 'hono';
import { Readable } from 'node:stream';
import { DomainError } from '../core/errors.js';
import type { AppEnv, Route } from './http.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Limits the route table declares (`Route.bodyLimit`); `defaultBodyLimit` picks one when a route declares none. */
export const BODY_LIMITS = {
  /** GET and HEAD: no body is read, so none is accepted. */
  none: 0,
  /** Small JSON or form bodies: an appliance, a console, a failover change, an API account, a token request. */
  small: 16 * KiB,
  /** The appliance's XML API parameters as a url-encoded form (1,000 lsids fit). */
  form: 64 * KiB,
  /** Control API JSON (/v1): a campaign lists up to 1,000 pairs and 1,000 appliances. */
  json: 1 * MiB,
  /** Package files: streamed to S3, never buffered (locally; API Gateway caps bodies at 10 MB on AWS). */
  package: 8 * GiB,
} as const;

export const defaultBodyLimit = (method: Route['method']): number => (method === 'GET' ? BODY_LIMITS.none : BODY_LIMITS.json);

/** The limit that applies to `route`: its own declaration, else the default for its method. */
export const bodyLimitOf = (route: Pick<Route, 'method' | 'bodyLimit'>): number => route.bodyLimit ?? defaultBodyLimit(route.method);

/** Refusal for a body over the limit: 413 in the route's own error format. */
export class BodyTooLargeError extends DomainError {
  constructor(readonly limitBytes: number) {
    super('too-large', 'RequestTooLarge', limitBytes === 0 ? 'this route takes no request body' : `the request body exceeds the limit of ${limitBytes} bytes for this route`, { limitBytes });
  }
}

const counted = new WeakMap<Request, () => AsyncIterable<Uint8Array>>();

/**
 * Refuses a declared `Content-Length` over `limit` and routes every later read of the body through a
 * byte counter. Call before authentication: refusing costs nothing, and an unauthenticated body is never read.
 */
export function limitRequestBody(c: Context<AppEnv>, limit: number): void {
  if (counted.has(c.req.raw)) return;
  const declared = c.req.header('content-length');
  const chunked = c.req.header('transfer-encoding') !== undefined;
  if (declared !== undefined) {
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length < 0) throw new DomainError('validation', 'InvalidContentLength', 'Content-Length must be a non-negative integer');
    if (length > limit) throw new BodyTooLargeError(limit);
    if (length === 0 && !chunked) return;
  } else if (!chunked && (onNodeServer(c) || !c.req.raw.body)) {
    // HTTP/1.1 frames every body with one of the two headers; a web Request (Lambda) may carry a stream without either.
    return;
  }
  // GET and HEAD requests cannot carry a body in the Fetch API; nothing reads one, so any body is refused.
  if (c.req.method === 'GET' || c.req.method === 'HEAD') {
    if (limit === 0 || chunked) throw new BodyTooLargeError(limit);
    return;
  }
  const source = sourceOf(c);
  let started = false;
  const iterable = () => {
    if (started) throw new DomainError('validation', 'BodyAlreadyRead', 'the request body was already read');
    started = true;
    return countBytes(source(), limit);
  };
  const raw = c.req.raw;
  const limited = new Request(raw.url, {
    method: raw.method,
    headers: raw.headers,
    body: streamOf(iterable),
    duplex: 'half',
    signal: raw.signal,
  } as RequestInit);
  counted.set(limited, iterable);
  c.req.raw = limited;
}

/**
 * The request body as bytes, counted against the route's limit, never buffered: for streaming handlers
 * (package uploads). Reading past the limit throws `BodyTooLargeError`.
 */
export function requestBodyStream(c: Context<AppEnv>): AsyncIterable<Uint8Array> | undefined {
  const iterable = counted.get(c.req.raw);
  if (iterable) return iterable();
  // No body was declared (no Content-Length, no Transfer-Encoding): nothing to read.
  return undefined;
}

/**
 * Where the bytes come from. On the Node server, the IncomingMessage itself: its async iterator keeps byte-exact
 * backpressure (Node 20's Readable.toWeb counts chunks, not bytes), and `destroyOnReturn: false` leaves the socket
 * open when the counter stops early, so the 413 can still be written. Elsewhere (Lambda), the web stream.
 */
const onNodeServer = (c: Context<AppEnv>) => (c.env as { incoming?: unknown } | undefined)?.incoming instanceof Readable;

function sourceOf(c: Context<AppEnv>): () => AsyncIterable<Uint8Array> {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (incoming instanceof Readable) return () => incoming.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
  const raw = c.req.raw;
  return () => (raw.body ?? emptyStream()) as unknown as AsyncIterable<Uint8Array>;
}

async function* countBytes(source: AsyncIterable<Uint8Array>, limit: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > limit) throw new BodyTooLargeError(limit);
    yield chunk;
  }
}

/** A pull-based byte stream over the counted source: bytes are read only as fast as the reader asks. */
function streamOf(open: () => AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  let it: AsyncIterator<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        it ??= open()[Symbol.asyncIterator]();
        try {
          const next = await it.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (e) {
          controller.error(e);
        }
      },
      async cancel() {
        await it?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

const emptyStream = () => new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });

/** Whether an error (possibly wrapped by the Fetch body reader) is a body-limit refusal. */
export function bodyLimitErrorOf(e: unknown): BodyTooLargeError | undefined {
  for (let current: unknown = e, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof BodyTooLargeError) return current;
  }
  return undefined;
}
