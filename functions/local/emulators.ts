import dynalite from 'dynalite';
import S3rver from 's3rver';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface Emulators {
  /** dynalite's HTTP server (functions/local/store-guard.ts watches it). */
  dynamoServer: Server;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite (DynamoDB API) and s3rver (S3 API) in this process, persisted under `dataDir`. */
export async function startEmulators(dataDir: string, ports: { dynamodb?: number; s3?: number } = {}): Promise<Emulators> {
  await Promise.all([mkdir(join(dataDir, 'dynamodb'), { recursive: true }), mkdir(join(dataDir, 's3'), { recursive: true })]);
  const dynamo = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoPort = await listen(dynamo, ports.dynamodb ?? 0, 'DynamoDB emulator');
  let s3: S3rver;
  let s3Address: AddressInfo;
  try {
    s3 = new S3rver({ port: ports.s3 ?? 0, address: '127.0.0.1', directory: join(dataDir, 's3'), silent: true });
    s3Address = await s3.run();
  } catch (e) {
    await closeServer(dynamo);
    throw describeListenError(e, ports.s3 ?? 0, 'S3 emulator');
  }
  return {
    dynamoServer: dynamo,
    dynamodbEndpoint: `http://127.0.0.1:${dynamoPort}`,
    s3Endpoint: `http://127.0.0.1:${s3Address.port}`,
    async close() {
      await Promise.allSettled([s3.close(), closeServer(dynamo)]);
    },
  };
}

export function listen(server: Server, port: number, what: string, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(describeListenError(e, port, what));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

export class StartupError extends Error {
  override name = 'StartupError';
}

function describeListenError(e: unknown, port: number, what: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new StartupError(`${what}: port ${port} is already in use (choose another port)`);
  if (code === 'EACCES') return new StartupError(`${what}: not allowed to listen on port ${port}`);
  return e instanceof Error ? e : new Error(String(e));
}
