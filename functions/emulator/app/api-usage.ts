/**
 * Who calls an appliance's XML APIs: one record per principal (API account or site user), with the time of
 * its last call. The appliance keeps it (as /login reports recent API activity); the control plane reads it
 * before an upgrade that crosses 10.6, when every API user must be told about the LSID/LSEQ/namespace change.
 *
 * Stored in the appliances table: APPLIANCE#<id> / API-USAGE#<kind>#<principalId>.
 * Writes are throttled (at most one per principal per `NOTE_INTERVAL_MS`) so the hot API path stays cheap.
 */
import { queryAll } from '../../platform/core/ports.js';
import type { AppContext } from '../../platform/app/context.js';

export type ApiPrincipalKind = 'api-account' | 'user';

export interface ApiUsage {
  applianceId: string;
  kind: ApiPrincipalKind;
  /** Client id of an API account, or the site user's username. */
  principalId: string;
  name: string;
  /** ISO time of the most recent call noted. */
  lastCallAt: string;
  /** The API and action/report of that call, e.g. `command:get_api_info`, `reporting:SupportSession`. */
  lastCall: string;
}

export const NOTE_INTERVAL_MS = 60_000;
const USAGE_SK_PREFIX = 'API-USAGE#';
const usageKey = (applianceId: string, kind: ApiPrincipalKind, principalId: string) => ({
  pk: `APPLIANCE#${applianceId}`,
  sk: `${USAGE_SK_PREFIX}${kind}#${principalId}`,
});

// What this process noted last, per store: a principal calling in a loop costs no store read in between.
const notedHere = new WeakMap<object, Map<string, number>>();

/** Notes one API call; skips the write when the same principal was noted less than a minute ago. */
export async function noteApiCall(ctx: AppContext, usage: Omit<ApiUsage, 'lastCallAt'>): Promise<void> {
  const key = usageKey(usage.applianceId, usage.kind, usage.principalId);
  const now = ctx.clock.now();
  let noted = notedHere.get(ctx.records.appliances);
  if (!noted) notedHere.set(ctx.records.appliances, (noted = new Map()));
  const local = noted.get(key.sk + key.pk);
  if (local !== undefined && now.getTime() - local < NOTE_INTERVAL_MS && now.getTime() >= local) return;
  const current = await ctx.records.appliances.get(key);
  if (current && now.getTime() - Date.parse(String(current.lastCallAt)) < NOTE_INTERVAL_MS) {
    noted.set(key.sk + key.pk, Date.parse(String(current.lastCallAt)));
    return;
  }
  await ctx.records.appliances.put({ ...key, type: 'api-usage', ...usage, lastCallAt: now.toISOString() });
  noted.set(key.sk + key.pk, now.getTime());
  if (noted.size > 10_000) noted.delete(noted.keys().next().value!);
}

/** Every principal that called the appliance's APIs since `since` (ISO; default: ever), newest first. */
export async function listApiUsage(ctx: AppContext, applianceId: string, since?: string): Promise<ApiUsage[]> {
  const items = await queryAll(ctx.records.appliances, { pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: USAGE_SK_PREFIX } });
  return items
    .map(({ applianceId: a, kind, principalId, name, lastCallAt, lastCall }) => ({
      applianceId: String(a),
      kind: kind as ApiPrincipalKind,
      principalId: String(principalId),
      name: String(name),
      lastCallAt: String(lastCallAt),
      lastCall: String(lastCall),
    }))
    .filter((u) => since === undefined || u.lastCallAt >= since)
    .sort((x, y) => y.lastCallAt.localeCompare(x.lastCallAt));
}
