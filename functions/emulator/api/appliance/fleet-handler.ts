import * as z from 'zod/mini';
import { createAppliance, listAppliances, requireAppliance } from '../../app/appliance-store.js';
import { assertApplianceId } from '../../app/backups.js';
import { requireSiteAvailable } from '../../app/site.js';
import { integer, trimmed } from '../../../platform/core/validation.js';
import { isVersionString } from '../../../platform/core/versions.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { readJson } from './http-helpers.js';
import { validate } from '../failover/body.js';
import { listApiUsage } from '../../app/api-usage.js';
import { trafficProfile } from '../../app/busy-hours.js';
import { isIanaTimeZone } from '../../../platform/core/schedule.js';
import { siteApplianceId } from '../site/site-address.js';

const version = z.string().check(z.refine(isVersionString, 'must be a version such as 10.5.2'));
const createSchema = z.strictObject({
  applianceId: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'applianceId must be 1-128 letters, digits, ".", "_" or "-"')),
  hostname: trimmed(z.minLength(1), z.maxLength(253)),
  ipAddress: z._default(trimmed(z.minLength(1), z.maxLength(64)), '10.0.0.1'),
  productVersion: version,
  baseVersion: version,
  license: z.strictObject({
    primaryHostname: trimmed(z.minLength(1)),
    licenseCount: integer(z.nonnegative()),
    expires: z._default(z.nullable(z.string().check(z.iso.date())), null),
  }),
  storedDataGb: z._default(z.number().check(z.nonnegative(), z.lte(1_000_000)), 0),
  staging: z._default(z.boolean(), false),
});

export const listAppliancesHandler: RouteHandler = async (c) => c.json({ appliances: await listAppliances(c.get('services')) });

export const createApplianceHandler: RouteHandler = async (c) => {
  const services = c.get('services');
  const input = await readJson(c, createSchema);
  const now = services.clock.now().toISOString();
  const created = await createAppliance(services, { ...input, state: 'online', stateChangedAt: now, failover: { role: 'none' }, createdAt: now, updatedAt: now });
  return c.json(created, 201, { Location: `/appliances/${created.applianceId}` });
};

export const getApplianceHandler: RouteHandler = async (c) => {
  const id = c.req.param('applianceId')!;
  assertApplianceId(id);
  return c.json(await requireAppliance(c.get('services'), id));
};

/** The site's `/login` landing: 200 when the site answers, 503 + Retry-After while installing. */
export const siteLoginHandler: RouteHandler = async (c) => {
  const a = await requireSiteAvailable(c.get('services'), siteApplianceId(c));
  return c.json({ applianceId: a.applianceId, hostname: a.hostname, productVersion: a.productVersion, state: a.state });
};

const usageQuery = z.object({ since: z.optional(z.string().check(z.iso.datetime({ offset: true }))) });

/** Who called the appliance's APIs lately (emulator-only: a real appliance shows this in no API). */
export const apiUsageHandler: RouteHandler = async (c) => {
  const services = c.get('services');
  const id = c.req.param('applianceId')!;
  assertApplianceId(id);
  const { since } = validate(usageQuery, c.req.query());
  await requireAppliance(services, id);
  return c.json({ usage: await listApiUsage(services, id, since) });
};

const busyHoursQuery = z.object({ timeZone: z._default(z.string().check(z.refine(isIanaTimeZone, 'timeZone must be an IANA time zone such as Asia/Tokyo')), 'UTC') });

/** The site's busy hours from its session history (emulator-only; plans place windows by it). */
export const busyHoursHandler: RouteHandler = async (c) => {
  const services = c.get('services');
  const id = c.req.param('applianceId')!;
  assertApplianceId(id);
  const { timeZone } = validate(busyHoursQuery, c.req.query());
  await requireAppliance(services, id);
  return c.json(await trafficProfile(services, id, timeZone));
};
