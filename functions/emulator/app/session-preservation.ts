/**
 * Pre-10.6 session preservation: before a pre-10.6 pair is re-established, the sessions the new backup
 * recorded while the pair was broken would be overwritten by the primary's data. The control plane
 * exports them (Integration Client style, JSON lines in the exports bucket) and re-imports them into the
 * primary after re-establishing. The establish guard reads the exports to decide what is still at risk.
 */
import { queryAll } from '../../platform/core/ports.js';
import { createHash } from 'node:crypto';
import { preconditionFailed } from '../../platform/core/errors.js';
import {
  sessionFingerprint,
  sessionIdentity,
  sessionsAtRisk,
  type FailoverPair,
  type SessionAtRisk,
} from '../core/failover.js';
import { isLegacyLsid, migrateLegacySession, type SupportSession } from '../core/session.js';
import { usesGuidLsid } from '../../platform/core/versions.js';
import { requireAppliance } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { requirePair } from './failover-pair-store.js';
import { readAllSessions, writeSessions } from './failover-sync.js';
import { SESSION_EXPORT_SK_PREFIX, sessionExportKey, failoverPairKey } from '../../platform/app/keys.js';
import { allocateSessionIds } from './session-store.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface SessionExport {
  exportId: string;
  pairId: string;
  /** The appliance whose sessions were exported (the backup-to-be). */
  fromApplianceId: string;
  /** The primary they were not on. */
  primaryId: string;
  objectKey: string;
  count: number;
  sha256: string;
  createdAt: string;
  status: 'exported' | 'reimported';
  reimportedAt?: string;
  reimported?: number;
}

const summary = (s: SupportSession): SessionAtRisk => ({
  lsid: s.lsid,
  recordedBy: s.recordedBy,
  status: s.status,
  startTime: s.startTime,
  ...(s.endTime ? { endTime: s.endTime } : {}),
});

async function listExports(ctx: AppContext, pairId: string): Promise<SessionExport[]> {
  const items = await queryAll(ctx.records.appliances, { pk: failoverPairKey(pairId).pk, sk: { beginsWith: SESSION_EXPORT_SK_PREFIX } });
  return items.map(({ pk: _p, sk: _s, type: _t, ...rest }) => rest as unknown as SessionExport);
}

async function readExport(ctx: AppContext, e: SessionExport): Promise<SupportSession[]> {
  const object = await ctx.blobs.exports.get(e.objectKey);
  if (!object) throw preconditionFailed('ExportMissing', `export ${e.exportId} has no object at ${e.objectKey}`, { exportId: e.exportId });
  const chunks: Uint8Array[] = [];
  for await (const chunk of object.body) chunks.push(chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SupportSession);
}

/** Exports not re-imported yet, with their sessions. */
async function pendingExports(ctx: AppContext, pairId: string) {
  const pending = (await listExports(ctx, pairId)).filter((e) => e.status === 'exported');
  return Promise.all(pending.map(async (e) => ({ export: e, sessions: await readExport(ctx, e) })));
}

/** The backup's sessions a pre-10.6 re-establish with `primaryId` would overwrite and no export holds. */
export async function findSessionsAtRisk(ctx: AppContext, pairId: string, primaryId: string, backupId: string): Promise<SupportSession[]> {
  const [primary, backup, exports] = await Promise.all([readAllSessions(ctx, primaryId), readAllSessions(ctx, backupId), pendingExports(ctx, pairId)]);
  const exported = new Set(exports.flatMap((e) => e.sessions.map(sessionFingerprint)));
  return sessionsAtRisk(backup, new Set(primary.map(sessionIdentity)), exported);
}

/** Roles a re-establish would use: the pair's current ones unless `primaryId` says otherwise. */
function rolesFor(pair: FailoverPair, primaryId?: string) {
  if (primaryId === undefined || primaryId === pair.primaryId) return { primaryId: pair.primaryId, backupId: pair.backupId };
  if (primaryId === pair.backupId) return { primaryId: pair.backupId, backupId: pair.primaryId };
  throw preconditionFailed('NotAPairMember', `appliance ${primaryId} is not a member of failover pair ${pair.pairId}`, { pairId: pair.pairId, applianceId: primaryId });
}

/** Lists the sessions at risk for a re-establish of `pairId` (with `primaryId` as primary, default: the pair's). */
export async function listSessionsAtRisk(ctx: AppContext, pairId: string, options: { primaryId?: string } = {}) {
  const pair = await requirePair(ctx, pairId);
  const roles = rolesFor(pair, options.primaryId);
  const atRisk = await findSessionsAtRisk(ctx, pairId, roles.primaryId, roles.backupId);
  return { pairId, ...roles, count: atRisk.length, sessions: atRisk.map(summary) };
}

/**
 * Exports the sessions at risk to the exports bucket and records the export. Idempotent: the export id
 * is derived from the sessions' fingerprints, and sessions already exported are no longer at risk.
 */
export async function exportSessionsAtRisk(ctx: AppContext, pairId: string, options: { primaryId?: string } = {}): Promise<{ export?: SessionExport; count: number }> {
  const pair = await requirePair(ctx, pairId);
  const roles = rolesFor(pair, options.primaryId);
  const atRisk = await findSessionsAtRisk(ctx, pairId, roles.primaryId, roles.backupId);
  if (atRisk.length === 0) return { count: 0 };
  const body = `${atRisk.map((s) => JSON.stringify(s)).join('\n')}\n`;
  const digest = sha256(body);
  const exportId = sha256(atRisk.map(sessionFingerprint).sort().join('\n')).slice(0, 32);
  const objectKey = `failover/${pairId}/sessions-at-risk-${exportId}.jsonl`;
  await ctx.blobs.exports.put(objectKey, body, { contentType: 'application/x-ndjson', metadata: { sha256: digest, 'pair-id': pairId } });
  const record: SessionExport = {
    exportId,
    pairId,
    fromApplianceId: roles.backupId,
    primaryId: roles.primaryId,
    objectKey,
    count: atRisk.length,
    sha256: digest,
    createdAt: ctx.clock.now().toISOString(),
    status: 'exported',
  };
  // Object first, record second: a crash in between leaves an orphan object, never a record without data.
  await ctx.records.appliances.put({ ...sessionExportKey(pairId, exportId), type: 'session-export', ...record });
  return { export: record, count: atRisk.length };
}

/**
 * Re-imports exported sessions into the primary of the re-established pair, skipping any already there
 * (by identity). Legacy lsids are renumbered from the primary's sequence (they collide across a broken
 * pair), keeping the original in `sourceLsid`; on a ≥ 10.6 primary they are migrated to GUIDs. Sessions
 * exported while active ended when the backup's data was overwritten. Idempotent.
 */
export async function reimportIntoPrimary(ctx: AppContext, pairId: string): Promise<{ reimported: number; skipped: number; exports: string[] }> {
  const pair = await requirePair(ctx, pairId);
  if (pair.status !== 'established') {
    throw preconditionFailed('PairNotEstablished', `failover pair ${pairId} is ${pair.status}; re-import after re-establishing it`, { pairId, pairStatus: pair.status });
  }
  const primary = await requireAppliance(ctx, pair.primaryId);
  const onPrimary = new Set((await readAllSessions(ctx, primary.applianceId)).map(sessionIdentity));
  let reimported = 0;
  let skipped = 0;
  const done: string[] = [];
  for (const { export: e, sessions } of await pendingExports(ctx, pairId)) {
    const missing = sessions.filter((s) => !onPrimary.has(sessionIdentity(s)) && onPrimary.add(sessionIdentity(s)));
    skipped += sessions.length - missing.length;
    const ids = missing.length > 0 ? await allocateSessionIds(ctx, primary.applianceId, primary.productVersion, missing.length) : [];
    const imported = missing.map((s, i) => {
      const ended: SupportSession =
        s.status === 'active'
          ? { ...s, status: 'completed', endTime: pair.establishedAt ?? ctx.clock.now().toISOString(), endReason: 'terminated-by-failover' }
          : s;
      const fresh = ids[i]!;
      if (!usesGuidLsid(primary.productVersion)) {
        return { ...ended, applianceId: primary.applianceId, lsid: fresh.lsid, sourceLsid: s.sourceLsid ?? s.lsid };
      }
      // ≥ 10.6 primary: keep (or derive, for legacy) the GUID; a fresh lseq puts it above the backup's watermark.
      const guid = isLegacyLsid(ended.lsid) ? migrateLegacySession(ended, sha256) : ended;
      return { ...guid, applianceId: primary.applianceId, lseq: fresh.lseq };
    });
    await writeSessions(ctx, imported);
    await ctx.records.appliances.put({
      ...sessionExportKey(pairId, e.exportId),
      type: 'session-export',
      ...e,
      status: 'reimported',
      reimportedAt: ctx.clock.now().toISOString(),
      reimported: imported.length,
    });
    reimported += imported.length;
    done.push(e.exportId);
  }
  return { reimported, skipped, exports: done };
}
