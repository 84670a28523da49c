/**
 * Pagination cursors (issue 17 item 10) through the control API: opaque, tamper-evident (a forged or
 * altered cursor is a 400 InvalidCursor), sealed with the data dir's key so they outlive a restart and do
 * not work against another data dir.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRun } from '../../functions/control-plane/app/run-store.js';
import type { Run } from '../../functions/control-plane/core/run.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const runtimes: TestRuntime[] = [];
afterAll(async () => {
  for (const rt of runtimes) await rt.dispose();
});

async function withRuns(dataDir?: string): Promise<TestRuntime> {
  const rt = await startTestRuntime(dataDir ? { dataDir } : {});
  for (let i = 0; i < 3; i++) {
    // Only what the listing reads: the run store indexes runs by creation time.
    await createRun(rt.services, { runId: `run-${i}`, createdAt: `2026-01-0${i + 1}T00:00:00.000Z`, updatedAt: '2026-01-01T00:00:00.000Z', status: 'planned' } as unknown as Omit<Run, 'version'>);
  }
  return rt;
}

const page = async (rt: TestRuntime, cursor?: string) => {
  const res = await fetch(`${rt.url}/v1/runs?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as { runs?: { runId: string }[]; cursor?: string; code?: string } };
};

describe('control API cursors', () => {
  it('page by page with the cursor; the cursor shows nothing of the key', async () => {
    const rt = await withRuns();
    runtimes.push(rt);
    const first = await page(rt);
    expect(first.body.runs!.map((r) => r.runId)).toEqual(['run-2']);
    expect(Buffer.from(first.body.cursor!, 'base64url').toString('latin1')).not.toMatch(/RUN|run-2|2026/);
    const second = await page(rt, first.body.cursor);
    expect(second.body.runs!.map((r) => r.runId)).toEqual(['run-1']);
  });

  it.each([
    ['a raw DynamoDB key (the old cursor format)', () => Buffer.from(JSON.stringify({ pk: 'RUN#run-0', sk: 'RUN', gsi1pk: 'RUNS', gsi1sk: '2026-01-01T00:00:00.000Z#run-0' })).toString('base64url')],
    ['random bytes', () => Buffer.from('not a cursor at all, really not').toString('base64url')],
    ['not base64url', () => '!!!'],
  ])('%s → 400 InvalidCursor (problem+json)', async (_, forge) => {
    const rt = runtimes[0]!;
    const answer = await page(rt, forge());
    expect(answer.status).toBe(400);
    expect(answer.type).toBe('application/problem+json');
    expect(answer.body.code).toBe('InvalidCursor');
  });

  it('an altered cursor → 400 InvalidCursor', async () => {
    const rt = runtimes[0]!;
    const bytes = Buffer.from((await page(rt)).body.cursor!, 'base64url');
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x20;
    const answer = await page(rt, bytes.toString('base64url'));
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('InvalidCursor');
  });

  it('a cursor outlives a restart on the same data dir, and is refused by another data dir', async () => {
    const rt = await withRuns();
    const { cursor } = (await page(rt)).body;
    await rt.stop();
    const again = await startTestRuntime({ dataDir: rt.dataDir });
    runtimes.push(again);
    expect((await page(again, cursor)).body.runs!.map((r) => r.runId)).toEqual(['run-1']);
    const other = runtimes[0]!;
    expect((await page(other, cursor)).body.code).toBe('InvalidCursor');
  });
});
