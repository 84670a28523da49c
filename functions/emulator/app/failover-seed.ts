import { isDomainError } from '../../platform/core/errors.js';
import { getAppliance } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { establishPair } from './failover-pairs.js';
import { getPrimaryHostname, switchPrimaryHostname } from './primary-hostname.js';
import { log } from '../../platform/observability/logger.js';

export const DEMO_PRIMARY = 'appliance-a';
export const DEMO_BACKUP = 'appliance-b';
export const DEMO_PRIMARY_HOSTNAME = 'support.example.com';

/**
 * Demo failover pair: appliance-a primary, appliance-b backup, support.example.com → appliance-a.
 * Only once both appliances exist (the appliance area's seed creates them) and neither is paired yet,
 * so a pair broken during a demo stays broken across restarts. Idempotent.
 */
export async function seedDemoFailoverPair(ctx: AppContext): Promise<void> {
  const [a, b] = await Promise.all([getAppliance(ctx, DEMO_PRIMARY), getAppliance(ctx, DEMO_BACKUP)]);
  if (!a || !b) return;
  try {
    if (!a.failover.pairId && !b.failover.pairId) await establishPair(ctx, { primaryId: DEMO_PRIMARY, backupId: DEMO_BACKUP });
    if (!(await getPrimaryHostname(ctx, DEMO_PRIMARY_HOSTNAME))) await switchPrimaryHostname(ctx, DEMO_PRIMARY_HOSTNAME, DEMO_PRIMARY);
  } catch (e) {
    // A demo fleet that cannot be paired (versions differ, installing) must not stop the runtime.
    if (!isDomainError(e)) throw e;
    log.warn('demo failover pair not seeded', { errorCode: e.code, detail: e.message });
  }
}
