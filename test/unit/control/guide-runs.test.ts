/**
 * The upgrade guide's rules on runs, in the application layer over the in-memory stores: backups by
 * version, the 10.6 start gates (API users, Integration Client order), maintenance holds kept by the
 * appliance, approval after the checks, and idempotent approve and cancel.
 */
import { describe, expect, it } from 'vitest';
import { noteApiCall } from '../../../functions/emulator/app/api-usage.js';
import { createAppliance, requireAppliance, updateAppliance } from '../../../functions/emulator/app/appliance-store.js';
import { seedPackageCatalog } from '../../../functions/emulator/app/appliance-seed.js';
import { backupThatCounts, createBackup } from '../../../functions/emulator/app/backups.js';
import type { AppContext } from '../../../functions/platform/app/context.js';
import { breakPair, establishPair, setFailoverRole } from '../../../functions/emulator/app/failover-pairs.js';
import { exportIntegrationClient } from '../../../functions/emulator/app/ic-export.js';
import { startInstall } from '../../../functions/emulator/app/install.js';
import { getApplianceHold, holdAppliance } from '../../../functions/emulator/app/maintenance-holds.js';
import { putIntegrationClient, switchPrimaryHostname } from '../../../functions/emulator/app/primary-hostname.js';
import { reconcileRun } from '../../../functions/control-plane/app/run-progress.js';
import { listAudit, requireRun, updateRun } from '../../../functions/control-plane/app/run-store.js';
import { acknowledgeRun, approveInterim, cancelRun, createUpgradeRun, overrideInterim, recordWindowOutcome, startRunWindow } from '../../../functions/control-plane/app/runs.js';
import type { Appliance } from '../../../functions/platform/core/appliance.js';
import { sampleAppliance } from '../../helpers/fixtures.js';
import { FakeClock, memoryContext } from '../../helpers/memory-context.js';
import { recordingEngine } from '../../helpers/recording-engine.js';

const NOW = new Date('2026-11-01T00:00:00Z');
const windows = [
  { start: '2026-11-01T16:00:00Z', durationMinutes: 240, timeZone: 'Asia/Tokyo' },
  { start: '2026-11-02T16:00:00Z', durationMinutes: 240, timeZone: 'Asia/Tokyo' },
];

/** A real pair a (primary, hostname on a) / b at `version`, with the catalog seeded, on the memory stores. */
async function pairCtx(version = '10.5.2', over: Partial<Appliance> = {}) {
  const clock = new FakeClock(NOW);
  const rec = recordingEngine();
  const ctx: AppContext = { ...memoryContext({ clock }), workflows: rec.engine };
  await seedPackageCatalog(ctx);
  const license = { primaryHostname: 'support.example.com', licenseCount: 15, expires: null };
  await createAppliance(ctx, sampleAppliance('a', { productVersion: version, ipAddress: '10.0.0.1', license, ...over }));
  await createAppliance(ctx, sampleAppliance('b', { productVersion: version, ipAddress: '10.0.0.2', license, ...over }));
  const { pair } = await establishPair(ctx, { primaryId: 'a', backupId: 'b' });
  await switchPrimaryHostname(ctx, 'support.example.com', 'a');
  return { ctx, clock, pairId: pair.pairId, ...rec };
}

const newRun = (ctx: AppContext, pairId: string, runId = 'r1', targetVersion = '10.6.0') =>
  createUpgradeRun(ctx, { runId, option: 'option2', packageId: `bomgar-${targetVersion}`, targetVersion, primaryId: 'a', backupId: 'b', pairId, windows }, 'olivia');

describe('[常にアップグレードの前にバックアップ: a backup of this version\'s settings]', () => {
  it('a backup counts only at the current version and after the last settings change (a licence change is one)', async () => {
    const { ctx, clock } = await pairCtx();
    const backup = await createBackup(ctx, 'a');
    expect((await backupThatCounts(ctx, await requireAppliance(ctx, 'a'), 24)).backup?.backupId).toBe(backup.backupId);
    clock.advance(60_000);
    await updateAppliance(ctx, 'a', (x) => ({ ...x, license: { ...x.license, licenseCount: 30 } }));
    const afterChange = await requireAppliance(ctx, 'a');
    expect(afterChange.settingsChangedAt).toBe(clock.now().toISOString());
    const verdict = await backupThatCounts(ctx, afterChange, 24);
    expect(verdict.backup).toBeUndefined();
    expect(verdict.reason).toMatch(/predates the last settings change/);
    // A state change is not a settings change.
    const fresh = await createBackup(ctx, 'a');
    clock.advance(60_000);
    await updateAppliance(ctx, 'a', (x) => ({ ...x, stateChangedAt: clock.now().toISOString() }));
    expect((await backupThatCounts(ctx, await requireAppliance(ctx, 'a'), 24)).backup?.backupId).toBe(fresh.backupId);
    // Another version: the backup no longer restores onto the result.
    await updateAppliance(ctx, 'a', (x) => ({ ...x, productVersion: '10.6.1' }));
    expect((await backupThatCounts(ctx, await requireAppliance(ctx, 'a'), 24)).reason).toMatch(/taken at 10\.5\.2, the appliance runs 10\.6\.1/);
  });
});

describe('[補足: 10.6 より前のバージョンからアップグレードする前に] start gates of a window crossing 10.6', () => {
  it('[LSID および LSEQ: API users] a run does not start while API users of its appliances are unacknowledged; the acknowledgement is audited and covers exactly who was listed', async () => {
    const { ctx, pairId, started } = await pairCtx();
    await noteApiCall(ctx, { applianceId: 'a', kind: 'api-account', principalId: 'crm', name: 'CRM sync', lastCall: 'reporting:SupportSession' });
    await newRun(ctx, pairId);
    await expect(startRunWindow(ctx, 'r1', 1, 'olivia')).rejects.toMatchObject({ code: 'ApiUsersNotAcknowledged', details: { apiUsers: [expect.objectContaining({ principalId: 'crm' })] } });
    expect((await requireRun(ctx, 'r1')).status).toBe('scheduled');
    await expect(acknowledgeRun(ctx, 'r1', 'olivia', 'api-users', ' ')).rejects.toMatchObject({ code: 'ReasonRequired' });
    await acknowledgeRun(ctx, 'r1', 'olivia', 'api-users', 'CRM team confirmed string lsid, lseq and namespaced parsing');
    // A new API user after the acknowledgement needs a new one.
    await noteApiCall(ctx, { applianceId: 'b', kind: 'user', principalId: 'admin', name: 'admin', lastCall: 'command:get_api_info' });
    await expect(startRunWindow(ctx, 'r1', 1, 'olivia')).rejects.toMatchObject({ code: 'ApiUsersNotAcknowledged', details: { apiUsers: [expect.objectContaining({ principalId: 'admin' })] } });
    await acknowledgeRun(ctx, 'r1', 'olivia', 'api-users', 'admin scripts checked');
    await startRunWindow(ctx, 'r1', 1, 'olivia');
    expect(started).toHaveLength(1);
    const audit = await listAudit(ctx, 'r1');
    expect(audit.filter((e) => e.step === 'run.acknowledge-api-users').map((e) => e.detail)).toEqual([expect.stringContaining('a:api-account:crm'), expect.stringContaining('b:user:admin')]);
  });

  it('[統合クライアントのアップグレード → Bomgar ソフトウェアのアップグレード: upgrade the Integration Client first] a run refuses to start while a registered Integration Client is older than 10.6, unless overridden with a reason', async () => {
    const { ctx, pairId, started } = await pairCtx();
    await putIntegrationClient(ctx, pairId, { integrationId: 'ic-sql', name: 'IC SQL', target: { kind: 'hostname', hostname: 'support.example.com' }, version: '10.5.0' });
    await newRun(ctx, pairId);
    await expect(startRunWindow(ctx, 'r1', 1, 'olivia')).rejects.toMatchObject({ code: 'IntegrationClientTooOld', details: { integrationClients: [{ integrationId: 'ic-sql', name: 'IC SQL', version: '10.5.0' }] } });
    // Upgrading the Integration Client (its registration says so) opens the gate.
    await putIntegrationClient(ctx, pairId, { integrationId: 'ic-sql', name: 'IC SQL', target: { kind: 'hostname', hostname: 'support.example.com' }, version: '10.6.0' });
    await startRunWindow(ctx, 'r1', 1, 'olivia');
    expect(started).toHaveLength(1);

    const second = await pairCtx();
    await putIntegrationClient(second.ctx, second.pairId, { integrationId: 'ic-old', name: 'IC old', target: { kind: 'ip', ipAddress: '10.0.0.1' } });
    await newRun(second.ctx, second.pairId);
    await expect(startRunWindow(second.ctx, 'r1', 1, 'olivia')).rejects.toMatchObject({ code: 'IntegrationClientTooOld' });
    await acknowledgeRun(second.ctx, 'r1', 'olivia', 'integration-clients', 'IC retired after this upgrade; its reports are rebuilt');
    await startRunWindow(second.ctx, 'r1', 1, 'olivia');
    expect((await listAudit(second.ctx, 'r1')).map((e) => e.step)).toContain('run.override-integration-client-order');
  });

  it('an upgrade that does not cross 10.6 has no such gate; nothing to acknowledge is refused', async () => {
    const { ctx, pairId } = await pairCtx('10.6.0');
    await noteApiCall(ctx, { applianceId: 'a', kind: 'api-account', principalId: 'crm', name: 'CRM sync', lastCall: 'reporting:SupportSession' });
    await createUpgradeRun(ctx, { runId: 'r1', option: 'option2', packageId: 'bomgar-11.1.1', targetVersion: '11.1.1', primaryId: 'a', backupId: 'b', pairId, windows }, 'olivia');
    await expect(acknowledgeRun(ctx, 'r1', 'olivia', 'integration-clients', 'none')).rejects.toMatchObject({ code: 'NothingToAcknowledge' });
    expect((await startRunWindow(ctx, 'r1', 1, 'olivia')).status).toBe('window1-running');
  });
});

describe('[nothing else touches an appliance a run holds] maintenance holds kept by the appliance', () => {
  it('a direct install or failover change on a held appliance is refused (409 naming the run); the run\'s own token passes; closing releases', async () => {
    const { ctx, pairId } = await pairCtx();
    await newRun(ctx, pairId);
    expect(await getApplianceHold(ctx, 'a')).toMatchObject({ held: true, owner: 'r1' });
    await expect(startInstall(ctx, 'a', 'bomgar-10.6.0', { requireBrokenFailover: false })).rejects.toMatchObject({ code: 'ApplianceHeld', kind: 'conflict', details: { holder: 'r1' } });
    await expect(breakPair(ctx, 'b')).rejects.toMatchObject({ code: 'ApplianceHeld', message: expect.stringContaining('r1') });
    await expect(setFailoverRole(ctx, 'b', 'primary', { dataSyncFirst: true })).rejects.toMatchObject({ code: 'ApplianceHeld' });
    expect((await requireAppliance(ctx, 'a')).failover.pairStatus).toBe('established');
    expect((await requireAppliance(ctx, 'a')).state).toBe('online');
    // Another control plane cannot take the hold over.
    await expect(holdAppliance(ctx, 'a', { owner: 'intruder', token: 'x'.repeat(32), expiresAt: '2026-12-01T00:00:00Z' })).rejects.toMatchObject({ code: 'ApplianceHeld' });

    await cancelRun(ctx, 'r1', 'olivia', 'replanned');
    expect(await getApplianceHold(ctx, 'a')).toEqual({ applianceId: 'a', held: false });
    expect((await requireRun(ctx, 'r1')).holds?.releasedAt).toBeDefined();
    expect((await breakPair(ctx, 'a')).changed).toBe(true);
  });

  it('a hold lapses by itself a day after the run\'s last window (a control plane that never came back cannot lock it forever)', async () => {
    const { ctx, clock, pairId } = await pairCtx();
    await newRun(ctx, pairId);
    clock.set(new Date('2026-11-03T19:59:59Z')); // window 2 ended 2026-11-02T20:00Z
    expect(await getApplianceHold(ctx, 'a')).toMatchObject({ held: true });
    clock.set(new Date('2026-11-03T20:00:00Z'));
    expect(await getApplianceHold(ctx, 'a')).toMatchObject({ held: false });
    expect((await breakPair(ctx, 'a')).changed).toBe(true);
  });
});

describe('[暫定期間: verify the new version in the interim] approval after the checks, idempotent approve and cancel', () => {
  async function inInterim(checks?: { passed: boolean }) {
    const f = await pairCtx('10.6.0');
    await createUpgradeRun(f.ctx, { runId: 'r1', option: 'option2', packageId: 'bomgar-11.1.1', targetVersion: '11.1.1', primaryId: 'a', backupId: 'b', pairId: f.pairId, windows }, 'olivia');
    await startRunWindow(f.ctx, 'r1', 1, 'olivia');
    await recordWindowOutcome(f.ctx, 'r1', 1, { ok: true });
    if (checks) await updateRun(f.ctx, 'r1', (r) => ({ ...r, interim: { ...r.interim, checks: { passed: checks.passed, checkedAt: 'now', results: [{ name: 'version', passed: checks.passed, detail: 'b runs 11.1.1' }] } } }));
    return f;
  }

  it('an approval is accepted only once the automated checks finished and passed; otherwise only an override with a reason', async () => {
    const pending = await inInterim();
    await expect(approveInterim(pending.ctx, 'r1', 'amy', { comment: 'looks fine' })).rejects.toMatchObject({ code: 'InterimChecksPending' });
    const failed = await inInterim({ passed: false });
    await expect(approveInterim(failed.ctx, 'r1', 'amy')).rejects.toMatchObject({ code: 'InterimChecksFailed', details: { failed: ['version'] } });
    expect((await requireRun(failed.ctx, 'r1')).interim.approval).toBeUndefined();
    await overrideInterim(failed.ctx, 'r1', 'amy', 'version check flaky; verified by hand on /login');
    expect((await startRunWindow(failed.ctx, 'r1', 2, 'olivia')).status).toBe('window2-running');

    const passed = await inInterim({ passed: true });
    const run = await approveInterim(passed.ctx, 'r1', 'amy', { comment: '  B verified in production  ' });
    expect(run.interim.approval).toMatchObject({ by: 'amy', comment: 'B verified in production' });
    expect((await listAudit(passed.ctx, 'r1')).find((e) => e.step === 'interim.approve')?.detail).toBe('comment: B verified in production');
  });

  it('20 concurrent approvals by one approver all get the same answer, written once; another approver gets 409 naming the first', async () => {
    const { ctx } = await inInterim({ passed: true });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => approveInterim(ctx, 'r1', 'amy', { comment: `try ${i}` })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const approvals = results.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof approveInterim>>>).value.interim.approval);
    expect(new Set(approvals.map((a) => JSON.stringify(a))).size).toBe(1);
    expect((await listAudit(ctx, 'r1')).filter((e) => e.step === 'interim.approve')).toHaveLength(1);
    await expect(approveInterim(ctx, 'r1', 'bob')).rejects.toMatchObject({ code: 'AlreadyApproved', kind: 'conflict', details: { approvedBy: 'amy' } });
    expect((await requireRun(ctx, 'r1')).interim.approval?.by).toBe('amy');
  });

  it('20 concurrent cancels by one operator all get the same answer; another operator gets 409 naming the first', async () => {
    const { ctx } = await inInterim({ passed: true });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => cancelRun(ctx, 'r1', 'olivia', 'change freeze')));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(new Set(results.map((r) => JSON.stringify((r as PromiseFulfilledResult<Awaited<ReturnType<typeof cancelRun>>>).value.cancelRequested))).size).toBe(1);
    expect((await listAudit(ctx, 'r1')).filter((e) => e.step === 'run.cancel')).toHaveLength(1);
    await expect(cancelRun(ctx, 'r1', 'carol', 'me too')).rejects.toMatchObject({ code: 'AlreadyCancelled', details: { cancelledBy: 'olivia' } });
    expect((await reconcileRun(ctx, await requireRun(ctx, 'r1'))).status).toBe('cancelled');
  });
});

describe('[統合クライアントではエンタープライズライセンスが要求されます] Integration Client exports', () => {
  it('need an enterprise licence on the appliance', async () => {
    const ctx = memoryContext();
    await createAppliance(ctx, sampleAppliance('std', { license: { primaryHostname: 's.example.com', licenseCount: 5, expires: null, edition: 'standard' } }));
    await createAppliance(ctx, sampleAppliance('ent', { license: { primaryHostname: 'e.example.com', licenseCount: 5, expires: null, edition: 'enterprise' } }));
    await expect(exportIntegrationClient(ctx, 'std')).rejects.toMatchObject({ code: 'EnterpriseLicenseRequired' });
    expect((await ctx.blobs.exports.list('integration-client/std/')).length).toBe(0);
    expect((await exportIntegrationClient(ctx, 'ent')).sessionCount).toBe(0);
  });
});
