/**
 * People in an appliance's site (pure): site users (representatives and administrators, who also
 * authenticate to the XML APIs with username + password, the method of the pre-16.1 era), support teams
 * with their members, and the queues sessions wait in. Storage is functions/emulator/app/site-users.ts.
 */
import { validationError } from '../../platform/core/errors.js';

/**
 * The user permissions that matter to the APIs. Names follow /login > Users & Security: "Allowed to Use
 * Command API", "Allowed to Provide Remote Support" and "Administrator" are the vendor's; the reporting and
 * backup switches are our names (docs/vendor-api.md §3.1: the legacy names were not found).
 */
export interface SiteUserPermissions {
  administrator: boolean;
  commandApi: boolean;
  provideRemoteSupport: boolean;
  reportingApi: boolean;
  backupApi: boolean;
}

export interface SiteUser {
  applianceId: string;
  /** The representative id (`<rep id>`, `rep:[id]` queues, `rep_id`): numbered per appliance from 1. */
  userId: number;
  username: string;
  /** Shown to customers (`public_display_name`; `display_name` before API 1.10.0). */
  publicDisplayName: string;
  /** Shown to colleagues (`private_display_name`). */
  privateDisplayName: string;
  permissions: SiteUserPermissions;
  /** "Account Disabled": the user cannot log in (nor call the APIs), nothing is deleted. */
  disabled: boolean;
  /** "Showing On Representative List" (`showing_on_rep_list`, with permission to provide support). */
  showOnRepList: boolean;
  createdAt: string;
  updatedAt: string;
  passwordChangedAt: string;
}

/** A support team: a queue (`team:[id]`) with its members; issues route sessions to it (`issue:[code]`). */
export interface SupportTeam {
  applianceId: string;
  teamId: number;
  name: string;
  codeName: string;
  members: { userId: number; role: 'member' | 'lead' | 'manager' }[];
  /** Issue code names whose sessions wait in this team's queue. */
  issues: string[];
  createdAt: string;
  updatedAt: string;
}

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const CODE_NAME_PATTERN = /^[a-z0-9_]{1,64}$/;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/** Usernames are matched case-insensitively (one account per name, whatever the case a client types). */
export const usernameKey = (username: string) => username.toLowerCase();

export function assertUsername(username: unknown): asserts username is string {
  if (typeof username !== 'string' || !USERNAME_PATTERN.test(username)) {
    throw validationError('InvalidUsername', 'username must be 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit');
  }
}

export function assertPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw validationError('InvalidPassword', `password must be a string of ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`);
  }
}

/** What an API action asks of a site user (A4 of the facts: command API, plus support or admin rights). */
export type UserNeed = 'none' | 'command' | 'support' | 'admin' | 'reporting' | 'backup';

export function userMay(p: SiteUserPermissions, need: UserNeed): boolean {
  switch (need) {
    case 'none':
      return true;
    case 'command':
      return p.commandApi;
    case 'support':
      return p.commandApi && p.provideRemoteSupport;
    case 'admin':
      return p.commandApi && p.administrator;
    case 'reporting':
      return p.reportingApi;
    case 'backup':
      return p.backupApi;
  }
}

/** The queue a session or session key waits in, as the command API names it. */
export type QueueRef =
  | { kind: 'general' }
  | { kind: 'rep'; userId: number }
  | { kind: 'team'; teamId: number }
  | { kind: 'rep_username'; username: string }
  | { kind: 'issue'; codeName: string };

/** Parses `queue_id` (`general`, `rep:[id]`, `team:[id]`, `rep_username:[username]`, `issue:[code_name]`). */
export function parseQueueId(text: string | undefined, allowed: readonly QueueRef['kind'][] = ['general', 'rep', 'team', 'rep_username', 'issue']): QueueRef {
  const value = text ?? '';
  const colon = value.indexOf(':');
  const kind = colon < 0 ? value : value.slice(0, colon);
  const arg = colon < 0 ? '' : value.slice(colon + 1);
  const ref: QueueRef | undefined =
    value === 'general'
      ? { kind: 'general' }
      : kind === 'rep' && /^[1-9][0-9]{0,8}$/.test(arg)
        ? { kind: 'rep', userId: Number(arg) }
        : kind === 'team' && /^[1-9][0-9]{0,8}$/.test(arg)
          ? { kind: 'team', teamId: Number(arg) }
          : kind === 'rep_username' && USERNAME_PATTERN.test(arg)
            ? { kind: 'rep_username', username: arg }
            : kind === 'issue' && CODE_NAME_PATTERN.test(arg)
              ? { kind: 'issue', codeName: arg }
              : undefined;
  if (!ref || !allowed.includes(ref.kind)) {
    throw validationError('InvalidQueue', `Invalid queue_id: use ${allowed.map((k) => (k === 'general' ? 'general' : `${k}:[${k === 'rep' || k === 'team' ? 'id' : k === 'issue' ? 'code_name' : 'username'}]`)).join(', ')}`);
  }
  return ref;
}

/** A queue resolved to what is stored on sessions and keys: `general`, `rep:<id>` or `team:<id>`. */
export const queueName = (ref: { kind: 'general' } | { kind: 'rep'; userId: number } | { kind: 'team'; teamId: number }) =>
  ref.kind === 'general' ? 'general' : ref.kind === 'rep' ? `rep:${ref.userId}` : `team:${ref.teamId}`;

/** Teams a user belongs to (ids ascending). */
export const teamsOf = (userId: number, teams: readonly SupportTeam[]) => teams.filter((t) => t.members.some((m) => m.userId === userId)).map((t) => t.teamId);
