import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { WAY_BACK } from './data-dir.js';

/** What LevelDB (under dynalite) raises when its files cannot be read: corruption, I/O errors, a store that failed to open. */
export const isStoreFailure = (e: unknown): e is Error =>
  e instanceof Error && (/^LEVEL_/.test(String((e as NodeJS.ErrnoException).code ?? '')) || e.message === 'Database is closed' || /^(Corruption|IO error):/.test(e.message));

export interface StoreGuard {
  /** The store failure seen while running, if any: `/health` reports it and the store answers nothing else. */
  problem(): string | undefined;
  /** The runtime is closing the emulators: a closed database is expected now, not a failure. */
  stopping(): void;
  dispose(): void;
}

/**
 * dynalite throws its store errors (a corrupt table block read at run time) out of a callback, which would end
 * the process at the first such read, and again at every restart. The guard catches exactly those, marks the
 * store failed (so `/health` says so and every later DynamoDB call gets a 500 instead of reading corrupt data),
 * answers the requests caught in flight, and leaves every other uncaught error to Node's default (or to the
 * other listeners, such as a test runner's).
 */
export function guardDynamo(server: Server): StoreGuard {
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  const inFlight = new Set<ServerResponse>();
  let problem: string | undefined;
  let closing = false;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (problem) return void fail(res, problem);
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    for (const handler of handlers) handler.call(server, req, res);
  });
  const onUncaught = (e: Error) => {
    if (!isStoreFailure(e) || (closing && e.message === 'Database is closed')) {
      if (process.listenerCount('uncaughtException') === 1) {
        console.error(e);
        process.exit(1);
      }
      return;
    }
    if (!problem) {
      problem = `DynamoDB data is corrupt (${e.message.split('\n')[0]}); stop the runtime and ${WAY_BACK}`;
      console.error(`error: ${problem}`);
    }
    for (const res of inFlight) fail(res, problem);
  };
  process.on('uncaughtException', onUncaught);
  return {
    problem: () => problem,
    stopping: () => void (closing = true),
    dispose: () => void process.off('uncaughtException', onUncaught),
  };
}

function fail(res: ServerResponse, message: string): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalFailure', message });
  res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) }).end(body);
}
