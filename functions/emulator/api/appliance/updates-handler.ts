import * as z from 'zod/mini';
import { checkForUpdates, getInstall, installStatus, listInstalls, manualUpdate, startInstall, type InstallOptions } from '../../app/install.js';
import { validationError } from '../../../platform/core/errors.js';
import '../../../platform/core/validation.js';
import type { AppEnv, RouteHandler } from '../../../platform/api/http.js';
import type { Context } from 'hono';
import { holdTokenOf } from './maintenance-hold-handler.js';
import { binaryBody, queryBoolean, queryNumber, readJson } from './http-helpers.js';
import { sitePath, siteApplianceId } from '../site/site-address.js';

const installSchema = z.strictObject({
  force: z.optional(z.boolean()),
  requireBrokenFailover: z.optional(z.boolean()),
  requireBackupWithinHours: z.optional(z.number().check(z.positive(), z.lte(24 * 365))),
  requestKey: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  simulateFailure: z.optional(z.boolean()),
});

/** `Idempotency-Key` header and body `requestKey` name the same thing; both given must agree. */
function requestKey(c: Context<AppEnv>, fromBody?: string): string | undefined {
  const header = c.req.header('idempotency-key');
  if (header !== undefined && fromBody !== undefined && header !== fromBody) {
    throw validationError('InvalidRequestKey', 'Idempotency-Key header and body requestKey differ');
  }
  return header ?? fromBody;
}

const installResponse = (c: Context<AppEnv>, result: { install: { installId: string }; replayed: boolean }) =>
  c.json({ ...result.install, replayed: result.replayed }, result.replayed ? 200 : 202, {
    Location: sitePath(c, `/appliance/installs/${result.install.installId}`),
  });

export const checkForUpdatesHandler: RouteHandler = async (c) => c.json(await checkForUpdates(c.get('services'), siteApplianceId(c)));

export const installUpdateHandler: RouteHandler = async (c) => {
  const applianceId = siteApplianceId(c);
  const body = await readJson(c, installSchema);
  const options: InstallOptions = { ...body, requestKey: requestKey(c, body.requestKey), holdToken: holdTokenOf(c) };
  return installResponse(c, await startInstall(c.get('services'), applianceId, c.req.param('packageId')!, options));
};

/** "Update Software": the raw package file as the body; install options as query parameters. */
export const manualUpdateHandler: RouteHandler = async (c) => {
  const applianceId = siteApplianceId(c);
  const options: InstallOptions = {
    force: queryBoolean(c, 'force'),
    requireBrokenFailover: queryBoolean(c, 'requireBrokenFailover'),
    requireBackupWithinHours: queryNumber(c, 'requireBackupWithinHours'),
    simulateFailure: queryBoolean(c, 'simulateFailure'),
    requestKey: requestKey(c),
    holdToken: holdTokenOf(c),
  };
  const { body, contentLength } = binaryBody(c);
  return installResponse(c, await manualUpdate(c.get('services'), applianceId, body, { ...options, contentLength }));
};

export const installStatusHandler: RouteHandler = async (c) => {
  const status = await installStatus(c.get('services'), siteApplianceId(c));
  return c.json(status, 200, status.retryAfterSeconds ? { 'Retry-After': String(status.retryAfterSeconds) } : {});
};

export const getInstallHandler: RouteHandler = async (c) =>
  c.json(await getInstall(c.get('services'), siteApplianceId(c), c.req.param('installId')!));

export const listInstallsHandler: RouteHandler = async (c) => c.json({ installs: await listInstalls(c.get('services'), siteApplianceId(c)) });
