/**
 * The live traffic generator through the control API (issue 14): read its settings and counters, change them
 * (operator, audited under the audit id `traffic`), and measure a run now (downtime per window, reconciliation).
 * Only the local runtime runs a generator; elsewhere these answer 409 TrafficUnavailable.
 */
import * as z from 'zod/mini';
import { integer } from '../../../platform/core/validation.js';
import { conflict } from '../../../platform/core/errors.js';
import type { AppContext } from '../../../platform/app/context.js';
import { listAudit, requireRun } from '../../app/run-store.js';
import { controlRoute } from './control-route.js';
import { RunIdParams, RunTraffic, schemas } from './schemas.js';

const named = <T extends z.ZodMiniType>(id: string, schema: T): T => {
  schemas.add(schema, { id });
  return schema;
};

const Settings = z.object({
  sessionsPerHour: z.number().check(z.gte(0), z.lte(100_000), z.describe('Session requests per modelled hour per site (Poisson); 0 = off')),
  medianSessionMinutes: z.number().check(z.gte(0.1), z.lte(240), z.describe('Median session length, modelled minutes (log-normal)')),
  sessionLengthSigma: z.number().check(z.gte(0), z.lte(3)),
  representativesPerTeam: integer(z.gte(1), z.lte(100)),
  seed: integer(z.gte(0), z.lte(2 ** 31)),
});
const TrafficStatus = named(
  'TrafficStatus',
  z.object({
    settings: Settings,
    running: z.boolean(),
    sites: z.array(z.string()),
    active: integer(),
    requested: integer(),
    completed: integer(),
    cutOff: integer(),
    failedAttempts: integer(),
    dropped: integer(),
    gaveUp: integer(),
    lastLoginRefusal: z.optional(z.string()),
    audit: z.optional(z.array(z.unknown())),
  }),
);
const TrafficSettingsRequest = named(
  'TrafficSettingsRequest',
  z.strictObject({
    sessionsPerHour: z.optional(Settings.shape.sessionsPerHour),
    medianSessionMinutes: z.optional(Settings.shape.medianSessionMinutes),
    sessionLengthSigma: z.optional(Settings.shape.sessionLengthSigma),
    representativesPerTeam: z.optional(Settings.shape.representativesPerTeam),
    seed: z.optional(Settings.shape.seed),
  }),
);

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
