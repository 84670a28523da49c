import { driverOf } from '../app/appliance-drivers.js';
import type { TaskHandler } from './task.js';

/** Input: { applianceId, runId? }. Keyed by runId so a retried state reuses the backup it made. */
export const createBackupTask: TaskHandler = async (input, services) => {
  const runId = typeof input.runId === 'string' ? input.runId : undefined;
  const applianceId = String(input.applianceId);
  // Unkeyed (no run): a fresh key per execution attempt would make a retry take a second backup, so the
  // execution's own request time names it.
  const idempotencyKey = runId ? `${runId}:${String(input.step ?? 'backup')}:${applianceId}` : `take-backup:${applianceId}:${services.clock.now().toISOString()}`;
  return driverOf(services, applianceId).createBackup(applianceId, idempotencyKey);
};
