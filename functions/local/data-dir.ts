/**
 * The local data dir and its integrity (issue 17 item 4). Layout:
 *
 *   data-dir.json   marker: the data dir's id and generation, whether it is open, and (after a clean stop)
 *                   a seal: size and SHA-256 of every DynamoDB file, size of every S3 file
 *   cursor.key      the pagination cursor key (CURSOR_KEY), generated on first start
 *   dynamodb/       dynalite (LevelDB)        s3/   s3rver
 *
 * The same id and generation are also written into both stores (an item in the `local-data-dir` table and an
 * object in the `local-data-dir` bucket), so each half can be checked against the other. Start-up refuses,
 * with one line naming the problem and the way back, when:
 *   - a store's folder is missing while the marker says it held data (no silent reseed, no orphaned objects);
 *   - after a clean stop, any sealed file changed (a truncated log, flipped bytes, a corrupt manifest);
 *   - after an unclean stop (no seal), LevelDB cannot read every entry (a full scan);
 *   - the stores' markers disagree with the file or each other (a folder from another data dir or an older copy).
 * A data dir made before markers existed is adopted once (its stores get a marker). The way back is a backup
 * taken with `npm run data -- backup <file>` (functions/local/cli/data.ts).
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, link, lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import * as z from 'zod/mini';
import { integer } from '../platform/core/validation.js';
import { newCursorSecret } from '../platform/adapters/cursor.js';
import { StartupError } from './emulators.js';

export const MARKER_FILE = 'data-dir.json';
export const CURSOR_KEY_FILE = 'cursor.key';
export const DYNAMODB_DIR = 'dynamodb';
export const S3_DIR = 's3';
/** Table and bucket (after TABLE_PREFIX / BUCKET_PREFIX) that hold the stores' copy of the marker. */
export const MARKER_STORE_NAME = 'local-data-dir';
/** Key of the marker object in the marker bucket. */
export const STORE_MARK_OBJECT = 'data-dir.json';

/** How to get back to a good state; every refusal ends with it. */
export const WAY_BACK = 'restore a backup with `npm run data -- restore <file>`, or move the data dir away to start afresh';

/** LevelDB's own log files are rewritten on every open and say nothing about the data. */
const UNSEALED = new Set(['LOCK', 'LOG', 'LOG.old']);

/** One line: what is wrong with the data dir and the way back. */
export class DataDirError extends StartupError {
  override name = 'DataDirError';
}

const sealSchema = z.object({
  dynamodb: z.record(z.string(), z.object({ bytes: integer(z.nonnegative()), sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)) })),
  s3: z.record(z.string(), integer(z.nonnegative())),
});
const markerSchema = z.object({
  format: z.literal(1),
  id: z.string().check(z.uuid()),
  generation: integer(z.nonnegative()),
  createdAt: z.string(),
  state: z.enum(['open', 'closed']),
  pid: z.optional(integer()),
  openedAt: z.optional(z.string()),
  closedAt: z.optional(z.string()),
  seal: z.optional(sealSchema),
});
export type DataDirMarker = z.infer<typeof markerSchema>;
export type DataDirSeal = z.infer<typeof sealSchema>;

/** What the stores hold of the marker. */
export interface StoreMark {
  id: string;
  generation: number;
}

export interface OpenedDataDir {
  dir: string;
  marker: DataDirMarker;
  cursorKey: string;
  /** No marker before: a new data dir, or one made before markers existed (`adopted`). */
  created: boolean;
  adopted: boolean;
  /** The previous run did not stop cleanly: its seal is missing and the stores were scanned instead. */
  recovered: boolean;
}

const exists = (path: string) => lstat(path).then(() => true, () => false);

/** The marker, or undefined when the data dir has none; a marker that cannot be read is a refusal. */
export async function readMarker(dir: string): Promise<DataDirMarker | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MARKER_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DataDirError(`data dir ${dir}: ${MARKER_FILE} cannot be read (${(e as NodeJS.ErrnoException).code}); ${WAY_BACK}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = markerSchema.safeParse(json);
  if (!parsed.success) throw new DataDirError(`data dir ${dir}: ${MARKER_FILE} is corrupt (not a data-dir marker); ${WAY_BACK}`);
  return parsed.data;
}

/** Writes the marker atomically (a crash leaves the old or the new file, never half of one). */
export async function writeMarker(dir: string, marker: DataDirMarker): Promise<void> {
  const tmp = join(dir, `${MARKER_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(marker, null, 2)}\n`);
  await rename(tmp, join(dir, MARKER_FILE));
}

/** Files under `root` (relative paths, sorted), skipping LevelDB's info logs. */
async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string) => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (!UNSEALED.has(entry.name) || path !== root) out.push(relative(root, full));
    }
  };
  if (await exists(root)) await walk(root);
  return out.sort();
}

const sha256Of = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });

/** The seal of a stopped data dir: every DynamoDB file hashed (they are small, and LevelDB rewrites them), every S3 file sized. */
export async function computeSeal(dir: string): Promise<DataDirSeal> {
  const dynamodb: DataDirSeal['dynamodb'] = {};
  for (const file of await filesUnder(join(dir, DYNAMODB_DIR))) {
    const path = join(dir, DYNAMODB_DIR, file);
    dynamodb[file] = { bytes: (await stat(path)).size, sha256: await sha256Of(path) };
  }
  const s3: DataDirSeal['s3'] = {};
  for (const file of await filesUnder(join(dir, S3_DIR))) s3[file] = (await stat(join(dir, S3_DIR, file))).size;
  return { dynamodb, s3 };
}

/** The first difference between the sealed state and the files now, as a phrase; undefined when they match. */
export async function sealDifference(dir: string, seal: DataDirSeal): Promise<string | undefined> {
  const dynamoFiles = await filesUnder(join(dir, DYNAMODB_DIR));
  for (const [file, sealed] of Object.entries(seal.dynamodb)) {
    const path = join(dir, DYNAMODB_DIR, file);
    const bytes = await stat(path).then((s) => s.size, () => undefined);
    if (bytes === undefined) return `DynamoDB file ${DYNAMODB_DIR}/${file} is missing`;
    if (bytes !== sealed.bytes) return `DynamoDB file ${DYNAMODB_DIR}/${file} is ${bytes < sealed.bytes ? 'truncated' : 'longer than it was'} (${sealed.bytes} → ${bytes} bytes)`;
    if ((await sha256Of(path)) !== sealed.sha256) return `DynamoDB file ${DYNAMODB_DIR}/${file} is corrupt (its content changed)`;
  }
  const extra = dynamoFiles.find((f) => !Object.hasOwn(seal.dynamodb, f));
  if (extra) return `DynamoDB file ${DYNAMODB_DIR}/${extra} was not there at the last stop`;
  const s3Files = await filesUnder(join(dir, S3_DIR));
  for (const [file, bytes] of Object.entries(seal.s3)) {
    const now = await stat(join(dir, S3_DIR, file)).then((s) => s.size, () => undefined);
    if (now === undefined) return `S3 object file ${S3_DIR}/${file} is missing`;
    if (now !== bytes) return `S3 object file ${S3_DIR}/${file} changed size (${bytes} → ${now} bytes)`;
  }
  const extraObject = s3Files.find((f) => !Object.hasOwn(seal.s3, f));
  if (extraObject) return `S3 object file ${S3_DIR}/${extraObject} was not there at the last stop`;
  return undefined;
}

/** Where the stores keep their copy of the marker (names after TABLE_PREFIX / BUCKET_PREFIX). */
export interface MarkerStores {
  table: string;
  bucket: string;
}

export const markerStoresFor = (env: Record<string, string | undefined>): MarkerStores => ({
  table: `${env.TABLE_PREFIX ?? ''}${MARKER_STORE_NAME}`,
  bucket: `${env.BUCKET_PREFIX ?? 'upgrade-cp-'}${MARKER_STORE_NAME}`,
});

/**
 * Reads every LevelDB entry (keys and values): after an unclean stop there is no seal, so this is how a
 * corrupt table file or manifest is found before dynalite would crash on it; on the way it picks up the
 * DynamoDB copy of the marker (dynalite keeps items under `item-<table>~`).
 * LevelDB rewrites files when it opens (it replays the log into a new table file), so it reads a scratch
 * view instead: table files hard-linked (LevelDB never changes one), the small mutable files copied. A refusal
 * thus leaves the data dir exactly as it was. The read runs in a child process: on some corrupt files LevelDB
 * aborts (a failed assertion while compacting) instead of returning an error, which must not take the runtime down.
 */
export async function scanDynamo(dir: string, markerTable: string): Promise<{ problem?: string; mark?: StoreMark }> {
  const source = join(dir, DYNAMODB_DIR);
  const scratch = join(dir, `.scan-${process.pid}-${Date.now()}`);
  await mkdir(scratch);
  try {
    for (const file of await readdir(source)) {
      if (UNSEALED.has(file)) continue;
      if (file.endsWith('.ldb') || file.endsWith('.sst')) await link(join(source, file), join(scratch, file)).catch(() => copyFile(join(source, file), join(scratch, file)));
      else await copyFile(join(source, file), join(scratch, file));
    }
    const { code, signal, stdout, stderr } = await runScan(scratch, `item-${markerTable}~`);
    let answer: { problem?: string; mark?: StoreMark } | undefined;
    try {
      answer = code === 0 ? (JSON.parse(stdout) as { problem?: string; mark?: StoreMark }) : undefined;
    } catch {
      answer = undefined;
    }
    if (!answer) {
      const why = stderr.split('\n').find((l) => /Assertion|Corruption|error/i.test(l))?.trim().slice(0, 200) ?? `exit ${signal ?? code}`;
      return { problem: `DynamoDB data is corrupt (LevelDB gave up reading it: ${why})` };
    }
    return answer.problem ? { problem: `DynamoDB data is corrupt (${answer.problem})` } : { mark: answer.mark };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The scan itself, in a plain `node -e` child (no TypeScript loader: it starts in ~50 ms). */
const SCAN_SCRIPT = `
const { ClassicLevel } = require(process.argv[1]);
const [, , path, prefix] = process.argv;
(async () => {
  const db = new ClassicLevel(path, { createIfMissing: false });
  let mark;
  try {
    await db.open();
    for await (const [key, value] of db.iterator({ fillCache: false })) {
      if (!key.startsWith(prefix)) continue;
      const item = JSON.parse(value);
      if (item.id && item.id.S && item.generation && item.generation.N) mark = { id: item.id.S, generation: Number(item.generation.N) };
    }
    process.stdout.write(JSON.stringify({ mark }));
  } catch (e) {
    process.stdout.write(JSON.stringify({ problem: String((e.cause || e).message || e).split('\\n')[0] }));
  } finally {
    await db.close().catch(() => {});
  }
})();
`;

function runScan(path: string, prefix: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const binding = createRequire(import.meta.url).resolve('classic-level');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', SCAN_SCRIPT, binding, path, prefix], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The S3 copy of the marker, read from s3rver's files (`<bucket>/<key>._S3rver_object`) before s3rver runs. */
async function s3Mark(dir: string, bucket: string): Promise<StoreMark | undefined> {
  const text = await readFile(join(dir, S3_DIR, bucket, `${STORE_MARK_OBJECT}._S3rver_object`), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<StoreMark>;
    if (typeof v.id === 'string' && typeof v.generation === 'number') return { id: v.id, generation: v.generation };
  } catch {
    // unreadable: treated as no marker below
  }
  return { id: 'unreadable', generation: -1 };
}

/** Refuses when a store's copy of the marker disagrees with the file (from another data dir, or an older copy). */
export function assertInStep(dir: string, marker: DataDirMarker, what: 'DynamoDB' | 'S3', mark: StoreMark | undefined): void {
  const store = what === 'DynamoDB' ? `DynamoDB data (${DYNAMODB_DIR}/)` : `S3 data (${S3_DIR}/)`;
  // Generation 0 and never sealed: the first start did not get as far as writing the stores' copies.
  if (!mark && marker.generation === 0) return;
  if (!mark) throw new DataDirError(`data dir ${dir}: the ${store} has no data-dir marker (replaced or reset?); the stores are out of step; ${WAY_BACK}`);
  if (mark.id !== marker.id) throw new DataDirError(`data dir ${dir}: the ${store} belongs to another data dir (${mark.id}, expected ${marker.id}); the stores are out of step; ${WAY_BACK}`);
  // A start that stopped between writing the stores and the file leaves a store one generation ahead.
  if (mark.generation !== marker.generation && mark.generation !== marker.generation + 1) {
    throw new DataDirError(`data dir ${dir}: the ${store} is from generation ${mark.generation}, expected ${marker.generation}; the stores are out of step; ${WAY_BACK}`);
  }
}

export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function hasData(dir: string): Promise<{ dynamodb: boolean; s3: boolean }> {
  return {
    dynamodb: await exists(join(dir, DYNAMODB_DIR, 'CURRENT')),
    s3: (await filesUnder(join(dir, S3_DIR))).length > 0,
  };
}

/** The cursor key of the data dir; a lost one is regenerated (only outstanding page cursors stop working). */
async function cursorKeyOf(dir: string): Promise<string> {
  const path = join(dir, CURSOR_KEY_FILE);
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
    return undefined;
  });
  if (text?.trim()) return text.trim();
  const key = newCursorSecret();
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return key;
}

export interface DataDirCheck {
  /** The marker found (none: a new data dir, or one made before markers existed). */
  marker?: DataDirMarker;
  /** Data but no marker: made before markers existed; start-up adopts it. */
  adopted: boolean;
  /** The last run did not stop cleanly: there was no seal, so LevelDB was read through instead. */
  recovered: boolean;
}

/**
 * Verifies the data dir on disk without changing it, before any emulator opens a file (start-up runs it
 * first; `npm run data -- verify` runs it alone). Refuses with a DataDirError instead of letting LevelDB
 * crash, roll back silently or start empty beside old S3 objects.
 */
export async function checkDataDir(dir: string, stores: MarkerStores = markerStoresFor({})): Promise<DataDirCheck> {
  const found = await readMarker(dir);
  const data = await hasData(dir);
  const s3 = await s3Mark(dir, stores.bucket);
  if (!found) {
    if (s3) throw new DataDirError(`data dir ${dir}: ${MARKER_FILE} is missing but the S3 data carries a data-dir marker; ${WAY_BACK}`);
    if (data.dynamodb) {
      const scan = await scanDynamo(dir, stores.table);
      if (scan.problem) throw new DataDirError(`data dir ${dir}: ${scan.problem}; ${WAY_BACK}`);
      if (scan.mark) throw new DataDirError(`data dir ${dir}: ${MARKER_FILE} is missing but the DynamoDB data carries a data-dir marker; ${WAY_BACK}`);
    }
    return { adopted: data.dynamodb || data.s3, recovered: false };
  }
  if (found.state === 'open' && found.pid !== undefined && found.pid !== process.pid && isAlive(found.pid)) {
    throw new DataDirError(`data dir ${dir} is in use by process ${found.pid} (another npm start?); stop it first or set DATA_DIR to another folder`);
  }
  // Generation 0 and never sealed: the first start itself did not finish, so there may be nothing yet.
  const firstStartUnfinished = found.generation === 0 && !found.seal;
  if (!data.dynamodb && !firstStartUnfinished) {
    throw new DataDirError(`data dir ${dir}: the DynamoDB data (${DYNAMODB_DIR}/) is missing but ${MARKER_FILE} says it held data; ${WAY_BACK}`);
  }
  if (!(await exists(join(dir, S3_DIR))) && !firstStartUnfinished) {
    throw new DataDirError(`data dir ${dir}: the S3 data (${S3_DIR}/) is missing but ${MARKER_FILE} says it held data; ${WAY_BACK}`);
  }
  if (found.state === 'closed' && found.seal) {
    // The seal covers every DynamoDB file byte for byte, so only the S3 copy of the marker needs reading.
    const difference = await sealDifference(dir, found.seal);
    if (difference) throw new DataDirError(`data dir ${dir}: ${difference} since the last clean stop; ${WAY_BACK}`);
    assertInStep(dir, found, 'S3', s3);
    return { marker: found, adopted: false, recovered: false };
  }
  // The last run did not stop cleanly: no seal to compare with, so read everything LevelDB holds.
  assertInStep(dir, found, 'S3', s3);
  if (!data.dynamodb) return { marker: found, adopted: false, recovered: false };
  const scan = await scanDynamo(dir, stores.table);
  if (scan.problem) throw new DataDirError(`data dir ${dir}: ${scan.problem} (the last run did not stop cleanly); ${WAY_BACK}`);
  assertInStep(dir, found, 'DynamoDB', scan.mark);
  return { marker: found, adopted: false, recovered: true };
}

/** Verifies the data dir (`checkDataDir`) and marks it open by this process. */
export async function openDataDir(dir: string, stores: MarkerStores = markerStoresFor({})): Promise<OpenedDataDir> {
  const check = await checkDataDir(dir, stores);
  const now = new Date().toISOString();
  const cursorKey = await cursorKeyOf(dir);
  const marker: DataDirMarker = check.marker
    ? { ...check.marker, state: 'open', pid: process.pid, openedAt: now, seal: undefined }
    : { format: 1, id: randomUUID(), generation: 0, createdAt: now, state: 'open', pid: process.pid, openedAt: now };
  await writeMarker(dir, marker);
  return { dir, marker, cursorKey, created: !check.marker, adopted: check.adopted, recovered: check.recovered };
}

/**
 * Once the emulators run and before anything else is written: checks the stores' copies of the marker once
 * more, through the APIs, then moves all three to the next generation (stores first, file last, so an
 * interrupted start leaves the stores at most one generation ahead).
 */
export async function reconcileStoreMarks(
  opened: OpenedDataDir,
  stores: { readDynamo(): Promise<StoreMark | undefined>; readS3(): Promise<StoreMark | undefined>; write(mark: StoreMark): Promise<void> },
): Promise<DataDirMarker> {
  const { dir, marker } = opened;
  const [dynamo, s3] = await Promise.all([stores.readDynamo(), stores.readS3()]);
  if (opened.created) {
    const carrier = dynamo ? `DynamoDB data (${DYNAMODB_DIR}/)` : s3 ? `S3 data (${S3_DIR}/)` : undefined;
    if (carrier) throw new DataDirError(`data dir ${dir}: the ${carrier} carries a data-dir marker but ${MARKER_FILE} is new (was it deleted?); ${WAY_BACK}`);
  } else {
    assertInStep(dir, marker, 'DynamoDB', dynamo);
    assertInStep(dir, marker, 'S3', s3);
  }
  const generation = Math.max(marker.generation, dynamo?.generation ?? 0, s3?.generation ?? 0) + 1;
  await stores.write({ id: marker.id, generation });
  const next = { ...marker, generation };
  await writeMarker(dir, next);
  return next;
}

/** After a clean stop (emulators closed): the seal the next start compares with. */
export async function sealDataDir(dir: string, marker: DataDirMarker): Promise<void> {
  await writeMarker(dir, { ...marker, state: 'closed', pid: undefined, closedAt: new Date().toISOString(), seal: await computeSeal(dir) });
}
