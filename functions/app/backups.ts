import { createHash, randomUUID } from 'node:crypto';
import { notFound, validationError } from '../core/errors.js';
import type { StoredItem } from '../core/ports.js';
import type { AppContext } from './context.js';
import { applianceKey, backupKey, BACKUP_SK_PREFIX } from './keys.js';

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
  const appliance = await records.appliances.get(applianceKey(applianceId));
  if (!appliance) throw notFound('ApplianceNotFound', `appliance ${applianceId} does not exist`);

  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g1s, gsi2pk: _g2, gsi2sk: _g2s, ...settings } = appliance;
  const bytes = Buffer.from(JSON.stringify({ format: 'appliance-settings/1', applianceId, settings }));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const backupId = idempotencyKey ? createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32) : randomUUID().replaceAll('-', '');
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
  const items: StoredItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await services.records.appliances.query({
      pk: applianceKey(applianceId).pk,
      sk: { beginsWith: BACKUP_SK_PREFIX },
      descending: true,
      cursor,
    });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items.map(toBackupRecord);
}

async function findBackupByIdempotencyKey(services: AppContext, applianceId: string, key: string) {
  const backupId = createHash('sha256').update(key).digest('hex').slice(0, 32);
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
