/** Rules for settings backups: which appliance a backup may be restored onto. Pure. */
import { preconditionFailed } from './errors.js';
import { compareVersions, parseVersion } from './versions.js';

/**
 * A settings backup restores onto an appliance of the same major product version that is not older
 * than the backup (settings migrate forward within a major line, never backward, never across majors).
 * Throws `IncompatibleBackup` (422) otherwise.
 */
export function assertRestorable(backupVersion: string | undefined, applianceVersion: string): void {
  if (!backupVersion) throw preconditionFailed('IncompatibleBackup', 'the backup does not record the product version it was taken on');
  const sameMajor = parseVersion(backupVersion)[0] === parseVersion(applianceVersion)[0];
  if (!sameMajor || compareVersions(applianceVersion, backupVersion) < 0) {
    throw preconditionFailed(
      'IncompatibleBackup',
      `a backup taken on ${backupVersion} cannot be restored onto an appliance running ${applianceVersion} (same major version, not older than the backup)`,
      { backupVersion, applianceVersion },
    );
  }
}


/** The settings a backup holds and a restore puts back: a change to any of them makes older backups stale. */
export const SETTINGS_FIELDS = ['hostname', 'ipAddress', 'license'] as const;

export interface BackupFacts {
  backupId: string;
  productVersion?: string;
  createdAt: string;
}

/**
 * Whether a settings backup still counts before an upgrade of this appliance: taken at the version the
 * appliance runs now (a backup of an earlier version does not restore onto the result) and after its last
 * settings change, and not older than `maxAgeHours`. The guide: "always download a backup before
 * upgrading" (プロセスの注記 1) and create one of the settings and configuration first (アップグレードの準備).
 */
export function backupCounts(
  backup: BackupFacts | undefined,
  appliance: { productVersion: string; settingsChangedAt?: string },
  now: Date,
  maxAgeHours: number,
): { counts: boolean; reason?: string } {
  if (!backup) return { counts: false, reason: 'no settings backup exists' };
  if (backup.productVersion !== appliance.productVersion) {
    return { counts: false, reason: `the newest backup (${backup.backupId}) was taken at ${backup.productVersion ?? 'an unknown version'}, the appliance runs ${appliance.productVersion}` };
  }
  if (appliance.settingsChangedAt && Date.parse(backup.createdAt) < Date.parse(appliance.settingsChangedAt)) {
    return { counts: false, reason: `the newest backup (${backup.backupId}, ${backup.createdAt}) predates the last settings change (${appliance.settingsChangedAt})` };
  }
  const ageHours = (now.getTime() - Date.parse(backup.createdAt)) / 3_600_000;
  if (ageHours > maxAgeHours) return { counts: false, reason: `the newest backup (${backup.backupId}) is ${Math.floor(ageHours)} h old (more than ${maxAgeHours} h)` };
  return { counts: true };
}
