import * as z from 'zod/mini';
import { parseBasicAuth } from '../../core/api-access.js';
import { DomainError } from '../../../platform/core/errors.js';
import '../../../platform/core/validation.js';
import { usernameKey } from '../../core/site-users.js';
import { requireSiteAvailable } from '../../app/site.js';
import { authenticateSiteUser } from '../../app/site-users.js';
import { getConsole } from '../../app/staff-console-store.js';
import { consolesReport, listStaffConsoles, redeployStaffConsole, registerConsole, registerConsoleSchema, startStaffConsole } from '../../app/staff-consoles.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { sourceAddress } from '../sessions/api-request.js';
import { readJson } from './http-helpers.js';

export const registerConsoleHandler: RouteHandler = async (c) => {
  const applianceId = c.req.param('applianceId')!;
  const created = await registerConsole(c.get('services'), applianceId, await readJson(c, registerConsoleSchema));
  return c.json(created, 201);
};

export const listConsolesHandler: RouteHandler = async (c) => c.json({ consoles: await listStaffConsoles(c.get('services'), c.req.param('applianceId')!) });

const consoleLogin = z.strictObject({ username: z.string().check(z.maxLength(64)), password: z.string().check(z.maxLength(256)) });
const loginRefused = (code: string, message: string) => new DomainError('unauthorized', code, message);

/**
 * A representative starts the console and logs in (issue 17 item 9): the site user who owns the console must
 * give its password (HTTP Basic, or a JSON `{username, password}` body), as the real console logs in before it
 * does anything. 503 while the site is down; the user must be allowed to provide remote support; auto-update
 * consoles upgrade, MSI ones behind the site are refused (functions/emulator/core/staff-console.ts).
 */
export const startConsoleHandler: RouteHandler = async (c) => {
  const ctx = c.get('services');
  const applianceId = c.req.param('applianceId')!;
  const consoleId = c.req.param('consoleId')!;
  await requireSiteAvailable(ctx, applianceId);
  const basic = parseBasicAuth(c.req.header('authorization'));
  const credential = basic ? { username: basic.clientId, password: basic.clientSecret } : (await c.req.text()).trim() ? await readJson(c, consoleLogin) : undefined;
  if (!credential) throw loginRefused('MissingCredentials', "log in with the representative's username and password (HTTP Basic or a JSON body)");
  const user = await authenticateSiteUser(ctx, applianceId, credential.username, credential.password, sourceAddress(c)).catch((e: unknown) => {
    throw e instanceof DomainError && e.code === 'LoginFailed' ? loginRefused('LoginFailed', 'Login failed') : e;
  });
  const console = await getConsole(ctx, applianceId, consoleId);
  if (console && usernameKey(console.username) !== usernameKey(user.username)) throw new DomainError('forbidden', 'NotYourConsole', `console ${consoleId} belongs to another representative`);
  if (!user.permissions.provideRemoteSupport) throw new DomainError('forbidden', 'NotARepresentative', 'this user is not allowed to provide remote support');
  return c.json(await startStaffConsole(ctx, applianceId, consoleId));
};

const redeploySchema = z.strictObject({ version: z.optional(z.string()) });
export const redeployConsoleHandler: RouteHandler = async (c) => {
  const { version } = await readJson(c, redeploySchema);
  return c.json(await redeployStaffConsole(c.get('services'), c.req.param('applianceId')!, c.req.param('consoleId')!, version));
};

export const applianceConsolesReportHandler: RouteHandler = async (c) => c.json(await consolesReport(c.get('services'), c.req.param('applianceId')!));
export const fleetConsolesReportHandler: RouteHandler = async (c) => c.json(await consolesReport(c.get('services')));
