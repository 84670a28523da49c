/**
 * Modelled production downtime of a run, measured from what it recorded: the installs it started
 * (their down intervals) and when the primary hostname moved (the move-production step of option 2).
 */
import { productionDowntimeMs, type Interval } from '../core/downtime.js';
import type { AppContext } from '../../platform/app/context.js';
import { inventoryOf } from './appliance-drivers.js';
import { listAudit, requireRun } from './run-store.js';

export async function modelledDowntime(ctx: AppContext, runId: string) {
  const run = await requireRun(ctx, runId);
  const members = [run.primaryId, ...(run.backupId ? [run.backupId] : [])];
  const outages: Record<string, Interval[]> = {};
  for (const id of members) {
    outages[id] = (await inventoryOf(ctx).installHistory(id))
      .filter((r) => r.requestKey?.startsWith(`${runId}:`))
      .map((r) => ({ from: Date.parse(r.startedAt), to: Date.parse(r.onlineAt) }));
  }
  const audit = await listAudit(ctx, runId);
  const start = Date.parse(audit[0]?.at ?? run.createdAt);
  const end = Math.max(...audit.map((e) => Date.parse(e.at)), ...Object.values(outages).flat().map((o) => o.to));
  const serving = [{ applianceId: run.primaryId, at: start }];
  const moved = audit.find((e) => e.step === 'w1#move-production' && e.outcome === 'succeeded');
  if (moved && run.backupId) serving.push({ applianceId: run.backupId, at: Date.parse(moved.at) });
  const toMinutes = (ms: number) => Math.round((ms / ctx.config.msPerModelledMinute) * 10) / 10;
  return {
    runId,
    option: run.option,
    productionDowntimeMinutes: toMinutes(productionDowntimeMs(serving, outages, start, end)),
    applianceDowntimeMinutes: Object.fromEntries(Object.entries(outages).map(([id, list]) => [id, toMinutes(list.reduce((n, o) => n + o.to - o.from, 0))])),
  };
}
