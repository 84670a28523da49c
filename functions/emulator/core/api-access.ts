import { DomainError, validationError } from '../../platform/core/errors.js';
import { userMay, type SiteUser, type SiteUserPermissions, type UserNeed } from './site-users.js';

/** What an API account may do (the vendor's API account permissions). */
export interface ApiPermissions {
  /** "Allow Access to Support Session Reports and Recordings" (perm_reporting_support). */
  reporting: boolean;
  /** Command API: full, read-only, or none. */
  command: 'full' | 'read_only' | 'deny';
  /** Download settings backups (perm_backup). */
  backup: boolean;
}

export type Permission = 'reporting' | 'command-read' | 'command-full' | 'backup';

export function hasPermission(p: ApiPermissions, needed: Permission | 'none'): boolean {
  switch (needed) {
    case 'none':
      return true;
    case 'reporting':
      return p.reporting;
    case 'backup':
      return p.backup;
    case 'command-read':
      return p.command === 'read_only' || p.command === 'full';
    case 'command-full':
      return p.command === 'full';
  }
}

export function requirePermission(p: ApiPermissions, needed: Permission | 'none'): void {
  if (!hasPermission(p, needed)) {
    throw new DomainError('forbidden', 'PermissionDenied', `this API account lacks the ${needed} permission`, { permission: needed });
  }
}

/** What an action asks of an API account: any command access, read-only (or full), or full. */
export type AccountNeed = 'any' | 'read_only' | 'full';

/** Who called: an OAuth2 API account (bearer token) or a site user (username + password). */
export type ApiPrincipal =
  | { kind: 'api-account'; id: string; name: string; permissions: ApiPermissions }
  | { kind: 'user'; id: string; name: string; permissions: ApiPermissions; user: SiteUser };

/** A site user's rights seen through the API account model (what the reporting and backup handlers check). */
export function userApiPermissions(p: SiteUserPermissions): ApiPermissions {
  return { reporting: p.reportingApi, backup: p.backupApi, command: !p.commandApi ? 'deny' : p.administrator ? 'full' : 'read_only' };
}

/** Whether the caller may run an action that needs `access` (API accounts and site users have different models). */
export function principalMay(principal: ApiPrincipal, access: { account: AccountNeed; user: UserNeed }): boolean {
  if (principal.kind === 'user') return userMay(principal.user.permissions, access.user);
  const command = principal.permissions.command;
  return access.account === 'any' || (access.account === 'read_only' ? command !== 'deny' : command === 'full');
}

/** Token rules from the vendor's OAuth2 client-credentials flow. */
export const TOKEN_LIFETIME_SECONDS = 3600;
/** At most this many valid tokens per account: the next one invalidates the oldest. */
export const MAX_TOKENS_PER_ACCOUNT = 30;
/**
 * Per-source limits (issue 17 items 2, 3): failed authentications are counted per client address, never per
 * account, so nobody can lock an account out by failing on purpose; the token endpoint also bounds all
 * requests from one source.
 */
export const AUTH_FAILURES_PER_MINUTE = 20;
export const TOKEN_REQUESTS_PER_SOURCE_PER_MINUTE = 600;
export const TOKEN_REQUESTS_PER_MINUTE = AUTH_FAILURES_PER_MINUTE;
export const RATE_WINDOW_MS = 60_000;

export const isTokenExpired = (expiresAtMs: number, nowMs: number) => nowMs >= expiresAtMs;

/**
 * Sliding-window limiter over the timestamps of recent attempts (pure).
 * Returns the attempts to keep (this one included when allowed) and, when refused, seconds to wait.
 */
export function slidingWindow(
  recent: readonly number[],
  nowMs: number,
  limit = TOKEN_REQUESTS_PER_MINUTE,
  windowMs = RATE_WINDOW_MS,
): { allowed: boolean; attempts: number[]; retryAfterSeconds?: number } {
  const live = recent.filter((t) => t > nowMs - windowMs).sort((a, b) => a - b);
  if (live.length >= limit) {
    return { allowed: false, attempts: live, retryAfterSeconds: Math.max(1, Math.ceil((live[0]! + windowMs - nowMs) / 1000)) };
  }
  return { allowed: true, attempts: [...live, nowMs] };
}

/** A client id as we accept it: printable, bounded (it becomes part of a storage key). */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * Parses `Authorization: Basic base64(id:secret)`; undefined when absent or malformed. Taken raw, as the
 * vendor's test scenario builds it (base64 of "Client ID:Client Secret", secrets may contain `+`).
 */
export function parseBasicAuth(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]{1,512})$/i.exec(header?.trim() ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
}

/** Parses `Authorization: Bearer <token>`; undefined when absent. Tokens are 40 alphanumerics. */
export function parseBearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
  return m?.[1];
}
export const TOKEN_PATTERN = /^[A-Za-z0-9]{40}$/;

export function parsePermissions(input: unknown): ApiPermissions {
  const p = (input ?? {}) as Record<string, unknown>;
  const command = p.command ?? 'deny';
  if (command !== 'full' && command !== 'read_only' && command !== 'deny') {
    throw validationError('InvalidPermissions', 'permissions.command must be full, read_only or deny');
  }
  for (const k of ['reporting', 'backup'] as const) {
    if (p[k] !== undefined && typeof p[k] !== 'boolean') throw validationError('InvalidPermissions', `permissions.${k} must be a boolean`);
  }
  return { reporting: p.reporting === true, command, backup: p.backup === true };
}
