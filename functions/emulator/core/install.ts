/**
 * Install lifecycle of an appliance: `online → installing → restarting → online` (or `failed`).
 * No timers: an install stores its phase boundaries (restartAt, onlineAt) and the current phase is a
 * pure function of the clock, so Lambda and the local runtime agree and every reader sees current state.
 */
import type { Appliance, InstallInProgress, InstallOutcome } from '../../platform/core/appliance.js';
import { DomainError, conflict, preconditionFailed } from '../../platform/core/errors.js';
import { evaluatePackage, installedVersion, INSTALL_OTHER_HINT, packageName, type PackageManifest } from '../../platform/core/packages.js';
import { compareVersions, usesGuidLsid } from '../../platform/core/versions.js';
import { estimateInstallMinutes, RESTART_MINUTES } from '../../platform/core/install.js';
import { assertNotHeld } from './maintenance-hold.js';

export type InstallPhase = 'installing' | 'restarting' | 'finished';

export function installPhase(install: Pick<InstallInProgress, 'restartAt' | 'onlineAt'>, now: Date): InstallPhase {
  const t = now.getTime();
  if (t < Date.parse(install.restartAt)) return 'installing';
  if (t < Date.parse(install.onlineAt)) return 'restarting';
  return 'finished';
}

/** Seconds until the site answers again (Retry-After), at least 1; 0 when no install runs. */
export function secondsUntilOnline(appliance: Pick<Appliance, 'install'>, now: Date): number {
  if (!appliance.install) return 0;
  return Math.max(1, Math.ceil((Date.parse(appliance.install.onlineAt) - now.getTime()) / 1000));
}

export interface InstallPolicy {
  /** Reinstall the installed version (refused otherwise). Never allows a downgrade. */
  force?: boolean;
  /** Refuse while the failover pair is established or syncing (the guide: break the relationship first). Default true. */
  requireBrokenFailover?: boolean;
  /** Refuse unless a settings backup younger than this many hours exists. */
  requireBackupWithinHours?: number;
  /** SHA-256 of the maintenance-hold token the request carries (the holder's own requests pass a hold). */
  holdTokenSha256?: string;
}

export interface InstallRequest extends InstallPolicy {
  installId: string;
  requestKey?: string;
  /** Emulator fault injection: end the install `failed`. */
  simulateFailure?: boolean;
}

/**
 * Checks every install refusal, in the order an operator would fix them, and returns the install to
 * store. Throws a DomainError (409 busy / same version, 422 rule) and changes nothing.
 */
export function planInstall(
  appliance: Appliance,
  manifest: Pick<PackageManifest, 'packageId' | 'kind' | 'version' | 'requires'>,
  request: InstallRequest,
  context: { now: Date; msPerModelledMinute: number; latestBackupAt?: string },
): InstallInProgress {
  const { now } = context;
  const name = packageName(manifest);
  assertNotHeld(appliance, `installing ${name}`, request.holdTokenSha256, now);
  if (appliance.install) {
    throw conflict('InstallInProgress', `appliance ${appliance.applianceId} is already installing ${appliance.install.packageId} (until ${appliance.install.onlineAt})`, {
      installId: appliance.install.installId,
      onlineAt: appliance.install.onlineAt,
    });
  }
  const current = installedVersion(appliance, manifest.kind);
  const cmp = compareVersions(manifest.version, current);
  if (cmp < 0) {
    throw preconditionFailed('Downgrade', `${name}: ${current} is newer than ${manifest.version}; downgrades are not supported`, { installedVersion: current });
  }
  if (cmp === 0 && !request.force) {
    throw conflict('AlreadyInstalled', `${name} is already installed; reinstall it with force`, { installedVersion: current });
  }
  const evaluation = evaluatePackage(manifest, appliance, now);
  if (evaluation.reasons.length > 0) {
    throw preconditionFailed('PrerequisitesNotMet', `${evaluation.reasons.map((r) => r.message).join('; ')}. ${INSTALL_OTHER_HINT}`, {
      reasons: evaluation.reasons,
    });
  }
  const pairStatus = appliance.failover?.pairStatus;
  if ((request.requireBrokenFailover ?? true) && (pairStatus === 'established' || pairStatus === 'syncing')) {
    throw preconditionFailed(
      'FailoverPairEstablished',
      `appliance ${appliance.applianceId} is in failover pair ${appliance.failover.pairId ?? '?'} (${pairStatus}); sync and break the relationship before upgrading`,
      { pairId: appliance.failover.pairId, pairStatus },
    );
  }
  if (request.requireBackupWithinHours !== undefined) {
    const limit = now.getTime() - request.requireBackupWithinHours * 3_600_000;
    if (!context.latestBackupAt || Date.parse(context.latestBackupAt) < limit) {
      throw preconditionFailed(
        'BackupRequired',
        `a settings backup younger than ${request.requireBackupWithinHours} h is required before upgrading (latest: ${context.latestBackupAt ?? 'none'})`,
        { latestBackupAt: context.latestBackupAt ?? null, requireBackupWithinHours: request.requireBackupWithinHours },
      );
    }
  }
  const minutes = estimateInstallMinutes(appliance);
  const ms = (m: number) => Math.round(m * context.msPerModelledMinute);
  const installing = Math.max(0, minutes - RESTART_MINUTES);
  return {
    installId: request.installId,
    packageId: manifest.packageId,
    packageKind: manifest.kind,
    fromVersion: current,
    targetVersion: manifest.version,
    startedAt: now.toISOString(),
    restartAt: new Date(now.getTime() + ms(installing)).toISOString(),
    onlineAt: new Date(now.getTime() + ms(minutes)).toISOString(),
    ...(request.requestKey ? { requestKey: request.requestKey } : {}),
    ...(request.force && cmp === 0 ? { forced: true } : {}),
    ...(request.simulateFailure ? { simulateFailure: true } : {}),
  };
}

/** The appliance as it is while `install` runs, right after the install started. */
export function startedInstalling(appliance: Appliance, install: InstallInProgress): Appliance {
  return { ...appliance, state: 'installing', stateChangedAt: install.startedAt, install };
}

export interface Settlement {
  /** The appliance with its state advanced to `now`. */
  appliance: Appliance;
  /** True when something differs from the stored record. */
  changed: boolean;
  /** Set when the install finished in this step. */
  finished?: InstallOutcome;
  /** True when a finished product install crossed 10.6 (sessions must migrate to GUID lsid + lseq). */
  crossed106?: boolean;
}

/** Advances a stored appliance to `now`: phase changes and, once onlineAt passed, the final state. */
export function settle(appliance: Appliance, now: Date): Settlement {
  const install = appliance.install;
  if (!install) return { appliance, changed: false };
  const phase = installPhase(install, now);
  if (phase === 'installing') {
    return appliance.state === 'installing' ? { appliance, changed: false } : { appliance: { ...appliance, state: 'installing', stateChangedAt: install.startedAt }, changed: true };
  }
  if (phase === 'restarting') {
    return appliance.state === 'restarting' ? { appliance, changed: false } : { appliance: { ...appliance, state: 'restarting', stateChangedAt: install.restartAt }, changed: true };
  }
  const kind = install.packageKind ?? 'product';
  const failed = install.simulateFailure === true;
  const finished: InstallOutcome = {
    installId: install.installId ?? `${install.packageId}@${install.startedAt}`,
    packageId: install.packageId,
    packageKind: kind,
    fromVersion: install.fromVersion,
    targetVersion: install.targetVersion,
    outcome: failed ? 'failed' : 'online',
    startedAt: install.startedAt,
    finishedAt: install.onlineAt,
    ...(install.requestKey ? { requestKey: install.requestKey } : {}),
  };
  const { install: _done, lastInstallError: _e, ...rest } = appliance;
  const next: Appliance = failed
    ? { ...rest, state: 'failed', stateChangedAt: install.onlineAt, lastInstall: finished, lastInstallError: `${install.packageId}: installation failed (simulated)` }
    : {
        ...rest,
        ...(kind === 'base' ? { baseVersion: install.targetVersion } : { productVersion: install.targetVersion }),
        state: 'online',
        stateChangedAt: install.onlineAt,
        lastInstall: finished,
      };
  const crossed106 = !failed && kind === 'product' && !usesGuidLsid(install.fromVersion) && usesGuidLsid(install.targetVersion);
  return { appliance: next, changed: true, finished, crossed106 };
}

/** The refusal the site's own APIs give while the appliance installs or restarts (503 + Retry-After). */
export function siteUnavailable(appliance: Appliance, now: Date): DomainError {
  const retryAfterSeconds = secondsUntilOnline(appliance, now);
  return new DomainError('unavailable', 'SiteUnavailable', `the site of appliance ${appliance.applianceId} is unavailable while it is ${appliance.state}; retry after ${retryAfterSeconds} s`, {
    state: appliance.state,
    retryAfterSeconds,
  });
}
