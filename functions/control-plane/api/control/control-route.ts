/**
 * Builds control API routes from a declaration: zod schemas for path, query and body (validated before
 * anything runs, errors as problem+json with field paths), the role required, the response schema (for the
 * OpenAPI document), and Idempotency-Key handling for POSTs.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import * as z from 'zod/mini';
import { DomainError } from '../../../platform/core/errors.js';
import '../../../platform/core/validation.js';
import { parseOrThrow, readJsonBody } from '../../../platform/api/json-input.js';
import type { AppContext } from '../../../platform/app/context.js';
import { controlSettings } from '../../app/control-settings.js';
import { requestFingerprint, withIdempotency } from '../../../platform/app/idempotency.js';
import type { Operator, Role } from '../../../platform/app/operator-identity.js';
import { currentOperator, type RoleAwareRoute } from '../../../platform/api/auth/operator-auth.js';
import type { AppEnv, HttpMethod } from '../../../platform/api/http.js';

export interface ControlRequest<P, Q, B> {
  c: Context<AppEnv>;
  ctx: AppContext;
  operator: Operator;
  params: P;
  query: Q;
  body: B;
}

export interface ControlResult {
  status: ContentfulStatusCode;
  body: unknown;
}

export interface ControlRouteSpec<P extends z.ZodMiniType, Q extends z.ZodMiniType, B extends z.ZodMiniType> {
  method: HttpMethod;
  path: string;
  role: Role;
  summary: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Success status and body schema, for the OpenAPI document (`contentType` when it is not JSON). */
  response: { status: number; schema: z.ZodMiniType; description?: string; contentType?: string };
  /** The JSON answer. GET answers carry a weak ETag and answer `If-None-Match` with 304. */
  handle?: (req: ControlRequest<z.output<P>, z.output<Q>, z.output<B>>) => Promise<ControlResult>;
  /** Instead of `handle`: a response of its own (a stream), after the same auth and validation. */
  respond?: (req: ControlRequest<z.output<P>, z.output<Q>, z.output<B>>) => Promise<Response>;
  /** `false`: the answer holds a secret, so it is never stored for Idempotency-Key replays (the key is ignored). */
  replayable?: false;
}

/** A control route: a `Route` plus what the OpenAPI generator needs. */
export type ControlRoute = RoleAwareRoute & {
  role: Role;
  openapi: { params?: z.ZodMiniType; query?: z.ZodMiniType; body?: z.ZodMiniType; response: { status: number; schema: z.ZodMiniType; description?: string; contentType?: string } };
};

/** Weak validator of a JSON answer: the same bytes give the same tag, so pollers can ask "changed?" cheaply. */
export const etagOf = (text: string) => `W/"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;

/** `If-None-Match` holds `tag` (or `*`); weak comparison, as RFC 9110 prescribes for If-None-Match. */
export function matchesEtag(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(tag));
}

export function controlRoute<P extends z.ZodMiniType = z.ZodMiniType<Record<string, never>>, Q extends z.ZodMiniType = z.ZodMiniType<Record<string, never>>, B extends z.ZodMiniType = z.ZodMiniType<undefined>>(
  spec: ControlRouteSpec<P, Q, B>,
): ControlRoute {
  if (Boolean(spec.handle) === Boolean(spec.respond)) throw new Error(`${spec.method} ${spec.path}: give exactly one of handle or respond`);
  return {
    method: spec.method,
    path: spec.path,
    group: 'control',
    auth: 'operator',
    role: spec.role,
    summary: spec.summary,
    openapi: { params: spec.params, query: spec.query, body: spec.body, response: spec.response },
    handler: async (c) => {
      const operator = currentOperator(c);
      const ctx = c.get('services');
      const params = (spec.params ? parseOrThrow(spec.params, c.req.param(), 'path') : {}) as z.output<P>;
      const query = (spec.query ? parseOrThrow(spec.query, c.req.query(), 'query') : {}) as z.output<Q>;
      const body = (spec.body ? parseOrThrow(spec.body, await readJsonBody(c), 'body') : undefined) as z.output<B>;
      const req = { c, ctx, operator, params, query, body };
      if (spec.respond) return spec.respond(req);
      const run = () => spec.handle!(req);
      const key = c.req.header('idempotency-key');
      if (spec.method === 'GET') {
        const r = await run();
        const text = JSON.stringify(r.body);
        const etag = etagOf(text);
        const headers = { etag, 'cache-control': 'private, no-cache' };
        if (r.status === 200 && matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
        return c.body(text, r.status, { ...headers, 'content-type': 'application/json' });
      }
      if (spec.method !== 'POST' || key === undefined || spec.replayable === false) {
        const r = await run();
        return c.json(r.body as object, r.status);
      }
      const r = await withIdempotency(
        ctx,
        { scope: operator.operatorId, key, fingerprint: requestFingerprint([spec.method, c.req.path, body ?? null]), ttlSeconds: controlSettings().idempotencyTtlSeconds },
        run,
      );
      c.header('Idempotency-Key', key);
      if (r.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(r.body as object, r.status as ContentfulStatusCode);
    },
  };
}
