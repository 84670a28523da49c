/**
 * The upgrade workflows run as real ASL (statemachines/*.asl.json) through the local Step Functions
 * endpoint, started by the control plane with @aws-sdk/client-sfn; each test checks final versions,
 * roles, the primary hostname, sessions (none lost) and the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppliance, requireAppliance } from '../../functions/emulator/app/appliance-store.js';
import { seedPackageCatalog } from '../../functions/emulator/app/appliance-seed.js';
import { listBackups } from '../../functions/emulator/app/backups.js';
import { getPair } from '../../functions/emulator/app/failover-pair-store.js';
import { listInstalls } from '../../functions/emulator/app/install.js';
import { resolveHostname } from '../../functions/emulator/app/primary-hostname.js';
import { approveInterim, createUpgradeRun, startRunWindow } from '../../functions/control-plane/app/runs.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { auditSteps, identity, newRun, pairFixture, runWindow, sessionsOf } from '../helpers/workflow-fixture.js';

let rt: TestRuntime;
const ctx = () => rt.services;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(() => rt?.dispose());

async function completedIdentities(applianceId: string) {
  return new Set((await sessionsOf(ctx(), applianceId)).filter((s) => s.status === 'completed').map(identity));
}

async function pairState(a: string, b: string, hostname: string) {
  const [pa, pb] = [await requireAppliance(ctx(), a), await requireAppliance(ctx(), b)];
  const pair = await getPair(ctx(), pa.failover.pairId!);
  return { versions: [pa.productVersion, pb.productVersion], pair: { status: pair?.status, primaryId: pair?.primaryId, backupId: pair?.backupId }, dns: await resolveHostname(ctx(), hostname) };
}

describe('failover option 2 (role swap)', () => {
  it('upgrades both appliances over two windows with an approved interim; B ends primary, no session lost', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'opt2');
    const before = await completedIdentities(a);
    const run = await newRun(ctx(), 'option2', a, b);

    const w1 = await runWindow(ctx(), run.runId, 1);
    expect(w1.execution.status, w1.run.statusReason).toBe('SUCCEEDED');
    expect(w1.run.status, w1.run.statusReason).toBe('interim');
    expect(w1.run.interim.checks?.passed).toBe(true);
    expect(await pairState(a, b, hostname)).toEqual({ versions: ['10.5.2', '10.6.0'], pair: { status: 'broken', primaryId: a, backupId: b }, dns: b });

    await expect(startRunWindow(ctx(), run.runId, 2, 'olivia')).rejects.toMatchObject({ code: 'InterimGateClosed' });
    await approveInterim(ctx(), run.runId, 'amy', { forbidSelfApproval: true });
    const w2 = await runWindow(ctx(), run.runId, 2);
    expect(w2.execution.status).toBe('SUCCEEDED');
    expect(w2.run.status).toBe('succeeded');
    expect(await pairState(a, b, hostname)).toEqual({ versions: ['10.6.0', '10.6.0'], pair: { status: 'established', primaryId: b, backupId: a }, dns: b });

    const onPrimary = await completedIdentities(b);
    for (const id of before) expect(onPrimary.has(id), `session ${id} lost`).toBe(true);
    const all = await sessionsOf(ctx(), b);
    expect(new Set(all.map((s) => s.lsid)).size).toBe(all.length);
    expect((await sessionsOf(ctx(), a)).length).toBe(all.length);

    const steps = await auditSteps(ctx(), run.runId);
    expect(steps).toEqual(expect.arrayContaining(['w1#preflight:succeeded', 'w1#sync-before-break:succeeded', 'w1#break-pair:succeeded', `w1#begin-install#${b}:succeeded`, 'w1#move-production:succeeded', 'interim.checks:succeeded', 'interim.approve:succeeded', `w2#begin-install#${a}:succeeded`, 'w2#establish-pair:succeeded', 'w2#resync:succeeded', 'window2.end:succeeded']));
    expect(steps.indexOf('w1#break-pair:succeeded')).toBeGreaterThan(steps.indexOf('w1#sync-before-break:succeeded'));
    expect(steps.indexOf('w1#move-production:succeeded')).toBeGreaterThan(steps.indexOf(`w1#begin-install#${b}:succeeded`));
    expect((await listInstalls(ctx(), a)).length).toBe(1);
    expect((await listInstalls(ctx(), b)).length).toBe(1);
  });
});

describe('failover option 1 (upgrade production first)', () => {
  it('upgrades A in window 1 while it keeps the hostname, then B; A stays primary', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'opt1');
    const before = await completedIdentities(a);
    const run = await newRun(ctx(), 'option1', a, b);
    const w1 = await runWindow(ctx(), run.runId, 1);
    expect(w1.run.status, w1.run.statusReason).toBe('interim');
    expect(await pairState(a, b, hostname)).toEqual({ versions: ['10.6.0', '10.5.2'], pair: { status: 'broken', primaryId: a, backupId: b }, dns: a });
    await approveInterim(ctx(), run.runId, 'amy');
    const w2 = await runWindow(ctx(), run.runId, 2);
    expect(w2.run.status).toBe('succeeded');
    expect(await pairState(a, b, hostname)).toEqual({ versions: ['10.6.0', '10.6.0'], pair: { status: 'established', primaryId: a, backupId: b }, dns: a });
    const onPrimary = await completedIdentities(a);
    for (const id of before) expect(onPrimary.has(id)).toBe(true);
  });
});

describe('single appliance', () => {
  it('backs up, installs, waits for online and verifies', async () => {
    await seedPackageCatalog(ctx());
    await createAppliance(ctx(), sampleAppliance('solo-1', { productVersion: '10.5.2', baseVersion: '3.2.4', storedDataGb: 10 }));
    const run = await newRun(ctx(), 'single', 'solo-1');
    const w = await runWindow(ctx(), run.runId, 1);
    expect(w.execution.status).toBe('SUCCEEDED');
    expect(w.run.status).toBe('succeeded');
    expect((await requireAppliance(ctx(), 'solo-1')).productVersion).toBe('10.6.0');
    expect((await listBackups(ctx(), 'solo-1')).length).toBe(1);
    const steps = await auditSteps(ctx(), run.runId);
    expect(steps).toEqual(expect.arrayContaining(['w1#preflight:succeeded', 'w1#begin-install#solo-1:succeeded', 'w1#verify#solo-1:succeeded', 'w1#console-report:succeeded', 'window1.end:succeeded']));
  });

  it('installs a base software package (the guide: base 3.2.6 before Bomgar 11.1.1): the base version is the target', async () => {
    await seedPackageCatalog(ctx());
    await createAppliance(ctx(), sampleAppliance('solo-base', { productVersion: '10.5.2', baseVersion: '3.2.4', storedDataGb: 10 }));
    const start = ctx().clock.now().toISOString();
    const run = await createUpgradeRun(ctx(), { option: 'single', packageId: 'base-3.2.6', targetVersion: '3.2.6', packageKind: 'base', primaryId: 'solo-base', windows: [{ start, durationMinutes: 20_000, timeZone: 'UTC' }] }, 'olivia');
    const w = await runWindow(ctx(), run.runId, 1);
    expect(w.execution.status).toBe('SUCCEEDED');
    expect(w.run.status).toBe('succeeded');
    expect(await requireAppliance(ctx(), 'solo-base')).toMatchObject({ baseVersion: '3.2.6', productVersion: '10.5.2', state: 'online' });
    // and now Bomgar 11.1.1's base prerequisite is met
    const next = await createUpgradeRun(ctx(), { option: 'single', packageId: 'bomgar-11.1.1', targetVersion: '11.1.1', primaryId: 'solo-base', windows: [{ start, durationMinutes: 20_000, timeZone: 'UTC' }] }, 'olivia');
    expect((await runWindow(ctx(), next.runId, 1)).run.status).toBe('succeeded');
    expect((await requireAppliance(ctx(), 'solo-base')).productVersion).toBe('11.1.1');
  });
});
