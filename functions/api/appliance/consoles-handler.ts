import * as z from 'zod';
import { consolesReport, listStaffConsoles, redeployStaffConsole, registerConsole, registerConsoleSchema, startStaffConsole } from '../../app/staff-consoles.js';
import type { RouteHandler } from '../http.js';
import { readJson } from './http-helpers.js';

export const registerConsoleHandler: RouteHandler = async (c) => {
  const applianceId = c.req.param('applianceId')!;
  const created = await registerConsole(c.get('services'), applianceId, await readJson(c, registerConsoleSchema));
  return c.json(created, 201);
};

export const listConsolesHandler: RouteHandler = async (c) => c.json({ consoles: await listStaffConsoles(c.get('services'), c.req.param('applianceId')!) });

/** A representative starts the console (logs in): 503 while the site is down; auto-update consoles upgrade. */
export const startConsoleHandler: RouteHandler = async (c) =>
  c.json(await startStaffConsole(c.get('services'), c.req.param('applianceId')!, c.req.param('consoleId')!));

const redeploySchema = z.object({ version: z.string().optional() }).strict();
export const redeployConsoleHandler: RouteHandler = async (c) => {
  const { version } = await readJson(c, redeploySchema);
  return c.json(await redeployStaffConsole(c.get('services'), c.req.param('applianceId')!, c.req.param('consoleId')!, version));
};

export const applianceConsolesReportHandler: RouteHandler = async (c) => c.json(await consolesReport(c.get('services'), c.req.param('applianceId')!));
export const fleetConsolesReportHandler: RouteHandler = async (c) => c.json(await consolesReport(c.get('services')));
