import { validationError } from '../../core/errors.js';
import { assertApplianceId } from '../../app/backups.js';
import { createApiAccount, regenerateSecret } from '../../app/api-accounts.js';
import { exportIntegrationClient } from '../../app/ic-export.js';
import type { RouteHandler } from '../http.js';

async function jsonBody(c: Parameters<RouteHandler>[0]): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.length > 16_384) throw validationError('RequestTooLarge', 'body too large');
  if (text.trim() === '') return {};
  const value: unknown = JSON.parse(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw validationError('InvalidBody', 'body must be a JSON object');
  return value as Record<string, unknown>;
}

/** POST /v1/appliances/:applianceId/api-accounts → 201 with the client secret (shown once). */
export const createApiAccountHandler: RouteHandler = async (c) => {
  const applianceId = c.req.param('applianceId');
  assertApplianceId(applianceId);
  const body = await jsonBody(c);
  return c.json(await createApiAccount(c.get('services'), applianceId, body), 201);
};

/** POST /v1/appliances/:applianceId/api-accounts/:clientId/secret → new secret; older tokens stop working. */
export const regenerateSecretHandler: RouteHandler = async (c) => {
  const applianceId = c.req.param('applianceId');
  assertApplianceId(applianceId);
  return c.json(await regenerateSecret(c.get('services'), applianceId, c.req.param('clientId') ?? ''));
};

/** POST /v1/appliances/:applianceId/ic-exports {fromLseq?, incremental?} → 201 with the export manifest. */
export const icExportHandler: RouteHandler = async (c) => {
  const applianceId = c.req.param('applianceId');
  assertApplianceId(applianceId);
  const body = await jsonBody(c);
  const unknown = Object.keys(body).filter((k) => k !== 'fromLseq' && k !== 'incremental');
  if (unknown.length > 0) throw validationError('UnknownField', `unknown field(s): ${unknown.join(', ').slice(0, 128)}`);
  return c.json(await exportIntegrationClient(c.get('services'), applianceId, body), 201);
};
