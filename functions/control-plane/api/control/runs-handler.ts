import { isDomainError, preconditionFailed, validationError } from '../../../platform/core/errors.js';
import type { WindowIndex } from '../../core/run.js';
import { formatInZone, resolveWindow } from '../../../platform/core/schedule.js';
import type { AppContext } from '../../../platform/app/context.js';
import { controlSettings } from '../../app/control-settings.js';
import { planFor } from '../../app/fleet.js';
import { downtimeByWindow } from '../../app/run-traffic.js';
import { reconcileRun, runProgress } from '../../app/run-progress.js';
import { appendAudit, getRun, listRuns } from '../../app/run-store.js';
import { acknowledgeRun, approveInterim, cancelNotice, cancelRun, createUpgradeRun, overrideInterim, startRunWindow } from '../../app/runs.js';
import { cancelRunSchedules, listUpcomingSchedules, scheduleRunWindows, supersedeSchedule } from '../../app/scheduler.js';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv } from '../../../platform/api/http.js';
import { controlRoute, etagOf } from './control-route.js';
import * as S from './schemas.js';

/** Runs an action on an existing run; a refusal (403/409/422) is audited with the actor, then re-thrown. */
async function audited<T>(ctx: AppContext, runId: string, step: string, actor: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (e) {
    if (isDomainError(e) && ['forbidden', 'precondition', 'conflict'].includes(e.kind) && (await getRun(ctx, runId))) {
      await appendAudit(ctx, { runId, step, actor, outcome: 'refused', detail: `${e.code}: ${e.message}` });
    }
    throw e;
  }
}

async function detail(ctx: AppContext, runId: string) {
  const progress = await runProgress(ctx, runId);
  const localWindows = progress.run.windows.map((w) => ({
    index: w.index,
    localStart: formatInZone(w.start, w.timeZone),
    localEnd: formatInZone(Date.parse(w.start) + w.durationMinutes * 60_000, w.timeZone),
    timeZone: w.timeZone,
  }));
  const notice = cancelNotice(progress.run);
  return { ...progress, localWindows, ...(notice ? { notice } : {}), ...(progress.run.traffic ? { traffic: progress.run.traffic } : {}) };
}

/** How often a run's event stream looks for changes, and how long one stream lasts before the client reconnects. */
const EVENTS_INTERVAL_MS = 500;
const EVENTS_CLOSED_INTERVAL_MS = 2_000;
const EVENTS_MAX_MS = 5 * 60_000;
const KEEP_ALIVE_MS = 15_000;

/**
 * Server-sent events of one run: `run` events carry the whole detail (id = its ETag) whenever it changes,
 * checked every 0.5 s. Where responses are buffered (API Gateway HTTP API + Lambda) the stream cannot
 * stream: it sends the current detail and a `fallback` event, and the client polls `GET /v1/runs/:id`
 * with If-None-Match instead. The stream ends after 5 minutes with `end` (the client reconnects).
 */
async function runEvents(c: Context<AppEnv>, ctx: AppContext, runId: string): Promise<Response> {
  // Unknown run, bad token: answered as problem+json before any stream starts.
  const first = JSON.stringify(await detail(ctx, runId));
  const since = c.req.header('last-event-id');
  const buffered = c.get('buffered') === true;
  c.header('x-accel-buffering', 'no');
  return streamSSE(c, async (stream) => {
    let aborted = false;
    stream.onAbort(() => {
      aborted = true;
    });
    const startedAt = Date.now();
    let sent = since ?? '';
    let beat = Date.now();
    let text = first;
    for (;;) {
      const tag = etagOf(text);
      if (tag !== sent) {
        await stream.writeSSE({ event: 'run', id: tag, data: text, retry: 2_000 });
        sent = tag;
        beat = Date.now();
      }
      if (buffered) {
        await stream.writeSSE({ event: 'fallback', data: JSON.stringify({ reason: 'this deployment delivers responses whole (API Gateway HTTP API): poll instead', poll: `/v1/runs/${runId}`, intervalMs: 1_000 }) });
        return;
      }
      if (Date.now() - startedAt > EVENTS_MAX_MS) {
        await stream.writeSSE({ event: 'end', data: JSON.stringify({ reconnect: true }) });
        return;
      }
      if (Date.now() - beat > KEEP_ALIVE_MS) {
        await stream.write(': keep-alive\n\n');
        beat = Date.now();
      }
      const closed = (JSON.parse(text) as { run: { status: string } }).run.status;
      await stream.sleep(['succeeded', 'failed', 'cancelled'].includes(closed) ? EVENTS_CLOSED_INTERVAL_MS : EVENTS_INTERVAL_MS);
      if (aborted) return;
      text = JSON.stringify(await detail(ctx, runId));
    }
  }, async (e, stream) => {
    // The client sees the stream end and falls back to polling, which reports the problem itself.
    await stream.writeSSE({ event: 'error', data: JSON.stringify({ detail: isDomainError(e) ? e.message : 'the run could not be read; retrying' }) });
  });
}

export const runRoutes = [
  controlRoute({
    method: 'GET',
    path: '/v1/schedules',
    role: 'viewer',
    summary: 'Maintenance windows that will start by themselves, soonest first (pending schedules)',
    query: S.ListRunsQuery,
    response: { status: 200, schema: S.ScheduleList },
    handle: async ({ ctx, query }) => ({ status: 200, body: await listUpcomingSchedules(ctx, query) }),
  }),
  controlRoute({
    method: 'GET',
    path: '/v1/runs',
    role: 'viewer',
    summary: 'Runs, newest first',
    query: S.ListRunsQuery,
    response: { status: 200, schema: S.RunList },
    handle: async ({ ctx, query }) => ({ status: 200, body: await listRuns(ctx, query) }),
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/runs',
    role: 'operator',
    summary: 'Create a run (option, package, window 1 and window 2) and schedule its windows',
    body: S.CreateRunRequest,
    response: { status: 201, schema: S.CreatedRun },
    handle: async ({ ctx, operator, body }) => {
      const resolved = body.windows.map(resolveWindow);
      const { plan, target, package: pkg } = await planFor(ctx, {
        pairId: body.pairId,
        applianceId: body.applianceId,
        primaryId: body.primaryId,
        backupId: body.backupId,
        packageId: body.packageId,
        windows: resolved.map((w) => ({ start: w.start, durationMinutes: w.durationMinutes, timeZone: w.timeZone })),
      });
      if (body.option === 'single' && target.backup) throw validationError('OptionMismatch', 'a single-appliance run targets one appliance; use option1 or option2 for a pair', { field: 'option' });
      if (body.option !== 'single' && !target.backup) throw validationError('OptionMismatch', `${body.option} upgrades a failover pair; give pairId (or primaryId and backupId)`, { field: 'option' });
      const chosen = plan.options.find((o) => o.option === body.option)!;
      if (plan.nothingToUpgrade) throw preconditionFailed('NothingToUpgrade', `${plan.nothingToUpgrade}; no run is created`);
      if (chosen.blocked) {
        throw preconditionFailed('PlanBlocked', `the ${body.option} plan is blocked: ${chosen.risks.filter((r) => r.severity === 'blocker').map((r) => r.message).join('; ')}`, { risks: chosen.risks });
      }
      const windows = resolved;
      const now = ctx.clock.now().getTime();
      windows.forEach((w, i) => {
        if (Date.parse(w.end) <= now) throw validationError('WindowInPast', `window ${i + 1} ended at ${w.end}; choose a future window`, { field: `windows[${i}]` });
      });
      const run = await createUpgradeRun(
        ctx,
        {
          option: body.option,
          packageId: pkg.packageId,
          targetVersion: pkg.version,
          packageKind: pkg.kind,
          primaryId: target.primary.applianceId,
          backupId: target.backup?.applianceId,
          pairId: target.pairId,
          windows: windows.map((w) => ({ start: w.start, durationMinutes: w.durationMinutes, timeZone: w.timeZone })),
          // The plan's warnings for the chosen option stay on the run (long interim, busy hours, not pre-tested...).
          warnings: chosen.risks.filter((r) => r.severity === 'warning').map((r) => ({ code: r.code, message: r.message })),
          downtimeEstimateMinutes: downtimeByWindow(chosen, windows.length),
          // The run page tracks exactly the steps the operator was shown.
          plannedSteps: chosen.steps,
        },
        operator.operatorId,
      );
      const schedules = body.schedule ? await scheduleRunWindows(ctx, run, operator.operatorId, ctx.windowScheduler) : [];
      return { status: 201, body: { run, schedules, plan } };
    },
  }),
  controlRoute({
    method: 'GET',
    path: '/v1/runs/:runId',
    role: 'viewer',
    summary: 'Run detail: windows, per-step progress, schedules and audit trail',
    params: S.RunIdParams,
    response: { status: 200, schema: S.RunDetail },
    handle: async ({ ctx, params }) => ({ status: 200, body: await detail(ctx, params.runId) }),
  }),
  controlRoute({
    method: 'GET',
    path: '/v1/runs/:runId/events',
    role: 'viewer',
    summary: 'Server-sent events of the run: a `run` event (the detail, id = its ETag) on every change; where responses are buffered (API Gateway) one snapshot and a `fallback` event: poll GET /v1/runs/:runId with If-None-Match',
    params: S.RunIdParams,
    response: { status: 200, schema: S.RunDetail, contentType: 'text/event-stream', description: 'event: run (data: RunDetail), fallback, end, error' },
    respond: async ({ c, ctx, params }) => runEvents(c, ctx, params.runId),
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/runs/:runId/windows/:window/start',
    role: 'operator',
    summary: 'Start a maintenance window now (window 2 needs the interim gate open)',
    params: S.WindowParams,
    response: { status: 202, schema: S.RunOnly },
    handle: async ({ ctx, operator, params }) => {
      const index = params.window as WindowIndex;
      const run = await audited(ctx, params.runId, `window${index}.start`, operator.operatorId, () => startRunWindow(ctx, params.runId, index, operator.operatorId));
      await supersedeSchedule(ctx, params.runId, index, operator.operatorId, ctx.windowScheduler);
      return { status: 202, body: { run } };
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/runs/:runId/approve',
    role: 'approver',
    summary: 'Approve the interim (approver role; by default not the operator who created the run)',
    params: S.RunIdParams,
    body: S.ApproveRequest,
    response: { status: 200, schema: S.RunOnly },
    handle: async ({ ctx, operator, params, body }) => {
      const run = await audited(ctx, params.runId, 'interim.approve', operator.operatorId, () =>
        approveInterim(ctx, params.runId, operator.operatorId, { comment: body.comment, forbidSelfApproval: controlSettings().forbidSelfApproval }),
      );
      return { status: 200, body: { run } };
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/runs/:runId/override',
    role: 'approver',
    summary: 'Open the interim gate despite failing checks (reason required, audited)',
    params: S.RunIdParams,
    body: S.ReasonRequest,
    response: { status: 200, schema: S.RunOnly },
    handle: async ({ ctx, operator, params, body }) => {
      const run = await audited(ctx, params.runId, 'interim.override', operator.operatorId, () => overrideInterim(ctx, params.runId, operator.operatorId, body.reason, { forbidSelfApproval: controlSettings().forbidSelfApproval }));
      return { status: 200, body: { run } };
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/runs/:runId/cancel',
    role: 'operator',
    summary: 'Cancel a run: pending windows are unscheduled; a running window stops at its next step boundary',
    params: S.RunIdParams,
    body: S.ReasonRequest,
    response: { status: 200, schema: S.RunOnly },
    handle: async ({ ctx, operator, params, body }) => {
      const cancelled = await audited(ctx, params.runId, 'run.cancel', operator.operatorId, () => cancelRun(ctx, params.runId, operator.operatorId, body.reason));
      // A window whose execution already died gets its failure handler now (no workflow is left to run it).
      const run = await reconcileRun(ctx, cancelled);
      await cancelRunSchedules(ctx, run, ctx.windowScheduler);
      const notice = cancelNotice(run);
      return { status: 200, body: { run, ...(notice ? { notice } : {}) } };
    },
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/runs/:runId/acknowledge',
    role: 'operator',
    summary: 'Acknowledge the API users prepared for 10.6, or override the Integration Client order (reason required, audited)',
    params: S.RunIdParams,
    body: S.AcknowledgeRequest,
    response: { status: 200, schema: S.RunOnly },
    handle: async ({ ctx, operator, params, body }) => {
      const run = await audited(ctx, params.runId, `run.acknowledge.${body.subject}`, operator.operatorId, () => acknowledgeRun(ctx, params.runId, operator.operatorId, body.subject, body.reason));
      return { status: 200, body: { run } };
    },
  }),
];
