/**
 * Maintenance holds, as the appliance keeps them (its admin API: `PUT`/`DELETE
 * /appliances/:id/appliance/maintenance-hold`). A hold names its owner and opens with a token the
 * appliance stores hashed; the appliance's install and failover paths check it themselves.
 */
import { createHash } from 'node:crypto';
import { activeHold, assertNotHeld, placeHold, releaseHold } from '../core/maintenance-hold.js';
import { validationError } from '../../platform/core/errors.js';
import { requireAppliance, updateAppliance } from './appliance-store.js';
import { assertApplianceId } from './backups.js';
import type { AppContext } from '../../platform/app/context.js';

export const holdTokenSha256 = (token: string | undefined) => (token ? createHash('sha256').update(token).digest('hex') : undefined);

function assertToken(token: unknown): asserts token is string {
  if (typeof token !== 'string' || !/^[\x21-\x7e]{16,256}$/.test(token)) throw validationError('InvalidHoldToken', 'the hold token must be 16-256 visible ASCII characters');
}

/** Places or renews the hold (idempotent for the same token); another owner's active hold is a 409. */
export async function holdAppliance(ctx: AppContext, applianceId: string, input: { owner: string; token: string; expiresAt: string }) {
  assertApplianceId(applianceId);
  assertToken(input.token);
  const tokenSha256 = holdTokenSha256(input.token)!;
  const appliance = await updateAppliance(ctx, applianceId, (a) => placeHold(a, { owner: input.owner, tokenSha256, expiresAt: input.expiresAt }, ctx.clock.now()));
  return holdView(appliance.applianceId, activeHold(appliance, ctx.clock.now()));
}

/** Releases the hold the token opens (idempotent); another owner's active hold is a 409. */
export async function releaseApplianceHold(ctx: AppContext, applianceId: string, token: string) {
  assertApplianceId(applianceId);
  assertToken(token);
  const tokenSha256 = holdTokenSha256(token)!;
  const current = await requireAppliance(ctx, applianceId);
  if (!current.hold) return holdView(applianceId, undefined);
  const appliance = await updateAppliance(ctx, applianceId, (a) => releaseHold(a, tokenSha256, ctx.clock.now()));
  return holdView(applianceId, activeHold(appliance, ctx.clock.now()));
}

export async function getApplianceHold(ctx: AppContext, applianceId: string) {
  assertApplianceId(applianceId);
  return holdView(applianceId, activeHold(await requireAppliance(ctx, applianceId), ctx.clock.now()));
}

/** Refuses a failover change touching any of `applianceIds` while one of them is held by someone else. */
export async function assertNoForeignHold(ctx: AppContext, applianceIds: string[], action: string, holdToken: string | undefined): Promise<void> {
  const sha = holdTokenSha256(holdToken);
  const now = ctx.clock.now();
  for (const id of applianceIds) assertNotHeld(await requireAppliance(ctx, id), action, sha, now);
}

const holdView = (applianceId: string, hold: { owner: string; since: string; expiresAt: string } | undefined) => ({
  applianceId,
  held: hold !== undefined,
  ...(hold ? { owner: hold.owner, since: hold.since, expiresAt: hold.expiresAt } : {}),
});
