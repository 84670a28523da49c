/**
 * The command API (`/api/command?action=…`): each action of the appliance's API version, its parameters,
 * what it asks of the caller, and what it changes. Refusals are DomainErrors with the vendor-style message;
 * the HTTP layer puts them in the action's root (functions/emulator/api/sessions/xml-response.ts). Every action that
 * changes a session is safe to retry: a repeated join is a no-op, a repeated terminate refuses and changes nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { apiFlavor, type ApiFlavor } from '../core/api-flavor.js';
import { principalMay, type ApiPrincipal } from '../core/api-access.js';
import type { Appliance } from '../../platform/core/appliance.js';
import {
  actionSpec,
  apiInfoXml,
  appliancesXml,
  checkHealthXml,
  CLIENT_TYPES,
  companyApiName,
  connectedClientListXml,
  connectedClientsXml,
  customAttributesXml,
  loggedInRepsXml,
  sessionKeyXml,
  successXml,
  supportTeamsXml,
  type ActionSpec,
  type ClientType,
  type CommandActionName,
  type ConnectedClient,
  type LoggedInRep,
} from '../core/command-xml.js';
import { conflict, DomainError, notFound, validationError } from '../../platform/core/errors.js';
import { queryAll } from '../../platform/core/ports.js';
import { isGuidLsid, isLegacyLsid, type SupportSession } from '../core/session.js';
import { closeInvolvement, customParams, EXTERNAL_KEY_CODE, joinRepresentative, leaveRepresentative, MAX_ATTRIBUTE_LENGTH, requireActive, setCustomAttributes, transferSession } from '../core/session-commands.js';
import { keyUrl, mailBody, MAIL_SUBJECT, newShortKey, parsePriority, parseSkills, parseTtl, type SessionKey } from '../core/session-key.js';
import { parseQueueId, queueName, usernameKey, USERNAME_PATTERN, type QueueRef, type SiteUser, type SupportTeam } from '../core/site-users.js';
import type { AppContext } from '../../platform/app/context.js';
import { setFailoverRole } from './failover-pairs.js';
import { storeSessionKey } from './session-keys.js';
import { endSession, getSession, putSession } from './session-store.js';
import { listSiteUsers, listSupportTeams } from './site-users.js';
import { listConsoles } from './staff-console-store.js';

export interface CommandRequest {
  ctx: AppContext;
  appliance: Appliance;
  principal: ApiPrincipal;
  params: Record<string, string>;
}

type Handler = (request: CommandRequest, flavor: ApiFlavor) => Promise<string>;

const missing = (name: string) => validationError('MissingParameter', `Missing required parameter: ${name}`, { parameter: name });
const invalid = (name: string, code = 'InvalidParameter') => validationError(code, `Invalid value for parameter: ${name}`, { parameter: name });

const flag = (params: Record<string, string>, name: string): boolean => {
  const value = params[name] ?? '0';
  if (value !== '0' && value !== '1') throw invalid(name, 'InvalidFlag');
  return value === '1';
};

function lsidOf(params: Record<string, string>, flavor: ApiFlavor): string {
  const lsid = params.lsid;
  if (lsid === undefined || lsid === '') throw missing('lsid');
  if (!(flavor.guidLsid ? isGuidLsid(lsid) : isLegacyLsid(lsid))) throw invalid('lsid', 'InvalidLsid');
  return lsid;
}

async function activeSession(ctx: AppContext, appliance: Appliance, lsid: string): Promise<SupportSession> {
  const session = await getSession(ctx, appliance.applianceId, lsid);
  if (!session) throw notFound('SessionNotFound', 'No session with this lsid');
  requireActive(session);
  return session;
}

/** Active sessions of the appliance, from their small markers (never a scan of the session history). */
async function activeSessions(ctx: AppContext, applianceId: string): Promise<SupportSession[]> {
  const markers = await queryAll(ctx.records.sessions, { pk: `APPLIANCE#${applianceId}`, sk: { beginsWith: 'ACTIVE#' } });
  const sessions = await Promise.all(markers.map((m) => getSession(ctx, applianceId, String(m.lsid))));
  return sessions.filter((s): s is SupportSession => s?.status === 'active');
}

interface SitePeople {
  users: SiteUser[];
  teams: SupportTeam[];
}
const peopleOf = async (ctx: AppContext, applianceId: string): Promise<SitePeople> => {
  const [users, teams] = await Promise.all([listSiteUsers(ctx, applianceId), listSupportTeams(ctx, applianceId)]);
  return { users, teams };
};

/** Logged-in representatives: site users with a logged-in staff console on this appliance. */
export async function loggedInReps(ctx: AppContext, appliance: Appliance): Promise<(LoggedInRep & { user: SiteUser; consoleId: string })[]> {
  const [consoles, users, sessions] = await Promise.all([listConsoles(ctx, appliance.applianceId), listSiteUsers(ctx, appliance.applianceId), activeSessions(ctx, appliance.applianceId)]);
  const byName = new Map(users.filter((u) => !u.disabled).map((u) => [usernameKey(u.username), u]));
  const reps = new Map<number, LoggedInRep & { user: SiteUser; consoleId: string }>();
  for (const c of consoles) {
    const user = byName.get(usernameKey(c.username));
    if (!c.loggedIn || !user) continue;
    const since = c.loggedInAt ?? c.lastStartedAt ?? c.registeredAt;
    const seen = reps.get(user.userId);
    if (seen && seen.loggedInSince <= since) continue;
    reps.set(user.userId, {
      user,
      consoleId: c.consoleId,
      userId: user.userId,
      publicDisplayName: user.publicDisplayName,
      privateDisplayName: user.privateDisplayName,
      loggedInSince: since,
      supportSessionCount: sessions.filter((s) => s.representatives?.some((r) => r.id === user.userId && r.joinedAt)).length,
      showingOnRepList: user.showOnRepList && user.permissions.provideRemoteSupport,
      directUrl: `https://${appliance.hostname}/?id=${user.userId}`,
    });
  }
  return [...reps.values()].sort((a, b) => a.userId - b.userId);
}

/** A representative named by `rep_id` or `rep_username` (exactly one of them). */
function representativeParam(params: Record<string, string>, users: readonly SiteUser[], optional = false): SiteUser | undefined {
  const { rep_id: id, rep_username: name } = params;
  if (id !== undefined && name !== undefined) throw validationError('InvalidParameter', 'Give rep_id or rep_username, not both');
  if (id === undefined && name === undefined) {
    if (optional) return undefined;
    throw missing('rep_id');
  }
  if (id !== undefined && !/^[1-9][0-9]{0,8}$/.test(id)) throw invalid('rep_id');
  if (name !== undefined && !USERNAME_PATTERN.test(name)) throw invalid('rep_username');
  const user = users.find((u) => (id !== undefined ? u.userId === Number(id) : usernameKey(u.username) === usernameKey(name!)));
  if (!user || user.disabled) throw notFound('RepresentativeNotFound', 'No such representative');
  return user;
}

/** Resolves a queue to what sessions and keys store, checking that its representative or team exists. */
function resolveQueue(ref: QueueRef, people: SitePeople): { queue: string; teamId?: number; label: string } {
  switch (ref.kind) {
    case 'general':
      return { queue: 'general', label: 'General Queue' };
    case 'rep':
    case 'rep_username': {
      const user = people.users.find((u) => (ref.kind === 'rep' ? u.userId === ref.userId : usernameKey(u.username) === usernameKey(ref.username)));
      if (!user || user.disabled) throw notFound('RepresentativeNotFound', 'No such representative');
      return { queue: queueName({ kind: 'rep', userId: user.userId }), label: user.publicDisplayName };
    }
    case 'team': {
      const team = people.teams.find((t) => t.teamId === ref.teamId);
      if (!team) throw notFound('TeamNotFound', 'No such support team');
      return { queue: queueName({ kind: 'team', teamId: team.teamId }), teamId: team.teamId, label: team.name };
    }
    case 'issue': {
      const team = people.teams.find((t) => t.issues.includes(ref.codeName));
      if (!team) throw notFound('IssueNotFound', 'No such issue');
      return { queue: queueName({ kind: 'team', teamId: team.teamId }), teamId: team.teamId, label: team.name };
    }
  }
}

/** Connected clients: representatives (logged-in consoles) and support customers (active sessions). Ids are stable while connected. */
async function connectedClients(ctx: AppContext, appliance: Appliance): Promise<ConnectedClient[]> {
  const id = (text: string) => createHash('sha256').update(`${appliance.applianceId}\0${text}`).digest('hex').slice(0, 16);
  const [reps, sessions] = await Promise.all([loggedInReps(ctx, appliance), activeSessions(ctx, appliance.applianceId)]);
  return [
    ...reps.map((r) => ({ id: id(`rep\0${r.consoleId}\0${r.loggedInSince}`), type: 'representative' as const, hostname: r.consoleId, connectedSince: r.loggedInSince })),
    ...sessions.map((s) => ({ id: id(`customer\0${s.lsid}`), type: 'support_customer' as const, hostname: s.hostName, connectedSince: s.startTime })),
  ];
}

function clientTypes(params: Record<string, string>): ClientType[] {
  const text = params.type ?? 'all';
  const types = text.split(',').map((t) => t.trim());
  if (types.includes('all')) return [...CLIENT_TYPES];
  if (types.some((t) => !(CLIENT_TYPES as readonly string[]).includes(t))) throw invalid('type');
  return [...new Set(types)] as ClientType[];
}

async function saveChanged(ctx: AppContext, before: SupportSession, after: SupportSession): Promise<void> {
  if (after !== before) await putSession(ctx, after);
}

const handlers: Record<CommandActionName, Handler> = {
  get_api_info: async ({ ctx, appliance, principal }, flavor) =>
    apiInfoXml(flavor, { now: ctx.clock.now(), companyName: companyApiName(appliance), permissions: principal.kind === 'api-account' ? principal.permissions : undefined }),

  check_health: async ({ appliance }, flavor) => checkHealthXml(flavor, appliance),

  get_logged_in_reps: async ({ ctx, appliance }, flavor) => loggedInRepsXml(flavor, await loggedInReps(ctx, appliance)),

  get_support_teams: async ({ ctx, appliance, params }, flavor) => {
    // `showmembers` is a flag clients often send without a value (`&showmembers`); only 0 turns it off.
    const showMembers = params.showmembers !== undefined && params.showmembers !== '0';
    const { users, teams } = await peopleOf(ctx, appliance.applianceId);
    const names = new Map(users.map((u) => [u.userId, u.publicDisplayName]));
    const views = teams.map((t) => ({
      teamId: t.teamId,
      name: t.name,
      codeName: t.codeName,
      members: t.members.filter((m) => names.has(m.userId)).map((m) => ({ userId: m.userId, displayName: names.get(m.userId)! })),
    }));
    return supportTeamsXml(flavor, views, showMembers);
  },

  generate_session_key: async ({ ctx, appliance, params, principal }, flavor) => {
    if (params.type === undefined) throw missing('type');
    if (params.type !== 'support') throw invalid('type');
    if (params.queue_id === undefined) throw missing('queue_id');
    const ref = parseQueueId(params.queue_id);
    const ttl = parseTtl(params.ttl);
    const priority = parsePriority(params.priority);
    const skills = parseSkills(params.skills);
    const custom = customParams(params);
    const externalKey = params.external_key ?? custom[EXTERNAL_KEY_CODE] ?? '';
    delete custom[EXTERNAL_KEY_CODE];
    if (externalKey.length > MAX_ATTRIBUTE_LENGTH) throw invalid('external_key');
    for (const [code, value] of Object.entries(custom)) if (value.length > MAX_ATTRIBUTE_LENGTH) throw invalid(`session.custom.${code}`);
    const urlHostname = params.url_hostname ?? appliance.hostname;
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(urlHostname) || urlHostname.length > 253) throw invalid('url_hostname');
    const target = resolveQueue(ref, await peopleOf(ctx, appliance.applianceId));
    const now = ctx.clock.now();
    const draft: Omit<SessionKey, 'shortKey'> = {
      applianceId: appliance.applianceId,
      type: 'support',
      queue: target.queue,
      queueId: params.queue_id,
      externalKey,
      customAttributes: Object.fromEntries(Object.entries(custom).filter(([, v]) => v !== '')),
      ...(priority ? { priority } : {}),
      skills,
      ttl,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttl * 1000).toISOString(),
      urlHostname,
      createdBy: `${principal.kind}:${principal.id}`,
    };
    const bytes = randomBytes(256);
    let at = 0;
    const key = await storeSessionKey(ctx, draft, () => newShortKey(() => (at < bytes.length ? bytes[at++]! : randomBytes(1)[0]!)));
    const url = keyUrl(urlHostname, key.shortKey);
    return sessionKeyXml(flavor, key, { queueName: target.label, mailSubject: MAIL_SUBJECT, mailBody: mailBody(url, key.shortKey), url });
  },

  transfer_session: async ({ ctx, appliance, params }, flavor) => {
    const lsid = lsidOf(params, flavor);
    if (params.queue_id === undefined) throw missing('queue_id');
    const ref = parseQueueId(params.queue_id, ['rep', 'team', 'rep_username']);
    const target = resolveQueue(ref, await peopleOf(ctx, appliance.applianceId));
    const session = await activeSession(ctx, appliance, lsid);
    await saveChanged(ctx, session, session.queue === target.queue ? session : transferSession(session, target.queue, target.teamId));
    return successXml(flavor, 'Successfully transferred');
  },

  join_session: async ({ ctx, appliance, params }, flavor) => {
    const lsid = lsidOf(params, flavor);
    const rep = representativeParam(params, await listSiteUsers(ctx, appliance.applianceId))!;
    if (!(await loggedInReps(ctx, appliance)).some((r) => r.userId === rep.userId)) throw conflict('RepresentativeNotLoggedIn', 'The representative is not logged in');
    const session = await activeSession(ctx, appliance, lsid);
    await saveChanged(ctx, session, joinRepresentative(session, rep, ctx.clock.now().toISOString()));
    return successXml(flavor, 'Representative successfully added');
  },

  leave_session: async ({ ctx, appliance, params }, flavor) => {
    const lsid = lsidOf(params, flavor);
    const customer = params.customer;
    if (customer !== undefined && customer !== '1') throw invalid('customer');
    const rep = representativeParam(params, await listSiteUsers(ctx, appliance.applianceId), true);
    if (!rep && customer === undefined) throw missing('rep_id, rep_username or customer');
    if (rep && customer !== undefined) throw validationError('InvalidParameter', 'Give a representative or customer=1, not both');
    const session = await activeSession(ctx, appliance, lsid);
    const now = ctx.clock.now();
    // The customer leaving ends the session (nobody is left to support).
    const next = rep ? leaveRepresentative(session, rep.userId, now.toISOString()) : endSession(closeInvolvement(session, now.toISOString()), now, 'completed');
    await putSession(ctx, next);
    return successXml(flavor, rep ? 'Representative successfully removed' : 'Customer successfully removed');
  },

  set_session_attributes: async ({ ctx, appliance, params }, flavor) => {
    const lsid = lsidOf(params, flavor);
    const updates = customParams(params);
    const session = await activeSession(ctx, appliance, lsid);
    await saveChanged(ctx, session, Object.keys(updates).length === 0 ? session : setCustomAttributes(session, updates));
    return successXml(flavor, 'Session attributes were set');
  },

  get_session_attributes: async ({ ctx, appliance, params }, flavor) => {
    const session = await activeSession(ctx, appliance, lsidOf(params, flavor));
    return customAttributesXml(flavor, session.externalKey, session.customAttributes ?? {});
  },

  terminate_session: async ({ ctx, appliance, params }, flavor) => {
    const session = await activeSession(ctx, appliance, lsidOf(params, flavor));
    const now = ctx.clock.now();
    await putSession(ctx, endSession(closeInvolvement(session, now.toISOString()), now, 'terminated-by-api'));
    return successXml(flavor, 'Successfully terminated');
  },

  get_appliances: async ({ appliance }, flavor) => appliancesXml(flavor, [appliance]),

  get_connected_client_list: async ({ ctx, appliance, params }, flavor) => {
    const types = clientTypes(params);
    const summaryOnly = flag(params, 'summary_only');
    const clients = (await connectedClients(ctx, appliance)).filter((c) => types.includes(c.type));
    return connectedClientListXml(flavor, appliance.applianceId, clients, types, summaryOnly);
  },

  get_connected_clients: async ({ ctx, appliance, params }, flavor) => {
    const types = clientTypes(params);
    const includeConnections = flag(params, 'include_connections');
    const ids = params.id === undefined ? undefined : params.id.split(',').map((s) => s.trim());
    if (ids && (ids.length === 0 || ids.length > 100 || ids.some((i) => !/^[0-9a-f]{16}$/.test(i)))) throw invalid('id');
    const clients = (await connectedClients(ctx, appliance)).filter((c) => types.includes(c.type) && (!ids || ids.includes(c.id)));
    return connectedClientsXml(flavor, appliance.applianceId, clients, includeConnections);
  },

  set_failover_role: async ({ ctx, appliance, params }, flavor) => {
    const role = params.role;
    if (role === undefined) throw missing('role');
    if (role !== 'primary' && role !== 'backup') throw invalid('role', 'InvalidRole');
    const options = { dataSyncFirst: flag(params, 'data_sync_first'), force: flag(params, 'force') };
    const result = await setFailoverRole(ctx, appliance.applianceId, role, options);
    return successXml(flavor, result.message);
  },
};

function permissionDenied(principal: ApiPrincipal, spec: ActionSpec): DomainError {
  const message =
    principal.kind === 'api-account'
      ? `Permission denied: this API account needs ${spec.access.account === 'full' ? 'full' : 'read-only or full'} access to the command API`
      : spec.access.user === 'admin'
        ? 'Permission denied: this command requires an administrator'
        : spec.access.user === 'support' && principal.user.permissions.commandApi
          ? 'Permission denied: the user is not allowed to provide remote support'
          : 'Permission denied: the user is not allowed to use the command API';
  return new DomainError('forbidden', 'PermissionDenied', message);
}

/** The action of a request when the appliance's version has it; refusals for a missing or unknown one. */
export function commandSpec(params: Record<string, string>, flavor: ApiFlavor): ActionSpec & { name: CommandActionName } {
  const name = params.action;
  if (name === undefined || name === '') throw missing('action');
  const spec = actionSpec(name, flavor);
  if (!spec) throw validationError('UnknownAction', 'Invalid action', { action: name.slice(0, 64) });
  return spec;
}

/** Looks up and authorizes the action, then runs it; nothing runs before both checks pass. */
export async function runCommand(request: CommandRequest): Promise<string> {
  const flavor = apiFlavor(request.appliance.productVersion);
  const spec = commandSpec(request.params, flavor);
  if (!principalMay(request.principal, spec.access)) throw permissionDenied(request.principal, spec);
  return handlers[spec.name](request, flavor);
}
