/**
 * The guided driver in a real workflow (ASL through local Step Functions): B stands in for a real
 * appliance (manual steps, verified over check_health / get_api_info), A is emulated (site driver), in
 * one option-2 run. A scripted operator does each manual step the way a person would in /login and
 * /appliance (here: the emulator's own operations) and confirms it; the control plane verifies.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireAppliance } from '../../functions/emulator/app/appliance-store.js';
import type { AppContext } from '../../functions/platform/app/context.js';
import { getPair } from '../../functions/emulator/app/failover-pair-store.js';
import { establishPair, breakPair, forceSync } from '../../functions/emulator/app/failover-pairs.js';
import { getManualStep, GuidedDriver, listManualSteps, type ManualStep } from '../../functions/control-plane/app/guided-driver.js';
import { issueOperatorToken } from '../../functions/control-plane/app/operator-tokens.js';
import { startInstall } from '../../functions/emulator/app/install.js';
import { resolveHostname } from '../../functions/emulator/app/primary-hostname.js';
import { holdTokenOf } from '../../functions/control-plane/app/run-holds.js';
import { approveInterim } from '../../functions/control-plane/app/runs.js';
import type { ApplianceDrivers } from '../../functions/platform/core/appliance-driver.js';
import { startTestRuntime, eventually, type TestRuntime } from '../helpers/runtime.js';
import { auditSteps, newRun, pairFixture, runWindow } from '../helpers/workflow-fixture.js';

let rt: TestRuntime;
let site: ApplianceDrivers;
const olgaToken = 'olga-operator-token-0123456789';
const ctx = () => rt.services;
beforeAll(async () => {
  rt = await startTestRuntime();
  site = rt.services.drivers!;
  await issueOperatorToken(rt.services, { operatorId: 'olga', displayName: 'Olga', roles: ['viewer', 'operator'], token: olgaToken });
});
afterAll(() => rt?.dispose());

/** B (and only B) is "real": reached through the guided driver, whose reads go over B's site. */
function mixFleet(guidedIds: string[]) {
  const guided = new GuidedDriver(ctx(), site.forAppliance(guidedIds[0]!), { pollMs: 10, waitMs: 30_000 });
  rt.services.drivers = { forAppliance: (id) => (guidedIds.includes(id) ? guided : site.forAppliance(id)), inventory: site.inventory };
}

type Operator = { stop(): Promise<void>; done: ManualStep[] };

/** Watches the run's manual steps in the control API, does each one by hand, then confirms it there. */
function scriptedOperator(c: AppContext, act: (step: ManualStep) => Promise<void>): Operator {
  let running = true;
  const done: ManualStep[] = [];
  const loop = (async () => {
    while (running) {
      for (const step of await listManualSteps(c, 'pending')) {
        await act(step);
        const [runId, ...rest] = step.requestKey.split(':');
        const listed = (await (await fetch(`${rt.url}/v1/runs/${runId}/manual-steps`)).json()) as { steps: { step: string; status: string }[] };
        expect(listed.steps.find((s) => s.step === rest.join(':'))?.status).toBe('pending');
        const res = await fetch(`${rt.url}/v1/runs/${runId}/manual-steps/${rest.join(':')}/confirm`, { method: 'POST', headers: { authorization: `Bearer ${olgaToken}` } });
        expect(res.status, await res.clone().text()).toBe(200);
        done.push((await getManualStep(c, step.requestKey))!);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return { done, stop: async () => ((running = false), await loop) };
}

/** What a person does on the appliance for each instruction. */
const byHand = (c: AppContext, opts: { establishAs?: (s: ManualStep) => { primaryId: string; backupId: string } } = {}) =>
  async (step: ManualStep) => {
    // A, the emulated half of this mixed pair, is held by the run: the person acts under the run's hold.
    const holdToken = await holdTokenOf(c, step.requestKey.split(':w')[0]!);
    if (step.operation === 'force-sync') await forceSync(c, step.applianceId);
    if (step.operation === 'break') await breakPair(c, step.applianceId, { holdToken });
    if (step.operation === 'install') {
      await startInstall(c, step.applianceId, 'bomgar-10.6.0', { requireBrokenFailover: true, holdToken });
      await eventually(async () => ((await requireAppliance(c, step.applianceId)).state === 'online' ? true : undefined), 20_000);
    }
    if (step.operation === 'establish') {
      const roles = opts.establishAs?.(step) ?? { primaryId: step.applianceId, backupId: /-b$/.test(step.applianceId) ? step.applianceId.replace(/-b$/, '-a') : step.applianceId.replace(/-a$/, '-b') };
      await establishPair(c, { ...roles, holdToken });
    }
  };

let operator: Operator | undefined;
afterEach(async () => {
  await operator?.stop();
  operator = undefined;
  rt.services.drivers = site;
});

describe('guided driver (B real, A emulated, one run)', () => {
  it('pauses at each manual step with the guide instruction, goes on after the confirmation and verification, and upgrades the pair', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'gd-ok');
    mixFleet([b]);
    operator = scriptedOperator(ctx(), byHand(ctx()));
    const run = await newRun(ctx(), 'option2', a, b);
    const w1 = await runWindow(ctx(), run.runId, 1);
    expect(w1.run.status, w1.run.statusReason).toBe('interim');
    await approveInterim(ctx(), run.runId, 'amy');
    const w2 = await runWindow(ctx(), run.runId, 2);
    expect(w2.run.status, w2.run.statusReason).toBe('succeeded');

    // Only B's operations without an API were manual; each carried the guide's instruction.
    expect(operator.done.map((s) => `${s.operation}@${s.applianceId}`)).toEqual([`force-sync@${b}`, `install@${b}`, `establish@${b}`]);
    expect(operator.done.find((s) => s.operation === 'establish')!.instruction).toMatch(new RegExp(`^On ${b}: /login > Management > Failover: establish the relationship with ${a} as the backup`));
    expect(operator.done.every((s) => s.confirmedBy === 'olga')).toBe(true);
    const [pa, pb] = [await requireAppliance(ctx(), a), await requireAppliance(ctx(), b)];
    expect([pa.productVersion, pb.productVersion]).toEqual(['10.6.0', '10.6.0']);
    expect(await getPair(ctx(), pa.failover.pairId!)).toMatchObject({ status: 'established', primaryId: b, backupId: a });
    expect(await resolveHostname(ctx(), hostname)).toBe(b);
  });

  it('a confirmed re-establish whose roles did not change fails verification: the window stops in a safe state', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'gd-bad');
    mixFleet([b]);
    // The operator re-establishes with the old roles (A primary) and confirms anyway.
    operator = scriptedOperator(ctx(), byHand(ctx(), { establishAs: () => ({ primaryId: a, backupId: b }) }));
    const run = await newRun(ctx(), 'option2', a, b);
    expect((await runWindow(ctx(), run.runId, 1)).run.status).toBe('interim');
    await approveInterim(ctx(), run.runId, 'amy');
    const { execution, run: after } = await runWindow(ctx(), run.runId, 2);

    expect(execution.status).toBe('FAILED');
    expect(after.status).toBe('failed');
    expect(after.statusReason).toMatch(new RegExp(`^GuidedVerificationFailed: establish on ${b} was confirmed by olga, but check_health shows ${b} backup and ${a} primary`));
    const steps = await auditSteps(ctx(), run.runId);
    expect(steps).toContain('w2#establish-pair:failed');
    expect(steps.some((s) => s.startsWith('w2#resync-pair'))).toBe(false); // nothing after the mismatch
    // Safe: production stays on the upgraded, online B; both run the target; nothing else was changed.
    expect(await resolveHostname(ctx(), hostname)).toBe(b);
    const pb = await requireAppliance(ctx(), b);
    expect(pb.state).toBe('online');
    expect(pb.productVersion).toBe('10.6.0');
    expect((await listManualSteps(ctx(), 'pending')).filter((s) => s.requestKey.startsWith(run.runId))).toEqual([]);
  });
});
