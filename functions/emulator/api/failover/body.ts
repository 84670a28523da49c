import type { Context } from 'hono';
import * as z from 'zod/mini';
import { validationError } from '../../../platform/core/errors.js';
import '../../../platform/core/validation.js';
import type { AppEnv } from '../../../platform/api/http.js';

/** The appliance UI posts forms with 0/1 flags; JSON clients send booleans. Both are accepted. */
export const flag = z.pipe(
  z.transform((v: unknown) => (v === '1' || v === 1 || v === 'true' ? true : v === '0' || v === 0 || v === 'false' ? false : v)),
  z.boolean(),
);

/**
 * Parses the request body (JSON or form-encoded; empty means `{}`) with `schema`. Bad input is a
 * 400 with the failing fields listed, before any state is read or changed.
 */
export async function parseBody<T extends z.ZodMiniType>(c: Context<AppEnv>, schema: T): Promise<z.infer<T>> {
  const type = c.req.header('content-type') ?? '';
  let raw: unknown = {};
  if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
    raw = await c.req.parseBody();
  } else {
    const text = await c.req.text();
    try {
      if (text.trim() !== '') raw = JSON.parse(text);
    } catch {
      throw validationError('MalformedJson', 'request body is not valid JSON');
    }
  }
  return validate(schema, raw);
}

export function validate<T extends z.ZodMiniType>(schema: T, raw: unknown): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
    throw validationError('InvalidRequest', `invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
  }
  return parsed.data;
}
