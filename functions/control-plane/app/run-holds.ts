/**
 * The control plane's side of maintenance holds: a run holds every appliance it drives from creation
 * until it closes, so a direct install or failover change on them is refused (409 naming the run). The
 * token lives in the runs table next to the run (never in the run record the API returns); the appliance
 * keeps only its hash. Holds lapse by themselves a day after the run's last window, and every start
 * renews them, so a control plane that dies cannot lock an appliance forever.
 */
import { randomBytes } from 'node:crypto';
import { isDomainError } from '../../platform/core/errors.js';
import { isClosed, type Run } from '../core/run.js';
import type { AppContext } from '../../platform/app/context.js';
import { driverOf } from './appliance-drivers.js';
import { updateRun } from './run-store.js';

const HOLD_GRACE_MS = 24 * 3_600_000;
const tokenKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: 'HOLD-TOKEN' });

/** The run's hold token, created on first use (a retried creation finds the same one). */
export async function holdTokenOf(ctx: AppContext, runId: string): Promise<string> {
  const existing = await ctx.records.runs.get(tokenKey(runId));
  if (existing) return String(existing.token);
  const token = randomBytes(32).toString('base64url');
  try {
    await ctx.records.runs.put({ ...tokenKey(runId), type: 'hold-token', token }, { ifNotExists: true });
    return token;
  } catch {
    return String((await ctx.records.runs.get(tokenKey(runId)))?.token);
  }
}

const holdUntil = (run: Pick<Run, 'windows'>, nowMs: number) =>
  new Date(Math.max(nowMs, ...run.windows.map((w) => Date.parse(w.start) + w.durationMinutes * 60_000)) + HOLD_GRACE_MS).toISOString();

/** Places (or renews) the run's hold on each appliance; on a refusal, the holds it placed are given back. */
export async function holdRunAppliances(ctx: AppContext, run: Pick<Run, 'runId' | 'windows'>, applianceIds: string[]): Promise<void> {
  const token = await holdTokenOf(ctx, run.runId);
  const expiresAt = holdUntil(run, ctx.clock.now().getTime());
  const placed: string[] = [];
  try {
    for (const id of applianceIds) {
      await driverOf(ctx, id).hold(id, { owner: run.runId, token, expiresAt });
      placed.push(id);
    }
  } catch (e) {
    for (const id of placed) await driverOf(ctx, id).releaseHold(id, token).catch(() => undefined);
    throw e;
  }
}

/** Releases a closed (or abandoned) run's holds. Idempotent and best effort: an appliance gone or held by another is left. */
export async function releaseRunHolds(ctx: AppContext, run: Run): Promise<Run> {
  if (!run.holds || run.holds.releasedAt) return run;
  await releaseHoldsOf(ctx, run.runId, run.holds.applianceIds);
  return updateRun(ctx, run.runId, (r) => (r.holds && !r.holds.releasedAt ? { ...r, holds: { ...r.holds, releasedAt: ctx.clock.now().toISOString() } } : r));
}

/** Releases the holds `runId` placed on `applianceIds` (best effort, idempotent). */
export async function releaseHoldsOf(ctx: AppContext, runId: string, applianceIds: string[]): Promise<void> {
  const token = await holdTokenOf(ctx, runId);
  for (const id of applianceIds) {
    await driverOf(ctx, id).releaseHold(id, token).catch((e) => {
      if (!isDomainError(e)) throw e;
    });
  }
}

/** After any change that may have closed the run. */
export const releaseIfClosed = async (ctx: AppContext, run: Run): Promise<Run> => (isClosed(run.status) ? releaseRunHolds(ctx, run) : run);
