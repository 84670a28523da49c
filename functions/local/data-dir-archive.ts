/**
 * Backup and restore of the whole local data dir (`npm run data -- backup|restore <file>`): the way back from
 * every refusal of functions/local/data-dir.ts. A backup is a gzipped tar of a stopped, verified data dir
 * (marker with its seal, cursor key, dynamodb/, s3/, and the rest: site ports, TLS CA); a restore checks the archive against that seal before
 * it touches anything, and keeps the data dir it replaces beside it, so nothing is ever deleted.
 */
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as tar from 'tar';
import { CURSOR_KEY_FILE, DataDirError, DYNAMODB_DIR, isAlive, MARKER_FILE, readMarker, S3_DIR, sealDifference } from './data-dir.js';

/**
 * Everything the data dir holds (the stores, the marker, the cursor key, and what other parts keep there, such
 * as the site listeners' ports and TLS CA), except scratch files (dot-names, `*.tmp`).
 */
async function entriesOf(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.') && !n.endsWith('.tmp')).sort();
  for (const required of [MARKER_FILE, CURSOR_KEY_FILE, DYNAMODB_DIR, S3_DIR]) {
    if (!names.includes(required)) throw new DataDirError(`data dir ${dir} has no ${required}: not a complete data dir`);
  }
  return names;
}
const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** The data dir must be stopped cleanly (sealed) and unchanged since: a backup never copies a running or damaged store. */
async function assertSealed(dir: string): Promise<void> {
  const marker = await readMarker(dir);
  if (!marker) throw new DataDirError(`data dir ${dir} has no ${MARKER_FILE}: start and stop the runtime once (npm start, then Ctrl-C) before backing it up`);
  if (marker.state === 'open') {
    if (marker.pid !== undefined && isAlive(marker.pid)) throw new DataDirError(`data dir ${dir} is in use by process ${marker.pid}: stop the runtime first (Ctrl-C), then back it up`);
    throw new DataDirError(`data dir ${dir} was not stopped cleanly: start and stop the runtime once (npm start, then Ctrl-C) so it is verified and sealed, then back it up`);
  }
  const difference = marker.seal && (await sealDifference(dir, marker.seal));
  if (!marker.seal || difference) throw new DataDirError(`data dir ${dir}: ${difference ?? 'no seal'} since the last clean stop; not backing up damaged data`);
}

export async function backupDataDir(dirArg: string, fileArg: string): Promise<{ file: string; bytes: number }> {
  const dir = resolve(dirArg);
  const file = resolve(fileArg);
  await assertSealed(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await tar.create({ gzip: true, file: tmp, cwd: dir, portable: true }, await entriesOf(dir));
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { file, bytes: (await stat(file)).size };
}

/**
 * Replaces the data dir with the archive's content. The archive is unpacked beside the data dir and checked
 * against its own seal first; the current data dir (if any) is renamed to `<dir>.before-restore-<time>`.
 */
export async function restoreDataDir(dirArg: string, fileArg: string): Promise<{ dir: string; previous?: string }> {
  const dir = resolve(dirArg);
  const file = resolve(fileArg);
  const current = await readMarker(dir).catch(() => undefined);
  if (current?.state === 'open' && current.pid !== undefined && isAlive(current.pid)) {
    throw new DataDirError(`data dir ${dir} is in use by process ${current.pid}: stop the runtime first (Ctrl-C), then restore`);
  }
  await stat(file).catch(() => {
    throw new DataDirError(`backup file ${file} does not exist`);
  });
  const staging = join(dirname(dir), `.${basename(dir)}.restore-${stamp()}`);
  await mkdir(staging, { recursive: true });
  try {
    // Plain files and folders only, inside the staging folder (tar refuses absolute paths and `..`).
    await tar.extract({ file, cwd: staging, strict: true, filter: (_, entry) => 'type' in entry && (entry.type === 'File' || entry.type === 'Directory') }).catch((e: Error) => {
      throw new DataDirError(`backup file ${file} is not a data-dir backup (${e.message})`);
    });
    const marker = await readMarker(staging).catch(() => undefined);
    if (!marker?.seal || marker.state !== 'closed') throw new DataDirError(`backup file ${file} is not a data-dir backup (no sealed ${MARKER_FILE})`);
    const difference = await sealDifference(staging, marker.seal);
    if (difference) throw new DataDirError(`backup file ${file} is damaged: ${difference}`);
  } catch (e) {
    // A failed extraction may still be closing files: retry the removal rather than leave a half copy behind.
    await rm(staging, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }).catch(() => undefined);
    throw e;
  }
  let previous: string | undefined;
  if (await lstat(dir).then(() => true, () => false)) {
    if ((await readdir(dir)).length > 0) {
      previous = `${dir}.before-restore-${stamp()}`;
      await rename(dir, previous);
    } else {
      await rm(dir, { recursive: true });
    }
  }
  await rename(staging, dir);
  return { dir, previous };
}
