/** The appliance's /login > Management > Failover page: status, force sync, break, establish, set role. */
import * as z from 'zod/mini';
import '../../../platform/core/validation.js';
import { breakPair, establishPair, forceSync, pairStatus, setFailoverRole } from '../../app/failover-pairs.js';
import { holdTokenOf } from '../appliance/maintenance-hold-handler.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { validationError } from '../../../platform/core/errors.js';
import { flag, parseBody } from './body.js';

const applianceId = (c: Parameters<RouteHandler>[0]) => c.req.param('applianceId') ?? '';

const statusQuery = z.object({ as_of: z.optional(z.iso.datetime()) });

/** `as_of` (emulator-specific, ISO time): count behind as of a sync's cut (sessions changed after it are the next sync's). */
export const getFailoverStatus: RouteHandler = async (c) => {
  const query = statusQuery.safeParse({ as_of: c.req.query('as_of') });
  if (!query.success) throw validationError('InvalidQuery', 'as_of must be an ISO 8601 date-time (e.g. 2026-12-01T23:00:00.000Z)');
  return c.json(await pairStatus(c.get('services'), applianceId(c), { byAppliance: true, asOf: query.data.as_of }));
};

const syncBody = z.strictObject({ full: z.optional(flag), force: z.optional(flag) });
export const postForceSync: RouteHandler = async (c) => {
  const body = await parseBody(c, syncBody);
  const result = await forceSync(c.get('services'), applianceId(c), body);
  return c.json({ pairId: result.pair.pairId, kind: result.kind, transferred: result.transferred, status: result.pair.status, lastSyncAt: result.pair.lastSyncAt });
};

export const postBreak: RouteHandler = async (c) => {
  await parseBody(c, z.strictObject({}));
  const result = await breakPair(c.get('services'), applianceId(c), { holdToken: holdTokenOf(c) });
  return c.json({ pairId: result.pair.pairId, status: result.pair.status, changed: result.changed, brokenAt: result.pair.brokenAt });
};

const establishBody = z.strictObject({
  peerApplianceId: z.string().check(z.minLength(1)),
  /** This appliance's role in the pair. */
  role: z.enum(['primary', 'backup']),
  force: z.optional(flag),
});
export const postEstablish: RouteHandler = async (c) => {
  const body = await parseBody(c, establishBody);
  const self = applianceId(c);
  const [primaryId, backupId] = body.role === 'primary' ? [self, body.peerApplianceId] : [body.peerApplianceId, self];
  const result = await establishPair(c.get('services'), { primaryId, backupId, force: body.force, holdToken: holdTokenOf(c) });
  return c.json(
    {
      pairId: result.pair.pairId,
      status: result.pair.status,
      primaryId: result.pair.primaryId,
      backupId: result.pair.backupId,
      changed: result.changed,
      mode: result.mode,
      merged: result.merged,
      overwritten: result.overwritten,
    },
    result.changed ? 201 : 200,
  );
};

const roleBody = z.strictObject({ role: z.enum(['primary', 'backup']), dataSyncFirst: z.optional(flag), force: z.optional(flag) });
export const postSetRole: RouteHandler = async (c) => {
  const body = await parseBody(c, roleBody);
  const result = await setFailoverRole(c.get('services'), applianceId(c), body.role, { ...body, holdToken: holdTokenOf(c) });
  return c.json({
    pairId: result.pair.pairId,
    status: result.pair.status,
    primaryId: result.pair.primaryId,
    backupId: result.pair.backupId,
    changed: result.changed,
    message: result.message,
    ...(result.synced !== undefined ? { synced: result.synced } : {}),
  });
};
