import * as z from 'zod/mini';
import { validationError } from '../../../platform/core/errors.js';
import '../../../platform/core/validation.js';
import { assertApplianceId } from '../../app/backups.js';
import { createApiAccount, regenerateSecret } from '../../app/api-accounts.js';
import { exportIntegrationClient } from '../../app/ic-export.js';
import { parseOrThrow, readJsonBody } from '../../../platform/api/json-input.js';
import type { RouteHandler } from '../../../platform/api/http.js';

async function jsonBody(c: Parameters<RouteHandler>[0]): Promise<Record<string, unknown>> {
  const value = await readJsonBody(c);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw validationError('InvalidBody', 'body must be a JSON object');
  return value as Record<string, unknown>;
}

/** The API account as the vendor's API Configuration page has it: a name and per-API permissions. Unknown fields are refused. */
export const CreateApiAccountBody = z.strictObject({
  name: z.optional(z.string().check(z.maxLength(128))),
  permissions: z.optional(
    z.strictObject({
      reporting: z.optional(z.boolean()),
      command: z.optional(z.enum(['full', 'read_only', 'deny'])),
      backup: z.optional(z.boolean()),
    }),
  ),
});

/** The answer carries a secret shown once: no cache may keep it (RFC 6749 §5.1 asks the same of tokens). */
const SECRET_HEADERS = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** POST /v1/appliances/:applianceId/api-accounts → 201 with the client secret (shown once). */
export const createApiAccountHandler: RouteHandler = async (c) => {
  const applianceId = c.req.param('applianceId');
  assertApplianceId(applianceId);
  const body = parseOrThrow(CreateApiAccountBody, await readJsonBody(c), 'body');
  return c.json(await createApiAccount(c.get('services'), applianceId, body), 201, SECRET_HEADERS);
};

/** POST /v1/appliances/:applianceId/api-accounts/:clientId/secret → new secret; older tokens stop working. */
export const regenerateSecretHandler: RouteHandler = async (c) => {
  const applianceId = c.req.param('applianceId');
  assertApplianceId(applianceId);
  return c.json(await regenerateSecret(c.get('services'), applianceId, c.req.param('clientId') ?? ''), 200, SECRET_HEADERS);
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
