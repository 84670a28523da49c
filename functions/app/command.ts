import { apiFlavor } from '../core/api-flavor.js';
import { requirePermission, type Permission } from '../core/api-access.js';
import type { Appliance } from '../core/appliance.js';
import { apiInfoXml, checkHealthXml, successXml } from '../core/command-xml.js';
import { DomainError, validationError } from '../core/errors.js';
import { isGuidLsid, isLegacyLsid } from '../core/session.js';
import type { ApiAccount } from './api-accounts.js';
import type { AppContext } from './context.js';
import { setFailoverRole } from './failover-pairs.js';
import { endSession, getSession, putSession } from './session-store.js';

export interface CommandRequest {
  ctx: AppContext;
  appliance: Appliance;
  account: ApiAccount;
  params: Record<string, string>;
}

/** One command API action: the permission it needs and what it does (returns the XML body). */
export interface CommandAction {
  permission: Permission | 'none';
  run(request: CommandRequest): Promise<string>;
}

const flag = (params: Record<string, string>, name: string): boolean => {
  const value = params[name] ?? '0';
  if (value !== '0' && value !== '1') throw validationError('InvalidFlag', `${name} must be 0 or 1`);
  return value === '1';
};

/** The command API's action table; any name not in it gets the vendor-style XML `<error>`. */
export const commandActions: Record<string, CommandAction> = {
  get_api_info: {
    permission: 'none',
    run: async ({ ctx, appliance, account }) => apiInfoXml(apiFlavor(appliance.productVersion), ctx.clock.now().toISOString(), account.permissions),
  },
  check_health: {
    permission: 'command-read',
    run: async ({ appliance }) => checkHealthXml(apiFlavor(appliance.productVersion), appliance),
  },
  terminate_session: {
    permission: 'command-full',
    run: async ({ ctx, appliance, params }) => {
      const flavor = apiFlavor(appliance.productVersion);
      const lsid = params.lsid;
      if (!lsid) throw validationError('MissingLsid', 'terminate_session needs the lsid parameter');
      if (!(flavor.guidLsid ? isGuidLsid(lsid) : isLegacyLsid(lsid))) throw validationError('InvalidLsid', 'lsid is not a session id of this appliance');
      const session = await getSession(ctx, appliance.applianceId, lsid);
      if (!session) throw new DomainError('not-found', 'SessionNotFound', 'no session with this lsid');
      if (session.status !== 'active') throw new DomainError('conflict', 'SessionNotActive', 'the session has already ended');
      await putSession(ctx, endSession(session, ctx.clock.now(), 'terminated-by-api'));
      return successXml(flavor, 'Session terminated.');
    },
  },
  set_failover_role: {
    permission: 'command-full',
    run: async ({ ctx, appliance, params }) => {
      const role = params.role;
      if (role !== 'primary' && role !== 'backup') throw validationError('InvalidRole', 'role must be primary or backup');
      const options = { dataSyncFirst: flag(params, 'data_sync_first'), force: flag(params, 'force') };
      const result = await setFailoverRole(ctx, appliance.applianceId, role, options);
      return successXml(apiFlavor(appliance.productVersion), result.message);
    },
  },
};

/** Looks up and authorizes an action; unknown actions and missing permissions refuse before anything runs. */
export async function runCommand(request: CommandRequest): Promise<string> {
  const name = request.params.action;
  if (!name) throw validationError('MissingAction', 'the action parameter is required');
  const action = Object.hasOwn(commandActions, name) ? commandActions[name] : undefined;
  if (!action) throw validationError('UnknownAction', 'unknown command API action', { action: name.slice(0, 64) });
  requirePermission(request.account.permissions, action.permission);
  return action.run(request);
}
