/**
 * `npm run data -- backup <file> | restore <file> | verify`: the local data dir (DATA_DIR, default .data).
 * Run with the runtime stopped. Each failure is one line on stderr and exit code 1.
 */
import { backupDataDir, restoreDataDir } from '../data-dir-archive.js';
import { checkDataDir, markerStoresFor } from '../data-dir.js';

const USAGE = 'usage: npm run data -- backup <file> | restore <file> | verify   (data dir: DATA_DIR, default .data)';

export async function runDataCommand(args: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const dir = env.DATA_DIR || '.data';
  const [command, file, ...rest] = args;
  if (rest.length > 0 || !command || ((command === 'backup' || command === 'restore') && !file) || !['backup', 'restore', 'verify'].includes(command)) {
    throw new Error(USAGE);
  }
  if (command === 'backup') {
    const { file: written, bytes } = await backupDataDir(dir, file!);
    out(`backed up ${dir} to ${written} (${bytes} bytes)`);
  } else if (command === 'restore') {
    const { dir: restored, previous } = await restoreDataDir(dir, file!);
    out(`restored ${restored} from ${file}${previous ? `; the data dir it replaced is kept at ${previous}` : ''}`);
  } else {
    const check = await checkDataDir(dir, markerStoresFor(env));
    out(`data dir ${dir} is ${check.marker ? 'intact' : check.adopted ? 'readable (made before data-dir markers; the next start adopts it)' : 'empty'}${check.recovered ? ' (the last run did not stop cleanly; every DynamoDB entry was read)' : ''}`);
  }
  return 0;
}

try {
  process.exitCode = await runDataCommand(process.argv.slice(2), process.env, (line) => console.log(line));
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
}
