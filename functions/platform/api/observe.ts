/**
 * Request observation for both runtimes: a request id (the caller's `x-request-id` when it is well formed,
 * else a new UUID) on every response and in every log line written while the request runs, one access
 * line per request, API error metrics by route, and the metrics flush at the end of the request.
 */
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { log } from '../observability/logger.js';
import { currentLogContext, withLogContext } from '../observability/log-context.js';
import { flushMetrics, recordMetric } from '../observability/metrics.js';
import type { AppEnv } from './http.js';

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string;
    /** Route pattern that matched (`/v1/runs/:runId`), set by the route's handler wrapper. */
    route: string;
    /** Problem code of an error answer, for the access line. */
    errorCode: string;
  }
}

export const REQUEST_ID_HEADER = 'x-request-id';
/** What a caller may send as its request id: 1-128 characters, letters, digits and `._:@-`. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export const requestIdFrom = (header: string | undefined): string => (header && REQUEST_ID_PATTERN.test(header) ? header : randomUUID());

/** The TCP peer locally (node-server), the source IP API Gateway saw on Lambda. */
export function clientAddress(c: Context<AppEnv>): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; event?: { requestContext?: { http?: { sourceIp?: string } } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.event?.requestContext?.http?.sourceIp;
}

const MAX_LOGGED_PATH = 256;

export const observeRequests: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = performance.now();
  // A local Node server has chosen the id and set the header already (response-headers.ts).
  const fromServer = (c.env as { requestId?: string } | undefined)?.requestId;
  const requestId = fromServer ?? requestIdFrom(c.req.header(REQUEST_ID_HEADER));
  c.set('requestId', requestId);
  await withLogContext({ requestId }, async () => {
    await next();
    if (fromServer === undefined) setResponseHeader(c, REQUEST_ID_HEADER, requestId);
    const status = c.res.status;
    const route = c.get('route') ?? '(no route)';
    const fields = {
      method: c.req.method,
      route,
      // The path only: query strings and bodies may carry credentials (appliance API parameters) and are never logged.
      path: c.req.path.length > MAX_LOGGED_PATH ? `${c.req.path.slice(0, MAX_LOGGED_PATH)}…` : c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      actor: currentLogContext()?.actor,
      clientAddress: clientAddress(c),
      errorCode: c.get('errorCode'),
    };
    // Client mistakes are answers, not failures of ours: info/warn; only 5xx is an error.
    log.line(status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO', 'request', fields);
    if (status >= 400) recordMetric('ApiErrors', 1, { route, status: String(status) }, { requestId });
    flushMetrics();
  });
};

function setResponseHeader(c: Context<AppEnv>, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    // A Response from fetch has immutable headers: copy it.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(name, value);
  }
}
