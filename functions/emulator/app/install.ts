/** Use cases: Check for Updates, install a package, install status. */
import { createHash, randomUUID } from 'node:crypto';
import type { Appliance } from '../../platform/core/appliance.js';
import { conflict, DomainError, validationError } from '../../platform/core/errors.js';
import { planInstall, secondsUntilOnline, startedInstalling, type InstallPolicy } from '../core/install.js';
import { assertNotHeld } from '../core/maintenance-hold.js';
import { evaluatePackage, INSTALL_OTHER_HINT, type PackageEvaluation, type PackageManifest } from '../../platform/core/packages.js';
import { requireAppliance, updateAppliance } from './appliance-store.js';
import { assertApplianceId, listBackups } from './backups.js';
import type { AppContext } from '../../platform/app/context.js';
import { getInstallRecord, installRecordFrom, installView, listInstallRecords, putInstallRecord, type InstallRecord } from './install-records.js';
import { holdTokenSha256 } from './maintenance-holds.js';
import { listPackages, requirePackage, storePackage } from './packages.js';
import { endActiveSessions } from './session-store.js';
import { logOutAllStaff } from './staff-console-store.js';

/** The `/appliance > Support > Updates` page after "Check for Updates", as JSON. */
export async function checkForUpdates(ctx: AppContext, applianceId: string) {
  assertApplianceId(applianceId);
  const appliance = await requireAppliance(ctx, applianceId);
  const now = ctx.clock.now();
  const catalog = await listPackages(ctx, { source: 'catalog' });
  const updates: (PackageEvaluation & { action: string | null; size: number; sha256: string; hint?: string })[] = [];
  for (const p of catalog) {
    const e = evaluatePackage(p.manifest, appliance, now);
    if (e.status === 'installed' || e.status === 'older') continue;
    updates.push({
      ...e,
      action: e.status === 'installable' ? 'Install this Update' : null,
      size: p.size,
      sha256: p.sha256,
      ...(e.status === 'not-installable' ? { hint: INSTALL_OTHER_HINT } : {}),
    });
  }
  const installable = updates.filter((u) => u.status === 'installable').length;
  return {
    applianceId,
    hostname: appliance.hostname,
    productVersion: appliance.productVersion,
    baseVersion: appliance.baseVersion,
    state: appliance.state,
    checkedAt: now.toISOString(),
    summary: installable > 0 ? 'Updates are available for installation' : updates.length > 0 ? 'Updates are available but their prerequisites are not met' : 'No updates are available',
    updates,
    license: {
      primaryHostname: appliance.license.primaryHostname,
      licenses: appliance.license.licenseCount,
      expires: appliance.license.expires ?? 'Never',
    },
  };
}

export interface InstallOptions extends Omit<InstallPolicy, 'holdTokenSha256'> {
  /** Idempotency key (workflows: run id + step). A repeated request with the same key returns the same install. */
  requestKey?: string;
  simulateFailure?: boolean;
  /** The maintenance-hold token: a held appliance installs only for its holder. */
  holdToken?: string;
}

const REQUEST_KEY = /^[A-Za-z0-9][A-Za-z0-9:._#/-]{0,199}$/;
const installIdFor = (applianceId: string, requestKey: string) => createHash('sha256').update(`${applianceId}\n${requestKey}`).digest('hex').slice(0, 32);

/** Thrown inside the optimistic update to leave the record untouched when the request is a replay. */
class Replay extends Error {}

/**
 * Starts installing `packageId` on the appliance. Refusals (DomainError) change nothing. On start the
 * appliance goes `installing`, every active support session ends with `terminated-by-upgrade` and logged-in
 * staff are logged out. Idempotent per `requestKey`: a retry returns the same install and never installs twice.
 */
export async function startInstall(
  ctx: AppContext,
  applianceId: string,
  packageId: string,
  options: InstallOptions = {},
): Promise<{ install: InstallRecord & { state: string }; replayed: boolean }> {
  assertInstallOptions(applianceId, options);
  const pkg = await requirePackage(ctx, packageId);
  const now = () => ctx.clock.now();
  const installId = options.requestKey ? installIdFor(applianceId, options.requestKey) : randomUUID().replaceAll('-', '');
  if (options.requestKey) {
    const existing = await getInstallRecord(ctx, applianceId, installId);
    if (existing) {
      await requireAppliance(ctx, applianceId); // settles, so the returned state is current
      const settled = (await getInstallRecord(ctx, applianceId, installId)) ?? existing;
      return { install: installView(settled, now()), replayed: true };
    }
  }
  if (!(await ctx.blobs.packages.head(pkg.objectKey))) {
    throw conflict('PackageUnavailable', `the payload of package ${packageId} is missing from the package store; upload it again`);
  }
  const latestBackupAt = options.requireBackupWithinHours !== undefined ? (await listBackups(ctx, applianceId))[0]?.createdAt : undefined;

  let appliance: Appliance;
  let replayed = false;
  try {
    appliance = await updateAppliance(ctx, applianceId, (current) => {
      if (options.requestKey && current.install?.requestKey === options.requestKey) throw new Replay();
      const install = planInstall(
        current,
        pkg.manifest,
        { installId, requestKey: options.requestKey, force: options.force, requireBrokenFailover: options.requireBrokenFailover, requireBackupWithinHours: options.requireBackupWithinHours, simulateFailure: options.simulateFailure ?? current.failNextInstall, holdTokenSha256: holdTokenSha256(options.holdToken) },
        { now: now(), msPerModelledMinute: ctx.config.msPerModelledMinute, latestBackupAt },
      );
      // The emulator's fault hook is consumed by the install it fails.
      return { ...startedInstalling(current, install), failNextInstall: undefined };
    });
  } catch (e) {
    if (!(e instanceof Replay)) throw e;
    appliance = await requireAppliance(ctx, applianceId);
    replayed = true;
  }
  const install = appliance.install;
  if (!install?.installId) {
    // A replay whose install already finished before its record was written (crash window): the outcome is on the appliance.
    const record = await getInstallRecord(ctx, applianceId, installId);
    if (record) return { install: installView(record, now()), replayed: true };
    throw new DomainError('conflict', 'InstallNotFound', `install ${installId} is no longer in progress`);
  }
  // Effects are idempotent, so a replay re-runs them to finish a start that crashed half way.
  const at = install.startedAt;
  const sessionsTerminated = await endActiveSessions(ctx, applianceId, 'terminated-by-upgrade');
  const staffLoggedOut = await logOutAllStaff(ctx, applianceId, at);
  const previous = replayed ? await getInstallRecord(ctx, applianceId, install.installId) : undefined;
  const record: InstallRecord = {
    ...installRecordFrom(applianceId, { ...install, installId: install.installId }),
    sessionsTerminated: (previous?.sessionsTerminated ?? 0) + sessionsTerminated,
    staffLoggedOut: (previous?.staffLoggedOut ?? 0) + staffLoggedOut,
  };
  await putInstallRecord(ctx, record);
  return { install: installView(record, now()), replayed };
}

function assertInstallOptions(applianceId: string, options: InstallOptions): void {
  assertApplianceId(applianceId);
  if (options.requestKey !== undefined && !REQUEST_KEY.test(options.requestKey)) {
    throw validationError('InvalidRequestKey', 'the idempotency key must be 1-200 characters of letters, digits and :._#/-');
  }
  if (options.requireBackupWithinHours !== undefined && !(options.requireBackupWithinHours > 0)) {
    throw validationError('InvalidPolicy', 'requireBackupWithinHours must be a positive number');
  }
}

/**
 * Manual update ("Update Software"): streams an uploaded package file into the package store and installs
 * it. The install rules are checked against the signed manifest before any payload byte is stored, so a
 * refused update stores nothing; a replayed request key returns the first install without reading the body.
 */
export async function manualUpdate(
  ctx: AppContext,
  applianceId: string,
  body: AsyncIterable<Uint8Array>,
  options: InstallOptions & { contentLength?: number },
) {
  assertInstallOptions(applianceId, options);
  if (options.requestKey) {
    const existing = await getInstallRecord(ctx, applianceId, installIdFor(applianceId, options.requestKey));
    if (existing) {
      await requireAppliance(ctx, applianceId);
      const settled = (await getInstallRecord(ctx, applianceId, existing.installId)) ?? existing;
      return { install: installView(settled, ctx.clock.now()), replayed: true };
    }
  }
  const latestBackupAt = options.requireBackupWithinHours !== undefined ? (await listBackups(ctx, applianceId))[0]?.createdAt : undefined;
  const dryRun = async (manifest: PackageManifest) => {
    const current = await requireAppliance(ctx, applianceId);
    planInstall(current, manifest, { ...options, installId: 'dry-run', holdTokenSha256: hold }, { now: ctx.clock.now(), msPerModelledMinute: ctx.config.msPerModelledMinute, latestBackupAt });
  };
  // Fail fast (404, 409 held or busy) before reading the upload at all.
  const hold = holdTokenSha256(options.holdToken);
  const appliance = await requireAppliance(ctx, applianceId);
  assertNotHeld(appliance, 'a manual update', hold, ctx.clock.now());
  if (appliance.install) planInstall(appliance, { packageId: '-', kind: 'product', version: appliance.productVersion, requires: {} }, { installId: 'dry-run', holdTokenSha256: hold }, { now: ctx.clock.now(), msPerModelledMinute: 1 });
  const { record } = await storePackage(ctx, body, { source: 'upload', contentLength: options.contentLength, precheck: dryRun });
  return startInstall(ctx, applianceId, record.packageId, options);
}

/** Current install (or the last one) and the appliance state, for pollers. */
export async function installStatus(ctx: AppContext, applianceId: string) {
  assertApplianceId(applianceId);
  const appliance = await requireAppliance(ctx, applianceId);
  const now = ctx.clock.now();
  const installId = appliance.install?.installId ?? appliance.lastInstall?.installId;
  const record = installId ? await getInstallRecord(ctx, applianceId, installId) : undefined;
  return {
    applianceId,
    state: appliance.state,
    stateChangedAt: appliance.stateChangedAt,
    productVersion: appliance.productVersion,
    baseVersion: appliance.baseVersion,
    retryAfterSeconds: appliance.install ? secondsUntilOnline(appliance, now) : undefined,
    install: record ? installView(record, now) : null,
    lastInstallError: appliance.lastInstallError,
  };
}

export async function getInstall(ctx: AppContext, applianceId: string, installId: string) {
  assertApplianceId(applianceId);
  await requireAppliance(ctx, applianceId);
  const record = await getInstallRecord(ctx, applianceId, installId);
  if (!record) throw new DomainError('not-found', 'InstallNotFound', `install ${installId} does not exist on appliance ${applianceId}`);
  return installView(record, ctx.clock.now());
}

export async function listInstalls(ctx: AppContext, applianceId: string) {
  assertApplianceId(applianceId);
  await requireAppliance(ctx, applianceId);
  const now = ctx.clock.now();
  return (await listInstallRecords(ctx, applianceId)).map((r) => installView(r, now));
}

