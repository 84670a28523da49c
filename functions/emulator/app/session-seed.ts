import type { AppContext } from '../../platform/app/context.js';
import { listAppliances } from './appliance-store.js';
import { forceSync } from './failover-pairs.js';
import { generateSessions } from './session-generator.js';
import { ensureListingRecords } from './session-store.js';

/**
 * Seed: a year of history (200 sessions) for each appliance that has none yet. Idempotent.
 * The backup of an established pair records nothing itself: it receives the primary's sessions by sync.
 */
export async function seedSessionHistory(ctx: AppContext): Promise<void> {
  for (const appliance of await listAppliances(ctx)) {
    const paired = appliance.failover.pairStatus === 'established';
    if (paired && appliance.failover.role === 'backup') continue;
    const existing = await ctx.records.sessions.query({ pk: `APPLIANCE#${appliance.applianceId}`, sk: { beginsWith: 'LSID#' }, limit: 1 });
    if (existing.items.length > 0) continue;
    await generateSessions(ctx, appliance, { count: 200, activeFraction: 0.02, seed: appliance.applianceId.length });
    if (paired) await forceSync(ctx, appliance.applianceId);
  }
  // Listing records for every appliance: a data dir from before they existed is backfilled here, once.
  for (const appliance of await listAppliances(ctx)) await ensureListingRecords(ctx, appliance.applianceId);
}
