/**
 * The suite's log capture: the process logger (and, where a test asks, the EMF writer) go to an in-memory
 * capture instead of the terminal (installed by the setup file test/setup/log-scan.ts, which also scans every
 * captured line for secrets when a test file ends). Importable outside vitest (benches use process.ts).
 */
import type { LogRecord } from '../../functions/platform/observability/logger.js';
import { setEmfSink } from '../../functions/platform/observability/metrics.js';

const MAX_KEPT = 100_000;
export const captured = { records: [] as LogRecord[], emf: [] as Record<string, unknown>[], external: [] as string[], dropped: 0 };
const knownSecrets = new Set<string>();

/** The log sink the setup file installs. */
export function captureRecord(record: LogRecord): void {
  if (captured.records.length < MAX_KEPT) captured.records.push(record);
  else captured.dropped++;
}
/** EMF documents are captured only where a test asks (building them costs CPU on every flush). */
export function captureEmf(): () => void {
  return setEmfSink((document) => {
    if (captured.emf.length < MAX_KEPT) captured.emf.push(document as Record<string, unknown>);
  });
}

/** A secret the test created (client secret, access token): found verbatim in a log line, it fails the file. */
export function noteSecret(secret: string | undefined): void {
  if (secret && secret.length >= 8) knownSecrets.add(secret);
}

/** Output of a child process (a spawned runtime or CLI), scanned like the in-process lines. */
export function captureExternal(text: string): void {
  if (captured.external.length < MAX_KEPT) captured.external.push(text);
}

/** Records logged from now on (for assertions on what one action logged). */
export function recordsSince(mark: number): LogRecord[] {
  return captured.records.slice(mark);
}
export const mark = () => captured.records.length;

const mixed = (s: string) => /[a-z]/.test(s) && /[A-Z]/.test(s) && /\d/.test(s);

/** Shapes of the secrets this system issues, and unredacted credential fields. */
const PATTERNS: { name: string; re: RegExp; keep?: (m: string) => boolean }[] = [
  { name: 'bearer credential', re: /\b(?:Bearer|Basic)\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}/g },
  { name: 'operator token', re: /\bucp_[A-Za-z0-9_-]{20,}/g },
  { name: 'fixed test or demo token', re: /\b(?:demo|test)-[a-z]+-token(?:-[0-9a-z]+)?\b/g },
  { name: 'JWT', re: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/g },
  { name: 'credential field', re: /"(?:password|client_secret|clientSecret|access_token|accessToken|refresh_token|id_token|authorization|token|code_verifier)":"(?!\[redacted\])[^"]+"/gi },
  { name: 'credential parameter', re: /\b(?:password|client_secret|access_token|refresh_token|code_verifier)=(?!\[redacted\])[^&\s"']+/gi },
  // Appliance access tokens are 40 alphanumerics; client secrets 43 base64url characters (32 random bytes).
  { name: 'appliance access token', re: /(?<![A-Za-z0-9])[A-Za-z0-9]{40}(?![A-Za-z0-9])/g, keep: mixed },
  { name: 'client secret', re: /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, keep: mixed },
];

/** Every secret-looking match in `lines`, with the pattern that found it. */
export function findSecrets(lines: readonly string[], known: Iterable<string> = knownSecrets): { pattern: string; match: string; line: string }[] {
  const found: { pattern: string; match: string; line: string }[] = [];
  const secrets = [...known];
  for (const line of lines) {
    for (const p of PATTERNS) {
      for (const m of line.matchAll(p.re)) if (!p.keep || p.keep(m[0])) found.push({ pattern: p.name, match: m[0], line: line.slice(0, 300) });
    }
    for (const s of secrets) if (line.includes(s)) found.push({ pattern: 'known secret', match: s, line: line.slice(0, 300) });
  }
  return found;
}

export const capturedLines = () => [...captured.records.map((r) => JSON.stringify(r)), ...captured.emf.map((d) => JSON.stringify(d)), ...captured.external];

