import { describe, expect, it } from 'vitest';
import { isIpTarget, planUpgrade, type ApplianceFacts, type PlanInput } from '../../../functions/control-plane/core/plan.js';
import type { Appliance } from '../../../functions/platform/core/appliance.js';
import { estimateInstallMinutes } from '../../../functions/platform/core/install.js';
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
      '1:backup:', '1:force-sync:b', '1:break-failover:', '1:install:a', '1:verify:a', '2:backup:', '2:install:b', '2:verify:b', '2:reestablish-failover:', '2:resync:', '2:console-report:',
    ]);
    expect(o2!.steps.map((s) => `${s.window}:${s.action}:${s.applianceId ?? ''}`)).toEqual([
      // Execution order (statemachines/failover-option2.asl.json): B is verified before the DNS change moves production to it.
      '1:backup:', '1:force-sync:b', '1:break-failover:', '1:install:b', '1:verify:b', '1:dns-switch:b', '2:backup:', '2:install:a', '2:verify:a', '2:reestablish-failover:', '2:resync:', '2:console-report:',
    ]);
    // Option 1: production is down for A's whole install (60 GB: 15 + 6 = 21 min); option 2 only the DNS cutover.
    const installA = estimateInstallMinutes(A);
    const installB = estimateInstallMinutes(B);
    expect(installA).toBe(21);
    expect(o1!.productionDowntimeMinutes).toBe(installA);
    expect(o2!.productionDowntimeMinutes).toBe(5);
    expect(o1!.windowMinutes).toEqual([5 + 10 + 1 + installA + 10, 5 + installB + 10 + 2 + 10]);
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

describe('the upgrade guide, rule by rule (dry-run plans)', () => {
  const old = (id: string, role: 'primary' | 'backup', over: Partial<Appliance> = {}) => appliance(id, { productVersion: '10.5.2', baseVersion: '3.2.4', storedDataGb: 20, failover: { ...inSync, role }, ...over });
  const to106 = { packageId: 'bomgar-10.6.0', name: 'Bomgar-10.6.0', version: '10.6.0', prerequisites: { minBaseVersion: '3.2.4' } };
  const oldPair = (over: Partial<PlanInput> = {}) => input({ package: to106, primary: facts(old('a', 'primary')), backup: facts(old('b', 'backup')), ...over });

  it('[手動アップデート: failover pairs install a package from support by "Update Software"] the package\'s own signed rules decide, worded as the appliance words them', () => {
    const uploaded = { ...pkg, source: 'upload' as const, requires: { minBaseVersion: '3.2.6', license: { notExpired: true } } };
    const expired = appliance('a', { ...A, license: { ...A.license, expires: '2026-10-01T00:00:00.000Z' } });
    const plan = planUpgrade(input({ package: uploaded, primary: facts(expired) }));
    const blocker = plan.risks.find((r) => r.code === 'PrerequisiteUnmet');
    expect(blocker?.message).toBe('a: Bomgar-11.1.1: the license expired on 2026-10-01T00:00:00.000Z');
    expect(plan.options.every((o) => o.blocked)).toBe(true);
    const ok = planUpgrade(input({ package: uploaded }));
    expect(ok.options[0]!.steps.find((s) => s.action === 'install')!.description).toContain('manual update ("Update Software") with the uploaded signed package');
    expect(ok.risks.map((r) => r.code)).not.toContain('ManualUpdate');
  });

  it('[インストールには通常 15 分から 1 時間…かなり長く: install time grows with stored data, no cap] a 2 TB pair: option 1 is down for the whole long install, and a short window is flagged', () => {
    const big = (id: string, role: 'primary' | 'backup') => appliance(id, { ...A, applianceId: id, storedDataGb: 2000, failover: { ...inSync, role } });
    const plan = planUpgrade(input({ primary: facts(big('a', 'primary')), backup: facts(big('b', 'backup')), windowMinutes: [180, 180] }));
    expect(plan.options[0]!.productionDowntimeMinutes).toBe(215); // 15 + 2000/10
    expect(plan.risks.filter((r) => r.code === 'WindowTooShort').map((r) => r.options[0])).toEqual(['option1', 'option1', 'option2', 'option2']);
  });

  it('[常にアップグレードの前にバックアップをダウンロード: always download a backup first] a backup counts only at the current version and after the last settings change; the plan says which to download', () => {
    const at1061 = appliance('a', { ...A, productVersion: '11.1.0' });
    const earlier = facts(at1061, { latestBackup: { backupId: 'b-old', productVersion: '10.5.2', createdAt: '2026-11-01T11:00:00.000Z' } });
    const plan = planUpgrade(input({ primary: earlier }));
    expect(plan.risks.find((r) => r.code === 'StaleBackup' && r.applianceId === 'a')?.message).toMatch(/taken at 10\.5\.2, the appliance runs 11\.1\.0/);
    expect(plan.backups.find((b) => b.applianceId === 'a')).toMatchObject({ productVersion: '11.1.0', downloadPath: '/appliances/a/login/software-management/backups' });
    expect(plan.backups.find((b) => b.applianceId === 'a')!.backupId).toBeUndefined();

    const changed = appliance('a', { ...A, settingsChangedAt: '2026-11-01T11:30:00.000Z' });
    const beforeChange = planUpgrade(input({ primary: facts(changed, { latestBackup: { backupId: 'b1', productVersion: '11.1.0', createdAt: '2026-11-01T11:00:00.000Z' } }) }));
    expect(beforeChange.risks.find((r) => r.code === 'StaleBackup')?.message).toMatch(/predates the last settings change/);

    const current = planUpgrade(input({ primary: facts(A, { latestBackup: { backupId: 'b2', productVersion: '11.1.0', createdAt: '2026-11-01T11:45:00.000Z', downloadPath: '/appliances/a/login/software-management/backups/b2' } }) }));
    expect(current.risks.filter((r) => r.code === 'StaleBackup' && r.applianceId === 'a')).toEqual([]);
    expect(current.backups[0]).toMatchObject({ applianceId: 'a', backupId: 'b2', downloadPath: '/appliances/a/login/software-management/backups/b2' });
    expect(current.options[0]!.steps[0]!.description).toContain('GET /appliances/a/login/software-management/backups/b2');
  });

  it('[プライマリホスト名が解決するアプライアンス (A): A is the appliance the primary hostname resolves to] a hostname on B, or without a record, blocks both options', () => {
    const onB = planUpgrade(input({ primaryHostname: { hostname: 'support.example.com', resolvesTo: 'b' } }));
    expect(onB.risks.find((r) => r.code === 'PrimaryHostnameNotOnPrimary')).toMatchObject({ severity: 'blocker', options: ['option1', 'option2'] });
    expect(onB.risks.find((r) => r.code === 'PrimaryHostnameNotOnPrimary')!.message).toContain('support.example.com resolves to b');
    expect(onB.recommendation.option).toBeNull();
    expect(planUpgrade(input({ primaryHostname: { hostname: 'support.example.com' } })).options.every((o) => o.blocked)).toBe(true);
    expect(planUpgrade(input()).risks.map((r) => r.code)).not.toContain('PrimaryHostnameNotOnPrimary');
  });

  it('[統合クライアントを IP で構成: an IP-configured Integration Client must be able to extract from B] the pair\'s registrations decide; option 2 is recommended only when B can be reached', () => {
    const reachable = planUpgrade(input({ integrations: [{ integrationId: 'ic', name: 'ic-sql', target: '10.0.0.2', reachesBackupAfterSwap: true }] }));
    expect(reachable.recommendation.option).toBe('option2');
    expect(reachable.integrations).toHaveLength(1);
    expect(reachable.options[1]!.steps.some((s) => s.action === 'check-integrations')).toBe(true);
    const stranded = planUpgrade(input({ integrations: [{ integrationId: 'ic', name: 'ic-sql', target: '10.0.0.1', reachesBackupAfterSwap: false, reason: 'configured by IP 10.0.0.1 (a)' }] }));
    expect(stranded.risks.find((r) => r.code === 'IntegrationByIp')).toMatchObject({ options: ['option2'] });
    expect(stranded.recommendation.option).toBe('option1');
  });

  it('[レポートの変更 → 統合クライアントのアップグレード → Bomgar のアップグレード: upgrade the Integration Client before the appliance] a plan crossing 10.6 upgrades it before the install and flags old ones', () => {
    const plan = planUpgrade(oldPair({ integrations: [{ integrationId: 'ic', name: 'ic-sql', target: 'support.example.com', version: '10.5.0', reachesBackupAfterSwap: true }, { integrationId: 'ic2', name: 'ic-new', target: 'support.example.com', version: '10.6.1', reachesBackupAfterSwap: true }] }));
    for (const o of plan.options) {
      const actions = o.steps.map((s) => s.action);
      expect(actions.indexOf('upgrade-integration-client')).toBeGreaterThan(-1);
      expect(actions.indexOf('upgrade-integration-client')).toBeLessThan(actions.indexOf('install'));
    }
    const risk = plan.risks.find((r) => r.code === 'IntegrationClientTooOld')!;
    expect(risk.message).toContain('ic-sql (10.5.0)');
    expect(risk.message).not.toContain('ic-new');
    // Not crossing 10.6: no Integration Client step.
    expect(planUpgrade(input({ integrations: [{ integrationId: 'ic', name: 'ic-sql', target: 'x.example.com', version: '10.5.0', reachesBackupAfterSwap: true }] })).options[0]!.steps.map((s) => s.action)).not.toContain('upgrade-integration-client');
  });

  it('[LSID および LSEQ: Bomgar API のユーザーのために: API users check LSID, LSEQ and namespaces before 10.6] the plan lists the API users with the three checks', () => {
    const users = [{ applianceId: 'a', kind: 'api-account' as const, principalId: 'client-1', name: 'CRM sync', lastCallAt: '2026-10-30T10:00:00.000Z', lastCall: 'reporting:SupportSession' }];
    const plan = planUpgrade(oldPair({ primary: facts(old('a', 'primary'), { apiUsers: users }) }));
    expect(plan.apiUsers?.users).toEqual(users);
    expect(plan.apiUsers?.checks.join(' ')).toMatch(/LSID.*string.*LSEQ.*namespace/is);
    expect(plan.risks.find((r) => r.code === 'ApiUsersMustPrepare')?.message).toContain('CRM sync');
    const steps = plan.options[0]!.steps.map((s) => s.action);
    expect(steps.indexOf('check-api-integrations')).toBeLessThan(steps.indexOf('install'));
    // Not crossing 10.6 (11.1.0 → 11.1.1): nothing to prepare.
    expect(planUpgrade(input({ primary: facts(A, { apiUsers: users }) })).apiUsers).toBeUndefined();
  });

  it('[暫定期間…なるべく短い期間: keep the interim without failover as short as possible] windows three days apart are a risk; the plan says how long the pair runs without failover', () => {
    const windows = [
      { start: '2026-11-02T16:00:00.000Z', durationMinutes: 180, timeZone: 'Asia/Tokyo' },
      { start: '2026-11-05T16:00:00.000Z', durationMinutes: 180, timeZone: 'Asia/Tokyo' },
    ];
    const plan = planUpgrade(input({ windows }));
    const [o1] = plan.options;
    // Broken 16 min into window 1 (backup, sync, break), re-established after window 2's preflight (5 min),
    // B's 17-min install, its verification (10 min) and the re-establish itself (2 min).
    expect(o1!.withoutFailoverMinutes).toBe(3 * 24 * 60 - 16 + 5 + 17 + 10 + 2);
    expect(plan.risks.filter((r) => r.code === 'LongInterim').map((r) => r.options[0])).toEqual(['option1', 'option2']);
    const nextDay = planUpgrade(input({ windows: [windows[0]!, { ...windows[1]!, start: '2026-11-03T16:00:00.000Z' }] }));
    expect(nextDay.risks.map((r) => r.code)).not.toContain('LongInterim');
    expect(planUpgrade(input()).options[0]!.withoutFailoverMinutes).toBeGreaterThan(0);
  });

  it('[実働環境に展開する前に…事前テスト: pre-test on another appliance] a pair plan without a staging install of the target offers a staging run first', () => {
    const plan = planUpgrade(input({ staging: { pretested: false, detail: 'no successful install of 11.1.1 on staging-1', candidateId: 'staging-1' } }));
    expect(plan.risks.find((r) => r.code === 'NotPretested')?.severity).toBe('warning');
    expect(plan.stagingRun).toMatchObject({ applianceId: 'staging-1', option: 'single', packageId: 'bomgar-11.1.1' });
    expect(planUpgrade(input({ staging: { pretested: true, detail: 'installed on staging-1' } })).stagingRun).toBeUndefined();
  });

  it('[フェールオーバーを再構築: a pair run starts from an established pair] a broken pair with mixed versions is blocked and the plan says how to proceed', () => {
    const broken = { ...inSync, pairStatus: 'broken' as const };
    const plan = planUpgrade(input({ primary: facts(appliance('a', { ...A, productVersion: '11.1.1', failover: { ...broken, role: 'primary' } })), backup: facts(appliance('b', { ...B, failover: { ...broken, role: 'backup' } })) }));
    expect(plan.risks.find((r) => r.code === 'MixedVersionPair')?.severity).toBe('blocker');
    expect(plan.recommendation.option).toBeNull();
    expect(plan.proceed).toMatchObject({ option: 'single', applianceId: 'b' });
    const sameVersion = planUpgrade(input({ backup: facts(appliance('b', { ...B, failover: { ...broken, role: 'backup' } })) }));
    expect(sameVersion.risks.find((r) => r.code === 'PairBroken')?.severity).toBe('blocker');
  });
});
