/** Storage of staff consoles (appliances table, `APPLIANCE#<id>` / `CONSOLE#<consoleId>`). */
import { flagAfterSiteUpgrade, logOutForUpgrade, type StaffConsole } from '../core/staff-console.js';
import type { StoredItem } from '../../platform/core/ports.js';
import { queryAll } from '../../platform/core/ports.js';
import type { AppContext } from '../../platform/app/context.js';
import { consoleKey, CONSOLE_SK_PREFIX } from '../../platform/app/keys.js';

// `version` is the stores' optimistic counter, so the console version is stored as `consoleVersion`.
function toItem({ version, ...c }: StaffConsole): StoredItem {
  return { ...consoleKey(c.applianceId, c.consoleId), type: 'staff-console', ...c, consoleVersion: version };
}
function fromItem(item: StoredItem): StaffConsole {
  const { pk: _p, sk: _s, type: _t, consoleVersion, version: _v, ...rest } = item;
  return { ...rest, version: String(consoleVersion) } as unknown as StaffConsole;
}

export async function putConsole(ctx: AppContext, c: StaffConsole, condition?: { ifNotExists: true }): Promise<void> {
  await ctx.records.appliances.put(toItem(c), condition);
}

export async function getConsole(ctx: AppContext, applianceId: string, consoleId: string): Promise<StaffConsole | undefined> {
  const item = await ctx.records.appliances.get(consoleKey(applianceId, consoleId));
  return item ? fromItem(item) : undefined;
}

export async function listConsoles(ctx: AppContext, applianceId: string): Promise<StaffConsole[]> {
  return (await queryAll(ctx.records.appliances, { pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: CONSOLE_SK_PREFIX } })).map(fromItem);
}

/** Rewrites only the consoles `change` modifies; returns how many changed. */
export async function updateConsoles(ctx: AppContext, applianceId: string, change: (c: StaffConsole) => StaffConsole): Promise<number> {
  const changed = (await listConsoles(ctx, applianceId)).map((c) => [c, change(c)] as const).filter(([a, b]) => a !== b);
  if (changed.length) await ctx.records.appliances.batchPut(changed.map(([, b]) => toItem(b)));
  return changed.length;
}

/** Install start: every logged-in representative is logged out. */
export const logOutAllStaff = (ctx: AppContext, applianceId: string, at: string) => updateConsoles(ctx, applianceId, (c) => logOutForUpgrade(c, at));

/** Install finished: consoles behind the new site version are flagged. */
export const flagConsolesAfterUpgrade = (ctx: AppContext, applianceId: string, siteVersion: string, at: string) =>
  updateConsoles(ctx, applianceId, (c) => flagAfterSiteUpgrade(c, siteVersion, at));
