/** Use cases for staff consoles: register, start (log in, auto-update), redeploy, laggards report. */
import * as z from 'zod/mini';
import { conflict, notFound, validationError } from '../../platform/core/errors.js';
import { consoleReport, redeployConsole, startConsole, type StaffConsole } from '../core/staff-console.js';
import { trimmed } from '../../platform/core/validation.js';
import { isVersionString, compareVersions } from '../../platform/core/versions.js';
import { listAppliances, requireAppliance } from './appliance-store.js';
import { assertApplianceId } from './backups.js';
import type { AppContext } from '../../platform/app/context.js';
import { requireSiteAvailable } from './site.js';
import { getConsole, listConsoles, putConsole } from './staff-console-store.js';
import { ConditionFailedError } from '../../platform/core/ports.js';

export const registerConsoleSchema = z.strictObject({
  consoleId: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'consoleId must be 1-64 letters, digits, ".", "_" or "-"')),
  username: trimmed(z.minLength(1), z.maxLength(128)),
  version: z.optional(z.string().check(z.refine(isVersionString, 'version must be a version such as 10.5.2'))),
  deployment: z.enum(['auto-update', 'msi']),
  /** The machine is locked down; for MSI consoles the default is true (an MSI console there must be redeployed after an upgrade). */
  lockedDown: z.optional(z.boolean()),
  loggedIn: z._default(z.boolean(), false),
});

export async function registerConsole(ctx: AppContext, applianceId: string, input: z.infer<typeof registerConsoleSchema>): Promise<StaffConsole> {
  assertApplianceId(applianceId);
  const appliance = await requireAppliance(ctx, applianceId);
  const version = input.version ?? appliance.productVersion;
  if (compareVersions(version, appliance.productVersion) > 0) {
    throw validationError('InvalidConsoleVersion', `console version ${version} is newer than the site (${appliance.productVersion})`);
  }
  const at = ctx.clock.now().toISOString();
  const console: StaffConsole = {
    applianceId,
    consoleId: input.consoleId,
    username: input.username,
    version,
    deployment: input.deployment,
    ...(input.lockedDown !== undefined ? { lockedDown: input.lockedDown } : {}),
    registeredAt: at,
    loggedIn: input.loggedIn,
    ...(input.loggedIn ? { loggedInAt: at } : {}),
  };
  try {
    await putConsole(ctx, console, { ifNotExists: true });
  } catch (e) {
    if (e instanceof ConditionFailedError) throw conflict('ConsoleExists', `console ${input.consoleId} is already registered on ${applianceId}`);
    throw e;
  }
  return console;
}

async function requireConsole(ctx: AppContext, applianceId: string, consoleId: string): Promise<StaffConsole> {
  const c = await getConsole(ctx, applianceId, consoleId);
  if (!c) throw notFound('ConsoleNotFound', `console ${consoleId} is not registered on appliance ${applianceId}`);
  return c;
}

/** A representative starts the console: the site must be up; auto-update consoles upgrade first. */
export async function startStaffConsole(ctx: AppContext, applianceId: string, consoleId: string): Promise<StaffConsole> {
  assertApplianceId(applianceId);
  const appliance = await requireSiteAvailable(ctx, applianceId);
  const started = startConsole(await requireConsole(ctx, applianceId, consoleId), appliance.productVersion, ctx.clock.now().toISOString());
  await putConsole(ctx, started);
  return started;
}

export async function redeployStaffConsole(ctx: AppContext, applianceId: string, consoleId: string, version?: string): Promise<StaffConsole> {
  assertApplianceId(applianceId);
  const appliance = await requireAppliance(ctx, applianceId);
  const target = version ?? appliance.productVersion;
  if (!isVersionString(target) || compareVersions(target, appliance.productVersion) > 0) {
    throw validationError('InvalidConsoleVersion', `redeploy version must be a version not newer than the site (${appliance.productVersion})`);
  }
  const next = redeployConsole(await requireConsole(ctx, applianceId, consoleId), target);
  await putConsole(ctx, next);
  return next;
}

export async function listStaffConsoles(ctx: AppContext, applianceId: string): Promise<StaffConsole[]> {
  assertApplianceId(applianceId);
  await requireAppliance(ctx, applianceId);
  return listConsoles(ctx, applianceId);
}

/** Consoles behind their site, per appliance (one appliance, or the fleet). */
export async function consolesReport(ctx: AppContext, applianceId?: string) {
  if (applianceId !== undefined) assertApplianceId(applianceId);
  const appliances = applianceId ? [await requireAppliance(ctx, applianceId)] : await listAppliances(ctx);
  const reports = [];
  for (const a of appliances) reports.push(consoleReport(a.applianceId, a.productVersion, await listConsoles(ctx, a.applianceId)));
  return {
    generatedAt: ctx.clock.now().toISOString(),
    laggards: reports.reduce((n, r) => n + r.laggards.length, 0),
    needAction: reports.reduce((n, r) => n + r.needAction, 0),
    appliances: reports,
  };
}
