/** Request parsing and response helpers shared by the appliance area's handlers. */
import type { Context } from 'hono';
import { Readable } from 'node:stream';
import type * as z from 'zod/mini';
import { DomainError, validationError } from '../../../platform/core/errors.js';
import { requestBodyStream } from '../../../platform/api/body-limit.js';
import { problemJson, type AppEnv, type ErrorFormatter } from '../../../platform/api/http.js';

/** problem+json, plus `Retry-After` when the error says when to come back (site down while installing). */
export const problemWithRetryAfter: ErrorFormatter = (error, status, c) => {
  const res = problemJson(error, status, c);
  const seconds = error.details?.retryAfterSeconds;
  if (typeof seconds === 'number') res.headers.set('Retry-After', String(seconds));
  return res;
};

/** Parses an optional JSON body (empty body = `{}`) against `schema`; 415 for other media types. */
export async function readJson<S extends z.ZodMiniType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  const type = c.req.header('content-type') ?? '';
  if (text.trim() !== '' && !/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new DomainError('unsupported-media', 'UnsupportedMediaType', 'send the request body as application/json');
  }
  const raw: unknown = text.trim() === '' ? {} : JSON.parse(text);
  return parseWith(schema, raw);
}

export function parseWith<S extends z.ZodMiniType>(schema: S, raw: unknown): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw validationError('InvalidRequest', `${issue?.path.join('.') || 'body'}: ${issue?.message}`, {
      errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return parsed.data;
}

/** The request body as a byte stream (never buffered), after checking its media type. */
export function binaryBody(c: Context<AppEnv>): { body: AsyncIterable<Uint8Array>; contentLength?: number } {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/octet-stream' && type !== 'application/vnd.bomgar.package') {
    throw new DomainError('unsupported-media', 'UnsupportedMediaType', 'upload the package file as application/octet-stream (the raw file as the request body)');
  }
  const length = c.req.header('content-length');
  const contentLength = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  if (contentLength === 0) throw validationError('PackageCorrupt', 'the request body is empty; send the package file');
  // Counted against the route's limit as it streams (body-limit.ts), with byte-exact backpressure on the Node server.
  const body = requestBodyStream(c);
  if (!body) throw validationError('PackageCorrupt', 'the request body is empty; send the package file');
  return { body, contentLength };
}

/** Streams an async byte iterable as a web response body. */
export const webStream = (body: AsyncIterable<Uint8Array>) => Readable.toWeb(Readable.from(body)) as unknown as ReadableStream<Uint8Array>;

/** `?flag=true|false|1|0` → boolean; anything else is a 400. */
export function queryBoolean(c: Context<AppEnv>, name: string): boolean | undefined {
  const v = c.req.query(name);
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw validationError('InvalidRequest', `query parameter ${name} must be true or false`);
}

export function queryNumber(c: Context<AppEnv>, name: string): number | undefined {
  const v = c.req.query(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw validationError('InvalidRequest', `query parameter ${name} must be a number`);
  return n;
}
