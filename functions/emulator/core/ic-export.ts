import type { SupportSession } from './session.js';

/**
 * Integration Client export: the IC `session` table (vendor upgrade guide, "SQL table schema"),
 * as SQL scripts in SQLite's dialect (the tests load them into SQLite) and CSV. Pure text builders.
 * Other databases need the `id` column adapted (SQLite numbers `INTEGER PRIMARY KEY` rows itself;
 * PostgreSQL wants an identity column, MySQL AUTO_INCREMENT) and, on MySQL, NO_BACKSLASH_ESCAPES
 * (strings are escaped the standard way, by doubling single quotes).
 */
export const IC_COLUMNS = [
  'id', 'lsid', 'type', 'start_time', 'end_time', 'duration', 'file_transfers',
  'host_name', 'external_key', 'public_site_id', 'public_site_name', 'lseq',
] as const;

/** Before 10.6: lsid is an integer and there is no lseq. */
export const IC_SCHEMA_LEGACY = `CREATE TABLE IF NOT EXISTS session (
  id INTEGER PRIMARY KEY,
  lsid INTEGER NOT NULL UNIQUE,
  type VARCHAR(32) NOT NULL,
  start_time VARCHAR(32) NOT NULL,
  end_time VARCHAR(32),
  duration INTEGER,
  file_transfers INTEGER NOT NULL,
  host_name VARCHAR(255) NOT NULL,
  external_key VARCHAR(1024) NOT NULL,
  public_site_id INTEGER NOT NULL,
  public_site_name VARCHAR(255) NOT NULL
);
`;

/** 10.6 and later: lsid varchar(32) (GUID), plus lseq. */
export const IC_SCHEMA_106 = `CREATE TABLE IF NOT EXISTS session (
  id INTEGER PRIMARY KEY,
  lsid VARCHAR(32) NOT NULL UNIQUE,
  type VARCHAR(32) NOT NULL,
  start_time VARCHAR(32) NOT NULL,
  end_time VARCHAR(32),
  duration INTEGER,
  file_transfers INTEGER NOT NULL,
  host_name VARCHAR(255) NOT NULL,
  external_key VARCHAR(1024) NOT NULL,
  public_site_id INTEGER NOT NULL,
  public_site_name VARCHAR(255) NOT NULL,
  lseq INTEGER
);
`;

/**
 * Schema migration of an IC database from the pre-10.6 table to the 10.6 one. Written as
 * create-copy-swap (SQLite cannot ALTER a column's type; the same script runs on the other engines):
 * lsid integer → varchar(32) holding the old number as text, new lseq = the old integer.
 * `remaps` are then applied per session: the appliance's 10.6 conversion gave each old lsid a GUID.
 */
export const IC_MIGRATION_HEAD = `-- Integration Client: migrate the session table from pre-10.6 (lsid integer) to 10.6 (lsid varchar(32), lseq)
BEGIN;
${IC_SCHEMA_106.replace('CREATE TABLE IF NOT EXISTS session (', 'CREATE TABLE session_106 (')}INSERT INTO session_106 (id, lsid, type, start_time, end_time, duration, file_transfers, host_name, external_key, public_site_id, public_site_name, lseq)
  SELECT id, CAST(lsid AS VARCHAR(32)), type, start_time, end_time, duration, file_transfers, host_name, external_key, public_site_id, public_site_name, lsid FROM session;
DROP TABLE session;
ALTER TABLE session_106 RENAME TO session;
`;
export const IC_MIGRATION_TAIL = 'COMMIT;\n';

/** Points a migrated row at the GUID the appliance's 10.6 conversion gave its old integer lsid. */
export const icRemapSql = (r: { legacyLsid: number; lsid: string }) =>
  `UPDATE session SET lsid = ${sqlString(r.lsid)} WHERE lsid = ${sqlString(String(r.legacyLsid))};\n`;

/** The whole migration script for a few remaps (the exporter streams the same parts). */
export function icMigrationSql(remaps: Iterable<{ legacyLsid: number; lsid: string }>): string {
  let sql = IC_MIGRATION_HEAD;
  for (const r of remaps) sql += icRemapSql(r);
  return sql + IC_MIGRATION_TAIL;
}

/** A string literal: single quotes doubled; NUL (not storable as text in most engines) dropped. */
export const sqlString = (value: string) => `'${value.replace(/\0/g, '').replace(/'/g, "''")}'`;

const sqlNumber = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? 'NULL' : String(Math.trunc(n)));

/**
 * One idempotent insert: re-running an export (or overlapping incremental exports) never duplicates a session,
 * because lseq is not guaranteed unique and incremental exports start at the watermark inclusive.
 */
export function icInsertSql(s: SupportSession, modern: boolean): string {
  const lsid = modern ? sqlString(s.lsid) : s.lsid; // legacy lsids are validated integers
  const columns = ['lsid', 'type', 'start_time', 'end_time', 'duration', 'file_transfers', 'host_name', 'external_key', 'public_site_id', 'public_site_name'];
  const values = [
    lsid,
    sqlString(s.sessionType),
    sqlString(s.startTime),
    s.endTime ? sqlString(s.endTime) : 'NULL',
    sqlNumber(s.duration),
    sqlNumber(s.fileTransfers),
    sqlString(s.hostName),
    sqlString(s.externalKey),
    sqlNumber(s.publicSiteId),
    sqlString(s.publicSiteName),
  ];
  if (modern) {
    columns.push('lseq');
    values.push(sqlNumber(s.lseq));
  }
  return `INSERT INTO session (${columns.join(', ')}) SELECT ${values.join(', ')} WHERE NOT EXISTS (SELECT 1 FROM session WHERE lsid = ${lsid});\n`;
}

export const icSqlHead = (modern: boolean) => `-- Integration Client session export (${modern ? '10.6+' : 'pre-10.6'} schema)\n${modern ? IC_SCHEMA_106 : IC_SCHEMA_LEGACY}BEGIN;\n`;
export const IC_SQL_TAIL = 'COMMIT;\n';

export const IC_CSV_HEADER = `${IC_COLUMNS.filter((c) => c !== 'id').join(',')}\r\n`;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; leading =+-@ neutralized against formula injection. */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function icCsvRow(s: SupportSession): string {
  return `${[s.lsid, s.sessionType, s.startTime, s.endTime, s.duration, s.fileTransfers, s.hostName, s.externalKey, s.publicSiteId, s.publicSiteName, s.lseq].map(csvField).join(',')}\r\n`;
}
