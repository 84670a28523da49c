/** The appliance's maintenance hold (admin API): the control plane holds an appliance while a run drives it. */
import * as z from 'zod/mini';
import type { Context } from 'hono';
import { getApplianceHold, holdAppliance, releaseApplianceHold } from '../../app/maintenance-holds.js';
import { validationError } from '../../../platform/core/errors.js';
import '../../../platform/core/validation.js';
import type { AppEnv, RouteHandler } from '../../../platform/api/http.js';
import { siteApplianceId } from '../site/site-address.js';
import { readJson } from './http-helpers.js';

/** The header a holder's own requests (installs, failover changes) carry to pass its hold. */
export const HOLD_TOKEN_HEADER = 'maintenance-hold-token';
export const holdTokenOf = (c: Context<AppEnv>) => c.req.header(HOLD_TOKEN_HEADER);

const placeSchema = z.strictObject({ owner: z.string().check(z.minLength(1), z.maxLength(128)), expiresAt: z.string().check(z.iso.datetime()) });

export const getHoldHandler: RouteHandler = async (c) => c.json(await getApplianceHold(c.get('services'), siteApplianceId(c)));

export const putHoldHandler: RouteHandler = async (c) => {
  const body = await readJson(c, placeSchema);
  const token = holdTokenOf(c);
  if (!token) throw validationError('InvalidHoldToken', `send the hold token in the ${HOLD_TOKEN_HEADER} header`);
  return c.json(await holdAppliance(c.get('services'), siteApplianceId(c), { ...body, token }));
};

export const deleteHoldHandler: RouteHandler = async (c) => {
  const token = holdTokenOf(c);
  if (!token) throw validationError('InvalidHoldToken', `send the hold token in the ${HOLD_TOKEN_HEADER} header`);
  return c.json(await releaseApplianceHold(c.get('services'), siteApplianceId(c), token));
};
