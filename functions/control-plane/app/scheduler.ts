/**
 * Maintenance-window schedules. Each window of a run gets one schedule record (runs table) that says when
 * its execution starts. DynamoDB is the source of truth in both runtimes:
 * - locally, the runtime's scheduler loop calls `runDueSchedules` (records survive restarts with the data dir);
 * - on AWS, a one-time EventBridge Scheduler schedule (created through `RemoteScheduler`) invokes
 *   `fireSchedule` at the window's start.
 * Firing claims the record with a conditional write first, so a window starts at most once even when two
 * schedulers race; a window whose end has passed is recorded as missed and never started late.
 */
import { isDomainError } from '../../platform/core/errors.js';
import { ConditionFailedError, type StoredItem } from '../../platform/core/ports.js';
import type { Run, WindowIndex } from '../core/run.js';
import { decideFire } from '../../platform/core/schedule.js';
import type { AppContext } from '../../platform/app/context.js';
import { windowScheduleKey } from '../../platform/app/keys.js';
import { appendAudit, updateRun } from './run-store.js';
import { startRunWindow } from './runs.js';
import { errorFields, log } from '../../platform/observability/logger.js';
import { recordMetric } from '../../platform/observability/metrics.js';

export type ScheduleStatus = 'pending' | 'fired' | 'started' | 'refused' | 'missed' | 'cancelled';

export interface WindowSchedule {
  scheduleId: string;
  runId: string;
  window: WindowIndex;
  /** Window start and end instants (ISO). */
  fireAt: string;
  endsAt: string;
  timeZone: string;
  status: ScheduleStatus;
  /** What happened when it fired (execution ARN, refusal or missed reason). */
  outcome?: string;
  firedAt?: string;
  /** Name of the EventBridge schedule, when one was created. */
  remoteName?: string;
  /** The window was started by hand before its time: the schedule was replaced, not failed. */
  supersededBy?: { by: string; at: string };
  version: number;
}

/** Creates and deletes one-time schedules in the cloud (EventBridge Scheduler); absent locally. */
export interface RemoteScheduler {
  create(schedule: { name: string; at: string; payload: { scheduleId: string } }): Promise<void>;
  delete(name: string): Promise<void>;
}

const PENDING = 'SCHEDULES#PENDING';
/** A claim older than this with no outcome means its process died before starting the window. */
const CLAIM_GRACE_MS = 2 * 60_000;
export const scheduleIdOf = (runId: string, window: WindowIndex) => `${runId}-w${window}`;

function toItem(s: WindowSchedule): StoredItem {
  return {
    ...windowScheduleKey(s.scheduleId),
    // Only pending and claimed schedules are in the due index, so the loop's query stays small. A pending one
    // is due at fireAt; a claimed ('fired') one is due again after a grace period, so a process that died
    // between claiming and starting the window is caught up later.
    ...(s.status === 'pending' ? { gsi1pk: PENDING, gsi1sk: `${s.fireAt}#${s.scheduleId}` } : {}),
    ...(s.status === 'fired' && s.firedAt ? { gsi1pk: PENDING, gsi1sk: `${new Date(Date.parse(s.firedAt) + CLAIM_GRACE_MS).toISOString()}#${s.scheduleId}` } : {}),
    type: 'window-schedule',
    ...s,
  };
}
function fromItem(item: StoredItem): WindowSchedule {
  const { pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as WindowSchedule;
}

export async function getSchedule(ctx: AppContext, scheduleId: string): Promise<WindowSchedule | undefined> {
  const item = await ctx.records.runs.get(windowScheduleKey(scheduleId));
  return item ? fromItem(item) : undefined;
}

/**
 * Schedules that will fire: pending ones in start order (the due index), plus claimed ones not yet started.
 * What already fired, missed or was cancelled is on each run (`GET /v1/runs/:id` schedules).
 */
export async function listUpcomingSchedules(ctx: AppContext, options: { limit?: number; cursor?: string } = {}): Promise<{ schedules: WindowSchedule[]; cursor?: string }> {
  const page = await ctx.records.runs.query({ index: 'gsi1', pk: PENDING, limit: options.limit ?? 100, cursor: options.cursor });
  return { schedules: page.items.map(fromItem), cursor: page.cursor };
}

export async function schedulesOfRun(ctx: AppContext, run: Run): Promise<WindowSchedule[]> {
  const found = await Promise.all(run.windows.map((w) => getSchedule(ctx, scheduleIdOf(run.runId, w.index))));
  return found.filter((s): s is WindowSchedule => s !== undefined);
}

/** Creates a schedule for every window of the run (idempotent: existing schedules are kept). */
export async function scheduleRunWindows(ctx: AppContext, run: Run, actor: string, remote?: RemoteScheduler): Promise<WindowSchedule[]> {
  const out: WindowSchedule[] = [];
  for (const w of run.windows) {
    const schedule: WindowSchedule = {
      scheduleId: scheduleIdOf(run.runId, w.index),
      runId: run.runId,
      window: w.index,
      fireAt: w.start,
      endsAt: new Date(Date.parse(w.start) + w.durationMinutes * 60_000).toISOString(),
      timeZone: w.timeZone,
      status: 'pending',
      remoteName: remote ? `upgrade-cp-${scheduleIdOf(run.runId, w.index)}`.slice(0, 64) : undefined,
      version: 1,
    };
    try {
      await ctx.records.runs.put(toItem(schedule), { expectVersion: 0 });
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
      out.push((await getSchedule(ctx, schedule.scheduleId))!);
      continue;
    }
    if (remote && schedule.remoteName) await remote.create({ name: schedule.remoteName, at: schedule.fireAt, payload: { scheduleId: schedule.scheduleId } });
    await appendAudit(ctx, { runId: run.runId, step: `window${w.index}.schedule`, actor, outcome: 'info', inputs: schedule, detail: `starts ${schedule.fireAt} (${w.timeZone}), ends ${schedule.endsAt}` });
    out.push(schedule);
  }
  return out;
}

async function transition(ctx: AppContext, s: WindowSchedule, next: Partial<WindowSchedule>): Promise<WindowSchedule | undefined> {
  const updated = { ...s, ...next, version: s.version + 1 };
  try {
    await ctx.records.runs.put(toItem(updated), { expectVersion: s.version });
    return updated;
  } catch (e) {
    if (e instanceof ConditionFailedError) return undefined; // someone else moved it first
    throw e;
  }
}

/**
 * Acts on one schedule at the clock's now: waits, starts the window, or records it missed.
 * Safe to call any number of times and from several places at once.
 */
export async function fireSchedule(ctx: AppContext, scheduleId: string, actor = 'scheduler'): Promise<WindowSchedule | undefined> {
  const s = await getSchedule(ctx, scheduleId);
  const now = ctx.clock.now();
  const abandoned = s?.status === 'fired' && !!s.firedAt && now.getTime() - Date.parse(s.firedAt) >= CLAIM_GRACE_MS;
  if (!s || (s.status !== 'pending' && !abandoned)) return s;
  const decision = decideFire({ start: s.fireAt, end: s.endsAt }, now.getTime());
  if (decision.action === 'wait') return s;
  if (decision.action === 'missed') {
    const missed = await transition(ctx, s, { status: 'missed', outcome: decision.reason, firedAt: now.toISOString() });
    if (!missed) return getSchedule(ctx, scheduleId);
    await updateRun(ctx, s.runId, (r) => ({
      ...r,
      windows: r.windows.map((w) => (w.index === s.window && w.status === 'scheduled' ? { ...w, status: 'missed', error: decision.reason } : w)),
    })).catch((e) => {
      if (!isDomainError(e)) throw e;
    });
    await appendAudit(ctx, { runId: s.runId, step: `window${s.window}.missed`, actor, outcome: 'skipped', inputs: { scheduleId }, detail: decision.reason });
    log.warn('schedule fired: window missed', { scheduleId, runId: s.runId, window: s.window, actor, reason: decision.reason });
    return missed;
  }
  const claimed = await transition(ctx, s, { status: 'fired', firedAt: now.toISOString() });
  if (!claimed) return getSchedule(ctx, scheduleId);
  try {
    const run = await startRunWindow(ctx, s.runId, s.window, actor);
    log.info('schedule fired: window started', { scheduleId, runId: s.runId, window: s.window, actor, executionArn: run.windows[s.window - 1]?.executionArn });
    return (await transition(ctx, claimed, { status: 'started', outcome: run.windows[s.window - 1]?.executionArn })) ?? claimed;
  } catch (e) {
    if (!isDomainError(e)) {
      // Transient (throttling, a store error): the window was put back as it was; the next tick tries again.
      const why = `${(e as Error).name}: ${(e as Error).message}`;
      await appendAudit(ctx, { runId: s.runId, step: `window${s.window}.schedule`, actor, outcome: 'failed', inputs: { scheduleId }, detail: `${why}; will retry` });
      log.error('schedule fired: window did not start, will retry', { scheduleId, runId: s.runId, window: s.window, actor, ...errorFields(e, true) });
      return (await transition(ctx, claimed, { status: 'pending', outcome: why, firedAt: undefined })) ?? claimed;
    }
    // A refusal (run cancelled, window already started by hand, interim gate closed) is an answer, not a loop crash.
    const why = `${e.code}: ${e.message}`;
    await appendAudit(ctx, { runId: s.runId, step: `window${s.window}.schedule`, actor, outcome: 'refused', inputs: { scheduleId }, detail: why });
    log.warn('schedule fired: window refused', { scheduleId, runId: s.runId, window: s.window, actor, errorCode: e.code, reason: e.message });
    if (e.code === 'InterimGateClosed') recordMetric('InterimGateRefusals', 1, {}, { source: 'scheduler', runId: s.runId });
    return (await transition(ctx, claimed, { status: 'refused', outcome: why })) ?? claimed;
  }
}

/** Fires every pending schedule whose start has come (local loop; also catches up after a restart). */
export async function runDueSchedules(ctx: AppContext, actor = 'scheduler'): Promise<WindowSchedule[]> {
  const now = ctx.clock.now().toISOString();
  const acted: WindowSchedule[] = [];
  let cursor: string | undefined;
  do {
    // `~` sorts after `#`, so every schedule due at `now` or earlier is included.
    const page = await ctx.records.runs.query({ index: 'gsi1', pk: PENDING, sk: { lte: `${now}~` }, cursor });
    for (const item of page.items) {
      const result = await fireSchedule(ctx, String(item.scheduleId), actor);
      if (result && result.status !== 'pending') acted.push(result);
    }
    cursor = page.cursor;
  } while (cursor);
  return acted;
}

/** Cancels the run's pending schedules (run cancelled). */
export async function cancelRunSchedules(ctx: AppContext, run: Run, remote?: RemoteScheduler): Promise<void> {
  for (const s of await schedulesOfRun(ctx, run)) {
    if (s.status !== 'pending') continue;
    const cancelled = await transition(ctx, s, { status: 'cancelled', outcome: 'run cancelled' });
    if (cancelled && remote && s.remoteName) await remote.delete(s.remoteName);
  }
}

/** A window started by hand before its schedule fired: the schedule stands down instead of being refused later. */
export async function supersedeSchedule(ctx: AppContext, runId: string, window: WindowIndex, actor: string, remote?: RemoteScheduler): Promise<void> {
  const s = await getSchedule(ctx, scheduleIdOf(runId, window));
  if (!s || s.status !== 'pending') return;
  const done = await transition(ctx, s, { status: 'cancelled', outcome: `window started by ${actor} before its schedule`, supersededBy: { by: actor, at: ctx.clock.now().toISOString() } });
  if (done && remote && s.remoteName) await remote.delete(s.remoteName);
}
