/**
 * The one logger of both runtimes: AWS Powertools Logger (JSON records with level, message, timestamp,
 * service, X-Ray trace id), extended in one place, `printLog`, so that every record
 * - carries the current request's or step's fields (log-context.ts),
 * - is redacted (redact.ts) after Powertools formatted it (errors included),
 * - goes to a sink: JSON lines on Lambda and when piped, a human-readable line on a terminal, or a test's capture.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { LogLevelThreshold, type LogItem } from '@aws-lambda-powertools/logger';
import { currentLogContext } from './log-context.js';
import { isSensitiveKey, redact, REDACTED, redactString } from './redact.js';

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
let flushTimer: NodeJS.Timeout | undefined;

/**
 * How long a batched line waits at most, and how much may wait: under load a write per event-loop turn was
 * still about one write (a syscall, and a wake-up of the reader) per request; within a few milliseconds many
 * requests share one. Nothing is dropped: the batch is written when the timer fires, when it outgrows the
 * bound, and before the process exits.
 */
export const LOG_FLUSH_MS = 5;
const LOG_FLUSH_BYTES = 64 * 1024;

/** Writes what is batched (called when the batch is due or full, and before the process exits). */
export function flushLogs(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = undefined;
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
  if (pending.out.length + pending.err.length >= LOG_FLUSH_BYTES) flushLogs();
  // unref: a pending batch never keeps the process alive; the exit hook writes it.
  else if (!flushTimer) flushTimer = setTimeout(flushLogs, LOG_FLUSH_MS).unref();
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

/** A flat field value of a direct line (`ControlPlaneLogger.line`). */
export type LineField = string | number | boolean | undefined;

/**
 * Keys of Powertools' own record: its reserved keys (dropped from a line's fields, with a warning) and the
 * attributes it places before a line's fields. A direct line holding one goes through Powertools.
 */
const RESERVED = new Set([
  'level',
  'message',
  'sampling_rate',
  'service',
  'timestamp',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'xray_trace_id',
  'tenant_id',
]);

const timeZone = process.env.TZ?.trim();
/**
 * Whether Powertools' record can be built directly (ControlPlaneLogger.line): off Lambda (no invocation context),
 * no debug sampling, timestamps in UTC (Powertools reads TZ). Anything that later adds to every record (keys,
 * a Lambda context) turns it off for good.
 */
const directAtStart = !process.env.AWS_LAMBDA_FUNCTION_NAME && !process.env.POWERTOOLS_LOGGER_SAMPLE_RATE?.trim() && (!timeZone || timeZone.includes('UTC'));

const SERVICE_NAME = process.env.POWERTOOLS_SERVICE_NAME?.trim() || 'upgrade-cp';

class ControlPlaneLogger extends Logger {
  #direct = directAtStart;

  /**
   * `info`/`warn`/`error(message, fields)` for a line of flat fields (the access line of every request), with
   * the record built here instead of through Powertools' log item: the same record (level, message, timestamp,
   * service, the context, the fields that are not empty; test/unit/observability.test.ts compares the two),
   * redacted and written the same way. Falls back to Powertools whenever its record could differ.
   */
  line(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Record<string, LineField>): void {
    if (!this.#direct || process.env._X_AMZN_TRACE_ID !== undefined) return this.#viaPowertools(level, message, fields);
    if (this.level > LogLevelThreshold[level]) return;
    for (const key in fields) {
      const value = fields[key];
      // A key Powertools would drop or place elsewhere, or a number JSON cannot hold: Powertools' way.
      if (value !== undefined && value !== '' && (RESERVED.has(key) || (typeof value === 'number' && !Number.isFinite(value)))) return this.#viaPowertools(level, message, fields);
    }
    const record: Record<string, unknown> = { level, message, timestamp: new Date().toISOString(), service: SERVICE_NAME, ...currentLogContext() };
    // Powertools leaves out undefined, null and empty strings.
    for (const key in fields) if (fields[key] !== undefined && fields[key] !== '') record[key] = fields[key];
    // Redacted as redact() does a flat record, without building a second copy; a nested context value takes redact() itself.
    for (const key in record) {
      const value = record[key];
      if (typeof value === 'object' && value !== null) return sink(redact(record) as LogRecord);
      if (value !== undefined && value !== null && value !== '' && isSensitiveKey(key)) record[key] = REDACTED;
      else if (typeof value === 'string') record[key] = redactString(value);
    }
    sink(record as LogRecord);
  }

  #viaPowertools(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Record<string, LineField>): void {
    if (level === 'ERROR') this.error(message, fields);
    else if (level === 'WARN') this.warn(message, fields);
    else this.info(message, fields);
  }

  override addContext(...args: Parameters<Logger['addContext']>): void {
    this.#direct = false;
    super.addContext(...args);
  }

  override appendKeys(...args: Parameters<Logger['appendKeys']>): void {
    this.#direct = false;
    super.appendKeys(...args);
  }

  override appendPersistentKeys(...args: Parameters<Logger['appendPersistentKeys']>): void {
    this.#direct = false;
    super.appendPersistentKeys(...args);
  }

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
export const log: ControlPlaneLogger = new ControlPlaneLogger({
  serviceName: SERVICE_NAME,
  logLevel: (checkLogLevel(process.env.LOG_LEVEL) ? undefined : process.env.POWERTOOLS_LOG_LEVEL?.trim() || process.env.LOG_LEVEL?.trim()?.toUpperCase() || 'INFO') as never,
});

/** An error as log fields: name and message always, the stack only for unexpected errors. */
export function errorFields(e: unknown, withStack = false): { error: { name: string; message: string; stack?: string } } {
  const err = e instanceof Error ? e : new Error(String(e));
  return { error: { name: err.name, message: err.message, ...(withStack && err.stack ? { stack: err.stack } : {}) } };
}
