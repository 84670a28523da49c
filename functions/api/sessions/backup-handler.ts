import { requirePermission } from '../../core/api-access.js';
import { notFound } from '../../core/errors.js';
import { listBackups } from '../../app/backups.js';
import type { RouteHandler } from '../http.js';
import { apiCaller } from './api-request.js';

/** GET/POST /appliances/:applianceId/api/backup: streams the newest settings backup (backups bucket). */
export const backupHandler: RouteHandler = async (c) => {
  const { appliance, account } = await apiCaller(c);
  requirePermission(account.permissions, 'backup');
  const ctx = c.get('services');
  const [latest] = await listBackups(ctx, appliance.applianceId);
  if (!latest) throw notFound('NoBackup', 'this appliance has no settings backup yet');
  const object = await ctx.blobs.backups.get(latest.objectKey, latest.objectVersionId ? { versionId: latest.objectVersionId } : undefined);
  if (!object) throw notFound('NoBackup', 'the latest backup object is missing from storage');
  const chunks = object.body[Symbol.asyncIterator]();
  // Pulled as the client reads, so a large backup never sits in memory.
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return?.();
    },
  });
  const filename = latest.objectKey.split('/').pop() ?? 'backup';
  return c.body(stream, 200, {
    'content-type': object.info.contentType ?? 'application/octet-stream',
    'content-disposition': `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
    'x-backup-sha256': latest.sha256,
    'cache-control': 'no-store',
  });
};
