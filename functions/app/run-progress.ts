/**
 * Run progress for the control API and console: the run, its step records, schedules and audit trail,
 * reconciled with the workflow engine so a window whose execution ended without reporting (crashed
 * runtime, failed task without a failure handler) does not stay "running" forever.
 */
import { queryAll } from '../core/ports.js';
import type { Run } from '../core/run.js';
import type { AppContext } from './context.js';
import { listAudit, requireRun } from './run-store.js';
import { recordWindowOutcome } from './runs.js';
import { schedulesOfRun } from './scheduler.js';

export interface StepProgress {
  key: string;
  status: string;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
}

/** Records the outcome of windows whose execution finished; idempotent, a no-op when the workflow already did. */
export async function reconcileRun(ctx: AppContext, run: Run): Promise<Run> {
  let current = run;
  for (const w of run.windows) {
    if (w.status !== 'running' || !w.executionArn) continue;
    let detail;
    try {
      detail = await ctx.workflows.describe(w.executionArn);
    } catch {
      continue; // engine unreachable: report what we know, try again next time
    }
    if (detail.status === 'RUNNING') continue;
    const ok = detail.status === 'SUCCEEDED';
    current = await recordWindowOutcome(ctx, run.runId, w.index, ok ? { ok } : { ok, error: `execution ${detail.status}${detail.error ? `: ${detail.error}` : ''}${detail.cause ? ` (${detail.cause})` : ''}` }, 'reconciler');
  }
  return current;
}

export async function listSteps(ctx: AppContext, runId: string): Promise<StepProgress[]> {
  const items = await queryAll(ctx.records.runs, { pk: `RUN#${runId}`, sk: { beginsWith: 'STEP#' } });
  return items.map((item) => ({ key: item.sk.slice('STEP#'.length), status: String(item.status), attempts: Number(item.attempts ?? 1), startedAt: item.startedAt as string | undefined, endedAt: item.endedAt as string | undefined }));
}

export async function runProgress(ctx: AppContext, runId: string) {
  const run = await reconcileRun(ctx, await requireRun(ctx, runId));
  const [steps, schedules, audit] = await Promise.all([listSteps(ctx, runId), schedulesOfRun(ctx, run), listAudit(ctx, runId)]);
  return { run, steps, schedules, audit };
}
