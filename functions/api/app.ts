import { Hono } from 'hono';
import { DomainError, isDomainError } from '../core/errors.js';
import { ConditionFailedError } from '../core/ports.js';
import { InvalidCursorError } from '../adapters/cursor.js';
import type { Services } from '../adapters/services.js';
import { problemJson, STATUS_BY_KIND, type AppEnv, type ErrorFormatter, type Route } from './http.js';
import { authorizeRoute } from './auth/operator-auth.js';
import { observeRequests } from './observe.js';
import { errorFields, log } from '../observability/logger.js';
import { appendLogContext } from '../observability/log-context.js';
import { recordMetric } from '../observability/metrics.js';
import { unknownSite } from '../app/site-hosts.js';
import { addressSite, requestHost } from './site/site-address.js';
import { mountRoutes } from './site/site-mounts.js';
import { siteNotFound } from './site/public-site-handler.js';

export interface AppOptions {
  /** Serve only the site-root paths, the site named by the listener (a per-site port); default false. */
  sitesOnly?: boolean;
  /**
   * Responses reach the client only once complete (API Gateway HTTP API in front of Lambda buffers them):
   * streams (the run's server-sent events) send what they have and tell the client to poll instead.
   */
  bufferedResponses?: boolean;
}

/** Builds the HTTP application from the route table; the same app runs on the local server and in Lambda. */
export function createApp(services: Services, routes: readonly Route[], options: AppOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', observeRequests);
  app.use('*', async (c, next) => {
    c.set('services', services);
    if (options.bufferedResponses) c.set('buffered', true);
    await next();
  });
  const mounted = mountRoutes(routes);
  const siteRoot = mounted.filter((r) => r.mount === 'site-root');
  const others = options.sitesOnly ? [] : mounted.filter((r) => r.mount !== 'site-root');
  // A site-root path that the control plane also serves (the console at `/`) is the site's only on a site host.
  const shared = new Set(others.map((r) => `${r.method} ${r.path}`));
  for (const route of siteRoot) {
    const format = route.formatError ?? problemJson;
    const fallsThrough = shared.has(`${route.method} ${route.path}`);
    app.on(route.method, route.path, async (c, next) => {
      c.set('route', route.path);
      appendLogContext({ route: route.path });
      try {
        const site = await addressSite(c);
        if (!site) {
          if (fallsThrough) return await next();
          throw await unknownSite(services, requestHost(c));
        }
        c.set('site', site);
        await authorizeRoute(c, route);
        return await route.handler(c);
      } catch (e) {
        return renderError(e, format, c);
      }
    });
  }
  for (const route of others) {
    const format = route.formatError ?? problemJson;
    app.on(route.method, route.path, async (c) => {
      c.set('route', route.path);
      appendLogContext({ route: route.path });
      try {
        await authorizeRoute(c, route);
        return await route.handler(c);
      } catch (e) {
        return renderError(e, format, c);
      }
    });
  }
  app.notFound((c) => {
    c.set('errorCode', 'RouteNotFound');
    return options.sitesOnly
      ? siteNotFound(c)
      : problemJson(new DomainError('not-found', 'RouteNotFound', `no route for ${c.req.method} ${c.req.path}`), 404, c);
  });
  app.onError((e, c) => renderError(e, problemJson, c));
  return app;
}

function renderError(e: unknown, format: ErrorFormatter, c: Parameters<ErrorFormatter>[2]): Response {
  const error = toDomainError(e);
  c.set('errorCode', error.code);
  // Refusals (domain errors, malformed JSON, bad cursors, lost races) are answers: the access line says so.
  // Only what we could not map is a failure of ours, logged with its stack.
  if (!isDomainError(e) && error.code === 'InternalError') log.error('unhandled error', errorFields(e, true));
  if (error.code === 'InterimGateClosed') recordMetric('InterimGateRefusals', 1, {}, { source: 'api' });
  return format(error, STATUS_BY_KIND[error.kind], c);
}

export function toDomainError(e: unknown): DomainError {
  if (isDomainError(e)) return e;
  if (e instanceof ConditionFailedError) {
    return new DomainError('conflict', 'ConcurrentModification', 'the record changed concurrently; retry the request');
  }
  if (e instanceof InvalidCursorError) return new DomainError('validation', 'InvalidCursor', e.message);
  if (e instanceof SyntaxError) return new DomainError('validation', 'MalformedJson', 'request body is not valid JSON');
  return new DomainError('unavailable', 'InternalError', 'internal error; the request can be retried');
}
