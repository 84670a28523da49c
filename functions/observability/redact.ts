/**
 * Secrets never reach a log line: values under sensitive keys are replaced, and strings are scrubbed of
 * bearer credentials, `key=value` pairs of sensitive parameters (query strings, form bodies) and JWTs.
 * Pure; applied by the logger to every record just before it is written.
 */

export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear (compared lowercased, `-` and `_` ignored). */
const SENSITIVE_KEYS = new Set(
  [
    'password',
    'passwd',
    'client_secret',
    'secret',
    'access_token',
    'refresh_token',
    'id_token',
    'token',
    'authorization',
    'cookie',
    'set-cookie',
    'x-api-key',
    'code_verifier',
    'private_key',
  ].map(normalizeKey),
);

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

export const isSensitiveKey = (key: string) => SENSITIVE_KEYS.has(normalizeKey(key));

/** `Bearer abc`, `Basic abc` (an Authorization value quoted inside a message). */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
/** `password=...` in a query string or form body, also URL-encoded keys (`client%5Fsecret`). */
const PARAM = /\b(password|passwd|client_secret|client%5Fsecret|access_token|refresh_token|id_token|token|code_verifier)=([^&\s"']*)/gi;
/** A compact JWS (three base64url parts, header starting `{"`). */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

export function redactString(text: string): string {
  return text
    .replace(AUTH_SCHEME, (_, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(PARAM, (_, key: string) => `${key}=${REDACTED}`)
    .replace(JWT, REDACTED);
}

/** A copy of `value` with every secret replaced; cycles and depth are bounded. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value) || depth > 8) return '[truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v, depth + 1, seen);
  }
  return out;
}
