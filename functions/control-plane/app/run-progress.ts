/**
 * Run progress for the control API and console: the run, its step records, schedules and audit trail,
 * reconciled with the workflow engine so a window whose execution ended without reporting (crashed
 * runtime, failed task without a failure handler) does not stay "running" forever.
 */
import { queryAll } from '../../platform/core/ports.js';
import { runPipeline } from '../core/pipeline.js';
import type { MaintenanceWindow, Run, RunWarning, WindowIndex } from '../core/run.js';
import { controlSettings } from './control-settings.js';
import { releaseIfClosed } from './run-holds.js';
import type { AppContext } from '../../platform/app/context.js';
import type { StepRecordView } from '../core/pipeline.js';
import { appendAudit, listAudit, requireRun, updateRun } from './run-store.js';
import { recordWindowOutcome, resolveInDoubtStart, startInDoubt } from './runs.js';
import { schedulesOfRun } from './scheduler.js';
import { failWindow } from './window-outcome.js';

/** A step record as stored; `output` is what the step produced (backup ids, install id, sessions synced, the DNS change...). */
export type StepProgress = StepRecordView;

/**
 * Settles windows whose execution ended without the workflow recording it. A success is recorded. An
 * execution that died (runtime stopped, timeout, failure handler failed) never ran the failure handler,
 * so the run is not closed here: the window is marked interrupted and can be resumed, or, when the run
 * was cancelled, the failure handler runs now (safe state first, then the run is recorded cancelled).
 * Idempotent: a no-op when the workflow already reported.
 */
export async function reconcileRun(ctx: AppContext, run: Run): Promise<Run> {
  let current = run;
  // A window whose execution is gone without an outcome: cancelled runs get their failure handler now,
  // others are marked interrupted (once) so they can be resumed.
  const settleDead = async (w: MaintenanceWindow, ended: string) => {
    if (current.cancelRequested) {
      await failWindow(ctx, run.runId, w.index, { Error: 'RunCancelled', Cause: `${current.cancelRequested.reason} (the window's ${ended} before the cancel was handled)` });
      current = await requireRun(ctx, run.runId);
    } else if (!w.interrupted) {
      current = await markInterrupted(ctx, run.runId, w.index, w.executionArn, ended);
    }
  };
  for (const original of run.windows) {
    let w = original;
    if (startInDoubt(w, ctx.clock.now().getTime())) {
      // Its caller died before StartExecution answered: find out whether the execution exists.
      const doubt = await resolveInDoubtStart(ctx, current, w.index);
      if (doubt === 'unknown') continue;
      if (doubt === 'missing') {
        await settleDead(w, 'start never reached Step Functions');
        continue;
      }
      current = await requireRun(ctx, run.runId);
      w = current.windows[w.index - 1]!;
    }
    if (w.status !== 'running' || !w.executionArn) continue;
    let detail;
    try {
      detail = await ctx.workflows.describe(w.executionArn);
    } catch {
      continue; // engine unreachable: report what we know, try again next time
    }
    if (detail.status === 'RUNNING') continue;
    if (detail.status === 'SUCCEEDED') {
      current = await recordWindowOutcome(ctx, run.runId, w.index, { ok: true }, 'reconciler');
      continue;
    }
    await settleDead(w, `execution ${detail.status}${detail.error ? `: ${detail.error}` : ''}${detail.cause ? ` (${detail.cause})` : ''}`);
  }
  // Safety net: a closed run whose holds were not released (it crashed while closing) releases them now.
  return releaseIfClosed(ctx, current);
}

/**
 * The run's warnings: the plan's, kept from creation, and live ones: an interim longer than the limit
 * (the guide: keep the time without failover as short as possible).
 */
export function runWarnings(run: Run, nowMs: number, maxInterimHours: number): RunWarning[] {
  const out = [...(run.warnings ?? [])];
  const w1 = run.windows[0];
  if (run.status === 'interim' && w1?.endedAt) {
    const hours = (nowMs - Date.parse(w1.endedAt)) / 3_600_000;
    if (hours > maxInterimHours) {
      out.push({ code: 'InterimTooLong', message: `the pair has run without failover for ${Math.floor(hours)} h since window 1 ended (limit ${maxInterimHours} h): approve and start window 2, or cancel` });
    }
  }
  return out;
}

async function markInterrupted(ctx: AppContext, runId: string, index: WindowIndex, executionArn: string | undefined, ended: string): Promise<Run> {
  const reason = `window ${index} interrupted: ${ended}${executionArn ? ' without reporting an outcome' : ''}; start the window again to resume it, or cancel the run to restore a safe state`;
  let marked = false;
  const run = await updateRun(ctx, runId, (r) => {
    const w = r.windows[index - 1];
    if (w?.status !== 'running' || w.executionArn !== executionArn || w.interrupted) return r;
    marked = true;
    return { ...r, statusReason: reason, windows: r.windows.map((x) => (x.index === index ? { ...x, interrupted: { at: ctx.clock.now().toISOString(), reason: ended } } : x)) };
  });
  if (marked) await appendAudit(ctx, { runId, step: `window${index}.interrupted`, actor: 'reconciler', outcome: 'failed', inputs: { executionArn }, detail: reason });
  return run;
}

export async function listSteps(ctx: AppContext, runId: string): Promise<StepProgress[]> {
  const items = await queryAll(ctx.records.runs, { pk: `RUN#${runId}`, sk: { beginsWith: 'STEP#' } });
  return items.map((item) => ({
    key: item.sk.slice('STEP#'.length),
    status: String(item.status),
    attempts: Number(item.attempts ?? 1),
    startedAt: item.startedAt as string | undefined,
    endedAt: item.endedAt as string | undefined,
    ...(item.output !== undefined ? { output: item.output } : {}),
  }));
}

export async function runProgress(ctx: AppContext, runId: string) {
  const run = await reconcileRun(ctx, await requireRun(ctx, runId));
  const [steps, schedules, audit] = await Promise.all([listSteps(ctx, runId), schedulesOfRun(ctx, run), listAudit(ctx, runId)]);
  const nowMs = ctx.clock.now().getTime();
  // The run as an ordered pipeline over the plan's steps (core/pipeline.ts): status, timing and outputs per step.
  const pipeline = runPipeline({ run, records: steps, audit, nowMs, msPerModelledMinute: ctx.config.msPerModelledMinute });
  return { run, steps, schedules, audit, pipeline, warnings: runWarnings(run, nowMs, controlSettings().plan.maxInterimHours) };
}
