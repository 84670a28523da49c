import type { Operator } from '../app/operator-identity.js';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ErrorKind } from '../core/errors.js';
import type { Services } from '../adapters/services.js';

export interface AppEnv {
  /** `buffered`: the response is delivered whole (API Gateway + Lambda), so a stream can only say so and end. */
  /** (The site a site-root request reached, `site`, is the emulator's variable: functions/emulator/api/site/site-hosting.ts.) */
  Variables: { services: Services; buffered?: boolean };
}

/**
 * How a site route, mounted at the site root, finds the site its request addresses (the host names the
 * appliance). The emulator's site routes bring it (functions/emulator/api/site/site-hosting.ts), so the
 * app dispatches by host without knowing the emulator's site directory.
 */
export interface SiteHosting {
  /** Looks up the site the request's host names and records it on the context; false when the host names none. */
  enter(c: Context<AppEnv>): Promise<boolean>;
  /** The refusal for a host that names no site (rendered in the route's format). */
  unknownSite(c: Context<AppEnv>): Promise<Error>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type RouteHandler = (c: Context<AppEnv>) => Response | Promise<Response>;
/** How a route renders its errors: RFC 9457 problem+json (control API) or the appliance's XML `<error>`. */
export type ErrorFormatter = (error: DomainError, status: ContentfulStatusCode, c: Context<AppEnv>) => Response;

/** One entry of the route table shared by the local server and the CDK HTTP API. */
export interface Route {
  method: HttpMethod;
  /** Hono path syntax (`/v1/appliances/:id`); CDK converts `:id` to `{id}`. */
  path: string;
  handler: RouteHandler;
  /** Lambda function that serves this route on AWS. */
  group: string;
  /** Which credential the route requires. */
  auth: 'public' | 'operator' | 'api-account' | 'appliance-admin';
  /**
   * `auth: 'appliance-admin'`: how the appliance's own administrator (HTTP Basic, a site user) is checked. The
   * emulator's routes bring it, so the shared auth code (and every control-plane bundle) carries none of the
   * emulator's user store.
   */
  applianceAdmin?: (c: Context<AppEnv>, credential: { username: string; password: string }) => Promise<Operator>;
  summary: string;
  formatError?: ErrorFormatter;
  /**
   * Responses can outgrow what API Gateway buffers from Lambda (6 MB): on AWS the route is also served by a
   * response-streaming Function URL (functions/api/stream-handler.ts). Locally every route streams.
   */
  streaming?: true;
  /**
   * A path of the appliance's own site, written relative to the site root (`/api/command`): `true` mounts
   * it under `/appliances/:applianceId` and at the root of every site host (functions/platform/api/site-mounts.ts);
   * `'root'` only at the site root (the public site `/`).
   */
  site?: true | 'root';
  /** With `site`: how the site root finds the addressed site; the app refuses to mount a site route without it. */
  siteHosting?: SiteHosting;
  /** Other site paths answering the same (the legacy `.ns` forms); only with `site`. */
  aliases?: readonly string[];
  /**
   * Largest request body in bytes, enforced while reading, before any parsing (functions/platform/api/body-limit.ts):
   * 413 in the route's error format. Default: none for GET, `BODY_LIMITS.json` otherwise.
   */
  bodyLimit?: number;
  /** Longest request target (path + query) in bytes; default `URL_LIMITS.default` (functions/platform/api/request-limits.ts). */
  urlLimit?: number;
}

export const STATUS_BY_KIND: Record<ErrorKind, ContentfulStatusCode> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  precondition: 422,
  'too-large': 413,
  'uri-too-long': 414,
  'unsupported-media': 415,
  'rate-limited': 429,
  'headers-too-large': 431,
  unavailable: 503,
};

export const problemJson: ErrorFormatter = (error, status, c) =>
  c.body(
    JSON.stringify({
      type: `urn:upgrade-cp:error:${error.code}`,
      title: error.code,
      status,
      detail: error.message,
      code: error.code,
      ...(error.details ?? {}),
    }),
    status,
    { 'content-type': 'application/problem+json' },
  );
