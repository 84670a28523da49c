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

