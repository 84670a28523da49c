import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createServer } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitOf, spawnRuntime, startRuntimeProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/runtime.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const dynamo = (endpoint: string) =>
  new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

async function runFailing(env: Record<string, string>) {
  const child = spawnRuntime(env);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await exitOf(child);
  return { code, stderr: stderr.trim() };
}

describe('npm start entry point', () => {
  it('keeps data across SIGTERM and restart', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const first = await startRuntimeProcess({ PORT: '0', DATA_DIR: dataDir });
    const health = await (await fetch(`${first.url}/health`)).json();
    expect(health.status).toBe('ok');
    const c1 = dynamo(first.dynamodbEndpoint);
    await c1.send(new PutItemCommand({ TableName: 'appliances', Item: { pk: { S: 'APPLIANCE#persist' }, sk: { S: 'PROFILE' }, note: { S: 'kept' } } }));
    c1.destroy();
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toContain('SIGTERM: shutting down');

    const second = await startRuntimeProcess({ PORT: '0', DATA_DIR: dataDir });
    const c2 = dynamo(second.dynamodbEndpoint);
    const got = await c2.send(new GetItemCommand({ TableName: 'appliances', Key: { pk: { S: 'APPLIANCE#persist' }, sk: { S: 'PROFILE' } } }));
    c2.destroy();
    expect(got.Item?.note?.S).toBe('kept');
    expect(await second.stop('SIGINT')).toBe(0);
  });

  it('exits non-zero with one clear line when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const { code, stderr } = await runFailing({ PORT: String(port), DATA_DIR: dataDir });
    blocker.close();
    expect(code).not.toBe(0);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^error: HTTP API: port ${port} is already in use`));
  });

  it('exits non-zero with one clear line when the data dir is not writable', async () => {
    // Root can write almost anywhere; a path below a regular file is unwritable for everyone.
    const dir = await tempDir();
    dirs.push(dir);
    await writeFile(join(dir, 'file'), 'x');
    const { code, stderr } = await runFailing({ PORT: '0', DATA_DIR: join(dir, 'file', 'data') });
    expect(code).not.toBe(0);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^error: data directory \S+\/file\/data is not writable \(ENOTDIR\)/);
  });

  it('exits non-zero on a malformed PORT', async () => {
    const { code, stderr } = await runFailing({ PORT: 'eighty' });
    expect(code).toBe(2);
    expect(stderr).toBe('error: PORT must be a port number (0-65535), got "eighty"');
  });
});
