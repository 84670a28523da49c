import type { Appliance } from '../core/appliance.js';
import { conflict, notFound } from '../core/errors.js';
import { ConditionFailedError, type StoredItem } from '../core/ports.js';
import type { AppContext } from './context.js';
import { applianceKey } from './keys.js';

const FLEET = 'FLEET';

function toItem(a: Appliance): StoredItem {
  return { ...applianceKey(a.applianceId), gsi1pk: FLEET, gsi1sk: a.applianceId, type: 'appliance', ...a };
}

function fromItem(item: StoredItem): Appliance {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as Appliance;
}

export async function getAppliance(ctx: AppContext, applianceId: string): Promise<Appliance | undefined> {
  const item = await ctx.records.appliances.get(applianceKey(applianceId));
  return item ? fromItem(item) : undefined;
}

export async function requireAppliance(ctx: AppContext, applianceId: string): Promise<Appliance> {
  const a = await getAppliance(ctx, applianceId);
  if (!a) throw notFound('ApplianceNotFound', `appliance ${applianceId} does not exist`);
  return a;
}

/** Creates an appliance; refuses an existing id. */
export async function createAppliance(ctx: AppContext, appliance: Omit<Appliance, 'version'>): Promise<Appliance> {
  const created = { ...appliance, version: 1 };
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
 * next one (or throws a DomainError to refuse, leaving the record untouched). Retries on races.
 */
export async function updateAppliance(
  ctx: AppContext,
  applianceId: string,
  change: (current: Appliance) => Appliance | Promise<Appliance>,
): Promise<Appliance> {
  for (let attempt = 0; ; attempt++) {
    const current = await requireAppliance(ctx, applianceId);
    const next = { ...(await change(current)), applianceId, version: current.version + 1, updatedAt: ctx.clock.now().toISOString() };
    try {
      await ctx.records.appliances.put(toItem(next), { expectVersion: current.version });
      return next;
    } catch (e) {
      if (!(e instanceof ConditionFailedError) || attempt >= 5) throw e;
    }
  }
}

export async function listAppliances(ctx: AppContext): Promise<Appliance[]> {
  const result: Appliance[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.records.appliances.query({ index: 'gsi1', pk: FLEET, cursor });
    result.push(...page.items.map(fromItem));
    cursor = page.cursor;
  } while (cursor);
  return result;
}
