/**
 * Data-dir corruption suite (issue 17 item 4). Each case damages a copy of a real data dir (DynamoDB with
 * table files and a log, S3 with a backup object) the way the attack did, then starts the runtime on it:
 * every case ends in a clear one-line refusal that names the problem and the way back, with nothing changed,
 * or in a correct recovery, never in silent loss.
 */
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { cp, mkdir, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../functions/emulator/app/backups.js';
import { createAppliance, getAppliance } from '../../functions/emulator/app/appliance-store.js';
import { backupDataDir, restoreDataDir } from '../../functions/local/data-dir-archive.js';
import { computeSeal, DataDirError, readMarker, writeMarker, type DataDirMarker } from '../../functions/local/data-dir.js';
import { exitOf, spawnRuntime, startRuntimeProcess } from '../helpers/process.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { startTestRuntime, tempDir } from '../helpers/runtime.js';

const dirs: string[] = [];
let template: string;
/** A second, unrelated data dir, for "stores out of step". */
let stranger: string;
/** `template` as it was one start earlier (an older copy of the same data dir). */
let older: string;

const BULK = 'APPLIANCE#dd-bulk';

async function makeDataDir(withBulk: boolean): Promise<string> {
  const dir = await tempDir('data-dir-');
  dirs.push(dir);
  const first = await startTestRuntime({ dataDir: dir });
  await createAppliance(first.services, sampleAppliance('dd-1', { productVersion: '11.1.1' }));
  await createBackup(first.services, 'dd-1', 'dd-backup');
  if (withBulk) {
    // Enough session-like rows for several MB of table blocks that nothing reads at start-up.
    const filler = 'x'.repeat(900);
    await first.services.records.sessions.batchPut(Array.from({ length: 3000 }, (_, i) => ({ pk: BULK, sk: `LSID#${String(i).padStart(6, '0')}`, filler: `${i}${filler}` })));
  }
  await first.stop();
  // A second start turns the DynamoDB log into table files (LevelDB writes level-0 tables when it replays a log).
  await (await startTestRuntime({ dataDir: dir })).stop();
  return dir;
}

async function copyOf(source: string): Promise<string> {
  const dir = await tempDir('data-dir-case-');
  dirs.push(dir);
  await cp(source, dir, { recursive: true });
  return dir;
}

const dynamoFiles = async (dir: string, pattern: RegExp) => (await readdir(join(dir, 'dynamodb'))).filter((f) => pattern.test(f)).sort();
const largest = async (dir: string, pattern: RegExp) => {
  const sized = await Promise.all((await dynamoFiles(dir, pattern)).map(async (f) => ({ f, size: (await stat(join(dir, 'dynamodb', f))).size })));
  return join(dir, 'dynamodb', sized.sort((a, b) => b.size - a.size)[0]!.f);
};

async function flipBytes(file: string, from: number, to: number, step = 1): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const size = (await handle.stat()).size;
    for (let at = Math.floor(size * from); at < Math.floor(size * to); at += step) {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, at);
      byte[0] = byte[0]! ^ 0xff;
      await handle.write(byte, 0, 1, at);
    }
  } finally {
    await handle.close();
  }
}

/** As after a crash: the marker still says open, by a process that no longer exists. */
async function markUncleanStop(dir: string): Promise<void> {
  const gone = spawnSync(process.execPath, ['-e', '']).pid!;
  const marker = (await readMarker(dir))!;
  await writeMarker(dir, { ...marker, state: 'open', pid: gone, seal: undefined });
}

/** Everything on disk that a refusal must leave as it was. */
const snapshot = async (dir: string) => JSON.stringify({ files: await computeSeal(dir), marker: await readFile(join(dir, 'data-dir.json'), 'utf8').catch(() => null) });

/** Starts on `dir` and expects a refusal: one line, naming `problem`, with the way back; nothing changed. */
async function expectRefusal(dir: string, problem: RegExp): Promise<string> {
  const before = await snapshot(dir);
  const error = await startTestRuntime({ dataDir: dir }).then(
    async (rt) => {
      await rt.stop();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataDirError);
  const message = (error as Error).message;
  expect(message).toMatch(problem);
  expect(message).not.toContain('\n');
  expect(message).toContain('npm run data -- restore');
  expect(await snapshot(dir)).toBe(before);
  return message;
}

beforeAll(async () => {
  template = await makeDataDir(true);
  older = await copyOf(template);
  // One more start and stop: `template` moves a generation ahead of `older`.
  await (await startTestRuntime({ dataDir: template })).stop();
  stranger = await makeDataDir(false);
}, 120_000);
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('a healthy data dir', () => {
  it('is sealed at a clean stop, verified at the next start, and moves a generation per start; data kept', async () => {
    const dir = await copyOf(template);
    const sealed = (await readMarker(dir))!;
    expect(sealed).toMatchObject({ state: 'closed', format: 1 });
    expect(Object.keys(sealed.seal!.dynamodb).some((f) => f.endsWith('.ldb'))).toBe(true);
    expect((await stat(join(dir, 'cursor.key'))).mode & 0o777).toBe(0o600);
    const rt = await startTestRuntime({ dataDir: dir });
    expect((await readMarker(dir))).toMatchObject({ state: 'open', pid: process.pid, generation: sealed.generation + 1 });
    expect((await getAppliance(rt.services, 'dd-1'))?.applianceId).toBe('dd-1');
    await rt.stop();
    expect((await readMarker(dir))).toMatchObject({ state: 'closed', generation: sealed.generation + 1 });
  });
});

describe('damaged DynamoDB data', () => {
  it('a truncated DynamoDB log → refused at start (it used to roll state back silently)', async () => {
    const dir = await copyOf(template);
    const [log] = await dynamoFiles(dir, /\.log$/);
    const file = join(dir, 'dynamodb', log!);
    await truncate(file, Math.floor((await stat(file)).size / 2));
    await expectRefusal(dir, /dynamodb\/\d+\.log is truncated/);
  });

  it('flipped bytes in a table file → refused at start (it used to crash at the first read, at every restart)', async () => {
    const dir = await copyOf(template);
    await flipBytes(await largest(dir, /\.ldb$/), 0.5, 0.5 + 1e-4);
    await expectRefusal(dir, /dynamodb\/\d+\.ldb is corrupt/);
  });

  it('flipped bytes after an unclean stop (no seal) → every entry is read, the corruption found, refused', async () => {
    const dir = await copyOf(template);
    await markUncleanStop(dir);
    await flipBytes(await largest(dir, /\.ldb$/), 0.3, 0.7, 97);
    await expectRefusal(dir, /DynamoDB data is corrupt \(.*\) \(the last run did not stop cleanly\)/);
  });

  it('a corrupt LevelDB manifest → refused (sealed: by the seal; unclean: LevelDB cannot open it), no stack trace', async () => {
    const dir = await copyOf(template);
    const [manifest] = await dynamoFiles(dir, /^MANIFEST-/);
    await flipBytes(join(dir, 'dynamodb', manifest!), 0.2, 0.8);
    await expectRefusal(dir, /MANIFEST-\d+ is corrupt/);
    await markUncleanStop(dir);
    await expectRefusal(dir, /DynamoDB data is corrupt/);
  });

  it('a removed dynamodb/ folder → refused; nothing reseeded, the S3 objects untouched', async () => {
    const dir = await copyOf(template);
    const objects = (await computeSeal(dir)).s3;
    expect(Object.keys(objects).some((f) => f.includes('backups'))).toBe(true);
    await rm(join(dir, 'dynamodb'), { recursive: true });
    await expectRefusal(dir, /the DynamoDB data \(dynamodb\/\) is missing/);
    await expect(stat(join(dir, 'dynamodb'))).rejects.toThrow();
    expect((await computeSeal(dir)).s3).toEqual(objects);
  });
});

describe('other damage', () => {
  it('a removed s3/ folder → refused', async () => {
    const dir = await copyOf(template);
    await rm(join(dir, 's3'), { recursive: true });
    await expectRefusal(dir, /the S3 data \(s3\/\) is missing/);
  });

  it('a removed S3 object file → refused', async () => {
    const dir = await copyOf(template);
    const backup = Object.keys((await computeSeal(dir)).s3).find((f) => f.includes('backups') && f.endsWith('._S3rver_object'))!;
    await rm(join(dir, 's3', backup));
    await expectRefusal(dir, /S3 object file .* is missing/);
  });

  it('a corrupt data-dir.json → refused', async () => {
    const dir = await copyOf(template);
    await writeFile(join(dir, 'data-dir.json'), '{"format":1,"id":"trunc');
    await expectRefusal(dir, /data-dir\.json is corrupt/);
  });

  it('data-dir.json deleted while the stores carry a marker → refused (not adopted as new)', async () => {
    const dir = await copyOf(template);
    await rm(join(dir, 'data-dir.json'));
    await expectRefusal(dir, /data-dir\.json is missing but the S3 data carries a data-dir marker/);
  });

  it('a data dir in use by another live process → refused', async () => {
    const dir = await copyOf(template);
    const other = spawnRuntime({ DATA_DIR: dir, PORT: '0' });
    try {
      await expect.poll(async () => (await readMarker(dir))?.pid, { timeout: 20_000 }).toBe(other.pid);
      const error = await startTestRuntime({ dataDir: dir }).catch((e: Error) => e);
      expect(String(error)).toMatch(new RegExp(`in use by process ${other.pid}`));
    } finally {
      other.kill('SIGTERM');
      await exitOf(other);
    }
  });
});

describe('stores out of step', () => {
  it('dynamodb/ taken from another data dir → refused (sealed: the files changed; unclean: it belongs to another data dir)', async () => {
    const dir = await copyOf(template);
    await rm(join(dir, 'dynamodb'), { recursive: true });
    await cp(join(stranger, 'dynamodb'), join(dir, 'dynamodb'), { recursive: true });
    await expectRefusal(dir, /dynamodb\/.* (is corrupt|is missing|was not there|truncated|longer)/);
    await markUncleanStop(dir);
    const strangerId = (await readMarker(stranger))!.id;
    await expectRefusal(dir, new RegExp(`the DynamoDB data \\(dynamodb/\\) belongs to another data dir \\(${strangerId}`));
  });

  it('an older copy of dynamodb/ put back → refused, naming the generation', async () => {
    const dir = await copyOf(template);
    await rm(join(dir, 'dynamodb'), { recursive: true });
    await cp(join(older, 'dynamodb'), join(dir, 'dynamodb'), { recursive: true });
    await markUncleanStop(dir);
    const marker = (await readMarker(dir)) as DataDirMarker;
    await expectRefusal(dir, new RegExp(`the DynamoDB data \\(dynamodb/\\) is from generation ${marker.generation - 1}, expected ${marker.generation}`));
  });
});

describe('recoveries', () => {
  it('a data dir from before markers is adopted once, then verified like any other', async () => {
    const dir = await copyOf(stranger);
    // What a data dir of the previous version holds: no marker anywhere.
    const rt0 = await startTestRuntime({ dataDir: dir });
    const { dynamodb } = await rt0.services.awsClients();
    await dynamodb.send(new DeleteTableCommand({ TableName: 'local-data-dir' }));
    await expect.poll(() => dynamodb.send(new DescribeTableCommand({ TableName: 'local-data-dir' })).then(() => 'present', (e: Error) => e.name)).toBe('ResourceNotFoundException');
    await rt0.stop();
    await rm(join(dir, 'data-dir.json'));
    await rm(join(dir, 's3', 'upgrade-cp-local-data-dir'), { recursive: true });
    const rt = await startTestRuntime({ dataDir: dir });
    expect((await getAppliance(rt.services, 'dd-1'))?.applianceId).toBe('dd-1');
    await rt.stop();
    expect(await readMarker(dir)).toMatchObject({ state: 'closed', generation: 1 });
    await (await startTestRuntime({ dataDir: dir })).stop();
  });

  it('after an unclean stop with intact files: every entry is read, the start goes on, data kept', async () => {
    const dir = await copyOf(template);
    await markUncleanStop(dir);
    const rt = await startTestRuntime({ dataDir: dir });
    expect((await getAppliance(rt.services, 'dd-1'))?.applianceId).toBe('dd-1');
    await rt.stop();
  });

  it('backup → damage → restore: the runtime starts with the data; the damaged dir is kept beside it', async () => {
    const dir = await copyOf(template);
    const archive = join(dir, '..', `${dir.split('/').pop()}.tgz`);
    dirs.push(archive);
    // What other parts keep in the data dir (the site listeners' CA) is part of the backup too.
    await mkdir(join(dir, 'tls'), { recursive: true });
    await writeFile(join(dir, 'tls', 'ca.pem'), 'the local CA');
    await backupDataDir(dir, archive);
    await truncate(join(dir, 'dynamodb', (await dynamoFiles(dir, /\.log$/))[0]!), 10);
    await expectRefusal(dir, /truncated/);
    await expect(backupDataDir(dir, `${archive}.2`)).rejects.toThrow(/not backing up damaged data/);
    const { previous } = await restoreDataDir(dir, archive);
    dirs.push(previous!);
    // Everything else the data dir held came back too (the site listeners' TLS CA and ports).
    expect(await readFile(join(dir, 'tls', 'ca.pem'), 'utf8')).toBe('the local CA');
    expect(await snapshot(previous!)).not.toBe(await snapshot(dir));
    const rt = await startTestRuntime({ dataDir: dir });
    expect((await getAppliance(rt.services, 'dd-1'))?.applianceId).toBe('dd-1');
    await rt.stop();
  });

  it('a damaged archive is refused before anything changes', async () => {
    const dir = await copyOf(template);
    const archive = join(dir, '..', `${dir.split('/').pop()}-bad.tgz`);
    dirs.push(archive);
    await backupDataDir(dir, archive);
    const bytes = await readFile(archive);
    await writeFile(archive, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const before = await snapshot(dir);
    await expect(restoreDataDir(dir, archive)).rejects.toThrow(DataDirError);
    expect(await snapshot(dir)).toBe(before);
    expect((await readdir(join(dir, '..'))).filter((f) => f.includes(`${dir.split('/').pop()}.before-restore`))).toEqual([]);
  });
});

describe('the npm start process', () => {
  it('refuses a damaged data dir with exit code 1 and one line on stderr, no stack trace', async () => {
    const dir = await copyOf(template);
    await flipBytes(await largest(dir, /\.ldb$/), 0.5, 0.5 + 1e-4);
    const child = spawnRuntime({ DATA_DIR: dir, PORT: '0' });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    expect(await exitOf(child)).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^error: data dir .*\.ldb is corrupt .*npm run data -- restore/);
  });

  it('a corrupt block read while running: /health 503 naming it, the DynamoDB call fails, the process lives on', async () => {
    const dir = await copyOf(template);
    const rt = await startRuntimeProcess({ DATA_DIR: dir, PORT: '0' }, 30_000);
    try {
      expect((await fetch(`${rt.url}/health`)).status).toBe(200);
      // Let LevelDB finish what it does after opening (it may compact the replayed log into new table files),
      // then corrupt every table file under the running store; nothing has read the bulk rows since start-up.
      await new Promise((r) => setTimeout(r, 1000));
      for (const file of await dynamoFiles(dir, /\.ldb$/)) await flipBytes(join(dir, 'dynamodb', file), 0.2, 0.9, 61);
      const client = new DynamoDBClient({ region: 'us-east-1', endpoint: rt.dynamodbEndpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
      await expect(client.send(new QueryCommand({ TableName: 'sessions', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: BULK } } }))).rejects.toThrow(/corrupt/);
      client.destroy();
      const health = await fetch(`${rt.url}/health`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { components: { dynamodb: { error: string } } }).components.dynamodb.error).toMatch(/DynamoDB data is corrupt.*npm run data -- restore/);
      expect(rt.child.exitCode).toBeNull();
      expect(rt.output()).toMatch(/error: DynamoDB data is corrupt/);
    } finally {
      await rt.stop();
    }
    // Not sealed as good on the way out: the next start reads the store through and refuses it.
    expect((await readMarker(dir))?.state).toBe('open');
    await expectRefusal(dir, /DynamoDB data is corrupt .*\(the last run did not stop cleanly\)/);
  });

  it('killed mid-run (SIGKILL), restarted: LevelDB is read through and the data is there', async () => {
    const dir = await copyOf(template);
    const first = await startRuntimeProcess({ DATA_DIR: dir, PORT: '0' }, 30_000);
    await first.stop('SIGKILL');
    expect((await readMarker(dir))?.state).toBe('open');
    const rt = await startTestRuntime({ dataDir: dir });
    expect((await getAppliance(rt.services, 'dd-1'))?.applianceId).toBe('dd-1');
    await rt.stop();
  });
});
