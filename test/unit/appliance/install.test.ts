import { describe, expect, it } from 'vitest';
import type { Appliance } from '../../../functions/platform/core/appliance.js';
import { assertRestorable } from '../../../functions/platform/core/backup-rules.js';
import { estimateInstallMinutes } from '../../../functions/platform/core/install.js';
import { installPhase, planInstall, secondsUntilOnline, settle, startedInstalling } from '../../../functions/emulator/core/install.js';
import { parseManifest, type PackageManifest } from '../../../functions/platform/core/packages.js';
import { sampleAppliance } from '../../helpers/fixtures.js';

const now = new Date('2026-11-01T00:00:00Z');
const appliance = (o: Partial<Appliance> = {}) => ({ ...sampleAppliance('x', o), version: 1 }) as Appliance;
const pkg = (version: string, o: Partial<PackageManifest> = {}) =>
  parseManifest({ format: 1, packageId: `bomgar-${version}`, kind: 'product', version, payload: { size: 1, sha256: 'b'.repeat(64) }, ...o });
const ctx = { now, msPerModelledMinute: 60_000 };

describe('install duration model', () => {
  it('takes 15 minutes plus a minute per 10 GB stored, without an upper bound', () => {
    expect(estimateInstallMinutes(0)).toBe(15);
    expect(estimateInstallMinutes(95)).toBe(25);
    expect(estimateInstallMinutes({ storedDataGb: 180 })).toBe(33);
    // No cap: the guide says "far longer" with much stored data (recordings), so 5 TB takes 8.6 h.
    expect(estimateInstallMinutes(5000)).toBe(515);
    for (let gb = 0; gb < 1000; gb += 37) expect(estimateInstallMinutes(gb)).toBeLessThanOrEqual(estimateInstallMinutes(gb + 37));
  });
});

describe('planInstall refusals', () => {
  it('plans the phases from the time scale', () => {
    const install = planInstall(appliance({ storedDataGb: 0 }), pkg('10.6.0'), { installId: 'i1' }, { now, msPerModelledMinute: 10 });
    expect(install).toMatchObject({ fromVersion: '10.5.2', targetVersion: '10.6.0', packageKind: 'product', startedAt: now.toISOString() });
    expect(Date.parse(install.onlineAt) - now.getTime()).toBe(150);
    expect(Date.parse(install.restartAt) - now.getTime()).toBe(100);
  });

  it('refuses a second install, downgrade, same version, prerequisites, established pair and stale backup', () => {
    const running = startedInstalling(appliance(), planInstall(appliance(), pkg('10.6.0'), { installId: 'i1' }, ctx));
    expect(() => planInstall(running, pkg('11.1.1'), { installId: 'i2' }, ctx)).toThrow(expect.objectContaining({ code: 'InstallInProgress', kind: 'conflict' }));
    expect(() => planInstall(appliance(), pkg('10.4.0'), { installId: 'i' }, ctx)).toThrow(expect.objectContaining({ code: 'Downgrade' }));
    expect(() => planInstall(appliance(), pkg('10.4.0'), { installId: 'i', force: true }, ctx)).toThrow(expect.objectContaining({ code: 'Downgrade' }));
    expect(() => planInstall(appliance(), pkg('10.5.2'), { installId: 'i' }, ctx)).toThrow(expect.objectContaining({ code: 'AlreadyInstalled', kind: 'conflict' }));
    expect(planInstall(appliance(), pkg('10.5.2'), { installId: 'i', force: true }, ctx).forced).toBe(true);
    expect(() => planInstall(appliance(), pkg('11.1.1', { requires: { minBaseVersion: '3.2.6' } }), { installId: 'i' }, ctx)).toThrow(
      "Bomgar-11.1.1: 3.2.4 does not satisfy 11.1.1's requirements",
    );
    const paired = appliance({ failover: { role: 'primary', pairId: 'p1', pairStatus: 'established' } });
    expect(() => planInstall(paired, pkg('10.6.0'), { installId: 'i' }, ctx)).toThrow(expect.objectContaining({ code: 'FailoverPairEstablished' }));
    expect(planInstall(paired, pkg('10.6.0'), { installId: 'i', requireBrokenFailover: false }, ctx).targetVersion).toBe('10.6.0');
    const broken = appliance({ failover: { role: 'primary', pairId: 'p1', pairStatus: 'broken' } });
    expect(planInstall(broken, pkg('10.6.0'), { installId: 'i' }, ctx).targetVersion).toBe('10.6.0');
    const needBackup = { installId: 'i', requireBackupWithinHours: 24 };
    expect(() => planInstall(appliance(), pkg('10.6.0'), needBackup, ctx)).toThrow(expect.objectContaining({ code: 'BackupRequired' }));
    expect(() => planInstall(appliance(), pkg('10.6.0'), needBackup, { ...ctx, latestBackupAt: '2026-10-30T00:00:00Z' })).toThrow(/younger than 24 h/);
    expect(planInstall(appliance(), pkg('10.6.0'), needBackup, { ...ctx, latestBackupAt: '2026-10-31T12:00:00Z' }).installId).toBe('i');
  });
});

describe('settle: the state is a function of the clock', () => {
  const start = (a: Appliance, version: string, o: { simulateFailure?: boolean } = {}) =>
    startedInstalling(a, planInstall(a, pkg(version), { installId: 'i1', ...o }, { now, msPerModelledMinute: 60_000 }));
  const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

  it('goes installing → restarting → online and sets the version once', () => {
    const a = start(appliance({ storedDataGb: 0 }), '10.6.0');
    expect(installPhase(a.install!, at(1))).toBe('installing');
    expect(settle(a, at(1)).changed).toBe(false);
    expect(secondsUntilOnline(a, at(1))).toBe(14 * 60);
    const restarting = settle(a, at(11));
    expect(restarting.appliance).toMatchObject({ state: 'restarting', productVersion: '10.5.2', stateChangedAt: at(10).toISOString() });
    const done = settle(restarting.appliance, at(15));
    expect(done.appliance).toMatchObject({ state: 'online', productVersion: '10.6.0', stateChangedAt: at(15).toISOString() });
    expect(done.appliance.install).toBeUndefined();
    expect(done.finished).toMatchObject({ outcome: 'online', fromVersion: '10.5.2', targetVersion: '10.6.0' });
    expect(done.crossed106).toBe(true);
    expect(settle(done.appliance, at(100)).changed).toBe(false);
  });

  it('ends failed with the old version on simulated failure; base packages change the base version', () => {
    const failed = settle(start(appliance(), '10.6.0', { simulateFailure: true }), at(60)).appliance;
    expect(failed).toMatchObject({ state: 'failed', productVersion: '10.5.2', lastInstall: { outcome: 'failed' } });
    const a = appliance({ storedDataGb: 0 });
    const base = startedInstalling(a, planInstall(a, pkg('3.2.6', { packageId: 'base-3.2.6', kind: 'base' }), { installId: 'b' }, ctx));
    const done = settle(base, at(15));
    expect(done.appliance).toMatchObject({ baseVersion: '3.2.6', productVersion: '10.5.2' });
    expect(done.crossed106).toBe(false);
  });
});

describe('backup restore compatibility', () => {
  it('allows same or newer appliance in the same major, refuses older or another major', () => {
    expect(() => assertRestorable('10.5.2', '10.5.2')).not.toThrow();
    expect(() => assertRestorable('10.5.2', '10.6.0')).not.toThrow();
    expect(() => assertRestorable('10.6.0', '10.5.2')).toThrow(expect.objectContaining({ code: 'IncompatibleBackup' }));
    expect(() => assertRestorable('10.6.0', '11.1.1')).toThrow(/cannot be restored/);
    expect(() => assertRestorable(undefined, '11.1.1')).toThrow(/does not record/);
  });
});
