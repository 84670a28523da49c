/** Primary-hostname DNS records (hostname → appliance, TTL); mirrored to Route 53 when configured. */
import * as z from 'zod/mini';
import { getPrimaryHostname, listPrimaryHostnames, normalizeHostname, switchPrimaryHostname } from '../../app/primary-hostname.js';
import { notFound } from '../../../platform/core/errors.js';
import { integer } from '../../../platform/core/validation.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { parseBody } from './body.js';


export const getHostnames: RouteHandler = async (c) => c.json({ records: await listPrimaryHostnames(c.get('services')) });

export const getHostname: RouteHandler = async (c) => {
  const hostname = normalizeHostname(c.req.param('hostname'));
  const record = await getPrimaryHostname(c.get('services'), hostname);
  if (!record) throw notFound('HostnameNotFound', `no primary-hostname record for ${hostname}`, { hostname });
  return c.json(record);
};

const switchBody = z.strictObject({ applianceId: z.string().check(z.minLength(1)), ttlSeconds: z.optional(integer(z.gte(0), z.lte(86_400))) });
export const putHostname: RouteHandler = async (c) => {
  const hostname = normalizeHostname(c.req.param('hostname'));
  const body = await parseBody(c, switchBody);
  const result = await switchPrimaryHostname(c.get('services'), hostname, body.applianceId, { ttlSeconds: body.ttlSeconds, publisher: c.get('services').dns });
  return c.json({ ...result.record, changed: result.changed });
};
