/**
 * `npm run test:assembly`: every scenario against the synthesized cloud assembly (real bundles, the
 * template's routes, state machines, schedules, policies and environment), then one report over all of
 * them. Separate from `npm test` for its length (minutes, not seconds); `.ci/run` runs it after `npm test`.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observed } from '../../tools/assembly/assembly-runtime.js';
import { synthesize, type CloudAssembly } from '../../tools/assembly/cloud-assembly.js';
import { formatReport, runScenario, summarize, type ScenarioOutcome } from '../../tools/assembly/run-assembly.js';
import { SCENARIOS } from '../../tools/assembly/scenarios.js';

let assembly: CloudAssembly;
const outcomes: ScenarioOutcome[] = [];
const observed: Observed[] = [];
const facts = (name: string) => outcomes.find((o) => o.name === name)?.facts ?? {};

beforeAll(async () => {
  assembly = await synthesize();
}, 300_000);
afterAll(() => assembly && rmSync(assembly.directory, { recursive: true, force: true }));

describe('scenarios on the synthesized stack', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_, scenario) => {
    const { outcome, observed: seen } = await runScenario(assembly, scenario);
    outcomes.push(outcome);
    if (seen) observed.push(seen);
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
  }, 300_000);

  it('option 1 keeps A primary; option 2 ends with B primary and the Route 53 record on B', () => {
    expect(facts('option1')).toMatchObject({ primaryId: 'appliance-a', versions: { 'appliance-a': '10.6.0', 'appliance-b': '10.6.0' } });
    expect(facts('option2')).toMatchObject({ primaryId: 'appliance-b', route53Changes: 1, versions: { 'appliance-a': '10.6.0', 'appliance-b': '10.6.0' } });
    expect((facts('option2').dns as string[])[0]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    for (const o of ['option1', 'option2']) {
      expect(facts(o).executions).toEqual([expect.stringContaining(`:execution:upgrade-cp-assembly-failover-${o}:`), expect.stringContaining(`:execution:upgrade-cp-assembly-failover-${o}:`)]);
    }
  });

  it('the scheduled window started once, by the scheduler, and its one-time schedule is gone', () => {
    expect(facts('scheduled-window')).toMatchObject({ starts: 1, scheduleDeleted: true });
  });

  it('the campaign ran its canary, then the wave', () => {
    expect(facts('campaign').targets).toEqual([
      expect.objectContaining({ targetId: 'staging-1', wave: 0, status: 'succeeded' }),
      expect.objectContaining({ wave: 1, status: 'succeeded' }),
    ]);
  });

  it('the large report streamed past the 6 MB buffered limit that stops it on the HTTP API', () => {
    expect(facts('large-report').bytes).toBeGreaterThan(6 * 1024 * 1024);
    expect(facts('large-report').bufferedStatus).toBe(500);
  });

  it('over all scenarios: no denied call, no unattributed call, no environment mismatch', () => {
    const result = summarize(assembly, outcomes, observed, { complete: true });
    console.log(formatReport(result));
    expect(outcomes.map((o) => o.name)).toEqual(SCENARIOS.map((s) => s.name));
    expect(result.report!.denials).toEqual([]);
    expect(result.report!.endpointProblems).toEqual([]);
    expect(result.report!.environment.findings.map((f) => f.message)).toEqual([]);
    expect(result.report!.asyncFailures).toEqual([]);
    // Least privilege, observed: the statements and functions no scenario needed are listed, not hidden.
    expect(result.report!.unusedStatements.length).toBeGreaterThan(0);
    expect(result.report!.environment.notExercised).toEqual(['upgrade-cp-assembly-task-create-backup']);
  });
});
