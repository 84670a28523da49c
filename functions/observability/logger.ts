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

const writeLine = (record: LogRecord) => {
  const line = `${JSON.stringify(record)}\n`;
  if (record.level === 'ERROR' || record.level === 'CRITICAL') process.stderr.write(line);
  else process.stdout.write(line);
};

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

const writePretty = (record: LogRecord) => {
  const line = `${prettyLine(record)}\n`;
  if (record.level === 'ERROR' || record.level === 'CRITICAL') process.stderr.write(line);
  else process.stdout.write(line);
};

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

class ControlPlaneLogger extends Logger {
  protected override printLog(_level: number, item: LogItem): void {
    item.prepareForPrint();
    // Through Powertools' own JSON replacer first: errors, sets, maps and bigints come out as Powertools prints them.
    const attributes = JSON.parse(JSON.stringify(item.getAttributes(), this.getJsonReplacer())) as Record<string, unknown>;
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
