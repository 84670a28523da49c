/**
 * The one logger of both runtimes: AWS Powertools Logger (JSON records with level, message, timestamp,
 * service, X-Ray trace id), extended in one place, `printLog`, so that every record
 * - carries the current request's or step's fields (log-context.ts),
 * - is redacted (redact.ts) after Powertools formatted it (errors included),
 * - goes to a sink: JSON lines on Lambda and when piped, a human-readable line on a terminal, or a test's capture.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItem } from '@aws-lambda-powertools/logger';
import { currentLogContext } from './log-context.js';
import { redact } from './redact.js';

export interface LogRecord {
  level: string;
  message: string;
  timestamp: string;
  [key: string]: unknown;
}
export type LogSink = (record: LogRecord) => void;

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogFormat = 'json' | 'pretty';

/** Valid `LOG_LEVEL` (any case) or a clear message naming the variable. */
export function checkLogLevel(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if ((LOG_LEVELS as readonly string[]).includes(value.trim().toUpperCase())) return undefined;
  return `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ').toLowerCase()}, got "${value}"`;
}

/*
 * Off Lambda, lines written in one turn of the event loop leave in one write (under load one write per line
 * was the largest single cost of a site API call: a syscall each). On Lambda every line is written at once,
 * since the runtime may freeze the process as soon as the handler returns.
 */
const batching = !process.env.AWS_LAMBDA_FUNCTION_NAME;
const pending = { out: '', err: '' };
let flushScheduled = false;

/** Writes what is batched (called at the end of each turn, and before the process exits). */
export function flushLogs(): void {
  flushScheduled = false;
  if (pending.out) process.stdout.write(pending.out);
  if (pending.err) process.stderr.write(pending.err);
  pending.out = pending.err = '';
}

function emit(line: string, toStderr: boolean): void {
  if (!batching) {
    (toStderr ? process.stderr : process.stdout).write(line);
    return;
  }
  if (toStderr) pending.err += line;
  else pending.out += line;
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushLogs);
  }
}
if (batching) process.once('exit', flushLogs);

const isError = (record: LogRecord) => record.level === 'ERROR' || record.level === 'CRITICAL';
const writeLine = (record: LogRecord) => emit(`${JSON.stringify(record)}\n`, isError(record));

const SKIP_IN_PRETTY = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'error']);

/** `12:00:01.250 WARN  request finished method=GET route=/v1/runs status=404 durationMs=3.1` */
export function prettyLine(record: LogRecord): string {
  const time = String(record.timestamp).slice(11, 23);
  const fields = Object.entries(record)
    .filter(([k, v]) => !SKIP_IN_PRETTY.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  const error = record.error as { name?: string; message?: string; stack?: string } | undefined;
  const tail = error ? `\n  ${error.stack ?? `${error.name}: ${error.message}`}` : '';
  return `${time} ${record.level.padEnd(5)} ${record.message}${fields.length ? ` ${fields.join(' ')}` : ''}${tail}`;
}

const writePretty = (record: LogRecord) => emit(`${prettyLine(record)}\n`, isError(record));

/** JSON on Lambda and whenever output is not a terminal; `LOG_FORMAT=json|pretty` overrides. */
export function chosenFormat(env: Record<string, string | undefined> = process.env, tty = Boolean(process.stdout.isTTY)): LogFormat {
  const asked = env.LOG_FORMAT?.trim().toLowerCase();
  if (asked === 'json' || asked === 'pretty') return asked;
  if (env.AWS_LAMBDA_FUNCTION_NAME) return 'json';
  return tty ? 'pretty' : 'json';
}

let sink: LogSink = chosenFormat() === 'pretty' ? writePretty : writeLine;

/** Replaces where records go (tests capture them); returns a function that restores the previous sink. */
export function setLogSink(next: LogSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

export function setLogFormat(format: LogFormat): void {
  sink = format === 'pretty' ? writePretty : writeLine;
}

/** True when `value` is JSON as it stands (no errors, maps, sets, bigints, dates or class instances), so printing it needs no replacer. */
function isPlain(value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || depth > 4) return false;
  if (Array.isArray(value)) return value.every((v) => isPlain(v, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const v of Object.values(value)) if (v !== undefined && !isPlain(v, depth + 1)) return false;
  return true;
}

class ControlPlaneLogger extends Logger {
  protected override printLog(_level: number, item: LogItem): void {
    item.prepareForPrint();
    // Through Powertools' own JSON replacer first: errors, sets, maps and bigints come out as Powertools prints them.
    const raw = item.getAttributes() as Record<string, unknown>;
    // Most lines (access lines, step lines) hold only plain values: skip the JSON round trip for them.
    const attributes = isPlain(raw, 0) ? { ...raw } : (JSON.parse(JSON.stringify(raw, this.getJsonReplacer())) as Record<string, unknown>);
    const { level, message, timestamp, service, ...rest } = attributes;
    // Context first, then the line's own fields; Powertools' keys lead so every line starts the same way.
    const record = { level, message, timestamp, service, ...currentLogContext(), ...rest } as LogRecord;
    if (record.sampling_rate === 0 || record.sampling_rate === undefined) delete record.sampling_rate;
    sink(redact(record) as LogRecord);
  }
}

/** The process logger (level from `POWERTOOLS_LOG_LEVEL` / `LOG_LEVEL`, default INFO). */
export const log: Logger = new ControlPlaneLogger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME?.trim() || 'upgrade-cp',
  logLevel: (checkLogLevel(process.env.LOG_LEVEL) ? undefined : process.env.POWERTOOLS_LOG_LEVEL?.trim() || process.env.LOG_LEVEL?.trim()?.toUpperCase() || 'INFO') as never,
});

/** An error as log fields: name and message always, the stack only for unexpected errors. */
export function errorFields(e: unknown, withStack = false): { error: { name: string; message: string; stack?: string } } {
  const err = e instanceof Error ? e : new Error(String(e));
  return { error: { name: err.name, message: err.message, ...(withStack && err.stack ? { stack: err.stack } : {}) } };
}
