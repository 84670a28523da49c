import { BODY_LIMITS } from '../../../platform/api/body-limit.js';
import type { Route } from '../../../platform/api/http.js';
import { createBackupHandler, downloadBackupHandler, listBackupsHandler, restoreBackupHandler } from '../appliance/backups-handler.js';
import {
  applianceConsolesReportHandler,
  fleetConsolesReportHandler,
  listConsolesHandler,
  redeployConsoleHandler,
  registerConsoleHandler,
  startConsoleHandler,
} from '../appliance/consoles-handler.js';
import { apiUsageHandler, busyHoursHandler, createApplianceHandler, getApplianceHandler, listAppliancesHandler, siteLoginHandler } from '../appliance/fleet-handler.js';
import * as people from '../appliance/site-users-handler.js';
import { problemWithRetryAfter } from '../appliance/http-helpers.js';
import { deleteHoldHandler, getHoldHandler, putHoldHandler } from '../appliance/maintenance-hold-handler.js';
import { checkHealthHandler, textError } from '../site/public-site-handler.js';
import { getPackageHandler, listPackagesHandler, uploadPackageHandler } from '../appliance/packages-handler.js';
import {
  checkForUpdatesHandler,
  getInstallHandler,
  installStatusHandler,
  installUpdateHandler,
  listInstallsHandler,
  manualUpdateHandler,
} from '../appliance/updates-handler.js';
import { authenticateApplianceAdmin } from '../auth/appliance-admin-auth.js';
import { onSites } from '../site/site-hosting.js';

/** Routes the appliance's own administrator may call (HTTP Basic), beside operator tokens. */
const APPLIANCE_ADMIN = { auth: 'appliance-admin', applianceAdmin: authenticateApplianceAdmin } as const;

const A = '/appliances/:applianceId';
const BACKUPS = '/login/software-management/backups';
const USERS = '/login/users';
const TEAMS = '/login/support-teams';
// JSON bodies here are small (an appliance, a console, a user, install options); package files declare their own limit.
const route = (r: Omit<Route, 'group' | 'formatError'>): Route => ({ bodyLimit: r.method === 'GET' ? BODY_LIMITS.none : BODY_LIMITS.small, ...r, group: 'appliance', formatError: problemWithRetryAfter });
/** The appliance's own /login and /appliance pages: under /appliances/:applianceId and at its site root. */
const sitePage = (r: Omit<Route, 'group' | 'formatError' | 'site'>): Route => route({ ...r, site: true });

/** Routes of the appliance area: the fleet emulator, namespaced per appliance. */
export const applianceRoutes: Route[] = onSites([
  route({ method: 'GET', path: '/appliances', handler: listAppliancesHandler, auth: 'operator', summary: 'List the emulated fleet' }),
  route({ method: 'POST', path: '/appliances', handler: createApplianceHandler, ...APPLIANCE_ADMIN, summary: 'Add an appliance to the fleet' }),
  route({ method: 'GET', path: '/packages', handler: listPackagesHandler, auth: 'operator', summary: 'List stored packages (catalog and uploads)' }),
  route({ method: 'POST', path: '/packages', handler: uploadPackageHandler, bodyLimit: BODY_LIMITS.package, ...APPLIANCE_ADMIN, summary: 'Upload a signed package file (streamed, content-addressed)' }),
  route({ method: 'GET', path: '/packages/:packageId', handler: getPackageHandler, auth: 'operator', summary: 'One package and its prerequisites' }),
  route({ method: 'GET', path: '/staff-consoles/report', handler: fleetConsolesReportHandler, auth: 'operator', summary: 'Staff consoles behind their site, fleet-wide' }),
  route({ method: 'GET', path: A, handler: getApplianceHandler, ...APPLIANCE_ADMIN, summary: 'One appliance (state settled to now)' }),
  sitePage({ method: 'GET', path: '/login', handler: siteLoginHandler, auth: 'public', summary: 'Site /login landing: 503 + Retry-After while installing' }),
  sitePage({ method: 'GET', path: '/appliance/updates', handler: checkForUpdatesHandler, ...APPLIANCE_ADMIN, summary: 'Check for Updates: packages, status, reasons, license' }),
  sitePage({ method: 'POST', path: '/appliance/updates/manual', handler: manualUpdateHandler, bodyLimit: BODY_LIMITS.package, ...APPLIANCE_ADMIN, summary: 'Manual update: upload a package file and install it' }),
  sitePage({ method: 'POST', path: '/appliance/updates/:packageId/install', handler: installUpdateHandler, ...APPLIANCE_ADMIN, summary: 'Install this Update' }),
  sitePage({ method: 'GET', path: '/appliance/install', handler: installStatusHandler, ...APPLIANCE_ADMIN, summary: 'Install status (current or last)' }),
  sitePage({ method: 'GET', path: '/appliance/installs', handler: listInstallsHandler, ...APPLIANCE_ADMIN, summary: 'Install history' }),
  sitePage({ method: 'GET', path: '/appliance/installs/:installId', handler: getInstallHandler, ...APPLIANCE_ADMIN, summary: 'One install' }),
  sitePage({ method: 'GET', path: '/appliance/maintenance-hold', handler: getHoldHandler, ...APPLIANCE_ADMIN, summary: 'Maintenance hold: who holds the appliance (installs and failover changes need its token)' }),
  sitePage({ method: 'PUT', path: '/appliance/maintenance-hold', handler: putHoldHandler, ...APPLIANCE_ADMIN, summary: 'Place or renew a maintenance hold (token in the Maintenance-Hold-Token header)' }),
  sitePage({ method: 'DELETE', path: '/appliance/maintenance-hold', handler: deleteHoldHandler, ...APPLIANCE_ADMIN, summary: 'Release a maintenance hold (its token in the Maintenance-Hold-Token header)' }),
  sitePage({ method: 'POST', path: BACKUPS, handler: createBackupHandler, ...APPLIANCE_ADMIN, summary: 'Create a settings backup' }),
  sitePage({ method: 'GET', path: BACKUPS, handler: listBackupsHandler, ...APPLIANCE_ADMIN, summary: 'List settings backups' }),
  sitePage({ method: 'GET', path: `${BACKUPS}/:backupId`, handler: downloadBackupHandler, ...APPLIANCE_ADMIN, summary: 'Download a settings backup' }),
  sitePage({ method: 'POST', path: `${BACKUPS}/:backupId/restore`, handler: restoreBackupHandler, ...APPLIANCE_ADMIN, summary: 'Restore a settings backup onto this appliance' }),
  { method: 'GET', path: '/check_health', handler: checkHealthHandler, group: 'appliance', auth: 'public', site: true, summary: 'Site health probe: 200 when healthy, 500 otherwise, no data', formatError: textError },
  route({ method: 'GET', path: `${A}/api-usage`, handler: apiUsageHandler, ...APPLIANCE_ADMIN, summary: 'Who called the appliance\'s APIs lately (?since=ISO time): integrations to prepare for 10.6' }),
  route({ method: 'GET', path: `${A}/busy-hours`, handler: busyHoursHandler, ...APPLIANCE_ADMIN, summary: 'Busy hours from the session history (?timeZone=IANA zone), for placing windows' }),
  route({ method: 'GET', path: `${A}/staff-consoles`, handler: listConsolesHandler, ...APPLIANCE_ADMIN, summary: 'Registered staff consoles' }),
  route({ method: 'POST', path: `${A}/staff-consoles`, handler: registerConsoleHandler, ...APPLIANCE_ADMIN, summary: 'Register a staff console' }),
  route({ method: 'GET', path: `${A}/staff-consoles/report`, handler: applianceConsolesReportHandler, ...APPLIANCE_ADMIN, summary: 'Staff consoles behind the site' }),
  route({ method: 'POST', path: `${A}/staff-consoles/:consoleId/start`, handler: startConsoleHandler, auth: 'public', summary: "A representative starts the console and logs in with the site user's credential (auto-update)" }),
  route({ method: 'POST', path: `${A}/staff-consoles/:consoleId/redeploy`, handler: redeployConsoleHandler, ...APPLIANCE_ADMIN, summary: 'Redeploy an MSI console' }),
  sitePage({ method: 'GET', path: USERS, handler: people.listSiteUsersHandler, ...APPLIANCE_ADMIN, summary: 'Site users (representatives, administrators, API users)' }),
  sitePage({ method: 'POST', path: USERS, handler: people.createSiteUserHandler, ...APPLIANCE_ADMIN, summary: 'Create a site user (username, password, permissions)' }),
  sitePage({ method: 'GET', path: `${USERS}/:username`, handler: people.getSiteUserHandler, ...APPLIANCE_ADMIN, summary: 'One site user' }),
  sitePage({ method: 'PATCH', path: `${USERS}/:username`, handler: people.updateSiteUserHandler, ...APPLIANCE_ADMIN, summary: 'Change a site user (password, display names, permissions, disabled)' }),
  sitePage({ method: 'POST', path: `${USERS}/:username/disable`, handler: people.disableSiteUserHandler, ...APPLIANCE_ADMIN, summary: 'Disable a site user (no login, no API calls)' }),
  sitePage({ method: 'DELETE', path: `${USERS}/:username`, handler: people.deleteSiteUserHandler, ...APPLIANCE_ADMIN, summary: 'Delete a site user (and its team memberships)' }),
  sitePage({ method: 'GET', path: TEAMS, handler: people.listTeamsHandler, ...APPLIANCE_ADMIN, summary: 'Support teams with members and issues' }),
  sitePage({ method: 'POST', path: TEAMS, handler: people.createTeamHandler, ...APPLIANCE_ADMIN, summary: 'Create a support team' }),
  sitePage({ method: 'GET', path: `${TEAMS}/:teamId`, handler: people.getTeamHandler, ...APPLIANCE_ADMIN, summary: 'One support team' }),
  sitePage({ method: 'PATCH', path: `${TEAMS}/:teamId`, handler: people.updateTeamHandler, ...APPLIANCE_ADMIN, summary: 'Change a support team (name, members, issues)' }),
  sitePage({ method: 'DELETE', path: `${TEAMS}/:teamId`, handler: people.deleteTeamHandler, ...APPLIANCE_ADMIN, summary: 'Delete a support team' }),
]);

