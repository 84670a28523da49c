import { createHash } from 'node:crypto';
import { conflict, notFound } from '../../platform/core/errors.js';
import { ConditionFailedError, type StoredItem, queryAll } from '../../platform/core/ports.js';
import type { AuditEvent, Run } from '../core/run.js';
import type { AppContext } from '../../platform/app/context.js';
import { noteRunChange } from './run-telemetry.js';

/**
 * Runs table layout:
 *   RUN#<id> / RUN                     the run (gsi1: RUNS / <createdAt>#<id> for listing)
 *   RUN#<id> / STEP#<window>#<step>    step idempotency record
 *   RUN#<id> / AUDIT#<at>#<n>          audit events, in time order
 */
const runKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: 'RUN' });

const toItem = (run: Run): StoredItem => ({ ...runKey(run.runId), gsi1pk: 'RUNS', gsi1sk: `${run.createdAt}#${run.runId}`, type: 'run', ...run });
function fromItem(item: StoredItem): Run {
  const { pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as Run;
}

export async function createRun(ctx: AppContext, run: Omit<Run, 'version'>): Promise<Run> {
  const created = { ...run, version: 1 };
  try {
    await ctx.records.runs.put(toItem(created), { expectVersion: 0 });
  } catch (e) {
    if (e instanceof ConditionFailedError) throw conflict('RunExists', `run ${run.runId} already exists`);
    throw e;
  }
  return created;
}

export async function getRun(ctx: AppContext, runId: string): Promise<Run | undefined> {
  const item = await ctx.records.runs.get(runKey(runId));
  return item ? fromItem(item) : undefined;
}

export async function requireRun(ctx: AppContext, runId: string): Promise<Run> {
  const run = await getRun(ctx, runId);
  if (!run) throw notFound('RunNotFound', `run ${runId} does not exist`);
  return run;
}

/**
 * Optimistic read-modify-write; `change` may throw a DomainError to refuse without writing, or return the
 * run it was given to change nothing (no write, so repeated idempotent requests do not contend).
 */
export async function updateRun(ctx: AppContext, runId: string, change: (run: Run) => Run | Promise<Run>): Promise<Run> {
  for (let attempt = 0; ; attempt++) {
    const current = await requireRun(ctx, runId);
    const changed = await change(current);
    if (changed === current) return current;
    const next = { ...changed, runId, version: current.version + 1, updatedAt: ctx.clock.now().toISOString() };
    try {
      await ctx.records.runs.put(toItem(next), { expectVersion: current.version });
      noteRunChange(current, next);
      return next;
    } catch (e) {
      if (!(e instanceof ConditionFailedError) || attempt >= 5) throw e;
    }
  }
}

export async function listRuns(ctx: AppContext, options: { limit?: number; cursor?: string } = {}) {
  const page = await ctx.records.runs.query({ index: 'gsi1', pk: 'RUNS', descending: true, limit: options.limit ?? 50, cursor: options.cursor });
  return { runs: page.items.map(fromItem), cursor: page.cursor };
}

export const digestOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value ?? null)).digest('hex');

let auditSequence = 0;
export async function appendAudit(ctx: AppContext, event: Omit<AuditEvent, 'at' | 'inputsDigest'> & { inputs?: unknown; at?: string }): Promise<AuditEvent> {
  const { inputs, ...rest } = event;
  const audit: AuditEvent = { ...rest, at: event.at ?? ctx.clock.now().toISOString(), inputsDigest: digestOf(inputs) };
  // The sequence suffix keeps two events in the same millisecond distinct and ordered.
  const seq = `${process.pid}-${String(++auditSequence).padStart(8, '0')}`;
  await ctx.records.runs.put({ pk: `RUN#${audit.runId}`, sk: `AUDIT#${audit.at}#${seq}`, type: 'audit', ...audit });
  return audit;
}

export async function listAudit(ctx: AppContext, runId: string): Promise<AuditEvent[]> {
  const items = await queryAll(ctx.records.runs, { pk: `RUN#${runId}`, sk: { beginsWith: 'AUDIT#' } });
  return items.map(({ pk: _p, sk: _s, type: _t, ...e }) => e as unknown as AuditEvent);
}

export interface StepRecord {
  status: 'started' | 'succeeded';
  attempts: number;
  output?: unknown;
  startedAt: string;
  endedAt?: string;
}

/**
 * Runs a workflow step at most once to completion per (run, key): a retried or resumed execution gets
 * the stored output instead of repeating the work. A step that crashed after starting runs again, so
 * `work` itself must be idempotent (installs are keyed by run + step for that reason).
 */
export async function runStepOnce<T>(ctx: AppContext, runId: string, key: string, work: () => Promise<T>): Promise<{ output: T; replayed: boolean }> {
  const stepKey = { pk: `RUN#${runId}`, sk: `STEP#${key}` };
  const existing = await ctx.records.runs.get(stepKey);
  if (existing?.status === 'succeeded') return { output: existing.output as T, replayed: true };
  const attempts = Number(existing?.attempts ?? 0) + 1;
  await ctx.records.runs.put({ ...stepKey, type: 'step', status: 'started', attempts, startedAt: ctx.clock.now().toISOString() });
  const output = await work();
  await ctx.records.runs.put({ ...stepKey, type: 'step', status: 'succeeded', attempts, output: output as unknown, startedAt: String(existing?.startedAt ?? ctx.clock.now().toISOString()), endedAt: ctx.clock.now().toISOString() });
  return { output, replayed: false };
}

export async function getStep(ctx: AppContext, runId: string, key: string): Promise<StepRecord | undefined> {
  const item = await ctx.records.runs.get({ pk: `RUN#${runId}`, sk: `STEP#${key}` });
  if (!item) return undefined;
  const { pk: _p, sk: _s, type: _t, ...rest } = item;
  return rest as unknown as StepRecord;
}
