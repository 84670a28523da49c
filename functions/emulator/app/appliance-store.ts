import type { Appliance } from '../../platform/core/appliance.js';
import { conflict, notFound } from '../../platform/core/errors.js';
import { SETTINGS_FIELDS } from '../../platform/core/backup-rules.js';
import { estimateInstallMinutes } from '../../platform/core/install.js';
import { settle, type Settlement } from '../core/install.js';
import { log } from '../../platform/observability/logger.js';
import { recordMetric } from '../../platform/observability/metrics.js';
import { ConditionFailedError, type StoredItem, queryAll } from '../../platform/core/ports.js';
import type { AppContext } from '../../platform/app/context.js';
import { installRecordFrom, recordInstallOutcome } from './install-records.js';
import { applianceKey } from '../../platform/app/keys.js';
import { memoPerStore } from '../../platform/app/memo.js';
import { migrateSessionsTo106 } from './session-store.js';
import { flagConsolesAfterUpgrade } from './staff-console-store.js';

const FLEET = 'FLEET';

function toItem(a: Appliance): StoredItem {
  return { ...applianceKey(a.applianceId), gsi1pk: FLEET, gsi1sk: a.applianceId, type: 'appliance', ...a };
}

function fromItem(item: StoredItem): Appliance {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as Appliance;
}

/**
 * The appliance as it is now. An install in progress is settled lazily: once the clock passes a phase
 * boundary the new state is written once (optimistic version), and when it passes `onlineAt` the final
 * state is written after its effects (install record outcome, staff consoles flagged, sessions migrated
 * when crossing 10.6), which are idempotent so concurrent readers may both run them safely.
 */
export async function getAppliance(ctx: AppContext, applianceId: string): Promise<Appliance | undefined> {
  for (let attempt = 0; ; attempt++) {
    const item = await ctx.records.appliances.get(applianceKey(applianceId));
    if (!item) return undefined;
    const stored = fromItem(item);
    if (!stored.install) return stored;
    const now = ctx.clock.now();
    const settlement = settle(stored, now);
    if (!settlement.changed) return stored;
    if (settlement.finished) await applySettlementEffects(ctx, stored, settlement);
    const next = { ...settlement.appliance, version: stored.version + 1, updatedAt: now.toISOString() };
    try {
      noteWrite(ctx, applianceId);
      await ctx.records.appliances.put(toItem(next), { expectVersion: stored.version });
      if (settlement.finished) noteInstallSettled(ctx, stored, settlement);
      return next;
    } catch (e) {
      // Another reader settled it (or a writer changed it) first: read again.
      if (!(e instanceof ConditionFailedError) || attempt >= 5) throw e;
    }
  }
}

/** Install minutes beside the estimate, once per install (only the reader whose write settled it gets here). */
function noteInstallSettled(ctx: AppContext, before: Appliance, s: Settlement): void {
  const install = before.install!;
  const finished = s.finished!;
  const minutes = Math.round(((Date.parse(install.onlineAt) - Date.parse(install.startedAt)) / ctx.config.msPerModelledMinute) * 10) / 10;
  const estimate = estimateInstallMinutes(before);
  const meta = { applianceId: before.applianceId, installId: finished.installId, packageId: finished.packageId, outcome: finished.outcome };
  recordMetric('InstallMinutes', minutes, {}, meta);
  recordMetric('InstallEstimateMinutes', estimate, {}, meta);
  recordMetric('InstallOverEstimateMinutes', Math.max(0, minutes - estimate), {}, meta);
  log.info('install finished', { ...meta, minutes, estimateMinutes: estimate });
}

async function applySettlementEffects(ctx: AppContext, before: Appliance, s: Settlement): Promise<void> {
  const finished = s.finished!;
  const install = before.install!;
  await recordInstallOutcome(ctx, before.applianceId, finished, installRecordFrom(before.applianceId, { ...install, installId: finished.installId }));
  if (finished.outcome === 'online' && finished.packageKind === 'product') {
    await flagConsolesAfterUpgrade(ctx, before.applianceId, finished.targetVersion, finished.finishedAt);
  }
  if (s.crossed106) await migrateSessionsTo106(ctx, before.applianceId);
}

/**
 * Site requests (the XML APIs, the site's pages) may answer from an appliance record read at most this long
 * ago: a client calling in a loop then costs no store read. In this process every write through this module
 * drops the copy at once; another process (another Lambda instance) sees a change within this time. A copy
 * whose install has passed a phase boundary is never used: the read goes through `getAppliance`, which
 * settles it (so the site goes down, and comes back at the new version, exactly when the model says).
 */
export const SITE_SNAPSHOT_MS = 1_000;
const snapshots = memoPerStore<Appliance>(SITE_SNAPSHOT_MS);
/** Writes begun per appliance and store: a read that overlaps one is not kept (it may hold the older record). */
const writesByStore = new WeakMap<object, Map<string, number>>();

function writesOf(ctx: AppContext): Map<string, number> {
  let writes = writesByStore.get(ctx.records.appliances);
  if (!writes) writesByStore.set(ctx.records.appliances, (writes = new Map()));
  return writes;
}

function noteWrite(ctx: AppContext, applianceId: string): void {
  const writes = writesOf(ctx);
  writes.set(applianceId, (writes.get(applianceId) ?? 0) + 1);
  snapshots(ctx.records.appliances).delete(applianceId);
}

/** The appliance for a site request: a recent copy when it is still current (see SITE_SNAPSHOT_MS), else read and settled. */
export async function getApplianceForSite(ctx: AppContext, applianceId: string): Promise<Appliance | undefined> {
  const now = ctx.clock.now();
  const memo = snapshots(ctx.records.appliances);
  const known = memo.get(applianceId, now.getTime());
  if (known && !(known.install && settle(known, now).changed)) return known;
  const before = writesOf(ctx).get(applianceId) ?? 0;
  const appliance = await getAppliance(ctx, applianceId);
  if (appliance && (writesOf(ctx).get(applianceId) ?? 0) === before) memo.set(applianceId, applianceId, appliance, now.getTime());
  return appliance;
}

export async function requireApplianceForSite(ctx: AppContext, applianceId: string): Promise<Appliance> {
  const a = await getApplianceForSite(ctx, applianceId);
  if (!a) throw notFound('ApplianceNotFound', `appliance ${applianceId} does not exist`);
  return a;
}

export async function requireAppliance(ctx: AppContext, applianceId: string): Promise<Appliance> {
  const a = await getAppliance(ctx, applianceId);
  if (!a) throw notFound('ApplianceNotFound', `appliance ${applianceId} does not exist`);
  return a;
}

/** Creates an appliance; refuses an existing id. */
export async function createAppliance(ctx: AppContext, appliance: Omit<Appliance, 'version'>): Promise<Appliance> {
  const created = { ...appliance, version: 1 };
  noteWrite(ctx, appliance.applianceId);
  try {
    await ctx.records.appliances.put(toItem(created), { expectVersion: 0 });
  } catch (e) {
    if (e instanceof ConditionFailedError) throw conflict('ApplianceExists', `appliance ${appliance.applianceId} already exists`);
    throw e;
  }
  return created;
}

/**
 * Read-modify-write with optimistic concurrency: `change` gets the current appliance and returns the
 * next one (or throws a DomainError to refuse, leaving the record untouched; or returns it unchanged to
 * write nothing). Retries on races.
 */
export async function updateAppliance(
  ctx: AppContext,
  applianceId: string,
  change: (current: Appliance) => Appliance | Promise<Appliance>,
): Promise<Appliance> {
  for (let attempt = 0; ; attempt++) {
    const current = await requireAppliance(ctx, applianceId);
    const changed = await change(current);
    // Nothing changed (an idempotent repeat): no write, so concurrent repeats do not contend.
    if (changed === current) return current;
    const now = ctx.clock.now().toISOString();
    // A change to what a settings backup holds makes every earlier backup stale (core/backup-rules.ts).
    const settingsChanged = SETTINGS_FIELDS.some((f) => JSON.stringify(changed[f]) !== JSON.stringify(current[f]));
    const next = { ...changed, ...(settingsChanged ? { settingsChangedAt: now } : {}), applianceId, version: current.version + 1, updatedAt: now };
    try {
      noteWrite(ctx, applianceId);
      await ctx.records.appliances.put(toItem(next), { expectVersion: current.version });
      return next;
    } catch (e) {
      if (!(e instanceof ConditionFailedError) || attempt >= 5) throw e;
    }
  }
}

export async function listAppliances(ctx: AppContext): Promise<Appliance[]> {
  const result: Appliance[] = [];
  for (const a of (await queryAll(ctx.records.appliances, { index: 'gsi1', pk: FLEET })).map(fromItem)) {
    // Appliances with an install in progress are settled so the fleet view is current.
    result.push(a.install ? ((await getAppliance(ctx, a.applianceId)) ?? a) : a);
  }
  return result;
}

/** Every appliance's id and hostname, as stored (no install settlement, two attributes read): the site directory. */
export async function listApplianceHostnames(ctx: AppContext): Promise<{ applianceId: string; hostname: string }[]> {
  const items = await queryAll(ctx.records.appliances, { index: 'gsi1', pk: FLEET, attributes: ['applianceId', 'hostname'] });
  return items.map((i) => ({ applianceId: String(i.applianceId), hostname: String(i.hostname ?? '') }));
}
