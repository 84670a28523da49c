/**
 * Limits on the request line and headers, checked before authentication (functions/platform/api/app.ts): path
 * parameters, the request target and the header block. Each refusal is a 4xx in the route's own error format.
 */
import type { Context } from 'hono';
import { DomainError } from '../core/errors.js';
import type { AppEnv, Route } from './http.js';

/** Longest path parameter, in UTF-8 bytes: ids are at most 128 characters, hostnames 253. Keeps every key far below DynamoDB's limits. */
export const MAX_PATH_PARAM_BYTES = 256;

const KiB = 1024;
/** Longest request target (path + query string) a route accepts, in bytes. */
export const URL_LIMITS = {
  default: 8 * KiB,
  /** The appliance's XML APIs take their parameters in the query string too: 64 KiB of them (MAX_PARAMS_BYTES) plus the path. */
  siteApi: 72 * KiB,
} as const;

/** Largest header block (names and values, without the request line) the app accepts; Node's own default. */
export const MAX_HEADER_BYTES = 16 * KiB;

/**
 * What the Node server lets through to the app (`maxHeaderSize`): the longest site API target plus the header
 * block. Anything larger is answered by the server's `clientError` handler (functions/local/http-server.ts).
 */
export const SERVER_MAX_HEADER_BYTES = URL_LIMITS.siteApi + MAX_HEADER_BYTES;

export const urlLimitOf = (route: Pick<Route, 'urlLimit'>): number => route.urlLimit ?? URL_LIMITS.default;

/** Over-long ids are the caller's mistake (400), never a retryable store failure; the value is not echoed. */
export function assertPathParams(c: Context<AppEnv>): void {
  for (const [name, value] of Object.entries(c.req.param() as Record<string, string>)) {
    const bytes = Buffer.byteLength(value);
    if (bytes > MAX_PATH_PARAM_BYTES) {
      throw new DomainError('validation', 'PathParameterTooLong', `path parameter ${name} is ${bytes} bytes long; the limit is ${MAX_PATH_PARAM_BYTES}`, {
        parameter: name,
        limitBytes: MAX_PATH_PARAM_BYTES,
      });
    }
  }
}

/** 414 for a request target over the route's limit; 431 for a header block over `MAX_HEADER_BYTES`. */
export function assertRequestHead(c: Context<AppEnv>, urlLimit: number): void {
  if (isHeaderOverflow(c.req.raw)) throw headersTooLarge();
  const url = c.req.url;
  const target = url.length - new URL(url).origin.length;
  if (target > urlLimit) {
    throw new DomainError('uri-too-long', 'UriTooLong', `the request target is ${target} bytes long; this route accepts at most ${urlLimit} (send long parameter lists in a POST body)`, { limitBytes: urlLimit });
  }
  if (rawHeaderBytes(c) <= MAX_HEADER_BYTES) return;
  let headerBytes = 0;
  c.req.raw.headers.forEach((value, name) => (headerBytes += name.length + value.length + 4));
  if (headerBytes > MAX_HEADER_BYTES) throw headersTooLarge(MAX_HEADER_BYTES);
}

/**
 * On the Node server, the same count over the raw header lines: never less than the count over the merged,
 * trimmed Headers (a repeated name counts once there, its values joined by 2 characters), so a block within
 * the limit here is within it there too, without building the WHATWG Headers object that iterating
 * `c.req.raw.headers` would (@hono/node-server makes it only when asked). Elsewhere: Infinity (count exactly).
 */
function rawHeaderBytes(c: Context<AppEnv>): number {
  const raw = (c.env as { incoming?: { rawHeaders?: unknown } } | undefined)?.incoming?.rawHeaders;
  if (!Array.isArray(raw)) return Infinity;
  let bytes = 0;
  for (let i = 0; i < raw.length; i++) bytes += String(raw[i]).length + (i % 2 === 0 ? 4 : 0);
  return bytes;
}

export const headersTooLarge = (limit = SERVER_MAX_HEADER_BYTES) =>
  new DomainError('headers-too-large', 'RequestHeaderFieldsTooLarge', `the request line and headers exceed ${limit} bytes`, { limitBytes: limit });

const headerOverflow = new WeakSet<Request>();
export const isHeaderOverflow = (request: Request) => headerOverflow.has(request);

/**
 * A stand-in for a request the server could not parse because its head was too large: run through the app,
 * it is answered 431 in the error format of the route its path names (problem+json when none matches).
 */
export function headerOverflowRequest(method: string, path: string): Request {
  const request = new Request(new URL(path.startsWith('/') ? path : '/', 'http://localhost'), { method: method === 'HEAD' ? 'GET' : method });
  headerOverflow.add(request);
  return request;
}
