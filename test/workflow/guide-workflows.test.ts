/**
 * The upgrade guide's rules through the real state machines (statemachines/*.asl.json on the local Step
 * Functions endpoint): each test names the rule it enforces and would fail on the code before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppliance, requireAppliance, updateAppliance } from '../../functions/emulator/app/appliance-store.js';
import { listBackups } from '../../functions/emulator/app/backups.js';
import { getPair } from '../../functions/emulator/app/failover-pair-store.js';
import { listInstalls, startInstall } from '../../functions/emulator/app/install.js';
import { buildPackageFile } from '../../functions/emulator/app/package-signing.js';
import { storePackage } from '../../functions/emulator/app/packages.js';
import { resolveHostname, switchPrimaryHostname } from '../../functions/emulator/app/primary-hostname.js';
import { requireRun } from '../../functions/control-plane/app/run-store.js';
import { approveInterim, cancelRun, startRunWindow } from '../../functions/control-plane/app/runs.js';
import { sampleAppliance } from '../helpers/fixtures.js';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { auditSteps, newRun, pairFixture, runWindow, waitForExecution } from '../helpers/workflow-fixture.js';

let rt: TestRuntime;
const ctx = () => rt.services;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(() => rt?.dispose());

describe('[自動アップデートが使用できない場合 (フェールオーバーで構成されている場合など): failover pairs use manual update]', () => {
  it('a failover run installs a manually uploaded signed package that Check for Updates does not offer', async () => {
    const { a, b } = await pairFixture(ctx(), 'gw-upload');
    // The package Bomgar Support sends by link: signed, uploaded for "Update Software", not in the catalog.
    const file = buildPackageFile({ packageId: 'bomgar-10.6.2', kind: 'product', version: '10.6.2', requires: { minBaseVersion: '3.2.4', minProductVersion: '10.5.0' } }, Buffer.alloc(4096, 7));
    const { record } = await storePackage(ctx(), (async function* () { yield file; })(), { source: 'upload', contentLength: file.length });
    expect(record.source).toBe('upload');
    const run = await newRun(ctx(), 'option1', a, b, 20_000, 'bomgar-10.6.2', '10.6.2');
    const w1 = await runWindow(ctx(), run.runId, 1);
    expect(w1.run.status, w1.run.statusReason).toBe('interim');
    await approveInterim(ctx(), run.runId, 'amy');
    const w2 = await runWindow(ctx(), run.runId, 2);
    expect(w2.run.status, w2.run.statusReason).toBe('succeeded');
    expect([(await requireAppliance(ctx(), a)).productVersion, (await requireAppliance(ctx(), b)).productVersion]).toEqual(['10.6.2', '10.6.2']);
  });

  it('the package\'s own rules still refuse in preflight, in the appliance\'s words, before anything is broken', async () => {
    const { a, b } = await pairFixture(ctx(), 'gw-rules');
    const file = buildPackageFile({ packageId: 'bomgar-10.7.0', kind: 'product', version: '10.7.0', requires: { minBaseVersion: '3.2.6' } }, Buffer.alloc(1024, 3));
    await storePackage(ctx(), (async function* () { yield file; })(), { source: 'upload', contentLength: file.length });
    const run = await newRun(ctx(), 'option1', a, b, 20_000, 'bomgar-10.7.0', '10.7.0');
    const w1 = await runWindow(ctx(), run.runId, 1);
    expect(w1.run.statusReason).toContain("PrerequisitesNotMet: Bomgar-10.7.0: 3.2.4 does not satisfy 10.7.0's requirements");
    expect((await getPair(ctx(), (await requireAppliance(ctx(), a)).failover.pairId!))?.status).toBe('established');
  });
});

describe('[インストールには通常 15 分から 1 時間…かなり長く: much stored data makes the install far longer]', () => {
  it('the window deadline guard uses the uncapped estimate: a 2 TB appliance does not start a 215-minute install in a 180-minute window', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'gw-big', { storedDataGb: 2000 });
    const run = await newRun(ctx(), 'option1', a, b, 180);
    const w1 = await runWindow(ctx(), run.runId, 1);
    expect(w1.run.status).toBe('failed');
    expect(w1.run.statusReason).toMatch(/WindowTooShort: installing gw-big-a takes about 215 min/);
    expect(await listInstalls(ctx(), a)).toHaveLength(0);
    expect(await resolveHostname(ctx(), hostname)).toBe(a);
    expect((await getPair(ctx(), (await requireAppliance(ctx(), a)).failover.pairId!))?.status).toBe('established');
  });
});

describe('[常にアップグレードの前にバックアップをダウンロード: always download a backup before upgrading]', () => {
  it('preflight does not reuse a backup taken before the last settings change; the run records the backup each install relied on', async () => {
    const { a, b } = await pairFixture(ctx(), 'gw-backup');
    const { createBackup } = await import('../../functions/emulator/app/backups.js');
    const early = await createBackup(ctx(), a);
    await updateAppliance(ctx(), a, (x) => ({ ...x, license: { ...x.license, licenseCount: 25 } })); // a settings change
    const run = await newRun(ctx(), 'option1', a, b);
    const w1 = await runWindow(ctx(), run.runId, 1);
    expect(w1.run.status, w1.run.statusReason).toBe('interim');
    const relied = w1.run.installBackups!;
    expect(relied).toHaveLength(1);
    expect(relied[0]).toMatchObject({ window: 1, applianceId: a, productVersion: '10.5.2', downloadPath: `/appliances/${a}/login/software-management/backups/${relied[0]!.backupId}` });
    expect(relied[0]!.backupId).not.toBe(early.backupId);
    const fresh = (await listBackups(ctx(), a)).find((x) => x.backupId === relied[0]!.backupId)!;
    expect(Date.parse(fresh.createdAt)).toBeGreaterThanOrEqual(Date.parse((await requireAppliance(ctx(), a)).settingsChangedAt!));
    await approveInterim(ctx(), run.runId, 'amy');
    const w2 = await runWindow(ctx(), run.runId, 2);
    expect(w2.run.installBackups!.map((x) => `${x.window}:${x.applianceId}:${x.productVersion}`)).toEqual([`1:${a}:10.5.2`, `2:${b}:10.5.2`]);
  });
});

describe('[アプライアンス (A) がプライマリアプライアンス (プライマリホスト名が解決するアプライアンス): the primary hostname resolves to A]', () => {
  it('window 1 refuses in preflight, before anything is synced, broken or installed, when the hostname points elsewhere', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'gw-dns');
    const run = await newRun(ctx(), 'option1', a, b); // created directly: the plan would have blocked it
    await createAppliance(ctx(), sampleAppliance('gw-dns-elsewhere', { ipAddress: '10.9.9.9' }));
    await switchPrimaryHostname(ctx(), hostname, 'gw-dns-elsewhere');
    const w1 = await runWindow(ctx(), run.runId, 1);
    expect(w1.run.status).toBe('failed');
    expect(w1.run.statusReason).toMatch(/PrimaryHostnameNotOnPrimary: gw-dns\.example\.com resolves to gw-dns-elsewhere, not to the primary gw-dns-a/);
    const steps = await auditSteps(ctx(), run.runId);
    expect(steps).not.toContain('w1#sync-before-break:succeeded');
    expect(steps).not.toContain('w1#break-pair:succeeded');
    expect((await getPair(ctx(), (await requireAppliance(ctx(), a)).failover.pairId!))?.status).toBe('established');
    expect(await listInstalls(ctx(), a)).toHaveLength(0);
  });
});

describe('[nothing else touches an appliance a run holds]', () => {
  it('during window 1 a direct install on the other appliance is refused (409 naming the run); each appliance is installed exactly once, by the run', async () => {
    const { a, b } = await pairFixture(ctx(), 'gw-hold', { storedDataGb: 2000 });
    const run = await newRun(ctx(), 'option1', a, b);
    const started = await startRunWindow(ctx(), run.runId, 1, 'olivia');
    await eventually(async () => ((await requireAppliance(ctx(), a)).state === 'installing' ? true : undefined), 15_000);
    await expect(startInstall(ctx(), b, 'bomgar-10.6.0', { requireBrokenFailover: false })).rejects.toMatchObject({ code: 'ApplianceHeld', details: { holder: run.runId } });
    expect((await requireAppliance(ctx(), b)).state).toBe('online');
    await waitForExecution(ctx(), started.windows[0]!.executionArn!);
    await approveInterim(ctx(), run.runId, 'amy');
    expect((await runWindow(ctx(), run.runId, 2)).run.status).toBe('succeeded');
    expect((await listInstalls(ctx(), a)).length).toBe(1);
    expect((await listInstalls(ctx(), b)).length).toBe(1);
    expect((await requireAppliance(ctx(), a)).hold).toBeUndefined(); // released when the run closed
  });
});

describe('[an install cannot be stopped] cancel during an install', () => {
  it('the cancel is recorded, the install completes, and the run ends in the safe state that follows from the new version', async () => {
    const { a, b, hostname } = await pairFixture(ctx(), 'gw-cancel', { storedDataGb: 20_000 }); // ~2 s of install at 1 ms per modelled minute
    const run = await newRun(ctx(), 'option1', a, b);
    const started = await startRunWindow(ctx(), run.runId, 1, 'olivia');
    await eventually(async () => ((await requireAppliance(ctx(), a)).state === 'installing' ? true : undefined), 15_000);
    const cancelled = await cancelRun(ctx(), run.runId, 'olivia', 'change freeze');
    expect(cancelled.cancelRequested?.duringInstall).toMatchObject({ window: 1, applianceId: a });
    const { cancelNotice } = await import('../../functions/control-plane/app/runs.js');
    expect(cancelNotice(cancelled)).toMatch(/an install cannot be stopped on the appliance, so it completes/);
    await waitForExecution(ctx(), started.windows[0]!.executionArn!);
    const after = await requireRun(ctx(), run.runId);
    expect(after.status).toBe('cancelled');
    expect(after.windows[0]!.status).toBe('cancelled');
    expect(after.statusReason).toContain('during the install: an install cannot be stopped');
    expect(after.statusReason).toContain(`${a} finished the install (now 10.6.0)`);
    expect(after.statusReason).toContain(`to finish: upgrade ${b} to 10.6.0 alone`);
    // The safe state: the upgraded A is online and serves production; B untouched; one install.
    expect(await requireAppliance(ctx(), a)).toMatchObject({ productVersion: '10.6.0', state: 'online' });
    expect((await requireAppliance(ctx(), b)).productVersion).toBe('10.5.2');
    expect(await resolveHostname(ctx(), hostname)).toBe(a);
    expect(await listInstalls(ctx(), a)).toHaveLength(1);
    expect(await auditSteps(ctx(), run.runId)).not.toContain(`w1#verify#${a}:succeeded`);
  });
});
