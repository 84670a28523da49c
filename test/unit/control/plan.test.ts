import { describe, expect, it } from 'vitest';
import { isIpTarget, planUpgrade, type ApplianceFacts, type PlanInput } from '../../../functions/core/plan.js';
import type { Appliance } from '../../../functions/core/appliance.js';
import { estimateInstallMinutes } from '../../../functions/core/install.js';
import { sampleAppliance } from '../../helpers/fixtures.js';

const NOW = '2026-11-01T12:00:00.000Z';
const appliance = (id: string, overrides: Partial<Appliance> = {}): Appliance => ({ ...sampleAppliance(id, overrides), version: 1 });
const facts = (a: Appliance, extra: Partial<ApplianceFacts> = {}): ApplianceFacts => ({ appliance: a, lastBackupAt: '2026-11-01T10:00:00.000Z', ...extra });
const inSync = { pairId: 'p1', pairStatus: 'established' as const, lastSyncAt: '2026-11-01T11:55:00.000Z', lastSyncStatus: 'ok' };
const A = appliance('a', { productVersion: '11.1.0', baseVersion: '3.2.6', storedDataGb: 60, failover: { ...inSync, role: 'primary' } });
const B = appliance('b', { productVersion: '11.1.0', baseVersion: '3.2.6', storedDataGb: 20, failover: { ...inSync, role: 'backup' } });
const pkg = { packageId: 'bomgar-11.1.1', name: 'Bomgar-11.1.1', version: '11.1.1', prerequisites: { minBaseVersion: '3.2.6' } };
const dnsOnA = { hostname: 'support.example.com', resolvesTo: 'a' };
const input = (over: Partial<PlanInput> = {}): PlanInput => ({ package: pkg, primary: facts(A), backup: facts(B), now: NOW, estimateInstallMinutes, primaryHostname: dnsOnA, ...over });

describe('planUpgrade for a failover pair', () => {
  it('lists both options with the guide\'s steps per window and their production downtime', () => {
    const plan = planUpgrade(input());
    const [o1, o2] = plan.options;
    expect(o1!.steps.map((s) => `${s.window}:${s.action}:${s.applianceId ?? ''}`)).toEqual([
      '1:backup:', '1:force-sync:b', '1:break-failover:', '1:install:a', '1:verify:a', '2:install:b', '2:reestablish-failover:', '2:resync:',
    ]);
    expect(o2!.steps.map((s) => `${s.window}:${s.action}:${s.applianceId ?? ''}`)).toEqual([
      '1:backup:', '1:force-sync:b', '1:break-failover:', '1:install:b', '1:dns-switch:b', '1:verify:b', '2:install:a', '2:reestablish-failover:', '2:resync:',
    ]);
    // Option 1: production is down for A's whole install (60 GB: 15 + 6 = 21 min); option 2 only the DNS cutover.
    const installA = estimateInstallMinutes(A);
    const installB = estimateInstallMinutes(B);
    expect(installA).toBe(21);
    expect(o1!.productionDowntimeMinutes).toBe(installA);
    expect(o2!.productionDowntimeMinutes).toBe(5);
    expect(o1!.windowMinutes).toEqual([5 + 10 + 1 + installA + 10, installB + 2 + 10]);
    expect(plan.risks).toEqual([]);
    expect(plan.recommendation.option).toBe('option2');
  });

  it('plans a base software package against the base version, not the product version', () => {
    const base = { packageId: 'base-3.2.6', name: 'Base Software-3.2.6', version: '3.2.6', kind: 'base' as const, prerequisites: {} };
    const old = (id: string, role: 'primary' | 'backup') => appliance(id, { productVersion: '10.5.2', baseVersion: '3.2.4', failover: { ...inSync, role } });
    const plan = planUpgrade(input({ package: base, primary: facts(old('a', 'primary')), backup: facts(old('b', 'backup')) }));
    expect(plan.risks.filter((r) => r.severity === 'blocker')).toEqual([]); // 10.5.2 > 3.2.6 is not a downgrade
    expect(plan.options.every((o) => !o.blocked)).toBe(true);
    const done = planUpgrade(input({ package: base, primary: facts(A), backup: facts(B) })); // both at base 3.2.6
    expect(done.risks.map((r) => r.code)).toContain('AlreadyAtTarget');
    const newer = planUpgrade(input({ package: base, primary: facts(appliance('a', { ...A, baseVersion: '3.3.0' })) }));
    expect(newer.risks.map((r) => `${r.code}:${r.severity}`)).toContain('Downgrade:blocker');
  });

  it('blocks on an unmet prerequisite with the vendor\'s wording', () => {
    const old = appliance('a', { ...A, baseVersion: '3.2.4' });
    const plan = planUpgrade(input({ primary: facts(old) }));
    const risk = plan.risks.find((r) => r.code === 'PrerequisiteUnmet');
    expect(risk).toMatchObject({ severity: 'blocker', applianceId: 'a' });
    // The appliance's own wording (core/packages.ts), so plan and preflight say the same.
    expect(risk!.message).toContain("Bomgar-11.1.1: 3.2.4 does not satisfy 11.1.1's requirements");
    expect(plan.options.every((o) => o.blocked)).toBe(true);
    expect(plan.recommendation.option).toBeNull();
  });

  it('flags a pair that is not in sync, a stale backup, and IP-configured integrations (option 2 only)', () => {
    const stale = appliance('b', { ...B, failover: { ...B.failover, lastSyncStatus: 'failed' } });
    const plan = planUpgrade(
      input({
        backup: facts(stale, { lastBackupAt: '2026-10-20T00:00:00.000Z' }),
        integrations: [
          { integrationId: 'rep', name: 'ic-reporting', target: '10.0.0.21', reachesBackupAfterSwap: false, reason: 'configured by IP 10.0.0.21 (a)' },
          { integrationId: 'hr', name: 'ic-hr', target: 'support.example.com', reachesBackupAfterSwap: true },
        ],
      }),
    );
    const codes = plan.risks.map((r) => r.code);
    expect(codes).toEqual(expect.arrayContaining(['PairNotInSync', 'StaleBackup', 'IntegrationByIp']));
    expect(plan.risks.find((r) => r.code === 'IntegrationByIp')!.options).toEqual(['option2']);
    expect(plan.risks.find((r) => r.code === 'IntegrationByIp')!.message).toContain('10.0.0.21');
    expect(plan.risks.find((r) => r.code === 'IntegrationByIp')!.message).not.toContain('ic-hr');
    expect(plan.options[1]!.steps.some((s) => s.action === 'check-integrations')).toBe(true);
    expect(plan.recommendation.option).toBe('option1');
    expect(plan.recommendation.reason).toMatch(/configured by IP/);
  });

  it('warns about the pre-10.6 session gap and adds an extraction step before re-establishing', () => {
    const oldA = appliance('a', { ...A, productVersion: '10.5.2' });
    const oldB = appliance('b', { ...B, productVersion: '10.5.2' });
    const plan = planUpgrade(input({ primary: facts(oldA), backup: facts(oldB) }));
    expect(plan.risks.map((r) => r.code)).toEqual(expect.arrayContaining(['Pre106SessionGap', 'LsidFormatChange']));
    for (const o of plan.options) {
      const actions = o.steps.map((s) => s.action);
      expect(actions.indexOf('extract-sessions')).toBeGreaterThan(-1);
      expect(actions.indexOf('extract-sessions')).toBeLessThan(actions.indexOf('reestablish-failover'));
    }
  });

  it('refuses unexpected roles and downgrades, and flags windows booked too short', () => {
    const swapped = planUpgrade(input({ primary: facts(B), backup: facts(A) }));
    expect(swapped.risks.find((r) => r.code === 'PairRolesUnexpected')?.severity).toBe('blocker');
    const newer = planUpgrade(input({ primary: facts(appliance('a', { ...A, productVersion: '12.0.0' })) }));
    expect(newer.risks.find((r) => r.code === 'Downgrade')?.severity).toBe('blocker');
    const short = planUpgrade(input({ windowMinutes: [30, 120] }));
    expect(short.risks.filter((r) => r.code === 'WindowTooShort').map((r) => r.options[0])).toEqual(['option1', 'option2']);
  });

  it('uses the injected install estimator', () => {
    const plan = planUpgrade(input({ estimateInstallMinutes: (a) => (a.applianceId === 'a' ? 200 : 1) }));
    expect(plan.options[0]!.productionDowntimeMinutes).toBe(200);
  });
});

describe('planUpgrade for a single appliance', () => {
  it('has one window and recommends it when nothing blocks', () => {
    const plan = planUpgrade(input({ backup: undefined, primary: facts(appliance('s', { productVersion: '11.1.0', baseVersion: '3.2.6', storedDataGb: 0 })) }));
    expect(plan.kind).toBe('single');
    expect(plan.options.map((o) => o.option)).toEqual(['single']);
    expect(plan.options[0]!.productionDowntimeMinutes).toBe(15);
    expect(plan.recommendation.option).toBe('single');
  });
});

describe('helpers', () => {
  it('tells IP targets from hostnames', () => {
    expect(['10.1.2.3', '::1', 'fe80::1'].map(isIpTarget)).toEqual([true, true, true]);
    expect(['support.example.com', 'ic01', '999.1.1.1'].map(isIpTarget)).toEqual([false, false, false]);
  });
});
