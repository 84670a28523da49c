/**
 * Maintenance holds, the appliance's side: while a hold is active the appliance's own install and
 * failover paths refuse any request that does not carry the hold's token (409 `ApplianceHeld`, naming
 * the owner). The control plane sets and releases holds through the appliance's admin API; the
 * appliance never reads control-plane records. Pure: the caller hashes tokens (SHA-256).
 */
import type { Appliance, MaintenanceHold } from '../../platform/core/appliance.js';
import { conflict, validationError } from '../../platform/core/errors.js';

/** The hold in force at `now` (an expired one no longer counts). */
export function activeHold(a: Pick<Appliance, 'hold'>, now: Date): MaintenanceHold | undefined {
  return a.hold && Date.parse(a.hold.expiresAt) > now.getTime() ? a.hold : undefined;
}

/** Refuses `action` on a held appliance unless the request carries the hold's token. */
export function assertNotHeld(a: Pick<Appliance, 'applianceId' | 'hold'>, action: string, tokenSha256: string | undefined, now: Date): void {
  const hold = activeHold(a, now);
  if (!hold || hold.tokenSha256 === tokenSha256) return;
  throw conflict('ApplianceHeld', `appliance ${a.applianceId} is held by ${hold.owner} (maintenance hold since ${hold.since}); ${action} is refused until it is released`, {
    applianceId: a.applianceId,
    holder: hold.owner,
    since: hold.since,
    expiresAt: hold.expiresAt,
  });
}

const OWNER = /^[A-Za-z0-9][A-Za-z0-9 ._:#-]{0,127}$/;

/**
 * Places (or renews, same token) a hold. Another owner's active hold is a conflict; an expired one is
 * replaced. Renewing keeps `since` and moves `expiresAt`.
 */
export function placeHold(a: Appliance, input: { owner: string; tokenSha256: string; expiresAt: string }, now: Date): Appliance {
  if (!OWNER.test(input.owner)) throw validationError('InvalidHoldOwner', 'owner must be 1-128 letters, digits, spaces or ._:#-');
  if (!/^[0-9a-f]{64}$/.test(input.tokenSha256)) throw validationError('InvalidHoldToken', 'the hold token is missing');
  const expires = Date.parse(input.expiresAt);
  if (!Number.isFinite(expires) || expires <= now.getTime()) throw validationError('InvalidHoldExpiry', 'expiresAt must be a future instant');
  const current = activeHold(a, now);
  if (current && current.tokenSha256 !== input.tokenSha256) {
    throw conflict('ApplianceHeld', `appliance ${a.applianceId} is already held by ${current.owner} (since ${current.since})`, { applianceId: a.applianceId, holder: current.owner, since: current.since });
  }
  const since = current?.since ?? now.toISOString();
  if (current && current.expiresAt === new Date(expires).toISOString() && current.owner === input.owner) return a;
  return { ...a, hold: { owner: input.owner, tokenSha256: input.tokenSha256, since, expiresAt: new Date(expires).toISOString() } };
}

/** Releases the hold the token opens. Idempotent: no hold, or an expired one, is already released. */
export function releaseHold(a: Appliance, tokenSha256: string, now: Date): Appliance {
  if (!a.hold) return a;
  if (a.hold.tokenSha256 !== tokenSha256) {
    if (!activeHold(a, now)) return a; // another owner's lapsed hold: nothing of ours to release
    throw conflict('ApplianceHeld', `appliance ${a.applianceId} is held by ${a.hold.owner}; only its holder can release it`, { applianceId: a.applianceId, holder: a.hold.owner });
  }
  const { hold: _h, ...rest } = a;
  return rest;
}
