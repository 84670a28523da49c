/**
 * The command API's actions as the appliance answers them: which API version has each action, what it asks
 * of the caller, its root element, and the XML of every response (one element per line, the API namespace on
 * the root from API 1.5.0, never a prefix). Facts and decisions: docs/vendor-api.md §4.
 */
import type { AccountNeed, ApiPermissions } from './api-access.js';
import type { ApiFlavor } from './api-flavor.js';
import type { Appliance } from '../../platform/core/appliance.js';
import type { SessionKey } from './session-key.js';
import type { UserNeed } from './site-users.js';
import { isAtLeast } from '../../platform/core/versions.js';
import { close, element, empty, isoSeconds, leaf, open, rootLeafDocument, rootOpen, unixSeconds, XML_DECLARATION } from './xml.js';

export interface ActionSpec {
  /** First API version that has the action (older appliances answer as for an unknown action). */
  since: string;
  /** Root element of the answer; undefined for actions that answer `<success>` (their errors are a root `<error>`). */
  root?: string;
  access: { account: AccountNeed; user: UserNeed };
}

/**
 * The vendor's action list. API 1.5.0 (10.6) documents five actions; the guide for 14.1 (API 1.11.0) has the
 * others, leave_session arrives between 18.2 and 21.1. Where the arrival version is unknown the choice is
 * documented in docs/vendor-api.md §4 (check_health and set_failover_role: every version, the control plane
 * relies on them; the 14.1 additions: from API 1.6.0, the first version after the 1.5.0 guide).
 */
export const COMMAND_ACTIONS = {
  get_api_info: { since: '1.0.0', root: 'get_api_info', access: { account: 'read_only', user: 'none' } },
  get_logged_in_reps: { since: '1.0.0', root: 'logged_in_reps', access: { account: 'read_only', user: 'command' } },
  get_support_teams: { since: '1.0.0', root: 'support_teams', access: { account: 'read_only', user: 'command' } },
  generate_session_key: { since: '1.0.0', root: 'session_key', access: { account: 'full', user: 'support' } },
  transfer_session: { since: '1.0.0', access: { account: 'full', user: 'admin' } },
  check_health: { since: '1.0.0', root: 'check_health', access: { account: 'read_only', user: 'admin' } },
  set_failover_role: { since: '1.0.0', access: { account: 'full', user: 'admin' } },
  join_session: { since: '1.6.0', access: { account: 'full', user: 'admin' } },
  set_session_attributes: { since: '1.6.0', access: { account: 'full', user: 'admin' } },
  get_session_attributes: { since: '1.6.0', root: 'custom_attributes', access: { account: 'read_only', user: 'admin' } },
  terminate_session: { since: '1.6.0', access: { account: 'full', user: 'admin' } },
  get_appliances: { since: '1.6.0', root: 'appliances', access: { account: 'read_only', user: 'command' } },
  get_connected_client_list: { since: '1.6.0', root: 'connected_client_list', access: { account: 'read_only', user: 'command' } },
  get_connected_clients: { since: '1.6.0', root: 'connected_clients', access: { account: 'read_only', user: 'command' } },
  leave_session: { since: '1.21.0', access: { account: 'read_only', user: 'admin' } },
} as const satisfies Record<string, ActionSpec>;

export type CommandActionName = keyof typeof COMMAND_ACTIONS;

type NamedAction = Readonly<ActionSpec & { name: CommandActionName }>;

// Every command request looks its action up: the actions of each API version are worked out once.
const actionsByApiVersion = new Map<string, ReadonlyMap<string, NamedAction>>();

function actionsFor(apiVersion: string): ReadonlyMap<string, NamedAction> {
  let actions = actionsByApiVersion.get(apiVersion);
  if (!actions) {
    const entries = (Object.entries(COMMAND_ACTIONS) as [CommandActionName, ActionSpec][])
      .filter(([, spec]) => isAtLeast(apiVersion, spec.since))
      .map(([name, spec]) => [name, Object.freeze({ ...spec, name })] as const);
    actions = new Map(entries);
    if (actionsByApiVersion.size < 1_000) actionsByApiVersion.set(apiVersion, actions);
  }
  return actions;
}

/** The action by name when the appliance's API version has it (own keys only: `__proto__` is no action). */
export function actionSpec(name: string | undefined, flavor: ApiFlavor): NamedAction | undefined {
  return name === undefined ? undefined : actionsFor(flavor.apiVersion).get(name);
}

export const actionsOf = (flavor: ApiFlavor) => (Object.keys(COMMAND_ACTIONS) as CommandActionName[]).filter((n) => actionSpec(n, flavor));

/** `display_name` is deprecated from API 1.10.0 in favour of the public and private display names. */
export const hasSplitDisplayNames = (flavor: ApiFlavor) => isAtLeast(flavor.apiVersion, '1.10.0');
/** `<company_name>` left get_api_info in API 1.24.1. */
export const hasCompanyName = (flavor: ApiFlavor) => !isAtLeast(flavor.apiVersion, '1.24.1');

const doc = (flavor: Pick<ApiFlavor, 'namespace'>, root: string, children: string, attrs: Record<string, string | number | undefined> = {}) =>
  XML_DECLARATION + rootOpen(root, flavor.namespace, attrs) + children + close(root);

/** An error inside the action's own root: `<logged_in_reps><error>Login failed</error></logged_in_reps>`. */
export const errorInRootXml = (flavor: Pick<ApiFlavor, 'namespace'>, root: string, message: string) => doc(flavor, root, leaf('error', message));
/** An error as the whole document (actions that answer `<success>`, unknown actions). */
export const rootErrorXml = (flavor: Pick<ApiFlavor, 'namespace'>, message: string) => rootLeafDocument('error', flavor.namespace, message);
export const successXml = (flavor: ApiFlavor, message: string) => rootLeafDocument('success', flavor.namespace, message);

const flag = (b: boolean) => (b ? '1' : '0');
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const html = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** get_api_info: API version, company API name (before 1.24.1), server time; an API account also sees its permissions. */
export function apiInfoXml(flavor: ApiFlavor, input: { now: Date; companyName: string; permissions?: ApiPermissions }): string {
  const p = input.permissions;
  const permissions = p
    ? element(
        'permissions',
        element(
          'permission',
          leaf('perm_backup', flag(p.backup)) +
            leaf('perm_command', p.command) +
            leaf('perm_configuration', '0') +
            leaf('perm_configuration_vault_account', '0') +
            leaf('perm_ecm', '0') +
            leaf('perm_real_time_state', '0') +
            leaf('perm_reporting_archive', '0') +
            leaf('perm_reporting_license', '0') +
            leaf('perm_reporting_presentation', '0') +
            leaf('perm_reporting_support', flag(p.reporting)),
        ),
      )
    : '';
  return doc(
    flavor,
    'get_api_info',
    leaf('api_version', flavor.apiVersion) +
      (hasCompanyName(flavor) ? leaf('company_name', input.companyName) : '') +
      leaf('timestamp', Math.floor(input.now.getTime() / 1000)) +
      permissions,
  );
}

/** The "Company API Name" (/login > Status > Information): the primary hostname's organisation label. */
export function companyApiName(a: Pick<Appliance, 'license' | 'hostname'>): string {
  const labels = (a.license.primaryHostname || a.hostname).split('.');
  return (labels.length >= 2 ? labels[labels.length - 2]! : labels[0]!).toLowerCase();
}

/**
 * check_health: `<appliance id>` holds the hostname; version, success, the error message when unhealthy,
 * the failover role, and the last data sync when failover is configured.
 */
export function checkHealthXml(flavor: ApiFlavor, a: Appliance): string {
  const f = a.failover;
  const failed = a.state === 'failed';
  const sync =
    f.role !== 'none' && f.lastSyncAt
      ? leaf('last_data_sync_time', isoSeconds(f.lastSyncAt), { ts: unixSeconds(f.lastSyncAt) }) + leaf('last_data_sync_status', f.lastSyncStatus ?? 'unknown')
      : '';
  return doc(
    flavor,
    'check_health',
    leaf('appliance', a.hostname, { id: a.applianceId }) +
      leaf('version', a.productVersion) +
      leaf('success', failed ? '0' : '1') +
      (failed ? leaf('error_message', a.lastInstallError ?? 'the last software install failed') : '') +
      leaf('failover_role', f.role) +
      sync,
  );
}

export interface LoggedInRep {
  userId: number;
  publicDisplayName: string;
  privateDisplayName: string;
  loggedInSince: string;
  supportSessionCount: number;
  showingOnRepList: boolean;
  /** URL customers use to reach this representative directly. */
  directUrl: string;
}

/** get_logged_in_reps: one `<rep>` per logged-in representative (none: an empty root). */
export function loggedInRepsXml(flavor: ApiFlavor, reps: readonly LoggedInRep[]): string {
  const split = hasSplitDisplayNames(flavor);
  let body = '';
  for (const r of reps) {
    body +=
      open('rep', { id: r.userId }) +
      leaf('display_name', r.publicDisplayName) +
      (split ? leaf('public_display_name', r.publicDisplayName) + leaf('private_display_name', r.privateDisplayName) : '') +
      leaf('type', 'Normal') +
      // The vendor sends an HTML anchor as element text (XML-escaped), not as markup; its parts are HTML-escaped first.
      leaf('direct_link', `<a href="${html(r.directUrl)}">${html(r.publicDisplayName)}</a>`) +
      leaf('logged_in_since', isoSeconds(r.loggedInSince), { ts: unixSeconds(r.loggedInSince) }) +
      leaf('presentation_count', 0) +
      leaf('support_session_count', r.supportSessionCount) +
      leaf('showing_on_rep_list', flag(r.showingOnRepList)) +
      close('rep');
  }
  return doc(flavor, 'logged_in_reps', body);
}

export interface TeamView {
  teamId: number;
  name: string;
  codeName: string;
  members: { userId: number; displayName: string }[];
}

/** get_support_teams: `<support_team id>` with its name; with `showmembers`, `<members>` of `<representative id>`. */
export function supportTeamsXml(flavor: ApiFlavor, teams: readonly TeamView[], showMembers: boolean): string {
  let body = '';
  for (const t of teams) {
    const members = showMembers
      ? element('members', t.members.map((m) => element('representative', leaf('display_name', m.displayName), { id: m.userId })).join(''))
      : '';
    body += element('support_team', leaf('name', t.name) + leaf('code_name', t.codeName) + members, { id: t.teamId });
  }
  return doc(flavor, 'support_teams', body);
}

/** generate_session_key: the key, its URL and expiry, the queue, and an invitation mail the representative can send. */
export function sessionKeyXml(flavor: ApiFlavor, key: SessionKey, view: { queueName: string; mailSubject: string; mailBody: string; url: string }): string {
  return doc(
    flavor,
    'session_key',
    leaf('type', key.type) +
      leaf('ttl', key.ttl) +
      leaf('expires', Math.floor(Date.parse(key.expiresAt) / 1000)) +
      leaf('queue', view.queueName) +
      leaf('queue_id', key.queue) +
      leaf('external_key', key.externalKey) +
      leaf('short_key', key.shortKey) +
      leaf('key_url', view.url) +
      leaf('mail_subject', view.mailSubject) +
      leaf('mail_body', view.mailBody),
  );
}

/** get_session_attributes: one `<custom_attribute>` per set attribute (the external key among them). */
export function customAttributesXml(flavor: ApiFlavor, externalKey: string, attributes: Record<string, string>): string {
  const all = { ...(externalKey ? { external_key: externalKey } : {}), ...attributes };
  let body = '';
  for (const [code, value] of Object.entries(all)) body += leaf('custom_attribute', value, { display_name: code, code_name: code });
  return doc(flavor, 'custom_attributes', body);
}

/** get_appliances: this appliance as a single (unclustered) one. */
export function appliancesXml(flavor: ApiFlavor, appliances: readonly Appliance[]): string {
  let body = '';
  for (const a of appliances) {
    body += element(
      'appliance',
      leaf('name', a.hostname) +
        leaf('public_hostname', a.hostname) +
        leaf('cluster_role', 'single') +
        leaf('failover_role', a.failover.role) +
        leaf('accepting_connections', flag(a.state === 'online')) +
        leaf('timezone_offset', 0),
      { id: a.applianceId },
    );
  }
  return doc(flavor, 'appliances', body);
}

export type ClientType = 'representative' | 'support_customer' | 'presentation_attendee' | 'push_agent';
export const CLIENT_TYPES: readonly ClientType[] = ['representative', 'support_customer', 'presentation_attendee', 'push_agent'];

export interface ConnectedClient {
  id: string;
  type: ClientType;
  hostname: string;
  connectedSince: string;
}

/** get_connected_client_list: a per-appliance count by type, then (unless `summary_only`) one element per client. */
export function connectedClientListXml(flavor: ApiFlavor, applianceId: string, clients: readonly ConnectedClient[], types: readonly ClientType[], summaryOnly: boolean): string {
  const counts = types.map((type) => leaf('count', clients.filter((c) => c.type === type).length, { type })).join('');
  const summary = element('connected_client_summary', element('appliance_summary', counts, { id: applianceId }));
  const list = summaryOnly ? '' : clients.map((c) => empty('connected_client', { type: c.type, id: c.id })).join('');
  return doc(flavor, 'connected_client_list', summary + list);
}

/** get_connected_clients: details of the requested clients, one `connected_<type>` element each. */
export function connectedClientsXml(flavor: ApiFlavor, applianceId: string, clients: readonly ConnectedClient[], includeConnections: boolean): string {
  let body = '';
  for (const c of clients) {
    body += element(
      `connected_${c.type}`,
      (includeConnections ? element('client_connections', empty('client_connection', { appliance_id: applianceId, connected_since: unixSeconds(c.connectedSince) })) + empty('event_log') : '') +
        leaf('hostname', c.hostname) +
        leaf('platform', 'Windows', { id: 'windows' }) +
        leaf('timezone_offset', 0) +
        leaf('connected_since', isoSeconds(c.connectedSince), { ts: unixSeconds(c.connectedSince) }),
      { id: c.id },
    );
  }
  return doc(flavor, 'connected_clients', body);
}
