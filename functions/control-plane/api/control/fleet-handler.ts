import { pendingUpdates } from '../../core/plan.js';
import { resolveWindow } from '../../../platform/core/schedule.js';
import { inventoryOf, requireAppliance } from '../../app/appliance-drivers.js';
import { controlSettings } from '../../app/control-settings.js';
import { listPackages, listPairs, planFor, requirePair } from '../../app/fleet.js';
import { listRuns } from '../../app/run-store.js';
import { controlRoute } from './control-route.js';
import * as S from './schemas.js';

const withUpdates = async (ctx: Parameters<typeof listPackages>[0]) => {
  const packages = await listPackages(ctx);
  return <T extends { productVersion: string; baseVersion: string }>(a: T) => ({ ...a, pendingUpdates: pendingUpdates(a, packages) });
};

export const fleetRoutes = [
  controlRoute({
    method: 'GET',
    path: '/v1/me',
    role: 'viewer',
    summary: 'The operator behind the token, with roles',
    response: { status: 200, schema: S.Me },
    handle: async ({ operator }) => ({ status: 200, body: { operator, forbidSelfApproval: controlSettings().forbidSelfApproval } }),
  }),
  controlRoute({
    method: 'GET',
    path: '/v1/appliances',
    role: 'viewer',
    summary: 'Fleet overview: versions, roles, sync state, pending updates',
    response: { status: 200, schema: S.ApplianceList },
    handle: async ({ ctx }) => {
      const [appliances, annotate] = await Promise.all([inventoryOf(ctx).listAppliances(), withUpdates(ctx)]);
      return { status: 200, body: { appliances: appliances.sort((a, b) => a.applianceId.localeCompare(b.applianceId)).map(annotate) } };
    },
  }),
  controlRoute({
    method: 'GET',
    path: '/v1/appliances/:applianceId',
    role: 'viewer',
    summary: 'One appliance with its pending updates',
    params: S.ApplianceIdParams,
    response: { status: 200, schema: S.ApplianceOnly },
    handle: async ({ ctx, params }) => {
      const [appliance, annotate] = await Promise.all([requireAppliance(ctx, params.applianceId), withUpdates(ctx)]);
      return { status: 200, body: { appliance: annotate(appliance) } };
    },
  }),
  controlRoute({
    method: 'GET',
    path: '/v1/pairs',
    role: 'viewer',
    summary: 'Failover pairs with both appliances and sync state',
    response: { status: 200, schema: S.PairList },
    handle: async ({ ctx }) => ({ status: 200, body: { pairs: await listPairs(ctx) } }),
  }),
  controlRoute({
    method: 'GET',
    path: '/v1/pairs/:pairId',
    role: 'viewer',
    summary: 'Pair detail: appliances, backups and recent runs',
    params: S.PairIdParams,
    response: { status: 200, schema: S.PairDetail },
    handle: async ({ ctx, params }) => {
      const pair = await requirePair(ctx, params.pairId);
      const ids = new Set(pair.appliances.map((a) => a.applianceId));
      const [{ runs }, backups] = await Promise.all([listRuns(ctx, { limit: 200 }), Promise.all(pair.appliances.map((a) => inventoryOf(ctx).listBackups(a.applianceId)))]);
      return {
        status: 200,
        body: { pair, runs: runs.filter((r) => r.pairId === pair.pairId || ids.has(r.primaryId)), backups: backups.flat().sort((a, b) => b.createdAt.localeCompare(a.createdAt)) },
      };
    },
  }),
  controlRoute({
    method: 'GET',
    path: '/v1/packages',
    role: 'viewer',
    summary: 'Package catalog with prerequisites',
    response: { status: 200, schema: S.PackageList },
    handle: async ({ ctx }) => ({ status: 200, body: { packages: (await listPackages(ctx)).sort((a, b) => a.packageId.localeCompare(b.packageId)) } }),
  }),
  controlRoute({
    method: 'POST',
    path: '/v1/plans',
    role: 'viewer',
    summary: 'Dry run: steps, production downtime and risks of option 1 and option 2 (or single), with a recommendation',
    body: S.PlanRequest,
    response: { status: 200, schema: S.Plan },
    handle: async ({ ctx, body }) => {
      const windows = body.windows?.map(resolveWindow).map((w) => ({ start: w.start, durationMinutes: w.durationMinutes, timeZone: w.timeZone }));
      return { status: 200, body: (await planFor(ctx, { ...body, windows, windowMinutes: body.windowMinutes ?? windows?.map((w) => w.durationMinutes) })).plan };
    },
  }),
];
