/** Control-plane reads and session-preservation steps for failover pairs. */
import * as z from 'zod/mini';
import '../../../platform/core/validation.js';
import { listPairs } from '../../app/failover-pair-store.js';
import { exportSessionsAtRisk, listSessionsAtRisk, pairStatus, reimportPreservedSessions } from '../../app/failover-pairs.js';
import { integrationReadiness, listIntegrationClients, putIntegrationClient } from '../../app/primary-hostname.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { parseBody, validate } from './body.js';

const pairId = (c: Parameters<RouteHandler>[0]) => c.req.param('pairId') ?? '';
const primaryQuery = z.strictObject({ primary: z.optional(z.string().check(z.minLength(1))) });

export const getPairs: RouteHandler = async (c) => c.json({ pairs: await listPairs(c.get('services')) });

export const getPair: RouteHandler = async (c) => c.json(await pairStatus(c.get('services'), pairId(c)));

export const getSessionsAtRisk: RouteHandler = async (c) => {
  const q = validate(primaryQuery, c.req.query());
  return c.json(await listSessionsAtRisk(c.get('services'), pairId(c), { primaryId: q.primary }));
};

export const postExport: RouteHandler = async (c) => {
  const body = await parseBody(c, z.strictObject({ primaryId: z.optional(z.string().check(z.minLength(1))) }));
  const result = await exportSessionsAtRisk(c.get('services'), pairId(c), body);
  return c.json({ count: result.count, ...(result.export ? { export: result.export } : {}) }, result.export ? 201 : 200);
};

export const postReimport: RouteHandler = async (c) => {
  await parseBody(c, z.strictObject({}));
  return c.json(await reimportPreservedSessions(c.get('services'), pairId(c)));
};

const icVersion = z.optional(z.string().check(z.minLength(1), z.maxLength(32)));
const icName = () => z.string().check(z.minLength(1), z.maxLength(200));
const integrationBody = z.union([
  z.strictObject({ name: icName(), hostname: z.string().check(z.minLength(1)), version: icVersion }),
  z.strictObject({ name: icName(), ipAddress: z.string().check(z.minLength(1)), version: icVersion }),
]);
export const putIntegration: RouteHandler = async (c) => {
  const body = await parseBody(c, integrationBody);
  const target = 'hostname' in body ? { kind: 'hostname' as const, hostname: body.hostname } : { kind: 'ip' as const, ipAddress: body.ipAddress };
  const client = await putIntegrationClient(c.get('services'), pairId(c), { integrationId: c.req.param('integrationId') ?? '', name: body.name, target, version: body.version });
  return c.json(client);
};

export const getIntegrations: RouteHandler = async (c) => c.json({ integrations: await listIntegrationClients(c.get('services'), pairId(c)) });

export const getIntegrationReadiness: RouteHandler = async (c) => {
  const q = validate(primaryQuery, c.req.query());
  return c.json(await integrationReadiness(c.get('services'), pairId(c), { targetPrimaryId: q.primary }));
};
