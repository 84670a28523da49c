/**
 * What the command API's session actions do to an active session (pure): join and leave (representatives'
 * `joinedAt` / `secondsInvolved`), transfer (queue, team), custom attributes, termination. How these fields
 * render in reports belongs to the reporting area; here only their changes.
 */
import { conflict, validationError } from '../../platform/core/errors.js';
import type { SessionRepresentative, SupportSession } from './session.js';
import type { SiteUser } from './site-users.js';

/** set_session_attributes limits (vendor: each field ≤ 1024 characters, all custom fields with the external key ≤ 10 KB). */
export const MAX_ATTRIBUTE_LENGTH = 1024;
export const MAX_ATTRIBUTES_BYTES = 10 * 1024;
export const EXTERNAL_KEY_CODE = 'external_key';

export function requireActive(s: SupportSession): void {
  if (s.status !== 'active') throw conflict('SessionNotActive', 'The session is not active');
}

const seconds = (fromIso: string, toIso: string) => Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));

/** The session's representatives; sessions stored before the richer record show their one named representative. */
function representativesOf(s: SupportSession): SessionRepresentative[] {
  return s.representatives ? s.representatives.map((r) => ({ ...r })) : [];
}

/** Adds a logged-in representative. Joining again is a no-op (a retried request answers the same). */
export function joinRepresentative(s: SupportSession, user: SiteUser, at: string): SupportSession {
  requireActive(s);
  const reps = representativesOf(s);
  const current = reps.find((r) => r.id === user.userId);
  if (current?.joinedAt) return s;
  if (current) current.joinedAt = at;
  else {
    const gsnumber = Math.max(1, ...reps.map((r) => r.gsnumber), ...(s.customers ?? []).map((c) => c.gsnumber)) + 1;
    reps.push({ gsnumber, id: user.userId, username: user.username, displayName: user.publicDisplayName, primary: reps.length === 0, secondsInvolved: 0, joinedAt: at });
  }
  return { ...s, representatives: reps };
}

/** Removes a representative: the time since joining is added to `secondsInvolved`. Not in the session → error. */
export function leaveRepresentative(s: SupportSession, userId: number, at: string): SupportSession {
  requireActive(s);
  const reps = representativesOf(s);
  const current = reps.find((r) => r.id === userId && r.joinedAt);
  if (!current) throw conflict('RepresentativeNotInSession', 'The representative is not in the session');
  current.secondsInvolved += seconds(current.joinedAt!, at);
  delete current.joinedAt;
  return { ...s, representatives: reps };
}

/** Closes every representative's involvement (termination, end of session). */
export function closeInvolvement(s: SupportSession, at: string): SupportSession {
  if (!s.representatives?.some((r) => r.joinedAt)) return s;
  return {
    ...s,
    representatives: s.representatives.map(({ joinedAt, ...r }) => (joinedAt ? { ...r, secondsInvolved: r.secondsInvolved + seconds(joinedAt, at) } : r)),
  };
}

/** Moves the session to another queue (`rep:<id>`, `team:<id>`). */
export function transferSession(s: SupportSession, queue: string, teamId: number | undefined): SupportSession {
  requireActive(s);
  const next: SupportSession = { ...s, queue };
  if (teamId !== undefined) next.teamId = teamId;
  return next;
}

/**
 * Applies `session.custom.<code>` parameters: a given attribute is set, an empty value clears it, an omitted one
 * keeps its value; `external_key` is the session's external key. Limits are checked before anything changes.
 */
export function setCustomAttributes(s: SupportSession, updates: Record<string, string>): SupportSession {
  requireActive(s);
  const custom = { ...(s.customAttributes ?? {}) };
  let externalKey = s.externalKey;
  for (const [code, value] of Object.entries(updates)) {
    if (value.length > MAX_ATTRIBUTE_LENGTH) throw validationError('AttributeTooLong', `The value of session.custom.${code.slice(0, 64)} exceeds ${MAX_ATTRIBUTE_LENGTH} characters`);
    if (code === EXTERNAL_KEY_CODE) externalKey = value;
    else if (value === '') delete custom[code];
    else custom[code] = value;
  }
  const total = Buffer.byteLength(externalKey) + Object.entries(custom).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (total > MAX_ATTRIBUTES_BYTES) throw validationError('AttributesTooLarge', 'The custom attributes and the external key together exceed 10 KB');
  const next: SupportSession = { ...s, externalKey };
  if (Object.keys(custom).length > 0) next.customAttributes = custom;
  else delete next.customAttributes;
  return next;
}

/** `session.custom.<code>` parameters of a request, by code name (code names: lowercase letters, digits, `_`). */
export function customParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (!name.startsWith('session.custom.')) continue;
    const code = name.slice('session.custom.'.length);
    if (!/^[a-z0-9_]{1,64}$/.test(code)) throw validationError('InvalidAttributeName', 'Custom attribute code names are 1-64 lowercase letters, digits or "_"');
    out[code] = value;
  }
  return out;
}
