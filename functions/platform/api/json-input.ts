/**
 * JSON input of the JSON admin routes of both systems (the control API, the emulator's API-account routes):
 * zod-validated with field paths, bodies only as application/json. Errors are DomainErrors (problem+json).
 */
import type { Context } from 'hono';
import * as z from 'zod/mini';
import { DomainError } from '../core/errors.js';
import '../core/validation.js';
import type { AppEnv } from './http.js';

/** `windows[0].timeZone` and `/windows/0/timeZone` for an issue path. */
function paths(path: readonly PropertyKey[]) {
  const dotted = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  return { path: dotted || '(root)', pointer: `/${path.map(String).join('/')}` === '/' ? '' : `/${path.map(String).join('/')}` };
}

export function parseOrThrow<S extends z.ZodMiniType>(schema: S, value: unknown, where: 'path' | 'query' | 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap((issue) => {
    // One entry per unknown field, at that field's path.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ ...paths([...issue.path, key]), message: `unknown field "${key}"`, code: 'unrecognized_keys' }));
    // Custom refinements carry the domain error code (InvalidTimeZone, ...) in params.
    const domainCode = issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
    return { ...paths(issue.path), message: issue.message, code: typeof domainCode === 'string' ? domainCode : issue.code };
  });
  const summary = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  throw new DomainError('validation', 'ValidationFailed', `invalid ${where}: ${summary}`, { in: where, errors });
}

/** The JSON body (empty = `{}`); 415 for another media type, 400 `MalformedJson` for bad JSON. */
export async function readJsonBody(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new DomainError('unsupported-media', 'UnsupportedMediaType', `send the body as application/json (got ${type || 'no content type'})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new DomainError('validation', 'MalformedJson', 'request body is not valid JSON', { in: 'body', errors: [{ path: '(root)', pointer: '', message: 'not valid JSON', code: 'MalformedJson' }] });
  }
}
