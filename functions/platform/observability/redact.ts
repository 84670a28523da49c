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

// Every log line asks about the same few keys: remember the answers (bounded, keys may come from input).
const keyVerdicts = new Map<string, boolean>();
export function isSensitiveKey(key: string): boolean {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = SENSITIVE_KEYS.has(normalizeKey(key));
    if (keyVerdicts.size >= 1_000) keyVerdicts.clear();
    keyVerdicts.set(key, verdict);
  }
  return verdict;
}

/** `Bearer abc`, `Basic abc` (an Authorization value quoted inside a message). */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
/** `password=...` in a query string or form body, also URL-encoded keys (`client%5Fsecret`). */
const PARAM = /\b(password|passwd|client_secret|client%5Fsecret|access_token|refresh_token|id_token|token|code_verifier)=([^&\s"']*)/gi;
/** A compact JWS (three base64url parts, header starting `{"`). */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/**
 * Every match of the three patterns holds `=` (PARAM), `eyJ` (JWT) or a scheme name (AUTH_SCHEME): a string
 * with none of them is returned as it is, without running the replacements (most log fields).
 */
const MAYBE_SECRET = /=|eyJ|bearer|basic/i;

export function redactString(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
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
