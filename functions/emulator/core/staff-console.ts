/**
 * Staff (representative) consoles installed on technicians' computers. They upgrade after the site. The
 * guide (アップグレードの準備, last point): installed consoles are upgraded after the site upgrade, usually
 * automatically the next time the representative runs them; consoles previously deployed with an MSI on
 * locked-down computers may need to be deployed again. So what decides is MSI *and* locked down: the
 * console cannot replace its own files there. An MSI console on an open machine updates itself like any
 * other. Pure rules; storage is functions/emulator/app/staff-consoles.ts.
 */
import { preconditionFailed } from '../../platform/core/errors.js';
import { compareVersions } from '../../platform/core/versions.js';

export type ConsoleDeployment = 'auto-update' | 'msi';
export type ConsoleStatus = 'current' | 'pending-auto-update' | 'needs-redeploy';

export interface StaffConsole {
  applianceId: string;
  consoleId: string;
  /** The representative using it. */
  username: string;
  /** Console version: the site version it was built for. */
  version: string;
  deployment: ConsoleDeployment;
  /**
   * The machine is locked down (users cannot install software): an MSI console there cannot update
   * itself. Unset on an MSI console means locked down (the reason MSI deployment is used at all).
   */
  lockedDown?: boolean;
  registeredAt: string;
  /** True while the representative is logged in to the site with this console. */
  loggedIn: boolean;
  loggedInAt?: string;
  lastStartedAt?: string;
  lastLogout?: { at: string; reason: 'logout' | 'terminated-by-upgrade' };
  /** Set when a site upgrade left this console behind (written when the install settles). */
  flag?: { status: Exclude<ConsoleStatus, 'current'>; siteVersion: string; since: string };
}

/** Only an MSI deployment on a locked-down machine stops a console from updating itself. */
export const mustRedeploy = (c: Pick<StaffConsole, 'deployment' | 'lockedDown'>) => c.deployment === 'msi' && c.lockedDown !== false;

/** Where a console stands against the site version. */
export function consoleStatus(c: Pick<StaffConsole, 'version' | 'deployment' | 'lockedDown'>, siteVersion: string): ConsoleStatus {
  if (compareVersions(c.version, siteVersion) >= 0) return 'current';
  return mustRedeploy(c) ? 'needs-redeploy' : 'pending-auto-update';
}

/** After a site upgrade: flags consoles left behind (idempotent: an already flagged console keeps its `since`). */
export function flagAfterSiteUpgrade(c: StaffConsole, siteVersion: string, at: string): StaffConsole {
  const status = consoleStatus(c, siteVersion);
  if (status === 'current') return c.flag ? withoutFlag(c) : c;
  if (c.flag?.status === status && c.flag.siteVersion === siteVersion) return c;
  return { ...c, flag: { status, siteVersion, since: at } };
}

/** Logged-in staff are logged out when an install starts. */
export const logOutForUpgrade = (c: StaffConsole, at: string): StaffConsole =>
  c.loggedIn ? { ...withoutLogin(c), lastLogout: { at, reason: 'terminated-by-upgrade' } } : c;

/**
 * The representative starts the console and logs in. An auto-update console behind the site upgrades
 * first; an MSI console behind the site is refused until it is redeployed.
 */
export function startConsole(c: StaffConsole, siteVersion: string, at: string): StaffConsole {
  const status = consoleStatus(c, siteVersion);
  if (status === 'needs-redeploy') {
    throw preconditionFailed('ConsoleNeedsRedeploy', `console ${c.consoleId} (${c.version}, MSI) is older than the site (${siteVersion}); redeploy the MSI package`, {
      consoleVersion: c.version,
      siteVersion,
    });
  }
  const upgraded = status === 'pending-auto-update' ? { ...withoutFlag(c), version: siteVersion } : c;
  return { ...upgraded, loggedIn: true, loggedInAt: at, lastStartedAt: at };
}

/** An administrator redeploys an MSI console at `version`. */
export function redeployConsole(c: StaffConsole, version: string): StaffConsole {
  return { ...withoutFlag(c), version };
}

export interface ConsoleReport {
  applianceId: string;
  siteVersion: string;
  total: number;
  current: number;
  /** Laggards an administrator must redeploy (MSI on locked-down machines): the ones that need action. */
  needAction: number;
  /** Laggards that update themselves on their next start. */
  updateThemselves: number;
  /** Consoles behind the site, with what brings them up to date. */
  laggards: {
    consoleId: string;
    username: string;
    version: string;
    deployment: ConsoleDeployment;
    lockedDown: boolean;
    status: Exclude<ConsoleStatus, 'current'>;
    /** True when someone must act (redeploy); false when the console updates itself. */
    needsAction: boolean;
    action: string;
    since?: string;
  }[];
}

export function consoleReport(applianceId: string, siteVersion: string, consoles: StaffConsole[]): ConsoleReport {
  const laggards: ConsoleReport['laggards'] = [];
  for (const c of consoles) {
    const status = consoleStatus(c, siteVersion);
    if (status === 'current') continue;
    const redeploy = status === 'needs-redeploy';
    laggards.push({
      consoleId: c.consoleId,
      username: c.username,
      version: c.version,
      deployment: c.deployment,
      lockedDown: c.deployment === 'msi' ? c.lockedDown !== false : c.lockedDown === true,
      status,
      needsAction: redeploy,
      action: redeploy ? `redeploy the MSI package (${siteVersion}) on the locked-down machine` : 'none: it upgrades itself on its next start',
      since: c.flag?.since,
    });
  }
  laggards.sort((a, b) => Number(b.needsAction) - Number(a.needsAction) || compareVersions(a.version, b.version) || a.consoleId.localeCompare(b.consoleId));
  const needAction = laggards.filter((l) => l.needsAction).length;
  return { applianceId, siteVersion, total: consoles.length, current: consoles.length - laggards.length, needAction, updateThemselves: laggards.length - needAction, laggards };
}

function withoutFlag(c: StaffConsole): StaffConsole {
  const { flag: _f, ...rest } = c;
  return rest;
}
function withoutLogin(c: StaffConsole): StaffConsole {
  const { loggedInAt: _l, ...rest } = c;
  return { ...rest, loggedIn: false };
}
