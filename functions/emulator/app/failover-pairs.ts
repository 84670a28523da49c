/**
 * Failover pair operations (the appliance's /login > Management > Failover page and the control plane):
 * establish, break, force sync (incremental or full), set role, status, re-import of preserved sessions.
 * Every operation is idempotent and safe to retry: repeated calls find the work done, and an
 * interrupted sync leaves the pair `syncing` so the retry resumes it.
 */
import type { Appliance } from '../../platform/core/appliance.js';
import { validationError } from '../../platform/core/errors.js';
import {
  assertNoSessionsAtRisk,
  decideBreak,
  decideEstablish,
  decideRoleChange,
  decideSync,
  pairMergesBrokenSessions,
  peerOf,
  roleIn,
  watermarkKindFor,
  type FailoverPair,
  type SyncWatermark,
} from '../core/failover.js';
import { assertApplianceId } from './backups.js';
import { requireAppliance } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { assertNoForeignHold } from './maintenance-holds.js';
import { getPair, pairIdOf, requirePair, requirePairOf, savePair, syncMemberFields } from './failover-pair-store.js';
import { countBehind, fullResync, incrementalSync } from './failover-sync.js';
import { primaryHostnameOf, resolveHostname } from './primary-hostname.js';
import { findSessionsAtRisk, reimportIntoPrimary } from './session-preservation.js';
import { endActiveSessions } from './session-store.js';

const atRiskSummary = (s: { lsid: string; recordedBy: string; status: 'active' | 'completed'; startTime: string; endTime?: string }) => ({
  lsid: s.lsid,
  recordedBy: s.recordedBy,
  status: s.status,
  startTime: s.startTime,
  ...(s.endTime ? { endTime: s.endTime } : {}),
});

const isReachable = (a: Appliance) => a.state === 'online' && a.install === undefined;

export interface EstablishResult {
  pair: FailoverPair;
  changed: boolean;
  mode: 'merge' | 'overwrite';
  /** Sessions of the new backup overwritten (pre-10.6 only; non-zero only when forced without export). */
  overwritten: number;
  merged: number;
}

/**
 * (Re-)establishes the pair with `primaryId` as primary and `backupId` as backup. Refuses when the
 * product versions differ, a side is installing or offline, either is in another pair, or (pre-10.6)
 * the new backup holds sessions that neither the primary nor an export has, unless `force`.
 * Then ends the backup's active sessions, merges (≥ 10.6) or overwrites (pre-10.6) and fully resyncs.
 */
export async function establishPair(
  ctx: AppContext,
  input: { primaryId: string; backupId: string; force?: boolean; holdToken?: string },
): Promise<EstablishResult> {
  assertApplianceId(input.primaryId);
  assertApplianceId(input.backupId);
  await assertNoForeignHold(ctx, [input.primaryId, input.backupId], 'establishing failover', input.holdToken);
  const [primary, backup] = await Promise.all([requireAppliance(ctx, input.primaryId), requireAppliance(ctx, input.backupId)]);
  const pairId = pairIdOf(primary.applianceId, backup.applianceId);
  const existing = await getPair(ctx, pairId);
  const decision = decideEstablish(primary, backup, existing, pairId);
  if (decision.alreadyEstablished) {
    // A retry after the pair record was saved but not yet mirrored onto both appliances finishes that.
    await syncMemberFields(ctx, existing!);
    return { pair: existing!, changed: false, mode: decision.mode, overwritten: 0, merged: 0 };
  }

  const now = ctx.clock.now().toISOString();
  let pair: FailoverPair;
  if (decision.resume) {
    pair = existing!;
  } else {
    if (decision.mode === 'overwrite') {
      const atRisk = await findSessionsAtRisk(ctx, pairId, primary.applianceId, backup.applianceId);
      assertNoSessionsAtRisk(pairId, backup.applianceId, atRisk.map(atRiskSummary), input.force === true);
    }
    const { syncing: _s, brokenAt: _b, ...rest } = existing ?? ({} as Partial<FailoverPair>);
    pair = await savePair(
      ctx,
      {
        ...rest,
        pairId,
        primaryId: primary.applianceId,
        backupId: backup.applianceId,
        status: 'syncing',
        syncing: { kind: 'establish', startedAt: now },
        productVersions: { [primary.applianceId]: primary.productVersion, [backup.applianceId]: backup.productVersion },
        watermarks: existing?.watermarks ?? {},
        createdAt: existing?.createdAt ?? now,
      },
      existing?.version ?? 0,
    );
  }
  await syncMemberFields(ctx, pair);
  // The backup stops serving: its sessions end (they are kept, and merged or guarded like the rest).
  await endActiveSessions(ctx, backup.applianceId, 'terminated-by-failover');
  const result = await fullResync(ctx, primary.applianceId, backup.applianceId, {
    merge: decision.mode === 'merge',
    by: watermarkKindFor(primary.productVersion),
  });
  const { syncing: _done, ...settled } = pair;
  const finished = ctx.clock.now().toISOString();
  pair = await savePair(
    ctx,
    {
      ...settled,
      status: 'established',
      establishedAt: finished,
      lastFullSyncAt: finished,
      lastSyncAt: finished,
      lastSyncStatus: 'success',
      lastSyncTransferred: result.transferred,
      lastEstablishOverwrote: result.overwritten.length,
      watermarks: { [primary.applianceId]: result.watermark, [backup.applianceId]: result.watermark },
    },
    pair.version,
  );
  await syncMemberFields(ctx, pair);
  return { pair, changed: true, mode: decision.mode, overwritten: result.overwritten.length, merged: result.merged };
}

/** Breaks the pair `applianceId` belongs to. Idempotent; refused while a sync runs or a member is held by someone else. */
export async function breakPair(ctx: AppContext, applianceId: string, options: { holdToken?: string } = {}): Promise<{ pair: FailoverPair; changed: boolean }> {
  assertApplianceId(applianceId);
  const { pair } = await requirePairOf(ctx, applianceId);
  await assertNoForeignHold(ctx, [pair.primaryId, pair.backupId], 'breaking failover', options.holdToken);
  if (decideBreak(pair).alreadyBroken) {
    await syncMemberFields(ctx, pair);
    return { pair, changed: false };
  }
  const next = await savePair(ctx, { ...pair, status: 'broken', brokenAt: ctx.clock.now().toISOString() }, pair.version);
  await syncMemberFields(ctx, next);
  return { pair: next, changed: true };
}

export interface SyncResult {
  pair: FailoverPair;
  kind: 'incremental' | 'full';
  transferred: number;
}

/**
 * Force sync (run on either member; the backup pulls from the primary). Incremental by default:
 * only sessions above the backup's watermark move. `full` rewrites the backup from the primary
 * (recovery); on a pre-10.6 pair that is guarded like a re-establish (`force` to overwrite anyway).
 */
export async function forceSync(ctx: AppContext, applianceId: string, options: { full?: boolean; force?: boolean } = {}): Promise<SyncResult> {
  assertApplianceId(applianceId);
  const { pair } = await requirePairOf(ctx, applianceId);
  return syncPair(ctx, pair, options);
}

async function syncPair(ctx: AppContext, initial: FailoverPair, options: { full?: boolean; force?: boolean }): Promise<SyncResult> {
  let pair = initial;
  decideSync(pair);
  const [primary, backup] = await Promise.all([requireAppliance(ctx, pair.primaryId), requireAppliance(ctx, pair.backupId)]);
  const by = watermarkKindFor(primary.productVersion);
  const merge = pairMergesBrokenSessions(primary.productVersion, backup.productVersion);
  const watermark: SyncWatermark | undefined = pair.watermarks[backup.applianceId];
  // An interrupted establish or full sync resumes as a full sync; a watermark of the wrong kind cannot be trusted.
  const full = options.full === true || !watermark || watermark.by !== by || (pair.syncing !== undefined && pair.syncing.kind !== 'incremental');
  if (full && !merge && pair.status === 'established') {
    const atRisk = await findSessionsAtRisk(ctx, pair.pairId, primary.applianceId, backup.applianceId);
    assertNoSessionsAtRisk(pair.pairId, backup.applianceId, atRisk.map(atRiskSummary), options.force === true);
  }
  const kind = full ? 'full' : 'incremental';
  if (pair.status !== 'syncing') {
    pair = await savePair(ctx, { ...pair, status: 'syncing', syncing: { kind, startedAt: ctx.clock.now().toISOString() } }, pair.version);
    await syncMemberFields(ctx, pair);
  }
  const result = full
    ? await fullResync(ctx, primary.applianceId, backup.applianceId, { merge, by })
    : await incrementalSync(ctx, primary.applianceId, backup.applianceId, watermark!);
  const finished = ctx.clock.now().toISOString();
  const { syncing: _done, ...settled } = pair;
  pair = await savePair(
    ctx,
    {
      ...settled,
      status: 'established',
      lastSyncAt: finished,
      lastSyncStatus: 'success',
      lastSyncTransferred: result.transferred,
      ...(full ? { lastFullSyncAt: finished } : {}),
      productVersions: { [primary.applianceId]: primary.productVersion, [backup.applianceId]: backup.productVersion },
      watermarks: { [primary.applianceId]: result.watermark, [backup.applianceId]: result.watermark },
    },
    pair.version,
  );
  await syncMemberFields(ctx, pair);
  return { pair, kind, transferred: result.transferred };
}

export interface RoleChangeResult {
  pair: FailoverPair;
  changed: boolean;
  /** The command API's `<success>` text. */
  message: string;
  synced?: number;
}

/**
 * set_failover_role: `role: 'primary'` promotes the backup, `'backup'` demotes the primary (the peer
 * takes the other role). `dataSyncFirst` syncs before swapping; `force` demotes even when the peer is
 * unreachable, which leaves the pair broken so re-establishing reconciles the data under the usual rules.
 */
export async function setFailoverRole(
  ctx: AppContext,
  applianceId: string,
  role: 'primary' | 'backup',
  options: { dataSyncFirst?: boolean; force?: boolean; holdToken?: string } = {},
): Promise<RoleChangeResult> {
  assertApplianceId(applianceId);
  if (role !== 'primary' && role !== 'backup') throw validationError('InvalidRole', 'role must be "primary" or "backup"');
  let { pair } = await requirePairOf(ctx, applianceId);
  await assertNoForeignHold(ctx, [pair.primaryId, pair.backupId], 'changing failover roles', options.holdToken);
  const peer = await requireAppliance(ctx, peerOf(pair, applianceId));
  const backupWatermark = pair.watermarks[pair.backupId];
  const behind = pair.status === 'established' && backupWatermark ? await countBehind(ctx, pair.primaryId, pair.backupId, backupWatermark) : 0;
  const decision = decideRoleChange(pair, applianceId, role, {
    dataSyncFirst: options.dataSyncFirst === true,
    force: options.force === true,
    peerReachable: isReachable(peer),
    backupBehind: behind,
  });
  if (decision.unchanged) {
    await syncMemberFields(ctx, pair); // finishes a role change that stopped between the pair and its members
    return { pair, changed: false, message: `Appliance is already the ${role}.` };
  }
  let synced: number | undefined;
  if (decision.syncFirst) {
    // The demoted primary stops serving; ending its sessions first lets the sync carry them completed.
    await endActiveSessions(ctx, pair.primaryId, 'terminated-by-failover');
    const sync = await syncPair(ctx, pair, {});
    pair = sync.pair;
    synced = sync.transferred;
  }
  const swapped: Omit<FailoverPair, 'version' | 'updatedAt'> = {
    ...pair,
    primaryId: pair.backupId,
    backupId: pair.primaryId,
    ...(decision.breaksPair ? { status: 'broken' as const, brokenAt: ctx.clock.now().toISOString() } : {}),
  };
  pair = await savePair(ctx, swapped, pair.version);
  await syncMemberFields(ctx, pair);
  return {
    pair,
    changed: true,
    synced,
    message: decision.syncFirst ? `Data sync completed (${synced} session(s)); role changed.` : 'Successfully changed role.',
  };
}

export interface PairStatusReport {
  pairId: string;
  status: FailoverPair['status'];
  primaryId: string;
  backupId: string;
  members: { applianceId: string; role: string; productVersion: string; baseVersion: string; state: string; watermark?: SyncWatermark }[];
  /** Established and the backup holds every primary session. */
  inSync: boolean;
  /** Sessions of the primary the backup does not hold yet (null when the watermark cannot tell: full resync needed). */
  behind: number | null;
  /** Re-establishing merges sessions recorded while broken (both ≥ 10.6). */
  mergesOnEstablish: boolean;
  lastFullSyncAt?: string;
  lastSyncAt?: string;
  lastSyncStatus?: string;
  establishedAt?: string;
  brokenAt?: string;
  primaryHostname?: { hostname: string; resolvesTo?: string; resolvesToPrimary: boolean };
}

/** In sync? How far behind? For a pair id or (with `byAppliance`) the pair of an appliance. */
export async function pairStatus(ctx: AppContext, id: string, options: { byAppliance?: boolean; asOf?: string } = {}): Promise<PairStatusReport> {
  const pair = options.byAppliance ? (await requirePairOf(ctx, id)).pair : await requirePair(ctx, id);
  const [primary, backup] = await Promise.all([requireAppliance(ctx, pair.primaryId), requireAppliance(ctx, pair.backupId)]);
  const watermark = pair.watermarks[pair.backupId];
  const behind = watermark && watermark.by === watermarkKindFor(primary.productVersion) ? await countBehind(ctx, primary.applianceId, backup.applianceId, watermark, options.asOf) : null;
  const hostname = await primaryHostnameOf(ctx, pair);
  const resolvesTo = hostname ? await resolveHostname(ctx, hostname) : undefined;
  return {
    pairId: pair.pairId,
    status: pair.status,
    primaryId: pair.primaryId,
    backupId: pair.backupId,
    members: [primary, backup].map((a) => ({
      applianceId: a.applianceId,
      role: roleIn(pair, a.applianceId),
      productVersion: a.productVersion,
      baseVersion: a.baseVersion,
      state: a.state,
      ...(pair.watermarks[a.applianceId] ? { watermark: pair.watermarks[a.applianceId] } : {}),
    })),
    inSync: pair.status === 'established' && behind === 0,
    behind,
    mergesOnEstablish: pairMergesBrokenSessions(primary.productVersion, backup.productVersion),
    lastFullSyncAt: pair.lastFullSyncAt,
    lastSyncAt: pair.lastSyncAt,
    lastSyncStatus: pair.lastSyncStatus,
    establishedAt: pair.establishedAt,
    brokenAt: pair.brokenAt,
    ...(hostname ? { primaryHostname: { hostname, resolvesTo, resolvesToPrimary: resolvesTo === pair.primaryId } } : {}),
  };
}

/**
 * Re-imports the sessions exported before a pre-10.6 re-establish into the primary, then syncs them to
 * the backup. Idempotent: sessions already on the primary are skipped.
 */
export async function reimportPreservedSessions(ctx: AppContext, pairId: string): Promise<{ reimported: number; skipped: number; exports: string[]; synced: number }> {
  const result = await reimportIntoPrimary(ctx, pairId);
  const sync = await syncPair(ctx, await requirePair(ctx, pairId), {});
  return { ...result, synced: sync.transferred };
}

export { exportSessionsAtRisk, listSessionsAtRisk } from './session-preservation.js';
export { integrationReadiness, switchPrimaryHostname } from './primary-hostname.js';
