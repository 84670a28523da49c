/**
 * The live traffic generator through the control API (issue 14): read its settings and counters, change them
 * (operator, audited under the audit id `traffic`), and measure a run now (downtime per window, reconciliation).
 * Only the local runtime runs a generator; elsewhere these answer 409 TrafficUnavailable.
 */
import * as z from 'zod';
import { conflict } from '../../core/errors.js';
import type { AppContext } from '../../app/context.js';
import { listAudit, requireRun } from '../../app/run-store.js';
import { controlRoute } from './control-route.js';
import { RunIdParams, RunTraffic, schemas } from './schemas.js';

const named = <T extends z.ZodType>(id: string, schema: T): T => {
  schemas.add(schema, { id });
  return schema;
};

const Settings = z.object({
  sessionsPerHour: z.number().min(0).max(100_000).describe('Session requests per modelled hour per site (Poisson); 0 = off'),
  medianSessionMinutes: z.number().min(0.1).max(240).describe('Median session length, modelled minutes (log-normal)'),
  sessionLengthSigma: z.number().min(0).max(3),
  representativesPerTeam: z.number().int().min(1).max(100),
  seed: z.number().int().min(0).max(2 ** 31),
});
const TrafficStatus = named(
  'TrafficStatus',
  z.object({
    settings: Settings,
    running: z.boolean(),
    sites: z.array(z.string()),
    active: z.number().int(),
    requested: z.number().int(),
    completed: z.number().int(),
    cutOff: z.number().int(),
    failedAttempts: z.number().int(),
    dropped: z.number().int(),
    gaveUp: z.number().int(),
    audit: z.array(z.unknown()).optional(),
  }),
);
const TrafficSettingsRequest = named('TrafficSettingsRequest', Settings.partial().strict());

function generatorOf(ctx: AppContext) {
  if (!ctx.traffic) throw conflict('TrafficUnavailable', 'live traffic runs only in the local runtime');
  return ctx.traffic;
}

export const trafficRoutes = [
  controlRoute({
    method: 'GET',
    path: '/v1/traffic',
    role: 'viewer',
    summary: 'Live traffic generator: settings, counters and the audit of changes',
    response: { status: 200, schema: TrafficStatus },
    handle: async ({ ctx }) => ({ status: 200, body: { ...generatorOf(ctx).status(), audit: await listAudit(ctx, 'traffic') } }),
  }),
  controlRoute({
    method: 'PUT',
    path: '/v1/traffic',
    role: 'operator',
    summary: 'Change the live traffic generator (rate 0 stops new arrivals); audited',
    body: TrafficSettingsRequest,
    response: { status: 200, schema: TrafficStatus },
    handle: async ({ ctx, operator, body }) => ({ status: 200, body: await generatorOf(ctx).configure(body, operator.operatorId) }),
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/runs/:runId/traffic',
    role: 'operator',
    summary: "Measure a run's live traffic now: downtime per ended window and the reconciliation with the final primary",
    params: RunIdParams,
    response: { status: 200, schema: RunTraffic },
    handle: async ({ ctx, params }) => {
      const run = await requireRun(ctx, params.runId);
      const traffic = await generatorOf(ctx).measureRun(run.runId, { reconcile: true });
      if (!traffic) throw conflict('NoTrafficSite', `run ${run.runId} has no primary hostname record: the generator addresses sites by their primary hostname`);
      return { status: 200, body: traffic };
    },
  }),
];
