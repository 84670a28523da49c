/**
 * Site users and support teams of an emulated appliance (/login > Users & Security, Configuration > Support
 * Teams), administered through the emulator's appliance-admin routes, and the username/password check of the
 * XML APIs. Stored in the appliances table:
 *   APPLIANCE#<id> / SITE-USER#<username lowercased>   user: permissions, scrypt password hash, flags
 *   APPLIANCE#<id> / TEAM#<teamId>                     team: name, code name, members, issues
 *   APPLIANCE#<id> / SITE-COUNTER#users|teams          id counters (optimistic)
 */
import * as nodeCrypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { conflict, DomainError, notFound, validationError } from '../../platform/core/errors.js';
import { ConditionFailedError, queryAll, type StoredItem } from '../../platform/core/ports.js';
import {
  CODE_NAME_PATTERN,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  USERNAME_PATTERN,
  usernameKey,
  type SiteUser,
  type SiteUserPermissions,
  type SupportTeam,
} from '../core/site-users.js';
import { integer, trimmed } from '../../platform/core/validation.js';
import { requireAppliance } from './appliance-store.js';
import { assertApplianceId } from './backups.js';
import type { AppContext } from '../../platform/app/context.js';
import { hashPassword, verifyScrypt } from '../../platform/app/credential-hash.js';
import { SITE_USER_SK_PREFIX, siteCounterKey, siteUserKey, SUPPORT_TEAM_SK_PREFIX, supportTeamKey } from '../../platform/app/keys.js';
import { memoPerStore } from '../../platform/app/memo.js';
import { sourceLimits, tooManyFailures } from './source-limits.js';

const displayName = trimmed(z.minLength(1), z.maxLength(128));
const permissionsSchema = z.strictObject({
  administrator: z.optional(z.boolean()),
  commandApi: z.optional(z.boolean()),
  provideRemoteSupport: z.optional(z.boolean()),
  reportingApi: z.optional(z.boolean()),
  backupApi: z.optional(z.boolean()),
});
const password = z.string().check(z.minLength(MIN_PASSWORD_LENGTH), z.maxLength(MAX_PASSWORD_LENGTH));

export const createSiteUserSchema = z.strictObject({
  username: z.string().check(z.regex(USERNAME_PATTERN, 'username must be 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit')),
  password,
  publicDisplayName: z.optional(displayName),
  privateDisplayName: z.optional(displayName),
  permissions: z._default(permissionsSchema, {}),
  disabled: z._default(z.boolean(), false),
  showOnRepList: z._default(z.boolean(), true),
  /** Seeds and restores pin ids (so a failover pair's users match); otherwise the next free one. */
  userId: z.optional(integer(z.gte(1), z.lte(999_999_999))),
});

export const updateSiteUserSchema = z
  .strictObject({
    password: z.optional(password),
    publicDisplayName: z.optional(displayName),
    privateDisplayName: z.optional(displayName),
    permissions: z.optional(permissionsSchema),
    disabled: z.optional(z.boolean()),
    showOnRepList: z.optional(z.boolean()),
  })
  .check(z.refine((o) => Object.keys(o).length > 0, 'give at least one field to change'));

const NO_PERMISSIONS: SiteUserPermissions = { administrator: false, commandApi: false, provideRemoteSupport: false, reportingApi: false, backupApi: false };

function toUser(item: StoredItem): SiteUser {
  return {
    applianceId: String(item.applianceId),
    userId: Number(item.userId),
    username: String(item.username),
    publicDisplayName: String(item.publicDisplayName),
    privateDisplayName: String(item.privateDisplayName),
    permissions: { ...NO_PERMISSIONS, ...(item.permissions as Partial<SiteUserPermissions>) },
    disabled: item.disabled === true,
    showOnRepList: item.showOnRepList !== false,
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    passwordChangedAt: String(item.passwordChangedAt),
  };
}

async function nextId(ctx: AppContext, applianceId: string, what: 'users' | 'teams', atLeast = 0): Promise<number> {
  const key = siteCounterKey(applianceId, what);
  for (let attempt = 0; attempt < 20; attempt++) {
    const current = await ctx.records.appliances.get(key);
    const next = Math.max(Number(current?.last ?? 0), atLeast - 1) + 1;
    try {
      await ctx.records.appliances.put({ ...key, last: next, version: (current?.version ?? 0) + 1 }, { expectVersion: current?.version ?? 0 });
      return next;
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
    }
  }
  throw conflict('ConcurrentModification', 'the id counter changed concurrently; retry the request');
}

async function siteOf(ctx: AppContext, applianceId: string) {
  assertApplianceId(applianceId);
  return requireAppliance(ctx, applianceId);
}

export async function listSiteUsers(ctx: AppContext, applianceId: string): Promise<SiteUser[]> {
  const items = await queryAll(ctx.records.appliances, { pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: SITE_USER_SK_PREFIX } });
  return items.map(toUser).sort((a, b) => a.userId - b.userId);
}

async function getUserItem(ctx: AppContext, applianceId: string, username: string): Promise<StoredItem | undefined> {
  if (!USERNAME_PATTERN.test(username)) return undefined;
  return ctx.records.appliances.get(siteUserKey(applianceId, username));
}

export async function getSiteUser(ctx: AppContext, applianceId: string, username: string): Promise<SiteUser | undefined> {
  const item = await getUserItem(ctx, applianceId, username);
  return item ? toUser(item) : undefined;
}

export async function requireSiteUser(ctx: AppContext, applianceId: string, username: string): Promise<SiteUser> {
  await siteOf(ctx, applianceId);
  const user = await getSiteUser(ctx, applianceId, username);
  if (!user) throw notFound('SiteUserNotFound', `no user ${username.slice(0, 64)} on appliance ${applianceId}`);
  return user;
}

/** `passwordHash`: seeds hash each demo password once for all their accounts (start-up time). */
export async function createSiteUser(ctx: AppContext, applianceId: string, input: z.infer<typeof createSiteUserSchema>, passwordHash?: string): Promise<SiteUser> {
  await siteOf(ctx, applianceId);
  if (await getUserItem(ctx, applianceId, input.username)) throw conflict('SiteUserExists', `user ${input.username} already exists on ${applianceId}`);
  if (input.userId !== undefined && (await listSiteUsers(ctx, applianceId)).some((u) => u.userId === input.userId)) {
    throw conflict('SiteUserIdTaken', `user id ${input.userId} is taken on ${applianceId}`);
  }
  const userId = input.userId ?? (await nextId(ctx, applianceId, 'users'));
  if (input.userId !== undefined) await nextId(ctx, applianceId, 'users', input.userId);
  const now = ctx.clock.now().toISOString();
  const user: SiteUser = {
    applianceId,
    userId,
    username: input.username,
    publicDisplayName: input.publicDisplayName ?? input.username,
    privateDisplayName: input.privateDisplayName ?? input.publicDisplayName ?? input.username,
    permissions: { ...NO_PERMISSIONS, ...input.permissions },
    disabled: input.disabled,
    showOnRepList: input.showOnRepList,
    createdAt: now,
    updatedAt: now,
    passwordChangedAt: now,
  };
  try {
    await ctx.records.appliances.put({ ...siteUserKey(applianceId, user.username), type: 'site-user', ...user, passwordHash: passwordHash ?? (await hashPassword(input.password)), version: 1 }, { expectVersion: 0 });
  } catch (e) {
    if (e instanceof ConditionFailedError) throw conflict('SiteUserExists', `user ${input.username} already exists on ${applianceId}`);
    throw e;
  }
  return user;
}

export async function updateSiteUser(ctx: AppContext, applianceId: string, username: string, input: z.infer<typeof updateSiteUserSchema>): Promise<SiteUser> {
  await siteOf(ctx, applianceId);
  const item = await getUserItem(ctx, applianceId, username);
  if (!item) throw notFound('SiteUserNotFound', `no user ${username.slice(0, 64)} on appliance ${applianceId}`);
  const current = toUser(item);
  const now = ctx.clock.now().toISOString();
  const next: SiteUser = {
    ...current,
    ...(input.publicDisplayName !== undefined ? { publicDisplayName: input.publicDisplayName } : {}),
    ...(input.privateDisplayName !== undefined ? { privateDisplayName: input.privateDisplayName } : {}),
    ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
    ...(input.showOnRepList !== undefined ? { showOnRepList: input.showOnRepList } : {}),
    permissions: { ...current.permissions, ...input.permissions },
    updatedAt: now,
    ...(input.password !== undefined ? { passwordChangedAt: now } : {}),
  };
  // A new password means a new hash, so every remembered verification of the old one stops matching.
  const passwordHash = input.password !== undefined ? await hashPassword(input.password) : item.passwordHash;
  await ctx.records.appliances.put({ ...item, ...next, passwordHash, version: Number(item.version) + 1 }, { expectVersion: Number(item.version) });
  verified(ctx.records.appliances).forget(userGroup(applianceId, username));
  return next;
}

/** Deletes a user (idempotent for a retry: team memberships go first, then the account). */
export async function deleteSiteUser(ctx: AppContext, applianceId: string, username: string): Promise<void> {
  const user = await requireSiteUser(ctx, applianceId, username);
  for (const team of await listSupportTeams(ctx, applianceId)) {
    if (team.members.some((m) => m.userId === user.userId)) await putTeam(ctx, { ...team, members: team.members.filter((m) => m.userId !== user.userId), updatedAt: ctx.clock.now().toISOString() });
  }
  await ctx.records.appliances.delete(siteUserKey(applianceId, user.username));
  verified(ctx.records.appliances).forget(userGroup(applianceId, username));
}

// ---- authentication (username + password on the XML APIs, the staff console start) ----

/**
 * Remembered successful checks: SHA-256(per-process key, site + username + password) → the user as it was then.
 * A client calling in a loop then pays no scrypt and no store read per call. Changing, disabling or deleting
 * the user forgets its entries at once in this process; another process notices within PASSWORD_MEMO_MS.
 */
export const PASSWORD_MEMO_MS = 15_000;
const processKey = randomBytes(32);
const verified = memoPerStore<SiteUser>(PASSWORD_MEMO_MS);
// Compared against for an unknown or disabled user, so timing does not tell which usernames exist.
const dummyHash = hashPassword(randomBytes(16).toString('hex'));

// One-shot SHA-256 under the per-process secret prefix: the key never leaves this process and no one sees
// it, so HMAC's framing buys nothing here, while an Hmac object per call cost about 2 µs more per request.
// Like the HMAC it replaces, it keeps no password in memory in a form that can be read back.
const processKeyPrefix = `${processKey.toString('base64')}\0`;
// crypto.hash (one call, no Hash object) from Node 20.12; before that, the same digest the longer way.
const sha256Base64: (text: string) => string =
  typeof nodeCrypto.hash === 'function' ? (text) => nodeCrypto.hash('sha256', text, 'base64') : (text) => createHash('sha256').update(text).digest('base64');
const rememberKey = (applianceId: string, username: string, password: string) => sha256Base64(`${processKeyPrefix}${applianceId}\0${usernameKey(username)}\0${password}`);
const userGroup = (applianceId: string, username: string) => `${applianceId}\0${usernameKey(username)}`;

/** Forgets remembered checks (tests measuring the KDF). */
export const forgetVerifiedPasswords = (ctx: AppContext) => verified(ctx.records.appliances).clear();

export class LoginFailedError extends DomainError {
  constructor() {
    super('unauthorized', 'LoginFailed', 'Login failed');
  }
}

/**
 * Checks username + password. Unknown user, wrong password and disabled account all answer the same
 * `Login failed`; every failure counts against the source address (not the account), and a source over
 * its limit is refused before any hashing. A success is remembered briefly (see PASSWORD_MEMO_MS).
 */
export async function authenticateSiteUser(ctx: AppContext, applianceId: string, username: string, password: string, source: string): Promise<SiteUser> {
  const limits = sourceLimits(ctx).authFailures;
  const nowMs = ctx.clock.now().getTime();
  const sourceKey = `login:${source}`;
  const wait = limits.blocked(sourceKey, nowMs);
  if (wait !== undefined) throw tooManyFailures(wait);
  const memo = verified(ctx.records.appliances);
  const key = rememberKey(applianceId, username, password);
  const known = memo.get(key, nowMs);
  if (known) return known;
  // Concurrent first calls with one credential share one check (a client opening 8 connections pays one scrypt).
  let inFlight = checking.get(ctx.records.appliances);
  if (!inFlight) checking.set(ctx.records.appliances, (inFlight = new Map()));
  const pending = inFlight.get(key);
  if (pending) return pending;
  const check = checkPassword(ctx, applianceId, username, password, sourceKey, key).finally(() => inFlight.delete(key));
  inFlight.set(key, check);
  return check;
}

const checking = new WeakMap<object, Map<string, Promise<SiteUser>>>();

async function checkPassword(ctx: AppContext, applianceId: string, username: string, password: string, sourceKey: string, key: string): Promise<SiteUser> {
  const limits = sourceLimits(ctx).authFailures;
  const memo = verified(ctx.records.appliances);
  const nowMs = ctx.clock.now().getTime();
  const item = await getUserItem(ctx, applianceId, username);
  const stored = typeof item?.passwordHash === 'string' ? item.passwordHash : undefined;
  const ok = item && stored && item.disabled !== true ? await verifyScrypt(password, stored) : (await verifyScrypt(password, await dummyHash), false);
  if (!ok) {
    limits.record(sourceKey, nowMs);
    throw new LoginFailedError();
  }
  const user = toUser(item!);
  memo.set(key, userGroup(applianceId, username), user, nowMs);
  return user;
}

// ---- support teams ----

const memberSchema = z.strictObject({ userId: integer(z.gte(1)), role: z._default(z.enum(['member', 'lead', 'manager']), 'member') });
export const createTeamSchema = z.strictObject({
  name: trimmed(z.minLength(1), z.maxLength(128)),
  codeName: z.string().check(z.regex(CODE_NAME_PATTERN, 'codeName must be 1-64 lowercase letters, digits or "_"')),
  members: z._default(z.array(memberSchema).check(z.maxLength(500)), []),
  issues: z._default(z.array(z.string().check(z.regex(CODE_NAME_PATTERN, 'issue code names are 1-64 lowercase letters, digits or "_"'))).check(z.maxLength(100)), []),
  teamId: z.optional(integer(z.gte(1), z.lte(999_999_999))),
});
// Strict like createTeamSchema: omit and partial keep its unknown-key rule.
export const updateTeamSchema = z.partial(z.omit(createTeamSchema, { teamId: true }));

function toTeam(item: StoredItem): SupportTeam {
  const { pk: _p, sk: _s, type: _t, version: _v, ...rest } = item;
  return rest as unknown as SupportTeam;
}

async function putTeam(ctx: AppContext, team: SupportTeam, condition?: { ifNotExists: true }): Promise<void> {
  await ctx.records.appliances.put({ ...supportTeamKey(team.applianceId, team.teamId), type: 'support-team', ...team }, condition);
}

export async function listSupportTeams(ctx: AppContext, applianceId: string): Promise<SupportTeam[]> {
  return (await queryAll(ctx.records.appliances, { pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: SUPPORT_TEAM_SK_PREFIX } })).map(toTeam);
}

async function checkTeam(ctx: AppContext, applianceId: string, team: Pick<SupportTeam, 'members' | 'issues' | 'codeName' | 'teamId'>): Promise<void> {
  const ids = new Set((await listSiteUsers(ctx, applianceId)).map((u) => u.userId));
  const missing = team.members.find((m) => !ids.has(m.userId));
  if (missing) throw validationError('UnknownMember', `members: no user with id ${missing.userId} on ${applianceId}`);
  if (new Set(team.members.map((m) => m.userId)).size !== team.members.length) throw validationError('DuplicateMember', 'members: a user is listed twice');
  for (const other of await listSupportTeams(ctx, applianceId)) {
    if (other.teamId === team.teamId) continue;
    if (other.codeName === team.codeName) throw conflict('TeamCodeNameTaken', `team code name ${team.codeName} is taken`);
    const shared = team.issues.find((i) => other.issues.includes(i));
    if (shared) throw conflict('IssueTaken', `issue ${shared} already routes to team ${other.teamId}`);
  }
}

export async function createSupportTeam(ctx: AppContext, applianceId: string, input: z.infer<typeof createTeamSchema>): Promise<SupportTeam> {
  await siteOf(ctx, applianceId);
  const draft = { members: input.members, issues: [...new Set(input.issues)], codeName: input.codeName, teamId: input.teamId ?? 0 };
  await checkTeam(ctx, applianceId, draft);
  if (input.teamId !== undefined && (await ctx.records.appliances.get(supportTeamKey(applianceId, input.teamId)))) throw conflict('TeamIdTaken', `team id ${input.teamId} is taken`);
  const teamId = input.teamId ?? (await nextId(ctx, applianceId, 'teams'));
  if (input.teamId !== undefined) await nextId(ctx, applianceId, 'teams', input.teamId);
  const now = ctx.clock.now().toISOString();
  const team: SupportTeam = { applianceId, teamId, name: input.name, codeName: input.codeName, members: input.members, issues: draft.issues, createdAt: now, updatedAt: now };
  try {
    await putTeam(ctx, team, { ifNotExists: true });
  } catch (e) {
    if (e instanceof ConditionFailedError) throw conflict('TeamIdTaken', `team id ${teamId} is taken`);
    throw e;
  }
  return team;
}

export async function requireSupportTeam(ctx: AppContext, applianceId: string, teamId: number): Promise<SupportTeam> {
  await siteOf(ctx, applianceId);
  const item = Number.isSafeInteger(teamId) && teamId > 0 ? await ctx.records.appliances.get(supportTeamKey(applianceId, teamId)) : undefined;
  if (!item) throw notFound('TeamNotFound', `no support team ${teamId} on appliance ${applianceId}`);
  return toTeam(item);
}

export async function updateSupportTeam(ctx: AppContext, applianceId: string, teamId: number, input: z.infer<typeof updateTeamSchema>): Promise<SupportTeam> {
  const current = await requireSupportTeam(ctx, applianceId, teamId);
  const next: SupportTeam = { ...current, ...input, ...(input.issues ? { issues: [...new Set(input.issues)] } : {}), updatedAt: ctx.clock.now().toISOString() } as SupportTeam;
  await checkTeam(ctx, applianceId, next);
  await putTeam(ctx, next);
  return next;
}

export async function deleteSupportTeam(ctx: AppContext, applianceId: string, teamId: number): Promise<void> {
  await requireSupportTeam(ctx, applianceId, teamId);
  await ctx.records.appliances.delete(supportTeamKey(applianceId, teamId));
}
