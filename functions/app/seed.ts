import type { AppContext } from './context.js';
import { controlSeed } from './control-seed.js';

/** A first-start seed (default package catalog, demo fleet...). Each must be idempotent: it runs on every start. */
export type Seed = (ctx: AppContext) => Promise<void>;

/** Seeds run by `npm start` (not by tests unless asked). Each area appends its own. */
export const seeds: Seed[] = [controlSeed];

export async function runSeeds(ctx: AppContext): Promise<void> {
  for (const seed of seeds) await seed(ctx);
}
