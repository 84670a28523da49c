import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { TrieRouter } from 'hono/router/trie-router';
import { DomainError, isDomainError } from '../core/errors.js';
import { ConditionFailedError } from '../core/ports.js';
import { InvalidCursorError } from '../adapters/cursor.js';
import type { Services } from '../adapters/services.js';
import { bodyLimitErrorOf, bodyLimitOf, limitRequestBody } from './body-limit.js';
import { problemJson, STATUS_BY_KIND, type AppEnv, type ErrorFormatter, type Route } from './http.js';
import { authorizeRoute } from './auth/operator-auth.js';
import { assertPathParams, assertRequestHead, headersTooLarge, isHeaderOverflow, urlLimitOf } from './request-limits.js';

/** Builds the HTTP application from the route table; the same app runs on the local server and in Lambda. */
export function createApp(services: Services, routes: readonly Route[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('services', services);
    await next();
  });
  // Handlers that set their own (the console's CSP) keep them.
  app.use('*', secureHeaders({ referrerPolicy: 'no-referrer', overwrite: false }));
  for (const route of routes) {
    const format = route.formatError ?? problemJson;
    const limit = bodyLimitOf(route);
    const urlLimit = urlLimitOf(route);
    app.on(route.method, route.path, async (c) => {
      try {
        assertRequestHead(c, urlLimit);
        limitRequestBody(c, limit);
        assertPathParams(c);
        await authorizeRoute(c, route);
        return await route.handler(c);
      } catch (e) {
        return renderError(e, format, c);
      }
    });
  }
  const methodsOf = pathMethods(routes);
  app.notFound((c) => {
    const [matches] = methodsOf.match('ALL', c.req.path);
    if (isHeaderOverflow(c.req.raw)) return renderError(headersTooLarge(), matches[0]?.[0].format ?? problemJson, c);
    if (matches.length === 0) return problemJson(new DomainError('not-found', 'RouteNotFound', `no route for ${c.req.method} ${c.req.path}`), 404, c);
    const allowed = [...new Set(matches.flatMap(([m]) => m.methods))];
    const res = (matches[0]![0].format ?? problemJson)(
      new DomainError('method-not-allowed', 'MethodNotAllowed', `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(', ')}`, { allow: allowed }),
      405,
      c,
    );
    res.headers.set('Allow', allowed.join(', '));
    return res;
  });
  app.onError((e, c) => renderError(e, problemJson, c));
  return app;
}

/** For 405: the methods each path pattern answers (GET implies HEAD), and the error format of its routes. */
function pathMethods(routes: readonly Route[]) {
  const byPath = new Map<string, { methods: string[]; format?: ErrorFormatter }>();
  for (const route of routes) {
    const entry = byPath.get(route.path) ?? { methods: [], format: route.formatError };
    entry.methods.push(...(route.method === 'GET' ? ['GET', 'HEAD'] : [route.method]));
    byPath.set(route.path, entry);
  }
  const router = new TrieRouter<{ methods: string[]; format?: ErrorFormatter }>();
  for (const [path, entry] of byPath) router.add('ALL', path, entry);
  return router;
}

function renderError(e: unknown, format: ErrorFormatter, c: Parameters<ErrorFormatter>[2]): Response {
  const error = toDomainError(e);
  // Domain refusals are expected answers; only unexpected failures are logged.
  if (!isDomainError(e) && !bodyLimitErrorOf(e)) {
    console.error(JSON.stringify({ level: 'error', message: 'unhandled error', path: c.req.path.slice(0, 256), error: String(e) }));
  }
  // The rest of an oversized body never reaches the app: the Node server discards what is still in flight
  // (@hono/node-server stops after 64 MB or 500 ms and closes), so the client reads the answer instead of a reset.
  return format(error, STATUS_BY_KIND[error.kind], c);
}

export function toDomainError(e: unknown): DomainError {
  if (isDomainError(e)) return e;
  const tooLarge = bodyLimitErrorOf(e);
  if (tooLarge) return tooLarge;
  if (e instanceof ConditionFailedError) {
    return new DomainError('conflict', 'ConcurrentModification', 'the record changed concurrently; retry the request');
  }
  if (e instanceof InvalidCursorError) return new DomainError('validation', 'InvalidCursor', e.message);
  if (e instanceof SyntaxError) return new DomainError('validation', 'MalformedJson', 'request body is not valid JSON');
  return new DomainError('unavailable', 'InternalError', 'internal error; the request can be retried');
}
