/**
 * Fuzzing of the control API's JSON bodies: arbitrary JSON and near-valid run/plan requests answer a
 * correct 2xx or a 4xx problem+json with field paths, never a 5xx, and create nothing unless valid.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRuns } from '../../functions/control-plane/app/run-store.js';
import { seedFleet } from '../helpers/control.js';
import { rawFetch, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const options = { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261127), endOnFailure: true };

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
  await seedFleet(rt.services, { pairs: ['fz'] });
});
afterAll(() => rt?.dispose());

const post = (path: string, body: string) =>
  rawFetch(`${rt.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${rt.adminToken}`, 'content-type': 'application/json' }, body });

const windowArb = fc.record(
  {
    start: fc.oneof(fc.constant('2026-12-01T16:00:00Z'), fc.string(), fc.constant('2026-02-30T00:00:00Z')),
    localStart: fc.oneof(fc.constant('2026-03-29T02:30'), fc.string()),
    durationMinutes: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double(), fc.string()),
    timeZone: fc.oneof(fc.constantFrom('Asia/Tokyo', 'Europe/Berlin', 'Mars/Olympus', ''), fc.string()),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);
const runBody = fc.record(
  {
    pairId: fc.oneof(fc.constant('fz'), fc.string()),
    applianceId: fc.string(),
    option: fc.oneof(fc.constantFrom('single', 'option1', 'option2', 'option3'), fc.anything()),
    packageId: fc.oneof(fc.constantFrom('bomgar-11.1.1', 'base-3.2.6', '../x'), fc.string()),
    windows: fc.oneof(fc.array(windowArb, { maxLength: 3 }), fc.anything()),
    schedule: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('fuzz: control API JSON bodies', () => {
  it('POST /v1/runs and /v1/plans: 2xx or 4xx problem+json, never 5xx; only valid runs are created', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(runBody.map((b) => JSON.stringify(b)), fc.json(), fc.string()), fc.constantFrom('/v1/runs', '/v1/plans'), async (body, path) => {
        const before = (await listRuns(rt.services, { limit: 200 })).runs.length;
        const res = await post(path, body);
        const text = await res.text();
        expect(res.status, text.slice(0, 300)).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get('content-type')).toContain('application/problem+json');
          const problem = JSON.parse(text);
          expect(problem).toMatchObject({ status: res.status, code: expect.any(String) });
          expect((await listRuns(rt.services, { limit: 200 })).runs.length).toBe(before);
        }
      }),
      options,
    );
  });
});
