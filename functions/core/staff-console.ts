/**
 * Staff (representative) consoles installed on technicians' computers. They upgrade after the site:
 * auto-update consoles on their next start, MSI-deployed consoles (locked-down machines) only when
 * redeployed. Pure rules; storage is functions/app/staff-consoles.ts.
 */
import { preconditionFailed } from './errors.js';
import { compareVersions } from './versions.js';

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
  registeredAt: string;
  /** True while the representative is logged in to the site with this console. */
  loggedIn: boolean;
  loggedInAt?: string;
  lastStartedAt?: string;
  lastLogout?: { at: string; reason: 'logout' | 'terminated-by-upgrade' };
  /** Set when a site upgrade left this console behind (written when the install settles). */
  flag?: { status: Exclude<ConsoleStatus, 'current'>; siteVersion: string; since: string };
}

/** Where a console stands against the site version. */
export function consoleStatus(c: Pick<StaffConsole, 'version' | 'deployment'>, siteVersion: string): ConsoleStatus {
  if (compareVersions(c.version, siteVersion) >= 0) return 'current';
  return c.deployment === 'msi' ? 'needs-redeploy' : 'pending-auto-update';
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
  /** Consoles behind the site, with what brings them up to date. */
  laggards: { consoleId: string; username: string; version: string; deployment: ConsoleDeployment; status: Exclude<ConsoleStatus, 'current'>; action: string; since?: string }[];
}

export function consoleReport(applianceId: string, siteVersion: string, consoles: StaffConsole[]): ConsoleReport {
  const laggards: ConsoleReport['laggards'] = [];
  for (const c of consoles) {
    const status = consoleStatus(c, siteVersion);
    if (status === 'current') continue;
    laggards.push({
      consoleId: c.consoleId,
      username: c.username,
      version: c.version,
      deployment: c.deployment,
      status,
      action: status === 'needs-redeploy' ? 'redeploy the MSI package' : 'upgrades automatically on next start',
      since: c.flag?.since,
    });
  }
  laggards.sort((a, b) => compareVersions(a.version, b.version) || a.consoleId.localeCompare(b.consoleId));
  return { applianceId, siteVersion, total: consoles.length, current: consoles.length - laggards.length, laggards };
}

function withoutFlag(c: StaffConsole): StaffConsole {
  const { flag: _f, ...rest } = c;
  return rest;
}
function withoutLogin(c: StaffConsole): StaffConsole {
  const { loggedInAt: _l, ...rest } = c;
  return { ...rest, loggedIn: false };
}
