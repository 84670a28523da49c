import { randomBytes } from 'node:crypto';
import { preconditionFailed, validationError } from '../../platform/core/errors.js';
import {
  IC_CSV_HEADER,
  IC_MIGRATION_HEAD,
  IC_MIGRATION_TAIL,
  IC_SQL_TAIL,
  icCsvRow,
  icInsertSql,
  icRemapSql,
  icSqlHead,
} from '../core/ic-export.js';
import type { SupportSession } from '../core/session.js';
import { usesGuidLsid } from '../../platform/core/versions.js';
import type { AppContext } from '../../platform/app/context.js';
import { requireAppliance } from './appliance-store.js';
import { iterateSessions, iterateSessionsAfterLseq } from './session-store.js';

/** One Integration Client export run; its files are in the exports bucket under `prefix`. */
export interface IcExport {
  exportId: string;
  applianceId: string;
  schema: 'pre-10.6' | '10.6';
  /** Inclusive lower lseq bound used (10.6+ only). */
  fromLseq?: number;
  sessionCount: number;
  /** Where the next incremental export starts (inclusive): the oldest still-active session, else the newest exported. */
  nextLseq?: number;
  objects: { sql: string; csv: string; migration?: string };
  createdAt: string;
}

const watermarkKey = (applianceId: string) => ({ pk: `APPLIANCE#${applianceId}`, sk: 'IC-EXPORT#WATERMARK' });

export interface IcExportOptions {
  /** Export sessions with lseq ≥ this (10.6+). */
  fromLseq?: unknown;
  /** Start at the watermark the previous export stored. */
  incremental?: unknown;
}

/**
 * Exports an appliance's completed sessions for the Integration Client: a SQL script (idempotent inserts
 * into the IC `session` table), the same rows as CSV, and for 10.6+ appliances the migration script from the
 * pre-10.6 table with this appliance's lsid remapping. Streams sessions page by page into S3.
 * Active sessions are left for a later export (the watermark stops before the oldest of them).
 */
export async function exportIntegrationClient(ctx: AppContext, applianceId: string, options: IcExportOptions = {}): Promise<IcExport> {
  const appliance = await requireAppliance(ctx, applianceId);
  // The upgrade guide, footnote 1: the Integration Client requires an enterprise licence.
  if (appliance.license.edition === 'standard') {
    throw preconditionFailed('EnterpriseLicenseRequired', `the Integration Client requires an enterprise licence; appliance ${applianceId} has a standard licence`, { edition: 'standard' });
  }
  const modern = usesGuidLsid(appliance.productVersion);
  if (options.incremental !== undefined && typeof options.incremental !== 'boolean') throw validationError('InvalidIncremental', 'incremental must be a boolean');
  if (options.fromLseq !== undefined && (typeof options.fromLseq !== 'number' || !Number.isSafeInteger(options.fromLseq) || options.fromLseq < 0)) {
    throw validationError('InvalidLseq', 'fromLseq must be a non-negative integer');
  }
  if (options.fromLseq !== undefined && options.incremental === true) throw validationError('InvalidSelection', 'give fromLseq or incremental, not both');
  if (!modern && (options.fromLseq !== undefined || options.incremental === true)) {
    throw validationError('LseqNotSupported', `lseq watermarks need product 10.6 or later; appliance runs ${appliance.productVersion}`);
  }
  let fromLseq = options.fromLseq as number | undefined;
  if (options.incremental === true) fromLseq = Number((await ctx.records.appliances.get(watermarkKey(applianceId)))?.nextLseq ?? 0);

  const createdAt = ctx.clock.now().toISOString();
  const exportId = `${createdAt.replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
  const prefix = `integration-client/${applianceId}/${exportId}`;
  const sessions = () => (modern && fromLseq !== undefined ? iterateSessionsAfterLseq(ctx, applianceId, fromLseq - 1) : iterateSessions(ctx, applianceId));

  let count = 0;
  let maxLseq: number | undefined;
  let minActiveLseq: number | undefined;
  await ctx.blobs.exports.put(
    `${prefix}/session.sql`,
    encodeChunks(icSqlHead(modern), sessions(), (s) => {
      if (s.status === 'active') {
        if (s.lseq !== undefined) minActiveLseq = Math.min(minActiveLseq ?? s.lseq, s.lseq);
        return '';
      }
      count++;
      if (s.lseq !== undefined) maxLseq = Math.max(maxLseq ?? s.lseq, s.lseq);
      return icInsertSql(s, modern);
    }, IC_SQL_TAIL),
    { contentType: 'application/sql; charset=UTF-8' },
  );
  await ctx.blobs.exports.put(`${prefix}/session.csv`, encodeChunks(IC_CSV_HEADER, sessions(), (s) => (s.status === 'active' ? '' : icCsvRow(s)), ''), {
    contentType: 'text/csv; charset=UTF-8',
  });
  let migration: string | undefined;
  if (modern) {
    migration = `${prefix}/migrate-pre-10.6-to-10.6.sql`;
    await ctx.blobs.exports.put(
      migration,
      encodeChunks(IC_MIGRATION_HEAD, iterateSessions(ctx, applianceId), (s) => (s.legacyLsid !== undefined ? icRemapSql({ legacyLsid: s.legacyLsid, lsid: s.lsid }) : ''), IC_MIGRATION_TAIL),
      { contentType: 'application/sql; charset=UTF-8' },
    );
  }
  const nextLseq = modern ? (minActiveLseq ?? maxLseq ?? fromLseq ?? 0) : undefined;
  const record: IcExport = {
    exportId,
    applianceId,
    schema: modern ? '10.6' : 'pre-10.6',
    ...(fromLseq !== undefined ? { fromLseq } : {}),
    sessionCount: count,
    ...(nextLseq !== undefined ? { nextLseq } : {}),
    objects: { sql: `${prefix}/session.sql`, csv: `${prefix}/session.csv`, ...(migration ? { migration } : {}) },
    createdAt,
  };
  await ctx.blobs.exports.put(`${prefix}/manifest.json`, JSON.stringify(record, null, 2), { contentType: 'application/json' });
  if (modern) await ctx.records.appliances.put({ ...watermarkKey(applianceId), nextLseq, exportId, updatedAt: createdAt });
  return record;
}

/** head, one rendered line per session (batched into ~64 KB chunks), tail, as UTF-8 bytes. */
async function* encodeChunks(head: string, sessions: AsyncIterable<SupportSession>, render: (s: SupportSession) => string, tail: string): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  let buffer = head;
  for await (const s of sessions) {
    buffer += render(s);
    if (buffer.length >= 65_536) {
      yield encoder.encode(buffer);
      buffer = '';
    }
  }
  buffer += tail;
  if (buffer.length > 0) yield encoder.encode(buffer);
}
