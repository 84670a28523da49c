import { requirePermission } from '../../core/api-access.js';
import { DomainError, validationError } from '../../../platform/core/errors.js';
import { backupDownload } from '../../app/backup-api.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { apiCaller, MAX_PARAMS_BYTES, readParams } from './api-request.js';

/**
 * GET/POST /appliances/:applianceId/api/backup: a backup of the site's configuration as it is now, as an
 * `.nsb` download. The optional backup password comes as the vendor documents it, a JSON body
 * `{"password": "..."}` (a `password` query or form parameter is the user-account credential, not this).
 */
export const backupHandler: RouteHandler = async (c) => {
  const { appliance, account } = await apiCaller(c);
  const isJson = c.req.method === 'POST' && (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
  if (isJson && Number(c.req.header('content-length') ?? 0) > MAX_PARAMS_BYTES) throw tooLarge();
  const password = isJson ? jsonPassword(await c.req.text()) : (await readParams(c), undefined);
  requirePermission(account.permissions, 'backup');
  const file = backupDownload(c.get('services'), appliance, password);
  return c.body(new Uint8Array(file.bytes), 200, {
    'content-type': 'application/octet-stream',
    'content-disposition': `attachment; filename="${file.filename}"`,
    'content-length': String(file.bytes.length),
    'x-backup-sha256': file.sha256,
    'cache-control': 'no-store',
  });
};

function jsonPassword(text: string): string | undefined {
  if (Buffer.byteLength(text) > MAX_PARAMS_BYTES) throw tooLarge();
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw validationError('InvalidBody', 'the body must be a JSON object such as {"password": "..."}');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw validationError('InvalidBody', 'the body must be a JSON object such as {"password": "..."}');
  const extra = Object.keys(body).filter((k) => k !== 'password');
  if (extra.length > 0) throw validationError('InvalidBody', `unknown field ${extra[0]!.slice(0, 64)} (the backup API takes only password)`);
  const { password } = body as { password?: unknown };
  if (password !== undefined && typeof password !== 'string') throw validationError('InvalidBody', 'password must be a string');
  return password;
}

const tooLarge = () => new DomainError('too-large', 'RequestTooLarge', `the request body exceeds ${MAX_PARAMS_BYTES} bytes`);
