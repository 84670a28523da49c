/**
 * Failover pairs: pure transition rules, refusal reasons and the session merge/dedupe rules.
 *
 * A pair is two appliances: the primary (the primary hostname resolves to it) and the backup, kept in
 * sync by the backup pulling from the primary. While the pair is broken both may record sessions; on
 * re-establish, ≥ 10.6 pairs merge them, pre-10.6 pairs overwrite the new backup with the primary's data
 * (the gap the vendor's upgrade guide warns about).
 */
import type { Appliance, FailoverRole } from '../../platform/core/appliance.js';
import { conflict, DomainError, preconditionFailed, validationError } from '../../platform/core/errors.js';
import { isLegacyLsid, type SupportSession } from './session.js';
import { compareVersions, syncsBrokenPairSessions } from '../../platform/core/versions.js';

export type PairStatus = 'established' | 'broken' | 'syncing';

/**
 * How far a member holds the pair's data. `lseq` on ≥ 10.6 pairs, the legacy integer `lsid` before:
 * every session of the primary with a sequence ≤ `value` is on this member in its final form.
 */
export interface SyncWatermark {
  by: 'lseq' | 'lsid';
  value: number;
}

export interface FailoverPair {
  pairId: string;
  primaryId: string;
  backupId: string;
  status: PairStatus;
  /** Product version of each member as last seen by a pair operation. */
  productVersions: Record<string, string>;
  /** Per member: what it holds of the pair's data. */
  watermarks: Record<string, SyncWatermark>;
  establishedAt?: string;
  brokenAt?: string;
  lastFullSyncAt?: string;
  lastSyncAt?: string;
  lastSyncStatus?: string;
  /** Sessions moved by the last sync (incremental or full). */
  lastSyncTransferred?: number;
  /** Set while a sync runs; an interrupted sync (or establish) resumes from it when retried. */
  syncing?: { kind: 'establish' | 'incremental' | 'full'; startedAt: string };
  /** Sessions of the new backup overwritten by the last re-establish (pre-10.6, forced without export). */
  lastEstablishOverwrote?: number;
  createdAt: string;
  updatedAt: string;
  /** Optimistic concurrency counter. */
  version: number;
}

/** One pair per two appliances: the id is derived from the members so establish is naturally idempotent. */
export function pairIdFor(a: string, b: string, hash: (text: string) => string): string {
  const [lo, hi] = [a, b].sort();
  return `fp-${hash(`${lo}\u0000${hi}`).slice(0, 16)}`;
}

export const peerOf = (pair: Pick<FailoverPair, 'primaryId' | 'backupId'>, applianceId: string) =>
  pair.primaryId === applianceId ? pair.backupId : pair.primaryId;

export const roleIn = (pair: Pick<FailoverPair, 'primaryId' | 'backupId'>, applianceId: string): FailoverRole =>
  pair.primaryId === applianceId ? 'primary' : pair.backupId === applianceId ? 'backup' : 'none';

/** ≥ 10.6 on both sides: sessions recorded while broken are merged on re-establish. */
export const pairMergesBrokenSessions = (primaryVersion: string, backupVersion: string) =>
  syncsBrokenPairSessions(primaryVersion) && syncsBrokenPairSessions(backupVersion);

const busy = (a: Appliance) => a.state === 'installing' || a.state === 'restarting' || a.install !== undefined;

/** Refuses unless `a` can take part in establishing a pair. */
function assertReady(a: Appliance) {
  if (busy(a)) {
    throw preconditionFailed('ApplianceInstalling', `appliance ${a.applianceId} is installing software; establish the pair after it is back online`, {
      applianceId: a.applianceId,
      state: a.state,
    });
  }
  if (a.state !== 'online') {
    throw preconditionFailed('ApplianceNotOnline', `appliance ${a.applianceId} is ${a.state}`, { applianceId: a.applianceId, state: a.state });
  }
}

export interface EstablishDecision {
  /** Nothing to do: the pair is already established with these roles. */
  alreadyEstablished: boolean;
  /** An establish with these roles was interrupted mid-sync: finish it (its guard already passed). */
  resume: boolean;
  /** ≥ 10.6 merge, or pre-10.6 overwrite of the backup. */
  mode: 'merge' | 'overwrite';
}

/**
 * Whether a pair may be (re-)established with `primary` and `backup`. Refusals: same appliance,
 * member of another pair, sync running, established with the other roles, a side installing or
 * offline, product versions differ. The pre-10.6 sessions-at-risk guard needs session data and is
 * applied by the caller with {@link assertNoSessionsAtRisk}.
 */
export function decideEstablish(primary: Appliance, backup: Appliance, existing: FailoverPair | undefined, pairId: string): EstablishDecision {
  if (primary.applianceId === backup.applianceId) {
    throw validationError('SameAppliance', 'a failover pair needs two different appliances');
  }
  for (const a of [primary, backup]) {
    if (a.failover.pairId && a.failover.pairId !== pairId) {
      throw conflict('ApplianceInAnotherPair', `appliance ${a.applianceId} belongs to failover pair ${a.failover.pairId}`, {
        applianceId: a.applianceId,
        pairId: a.failover.pairId,
      });
    }
  }
  if (existing?.status === 'syncing' && existing.syncing?.kind === 'establish' && existing.primaryId === primary.applianceId) {
    return { alreadyEstablished: false, resume: true, mode: modeFor(primary, backup) };
  }
  if (existing?.status === 'syncing') throw conflict('PairSyncing', `failover pair ${pairId} is syncing; wait for the sync to finish`, { pairId });
  if (existing?.status === 'established') {
    if (existing.primaryId === primary.applianceId) return { alreadyEstablished: true, resume: false, mode: modeFor(primary, backup) };
    throw conflict('PairAlreadyEstablished', `failover pair ${pairId} is established with ${existing.primaryId} as primary; change roles with set role`, {
      pairId,
      primaryId: existing.primaryId,
      backupId: existing.backupId,
    });
  }
  assertReady(primary);
  assertReady(backup);
  if (compareVersions(primary.productVersion, backup.productVersion) !== 0) {
    throw preconditionFailed(
      'ProductVersionMismatch',
      `product versions differ (${primary.applianceId} ${primary.productVersion}, ${backup.applianceId} ${backup.productVersion}); upgrade both to the same version first`,
      { versions: { [primary.applianceId]: primary.productVersion, [backup.applianceId]: backup.productVersion } },
    );
  }
  return { alreadyEstablished: false, resume: false, mode: modeFor(primary, backup) };
}

const modeFor = (primary: Appliance, backup: Appliance): EstablishDecision['mode'] =>
  pairMergesBrokenSessions(primary.productVersion, backup.productVersion) ? 'merge' : 'overwrite';

/** Break: established → broken. Idempotent on a broken pair; refused while a sync runs. */
export function decideBreak(pair: FailoverPair): { alreadyBroken: boolean } {
  if (pair.status === 'syncing') throw conflict('PairSyncing', `failover pair ${pair.pairId} is syncing; break it after the sync completes`, { pairId: pair.pairId });
  return { alreadyBroken: pair.status === 'broken' };
}

/** Force sync needs a live pair (a `syncing` pair is an interrupted sync being resumed). */
export function decideSync(pair: FailoverPair): void {
  if (pair.status === 'broken') {
    throw preconditionFailed('PairNotEstablished', `failover pair ${pair.pairId} is broken; re-establish it before syncing`, { pairId: pair.pairId });
  }
}

export interface RoleChangeDecision {
  /** The appliance already has the requested role. */
  unchanged: boolean;
  /** Run an incremental sync before swapping. */
  syncFirst: boolean;
  /** Demoting the primary while the peer is unreachable (force): the pair cannot confirm a sync, so it becomes broken. */
  breaksPair: boolean;
}

/**
 * set_failover_role on `applianceId`. `role: 'primary'` promotes a backup, `role: 'backup'` demotes a
 * primary; either way the two members swap roles. On an established pair, swapping while the backup is
 * behind would strand the unsynced sessions on the new backup, so it is refused unless `dataSyncFirst`.
 * `force` only matters when demoting the primary and the peer is unreachable.
 */
export function decideRoleChange(
  pair: FailoverPair,
  applianceId: string,
  role: 'primary' | 'backup',
  options: { dataSyncFirst: boolean; force: boolean; peerReachable: boolean; backupBehind: number },
): RoleChangeDecision {
  if (pair.status === 'syncing') throw conflict('PairSyncing', `failover pair ${pair.pairId} is syncing; change roles after the sync completes`, { pairId: pair.pairId });
  if (roleIn(pair, applianceId) === role) return { unchanged: true, syncFirst: false, breaksPair: false };
  if (pair.status === 'broken') {
    if (options.dataSyncFirst) {
      throw preconditionFailed('PairNotEstablished', `failover pair ${pair.pairId} is broken: a data sync cannot run first`, { pairId: pair.pairId });
    }
    return { unchanged: false, syncFirst: false, breaksPair: false };
  }
  if (!options.peerReachable) {
    if (role === 'backup' && !options.force) {
      throw preconditionFailed('PeerUnreachable', `the peer of ${applianceId} is unreachable; demote with force=1 to go ahead anyway`, { applianceId });
    }
    if (options.dataSyncFirst) {
      throw preconditionFailed('PeerUnreachable', `the peer of ${applianceId} is unreachable: a data sync cannot run first`, { applianceId });
    }
    // The peer is down: roles change now, and the re-establish rules (merge or guarded overwrite) reconcile later.
    return { unchanged: false, syncFirst: false, breaksPair: true };
  }
  if (!options.dataSyncFirst && options.backupBehind > 0) {
    throw preconditionFailed(
      'BackupBehind',
      `the backup is ${options.backupBehind} session(s) behind; change roles with data_sync_first=1 so none is left behind`,
      { pairId: pair.pairId, behind: options.backupBehind },
    );
  }
  return { unchanged: false, syncFirst: options.dataSyncFirst, breaksPair: false };
}

/**
 * A session's identity across sides, migrations and re-imports. GUID lsids are unique by design.
 * Legacy integer lsids are only unique per recording appliance (both sides of a broken pre-10.6 pair
 * hand out the same numbers), so their identity is the recorder plus the number it gave; that survives
 * the 10.6 migration (`legacyLsid`) and renumbering on re-import (`sourceLsid`).
 */
export function sessionIdentity(s: Pick<SupportSession, 'lsid' | 'recordedBy' | 'legacyLsid' | 'sourceLsid'>): string {
  const legacy = s.sourceLsid ?? (s.legacyLsid !== undefined ? String(s.legacyLsid) : isLegacyLsid(s.lsid) ? s.lsid : undefined);
  return legacy !== undefined ? `legacy:${s.recordedBy}:${legacy}` : `guid:${s.lsid}`;
}

/** What an export must hold for a session to count as preserved: its identity in its current form. */
export const sessionFingerprint = (s: Pick<SupportSession, 'lsid' | 'recordedBy' | 'legacyLsid' | 'sourceLsid' | 'status' | 'endTime'>) =>
  `${sessionIdentity(s)}|${s.status}|${s.endTime ?? ''}`;

/** The sequence a watermark of kind `by` orders a session by (undefined: the session is not in that order). */
export function sequenceOf(s: Pick<SupportSession, 'lsid' | 'lseq'>, by: SyncWatermark['by']): number | undefined {
  if (by === 'lseq') return s.lseq;
  return isLegacyLsid(s.lsid) ? Number(s.lsid) : undefined;
}

export const watermarkKindFor = (productVersion: string): SyncWatermark['by'] => (syncsBrokenPairSessions(productVersion) ? 'lseq' : 'lsid');

/**
 * The watermark after copying `sessions` (those above `from`, in sequence order): it stops just below
 * the first still-active session, so a session copied while active is copied again once it completes.
 */
export function advanceWatermark(from: SyncWatermark, sessions: Pick<SupportSession, 'lsid' | 'lseq' | 'status'>[]): SyncWatermark {
  let value = from.value;
  let firstActive: number | undefined;
  for (const s of sessions) {
    const seq = sequenceOf(s, from.by);
    if (seq === undefined) continue;
    if (s.status === 'active') firstActive = firstActive === undefined ? seq : Math.min(firstActive, seq);
    value = Math.max(value, seq);
  }
  if (firstActive !== undefined) value = Math.min(value, firstActive - 1);
  return { by: from.by, value: Math.max(from.value, value) };
}

/**
 * Sessions of the (new) backup that re-establishing would lose: not on the primary (by identity) and not
 * exported in their current form. Empty for ≥ 10.6 pairs, which merge instead.
 */
export function sessionsAtRisk<S extends Pick<SupportSession, 'lsid' | 'recordedBy' | 'legacyLsid' | 'sourceLsid' | 'status' | 'endTime'>>(
  backupSessions: Iterable<S>,
  primaryIdentities: ReadonlySet<string>,
  exportedFingerprints: ReadonlySet<string>,
): S[] {
  const result: S[] = [];
  for (const s of backupSessions) {
    if (primaryIdentities.has(sessionIdentity(s))) continue;
    if (exportedFingerprints.has(sessionFingerprint(s))) continue;
    result.push(s);
  }
  return result;
}

/** Summary of a session at risk, as listed in the refusal. */
export interface SessionAtRisk {
  lsid: string;
  recordedBy: string;
  status: SupportSession['status'];
  startTime: string;
  endTime?: string;
}

export const MAX_LISTED_AT_RISK = 100;

/** The pre-10.6 guard: refuses to overwrite un-exported sessions unless forced, listing them. */
export function assertNoSessionsAtRisk(pairId: string, backupId: string, atRisk: SessionAtRisk[], force: boolean): void {
  if (atRisk.length === 0 || force) return;
  throw new DomainError(
    'precondition',
    'SessionsAtRisk',
    `re-establishing would overwrite ${atRisk.length} session(s) on ${backupId} that are not on the primary (pre-10.6 failover does not sync them); export them first (POST /failover-pairs/${pairId}/exports) or force`,
    { pairId, backupId, count: atRisk.length, sessions: atRisk.slice(0, MAX_LISTED_AT_RISK), truncated: atRisk.length > MAX_LISTED_AT_RISK },
  );
}

/** A primary-hostname DNS record: hostname → appliance, with a TTL. */
export interface PrimaryHostnameRecord {
  hostname: string;
  applianceId: string;
  /** The address the name resolves to (the appliance's IP when the record was written). */
  ipAddress: string;
  ttlSeconds: number;
  updatedAt: string;
  version: number;
}

/** Port: publishes a primary-hostname record to real DNS (Route 53 on AWS). DynamoDB stays the source of truth. */
export interface DnsPublisher {
  readonly name: string;
  publish(record: PrimaryHostnameRecord): Promise<void>;
}

/** How an integration (e.g. the Integration Client) reaches the primary. */
export interface IntegrationClient {
  integrationId: string;
  name: string;
  pairId: string;
  target: { kind: 'hostname'; hostname: string } | { kind: 'ip'; ipAddress: string };
  /** The Integration Client software version (it must be upgraded before the appliance crosses 10.6). */
  version?: string;
}

export interface IntegrationReadiness {
  integrationId: string;
  name: string;
  /** The hostname or IP it is configured with. */
  target?: string;
  /** Its software version, when registered. */
  version?: string;
  ready: boolean;
  /** Appliance the integration reaches today and after the swap to `targetPrimaryId`. */
  reachesNow?: string;
  reachesAfter?: string;
  reason?: string;
}

/**
 * Would `integration` follow a DNS swap of the primary hostname to `targetPrimary`? Hostname-configured
 * clients follow the record; IP-configured clients keep reaching the old address.
 */
export function evaluateIntegration(
  integration: IntegrationClient,
  targetPrimary: Pick<Appliance, 'applianceId' | 'ipAddress'>,
  resolveHostname: (hostname: string) => string | undefined,
  applianceByIp: (ip: string) => string | undefined,
): IntegrationReadiness {
  const base = {
    integrationId: integration.integrationId,
    name: integration.name,
    target: integration.target.kind === 'hostname' ? integration.target.hostname : integration.target.ipAddress,
    ...(integration.version !== undefined ? { version: integration.version } : {}),
  };
  if (integration.target.kind === 'hostname') {
    const now = resolveHostname(integration.target.hostname);
    if (now === undefined) {
      return { ...base, ready: false, reason: `hostname ${integration.target.hostname} has no primary-hostname record` };
    }
    return { ...base, ready: true, reachesNow: now, reachesAfter: targetPrimary.applianceId };
  }
  const now = applianceByIp(integration.target.ipAddress);
  if (now === targetPrimary.applianceId) return { ...base, ready: true, reachesNow: now, reachesAfter: now };
  return {
    ...base,
    ready: false,
    reachesNow: now,
    reachesAfter: now,
    reason: `configured by IP ${integration.target.ipAddress}${now ? ` (${now})` : ''}: it will not follow the primary hostname to ${targetPrimary.applianceId} (${targetPrimary.ipAddress}); reconfigure it by hostname or to ${targetPrimary.ipAddress}`,
  };
}
