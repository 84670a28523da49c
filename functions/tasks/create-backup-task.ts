import { createBackup } from '../app/backups.js';
import type { TaskHandler } from './task.js';

/** Input: { applianceId, runId? }. Keyed by runId so a retried state reuses the backup it made. */
export const createBackupTask: TaskHandler = async (input, services) => {
  const runId = typeof input.runId === 'string' ? input.runId : undefined;
  const idempotencyKey = runId ? `${runId}:${String(input.step ?? 'backup')}:${String(input.applianceId)}` : undefined;
  return createBackup(services, input.applianceId as string, idempotencyKey);
};
