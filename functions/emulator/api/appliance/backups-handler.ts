import { createBackup, listBackups, openBackup, restoreBackup } from '../../app/backups.js';
import { requireSiteAvailable } from '../../app/site.js';
import { sitePath, siteApplianceId } from '../site/site-address.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { webStream } from './http-helpers.js';

const id = siteApplianceId;

/** `/login > Management > Software Management`: take a settings backup (the site must be up). */
export const createBackupHandler: RouteHandler = async (c) => {
  const services = c.get('services');
  const applianceId = id(c);
  await requireSiteAvailable(services, applianceId);
  const record = await createBackup(services, applianceId, c.req.header('idempotency-key'));
  return c.json(record, 201, { Location: sitePath(c, `/login/software-management/backups/${record.backupId}`) });
};

export const listBackupsHandler: RouteHandler = async (c) => {
  const services = c.get('services');
  const applianceId = id(c);
  await requireSiteAvailable(services, applianceId);
  return c.json({ backups: await listBackups(services, applianceId) });
};

/** The stored bytes, unchanged; the digest travels in `Repr-Digest` (RFC 9530). */
export const downloadBackupHandler: RouteHandler = async (c) => {
  const services = c.get('services');
  const applianceId = id(c);
  await requireSiteAvailable(services, applianceId);
  const { record, body } = await openBackup(services, applianceId, c.req.param('backupId')!);
  return new Response(webStream(body), {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'content-length': String(record.size),
      'content-disposition': `attachment; filename="${applianceId}-${record.backupId}.json"`,
      'repr-digest': `sha-256=:${Buffer.from(record.sha256, 'hex').toString('base64')}:`,
      'x-backup-sha256': record.sha256,
    },
  });
};

export const restoreBackupHandler: RouteHandler = async (c) => {
  const services = c.get('services');
  const applianceId = id(c);
  await requireSiteAvailable(services, applianceId);
  const appliance = await restoreBackup(services, applianceId, c.req.param('backupId')!);
  return c.json(appliance);
};
