import type { Services } from './services.js';

export interface ComponentHealth {
  status: 'ok' | 'error';
  latencyMs: number;
  error?: string;
}

async function probe(fn: () => Promise<unknown>): Promise<ComponentHealth> {
  const started = performance.now();
  try {
    await fn();
    return { status: 'ok', latencyMs: round(performance.now() - started) };
  } catch (e) {
    return { status: 'error', latencyMs: round(performance.now() - started), error: (e as Error).message };
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** One cheap read per backing service, run in parallel. */
export async function probeHealth(services: Services) {
  const clients = await services.awsClients();
  const [{ ListTablesCommand }, { ListBucketsCommand }, { ListStateMachinesCommand }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/client-sfn'),
  ]);
  const [dynamodb, s3, stepfunctions] = await Promise.all([
    probe(() => clients.dynamodb.send(new ListTablesCommand({ Limit: 1 }))),
    probe(() => clients.s3.send(new ListBucketsCommand({}))),
    probe(() => clients.sfn.send(new ListStateMachinesCommand({ maxResults: 1 }))),
  ]);
  // A read that failed with corruption outranks a cheap probe that still succeeds (ListTables reads no items).
  const problem = services.integrity?.();
  const components = { dynamodb: problem ? { status: 'error' as const, latencyMs: dynamodb.latencyMs, error: problem } : dynamodb, s3, stepfunctions };
  const ok = Object.values(components).every((c) => c.status === 'ok');
  return { status: ok ? ('ok' as const) : ('degraded' as const), components };
}
