import { Hono, type Context } from 'hono';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';
import { MemoRouter } from './memo-router.js';
import { DomainError, isDomainError } from '../core/errors.js';
import { ConditionFailedError } from '../core/ports.js';
import { InvalidCursorError } from '../adapters/cursor.js';
import type { Services } from '../adapters/services.js';
import { bodyLimitErrorOf, bodyLimitOf, limitRequestBody } from './body-limit.js';
import { problemJson, STATUS_BY_KIND, type AppEnv, type ErrorFormatter, type Route, type SiteHosting } from './http.js';
import { authorizeRoute } from './auth/operator-auth.js';
import { assertPathParams, assertRequestHead, headersTooLarge, isHeaderOverflow, urlLimitOf } from './request-limits.js';
import { observeRequests } from './observe.js';
import { securityHeaders } from './response-headers.js';
import { errorFields, log } from '../observability/logger.js';
import { appendLogContext } from '../observability/log-context.js';
import { recordMetric } from '../observability/metrics.js';
import { mountRoutes } from './site-mounts.js';

export interface AppOptions {
  /**
   * Serve only the site-root paths, the site named by the listener (a per-site port), answering any other
   * path with the site's own 404 page (the composition root passes the emulator's); default: every route.
   */
  sitesOnly?: { notFound: (c: Context<AppEnv>) => Response };
  /**
   * Responses reach the client only once complete (API Gateway HTTP API in front of Lambda buffers them):
   * streams (the run's server-sent events) send what they have and tell the client to poll instead.
   */
  bufferedResponses?: boolean;
  /** The Node server in front sets the security headers itself (`nodeResponseHeaders`); default false. */
  headersAtServer?: boolean;
}

/** Builds the HTTP application from the route table; the same app runs on the local server and in Lambda. */
export function createApp(services: Services, routes: readonly Route[], options: AppOptions = {}): Hono<AppEnv> {
  // Hono's default router, its answers remembered per method and path (memo-router.ts).
  const app = new Hono<AppEnv>({ router: new MemoRouter(new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] })) });
  app.use('*', observeRequests);
  app.use('*', async (c, next) => {
    c.set('services', services);
    if (options.bufferedResponses) c.set('buffered', true);
    await next();
  });
  if (!options.headersAtServer) app.use('*', securityHeaders());
  const mounted = mountRoutes(routes);
  const siteRoot = mounted.filter((r) => r.mount === 'site-root');
  const others = options.sitesOnly ? [] : mounted.filter((r) => r.mount !== 'site-root');
  // A site-root path that the control plane also serves (the console at `/`) is the site's only on a site host.
  const shared = new Set(others.map((r) => `${r.method} ${r.path}`));
  for (const route of siteRoot) {
    const format = route.formatError ?? problemJson;
    const fallsThrough = shared.has(`${route.method} ${route.path}`);
    const limits = requestLimits(route);
    const hosting: SiteHosting | undefined = route.siteHosting;
    if (!hosting) throw new Error(`site route ${route.method} ${route.path} has no siteHosting: the routes that declare \`site\` bring it`);
    app.on(route.method, route.path, async (c, next) => {
      c.set('route', route.path);
      appendLogContext({ route: route.path });
      try {
        // A path the control plane shares (`GET /`) is refused in the format of whoever serves it, so the site is looked up first.
        if (!fallsThrough) limits(c);
        if (!(await hosting.enter(c))) {
          if (fallsThrough) return await next();
          throw await hosting.unknownSite(c);
        }
        if (fallsThrough) limits(c);
        await authorizeRoute(c, route);
        return await route.handler(c);
      } catch (e) {
        return renderError(e, format, c);
      }
    });
  }
  for (const route of others) {
    const format = route.formatError ?? problemJson;
    const limits = requestLimits(route);
    app.on(route.method, route.path, async (c) => {
      c.set('route', route.path);
      appendLogContext({ route: route.path });
      try {
        limits(c);
        await authorizeRoute(c, route);
        return await route.handler(c);
      } catch (e) {
        return renderError(e, format, c);
      }
    });
  }
  const methodsOf = pathMethods([...siteRoot, ...others]);
  app.notFound((c) => {
    const [matches] = methodsOf.match('ALL', c.req.path);
    c.set('errorCode', isHeaderOverflow(c.req.raw) ? 'RequestHeaderFieldsTooLarge' : matches.length === 0 ? 'RouteNotFound' : 'MethodNotAllowed');
    if (isHeaderOverflow(c.req.raw)) return renderError(headersTooLarge(), matches[0]?.[0].format ?? problemJson, c);
    if (matches.length === 0) {
      return options.sitesOnly ? options.sitesOnly.notFound(c) : problemJson(new DomainError('not-found', 'RouteNotFound', `no route for ${c.req.method} ${c.req.path}`), 404, c);
    }
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

/**
 * The route's limits on the request line, headers and body, checked before anything else (no store read,
 * no authentication): 414/431/413/400 in the route's format. A site-root route that falls through to a
 * shared path has already applied them; the body counter is installed once.
 */
function requestLimits(route: Route): (c: Context<AppEnv>) => void {
  const body = bodyLimitOf(route);
  const url = urlLimitOf(route);
  return (c) => {
    assertRequestHead(c, url);
    limitRequestBody(c, body);
    assertPathParams(c);
  };
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
  c.set('errorCode', error.code);
  // Refusals (domain errors, malformed JSON, bad cursors, lost races) are answers: the access line says so.
  // Only what we could not map is a failure of ours, logged with its stack.
  if (!isDomainError(e) && error.code === 'InternalError') log.error('unhandled error', errorFields(e, true));
  if (error.code === 'InterimGateClosed') recordMetric('InterimGateRefusals', 1, {}, { source: 'api' });
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
