/** Site availability: the site's own APIs refuse with 503 + Retry-After while the appliance installs. */
import type { Appliance } from '../../platform/core/appliance.js';
import { siteUnavailable } from '../core/install.js';
import { requireAppliance } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';

/**
 * The appliance, settled, when its site answers; otherwise throws `SiteUnavailable` (503) whose
 * `retryAfterSeconds` detail the HTTP layer turns into a Retry-After header. Other areas' site APIs
 * (reporting, command, backup) should call this first.
 */
export async function requireSiteAvailable(ctx: AppContext, applianceId: string): Promise<Appliance> {
  const appliance = await requireAppliance(ctx, applianceId);
  if (appliance.state === 'installing' || appliance.state === 'restarting') throw siteUnavailable(appliance, ctx.clock.now());
  return appliance;
}
