import { seedDemoFleet, seedPackageCatalog } from '../../emulator/app/appliance-seed.js';
import type { AppContext } from '../../platform/app/context.js';
import { seedDemoFailoverPair } from '../../emulator/app/failover-seed.js';
import { seedSessionHistory } from '../../emulator/app/session-seed.js';
import { controlSeed } from '../../control-plane/app/control-seed.js';
import { seedSitePeople } from '../../emulator/app/site-seed.js';

/** A first-start seed (default package catalog, demo fleet...). Each must be idempotent: it runs on every start. */
export type Seed = (ctx: AppContext) => Promise<void>;

/** Seeds run by `npm start` (not by tests unless asked), in dependency order: catalog and fleet, the pair, then session history (synced to the pair's backup). */
export const seeds: Seed[] = [seedPackageCatalog, seedDemoFleet, seedSitePeople, seedDemoFailoverPair, seedSessionHistory, controlSeed];

export async function runSeeds(ctx: AppContext): Promise<void> {
  for (const seed of seeds) await seed(ctx);
}
