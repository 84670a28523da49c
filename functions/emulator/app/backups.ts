import { queryAll } from '../../platform/core/ports.js';
import { createHash, randomUUID } from 'node:crypto';
import type { Appliance } from '../../platform/core/appliance.js';
import { assertRestorable, backupCounts } from '../../platform/core/backup-rules.js';
import { conflict, notFound, validationError } from '../../platform/core/errors.js';
import { siteUnavailable } from '../core/install.js';
import type { StoredItem } from '../../platform/core/ports.js';
import { getAppliance, updateAppliance } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { applianceKey, backupKey, BACKUP_SK_PREFIX } from '../../platform/app/keys.js';

export interface BackupRecord {
  backupId: string;
  applianceId: string;
  productVersion?: string;
  size: number;
  sha256: string;
  createdAt: string;
  objectKey: string;
  objectVersionId?: string;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertApplianceId(applianceId: unknown): asserts applianceId is string {
  if (typeof applianceId !== 'string' || !ID_PATTERN.test(applianceId)) {
    throw validationError('InvalidApplianceId', 'applianceId must be 1-128 characters of letters, digits, ".", "_" or "-"');
  }
}

/**
 * Takes a settings backup: the appliance's settings as JSON in the backups bucket, metadata in DynamoDB.
 * Idempotent per `idempotencyKey`: a retried call returns the backup the first call made.
 */
export async function createBackup(
  services: AppContext,
  applianceId: string,
  idempotencyKey?: string,
): Promise<BackupRecord> {
  assertApplianceId(applianceId);
  const { records, blobs, clock } = services;
  if (idempotencyKey) {
    const existing = await findBackupByIdempotencyKey(services, applianceId, idempotencyKey);
    if (existing) return existing;
  }
  // Settled read: a backup taken right after an install records the new version.
  const appliance = await getAppliance(services, applianceId);
  if (!appliance) throw notFound('ApplianceNotFound', `appliance ${applianceId} does not exist`);

  const settings = appliance as unknown as Record<string, unknown>;
  const bytes = Buffer.from(JSON.stringify({ format: 'appliance-settings/1', applianceId, settings }));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const backupId = idempotencyKey ? backupIdFor(applianceId, idempotencyKey) : randomUUID().replaceAll('-', '');
  const createdAt = clock.now().toISOString();
  const objectKey = `appliances/${applianceId}/settings-${backupId}.json`;
  const info = await blobs.backups.put(objectKey, bytes, {
    contentType: 'application/json',
    metadata: { sha256, 'appliance-id': applianceId },
  });
  const record: BackupRecord = {
    backupId,
    applianceId,
    productVersion: typeof appliance.productVersion === 'string' ? appliance.productVersion : undefined,
    size: bytes.length,
    sha256,
    createdAt,
    objectKey,
    objectVersionId: info.versionId,
  };
  await records.appliances.put({
    ...backupKey(applianceId, createdAt, backupId),
    gsi1pk: `BACKUP#${backupId}`,
    gsi1sk: idempotencyKey ?? backupId,
    type: 'backup',
    ...record,
  });
  return record;
}

export async function listBackups(services: AppContext, applianceId: string): Promise<BackupRecord[]> {
  assertApplianceId(applianceId);
  const items = await queryAll(services.records.appliances, { pk: applianceKey(applianceId).pk, sk: { beginsWith: BACKUP_SK_PREFIX }, descending: true });
  return items.map(toBackupRecord);
}

/** Backup ids are global (a backup can be restored onto another appliance), so a retry key is scoped to its appliance. */
const backupIdFor = (applianceId: string, key: string) => createHash('sha256').update(`${applianceId}\n${key}`).digest('hex').slice(0, 32);

async function findBackupByIdempotencyKey(services: AppContext, applianceId: string, key: string) {
  const backupId = backupIdFor(applianceId, key);
  const page = await services.records.appliances.query({ index: 'gsi1', pk: `BACKUP#${backupId}` });
  const item = page.items.find((i) => i.applianceId === applianceId);
  return item ? toBackupRecord(item) : undefined;
}

function toBackupRecord(item: StoredItem): BackupRecord {
  return {
    backupId: String(item.backupId),
    applianceId: String(item.applianceId),
    productVersion: item.productVersion as string | undefined,
    size: Number(item.size),
    sha256: String(item.sha256),
    createdAt: String(item.createdAt),
    objectKey: String(item.objectKey),
    objectVersionId: item.objectVersionId as string | undefined,
  };
}

/** Any appliance's backup by id (backups can be restored onto another appliance of a compatible version). */
export async function getBackup(services: AppContext, backupId: string): Promise<BackupRecord | undefined> {
  if (!/^[0-9a-f]{32}$/.test(backupId)) throw validationError('InvalidBackupId', 'backupId must be 32 lowercase hex characters');
  const page = await services.records.appliances.query({ index: 'gsi1', pk: `BACKUP#${backupId}` });
  return page.items[0] ? toBackupRecord(page.items[0]) : undefined;
}

export async function requireBackup(services: AppContext, backupId: string, applianceId?: string): Promise<BackupRecord> {
  const record = await getBackup(services, backupId);
  if (!record || (applianceId !== undefined && record.applianceId !== applianceId)) {
    throw notFound('BackupNotFound', `backup ${backupId} does not exist${applianceId ? ` for appliance ${applianceId}` : ''}`);
  }
  return record;
}

/** Streams the exact bytes stored for a backup (the object version recorded at creation). */
export async function openBackup(services: AppContext, applianceId: string, backupId: string) {
  assertApplianceId(applianceId);
  const record = await requireBackup(services, backupId, applianceId);
  const object = await services.blobs.backups.get(record.objectKey, record.objectVersionId ? { versionId: record.objectVersionId } : {});
  if (!object) throw conflict('BackupMissing', `the file of backup ${backupId} is missing from the backups bucket`);
  return { record, body: object.body };
}

/** The settings a restore applies; state, versions, installs and failover are never restored. */
const RESTORED_FIELDS = ['hostname', 'ipAddress', 'license'] as const;

/**
 * Restores a settings backup (of this or another appliance) onto `applianceId`. Refused while the
 * appliance installs (503), when the file does not match its recorded digest (409), and when the
 * backup's product version is incompatible (422); a refusal changes nothing.
 */
export async function restoreBackup(services: AppContext, applianceId: string, backupId: string) {
  assertApplianceId(applianceId);
  const record = await requireBackup(services, backupId);
  const object = await services.blobs.backups.get(record.objectKey, record.objectVersionId ? { versionId: record.objectVersionId } : {});
  if (!object) throw conflict('BackupMissing', `the file of backup ${backupId} is missing from the backups bucket`);
  const chunks: Uint8Array[] = [];
  for await (const chunk of object.body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  if (createHash('sha256').update(bytes).digest('hex') !== record.sha256) {
    throw conflict('BackupCorrupt', `backup ${backupId} does not match its recorded SHA-256; it cannot be restored`);
  }
  let settings: Record<string, unknown>;
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { format?: string; settings?: Record<string, unknown> };
    if (parsed.format !== 'appliance-settings/1' || !parsed.settings) throw new Error('format');
    settings = parsed.settings;
  } catch {
    throw conflict('BackupCorrupt', `backup ${backupId} is not an appliance settings backup`);
  }
  const at = services.clock.now().toISOString();
  return updateAppliance(services, applianceId, (current) => {
    if (current.state === 'installing' || current.state === 'restarting') throw siteUnavailable(current, services.clock.now());
    assertRestorable(record.productVersion, current.productVersion);
    const restored: Record<string, unknown> = {};
    for (const field of RESTORED_FIELDS) if (settings[field] !== undefined) restored[field] = settings[field];
    return { ...current, ...restored, lastRestore: { backupId, at, fromVersion: record.productVersion } };
  });
}


/** Where an operator downloads a backup (the appliance's /login > Management > Software Management). */
export const backupDownloadPath = (b: Pick<BackupRecord, 'applianceId' | 'backupId'>) => `/appliances/${b.applianceId}/login/software-management/backups/${b.backupId}`;

/**
 * The newest backup of `appliance` if it still counts before an upgrade (taken at the current version,
 * after the last settings change, within `maxAgeHours`), with the reason when it does not.
 */
export async function backupThatCounts(services: AppContext, appliance: Appliance, maxAgeHours: number): Promise<{ backup?: BackupRecord; newest?: BackupRecord; reason?: string }> {
  const newest = (await listBackups(services, appliance.applianceId))[0];
  const verdict = backupCounts(newest, appliance, services.clock.now(), maxAgeHours);
  return verdict.counts ? { backup: newest, newest } : { newest, reason: verdict.reason };
}
