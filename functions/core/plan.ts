/**
 * Dry-run upgrade plans. Given the facts about an appliance or a failover pair and a package, lists the
 * steps of each option the vendor's guide describes, estimates production downtime, finds the risks and
 * recommends an option. Pure: the install-duration model is injected.
 */
import type { Appliance } from './appliance.js';
import { installedVersion, type PackageKind } from './packages.js';
import type { UpgradeOption, WindowIndex } from './run.js';
import { compareVersions, GUID_LSID_SINCE, isAtLeast } from './versions.js';

/** What a package needs before it can be installed (vendor: "3.2.4 does not satisfy 11.1.1's requirements"). */
export interface PackagePrerequisites {
  minBaseVersion?: string;
  minProductVersion?: string;
}

export interface PlanPackage {
  packageId: string;
  name: string;
  /** Version this package installs: the product (site) version, or the base software version for `base`. */
  version: string;
  /** Product packages change the site version; base packages the base software (default product). */
  kind?: PackageKind;
  prerequisites: PackagePrerequisites;
}

export interface IntegrationClient {
  name: string;
  /** Hostname or IP the Integration Client extracts from. */
  target: string;
}

export interface ApplianceFacts {
  appliance: Appliance;
  /** ISO instant of the newest settings backup, if any. */
  lastBackupAt?: string;
  integrations: IntegrationClient[];
}

export interface PlanSettings {
  /** A backup older than this is stale. */
  staleBackupHours: number;
  /** Production outage while DNS/network moves the primary hostname to B (option 2). */
  dnsCutoverMinutes: number;
  /** A pair whose last sync is older than this is not in sync. */
  maxSyncAgeMinutes: number;
  /** Modelled minutes of the non-install steps. */
  stepMinutes: { backup: number; forceSync: number; breakFailover: number; verify: number; reestablish: number; resync: number; extractSessions: number };
}

export const DEFAULT_PLAN_SETTINGS: PlanSettings = {
  staleBackupHours: 24,
  dnsCutoverMinutes: 5,
  maxSyncAgeMinutes: 60,
  stepMinutes: { backup: 5, forceSync: 10, breakFailover: 1, verify: 10, reestablish: 2, resync: 10, extractSessions: 15 },
};

export interface PlanInput {
  package: PlanPackage;
  /** Single appliance, or A (the primary the primary hostname resolves to). */
  primary: ApplianceFacts;
  /** B, the backup, for a failover pair. */
  backup?: ApplianceFacts;
  now: string;
  /** Minutes an install takes on this appliance (grows with stored data). */
  estimateInstallMinutes: (appliance: Appliance) => number;
  settings?: PlanSettings;
  /** Window lengths the operator intends to book, to flag windows that are too short. */
  windowMinutes?: number[];
}

export type StepAction =
  | 'backup'
  | 'force-sync'
  | 'break-failover'
  | 'install'
  | 'verify'
  | 'dns-switch'
  | 'check-integrations'
  | 'extract-sessions'
  | 'reestablish-failover'
  | 'resync';

export interface PlanStep {
  window: WindowIndex;
  action: StepAction;
  applianceId?: string;
  description: string;
  estimatedMinutes: number;
  /** True when the production site is down during this step. */
  productionDown: boolean;
}

export type RiskCode =
  | 'PrerequisiteUnmet'
  | 'AlreadyAtTarget'
  | 'Downgrade'
  | 'ApplianceNotOnline'
  | 'PairNotInSync'
  | 'PairRolesUnexpected'
  | 'Pre106SessionGap'
  | 'LsidFormatChange'
  | 'IntegrationByIp'
  | 'StaleBackup'
  | 'WindowTooShort';

export interface Risk {
  code: RiskCode;
  severity: 'blocker' | 'warning' | 'info';
  message: string;
  applianceId?: string;
  /** Options this risk applies to. */
  options: UpgradeOption[];
}

export interface OptionPlan {
  option: UpgradeOption;
  title: string;
  steps: PlanStep[];
  /** Minutes the production site is unavailable. */
  productionDowntimeMinutes: number;
  /** Estimated length of each window's work. */
  windowMinutes: number[];
  risks: Risk[];
  blocked: boolean;
}

export interface UpgradePlan {
  packageId: string;
  targetVersion: string;
  kind: 'single' | 'pair';
  primaryId: string;
  backupId?: string;
  options: OptionPlan[];
  /** Risks found, each tagged with the options it affects. */
  risks: Risk[];
  recommendation: { option: UpgradeOption | null; reason: string };
}

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
/** An Integration Client target given as an IP literal (IPv4, or anything with a colon: IPv6). */
export const isIpTarget = (target: string) => IPV4.test(target.trim()) || (target.includes(':') && /^\[?[0-9a-f:]+\]?$/i.test(target.trim()));

function applianceRisks(facts: ApplianceFacts, pkg: PlanPackage, now: number, settings: PlanSettings, options: UpgradeOption[]): Risk[] {
  const a = facts.appliance;
  const risks: Risk[] = [];
  const id = a.applianceId;
  const { minBaseVersion, minProductVersion } = pkg.prerequisites;
  if (minBaseVersion && !isAtLeast(a.baseVersion, minBaseVersion)) {
    risks.push({ code: 'PrerequisiteUnmet', severity: 'blocker', applianceId: id, options, message: `${id}: base software ${a.baseVersion} does not satisfy ${pkg.name}'s requirements (needs ${minBaseVersion}); install the base software update first` });
  }
  if (minProductVersion && !isAtLeast(a.productVersion, minProductVersion)) {
    risks.push({ code: 'PrerequisiteUnmet', severity: 'blocker', applianceId: id, options, message: `${id}: ${a.productVersion} does not satisfy ${pkg.name}'s requirements (needs ${minProductVersion} or later first)` });
  }
  const current = installedVersion(a, pkg.kind ?? 'product');
  const cmp = compareVersions(current, pkg.version);
  if (cmp === 0) risks.push({ code: 'AlreadyAtTarget', severity: 'info', applianceId: id, options, message: `${id} already runs ${pkg.version}; its install step is skipped` });
  if (cmp > 0) risks.push({ code: 'Downgrade', severity: 'blocker', applianceId: id, options, message: `${id} runs ${current}, newer than ${pkg.version}: downgrades are not supported` });
  if (a.state !== 'online') risks.push({ code: 'ApplianceNotOnline', severity: 'blocker', applianceId: id, options, message: `${id} is ${a.state}; it must be online to upgrade` });
  const backupAge = facts.lastBackupAt ? (now - Date.parse(facts.lastBackupAt)) / 3_600_000 : Infinity;
  if (backupAge > settings.staleBackupHours) {
    risks.push({
      code: 'StaleBackup',
      severity: 'warning',
      applianceId: id,
      options,
      message: facts.lastBackupAt
        ? `${id}: newest backup is ${Math.floor(backupAge)} h old (older than ${settings.staleBackupHours} h); the run takes a fresh one first, download it before the window`
        : `${id} has no settings backup; the run takes one first, download it before the window`,
    });
  }
  if (!isAtLeast(a.productVersion, GUID_LSID_SINCE) && isAtLeast(pkg.version, GUID_LSID_SINCE)) {
    risks.push({ code: 'LsidFormatChange', severity: 'info', applianceId: id, options, message: `${id} crosses ${GUID_LSID_SINCE}: LSID becomes a 32-hex GUID string, LSEQ is added and XML gains a namespace; API/Integration Client users must update their code and databases first` });
  }
  return risks;
}

function pairRisks(input: PlanInput, settings: PlanSettings, now: number): Risk[] {
  const a = input.primary.appliance;
  const b = input.backup!.appliance;
  const both: UpgradeOption[] = ['option1', 'option2'];
  const risks: Risk[] = [];
  const status = b.failover.pairStatus ?? a.failover.pairStatus;
  const lastSync = [a.failover.lastSyncAt, b.failover.lastSyncAt].filter(Boolean).map((t) => Date.parse(t!)).sort((x, y) => y - x)[0];
  const syncAge = lastSync === undefined ? Infinity : (now - lastSync) / 60_000;
  const syncFailed = [a.failover.lastSyncStatus, b.failover.lastSyncStatus].some((s) => s !== undefined && !/^(ok|success|succeeded|complete)/i.test(s));
  if (status !== 'established' || syncAge > settings.maxSyncAgeMinutes || syncFailed) {
    const why = status !== 'established' ? `pair is ${status ?? 'not configured'}` : syncFailed ? 'last sync did not succeed' : lastSync === undefined ? 'never synced' : `last sync ${Math.floor(syncAge)} min ago`;
    risks.push({ code: 'PairNotInSync', severity: 'warning', options: both, message: `pair not verified in sync (${why}): the run forces a sync on ${b.applianceId} and waits for it before breaking failover; sessions not yet synced could be lost` });
  }
  if (a.failover.role !== 'primary' || b.failover.role !== 'backup') {
    risks.push({ code: 'PairRolesUnexpected', severity: 'blocker', options: both, message: `${a.applianceId} must be primary (the primary hostname resolves to it) and ${b.applianceId} backup; they are ${a.failover.role}/${b.failover.role}` });
  }
  const old = [a, b].filter((x) => !isAtLeast(x.productVersion, GUID_LSID_SINCE));
  if (old.length > 0) {
    risks.push({
      code: 'Pre106SessionGap',
      severity: 'warning',
      options: both,
      message: `${old.map((x) => `${x.applianceId} (${x.productVersion})`).join(', ')} predate ${GUID_LSID_SINCE}: sessions completed on either appliance while failover is broken are not synchronized when it is re-established; the plan extracts them (Integration Client / API) before re-establishing`,
    });
  }
  const byIp = [...input.primary.integrations, ...input.backup!.integrations].filter((i) => isIpTarget(i.target));
  if (byIp.length > 0) {
    risks.push({ code: 'IntegrationByIp', severity: 'warning', options: ['option2'], message: `Integration Client(s) ${byIp.map((i) => `${i.name} → ${i.target}`).join(', ')} are configured by IP, not hostname: after the role swap they must be able to extract from ${b.applianceId}` });
  }
  return risks;
}

const step = (window: WindowIndex, action: StepAction, description: string, estimatedMinutes: number, productionDown = false, applianceId?: string): PlanStep => ({
  window,
  action,
  description,
  estimatedMinutes: Math.round(estimatedMinutes),
  productionDown,
  applianceId,
});

function summarize(option: UpgradeOption, title: string, steps: PlanStep[], risks: Risk[], windows: number): OptionPlan {
  const mine = risks.filter((r) => r.options.includes(option));
  return {
    option,
    title,
    steps,
    productionDowntimeMinutes: steps.filter((s) => s.productionDown).reduce((n, s) => n + s.estimatedMinutes, 0),
    windowMinutes: Array.from({ length: windows }, (_, i) => steps.filter((s) => s.window === i + 1).reduce((n, s) => n + s.estimatedMinutes, 0)),
    risks: mine,
    blocked: mine.some((r) => r.severity === 'blocker'),
  };
}

function windowRisks(plan: OptionPlan, windowMinutes: number[] | undefined): Risk[] {
  if (!windowMinutes) return [];
  return plan.windowMinutes.flatMap((need, i) => {
    const booked = windowMinutes[i];
    return booked !== undefined && booked < need
      ? [{ code: 'WindowTooShort' as const, severity: 'warning' as const, options: [plan.option], message: `${plan.option} window ${i + 1} needs about ${need} min, only ${booked} min booked` }]
      : [];
  });
}

/** Builds the dry-run plan. Never throws for domain problems: they come back as risks. */
export function planUpgrade(input: PlanInput): UpgradePlan {
  const settings = input.settings ?? DEFAULT_PLAN_SETTINGS;
  const m = settings.stepMinutes;
  const now = Date.parse(input.now);
  const pkg = input.package;
  const a = input.primary.appliance;
  const install = (x: Appliance) => (compareVersions(installedVersion(x, pkg.kind ?? 'product'), pkg.version) >= 0 ? 0 : input.estimateInstallMinutes(x));

  if (!input.backup) {
    const risks = applianceRisks(input.primary, pkg, now, settings, ['single']);
    const steps = [
      step(1, 'backup', `Download a settings backup of ${a.applianceId} (/login > Management > Software Management)`, m.backup, false, a.applianceId),
      step(1, 'install', `Install ${pkg.name} on ${a.applianceId}: the site is down, logged-in staff and active sessions are disconnected`, install(a), true, a.applianceId),
      step(1, 'verify', `Verify ${pkg.version} in production; staff consoles upgrade on next start`, m.verify, false, a.applianceId),
    ];
    let single = summarize('single', 'Single appliance', steps, risks, 1);
    single = { ...single, risks: [...single.risks, ...windowRisks(single, input.windowMinutes)] };
    const allRisks = single.risks;
    return {
      packageId: pkg.packageId,
      targetVersion: pkg.version,
      kind: 'single',
      primaryId: a.applianceId,
      options: [single],
      risks: allRisks,
      recommendation: single.blocked
        ? { option: null, reason: `blocked: ${allRisks.filter((r) => r.severity === 'blocker').map((r) => r.message).join('; ')}` }
        : { option: 'single', reason: `one window, about ${single.productionDowntimeMinutes} min of production downtime` },
    };
  }

  const b = input.backup.appliance;
  const both: UpgradeOption[] = ['option1', 'option2'];
  const risks = [...applianceRisks(input.primary, pkg, now, settings, both), ...applianceRisks(input.backup, pkg, now, settings, both), ...pairRisks(input, settings, now)];
  const needsExtract = [a, b].some((x) => !isAtLeast(x.productVersion, GUID_LSID_SINCE));
  const byIp = risks.some((r) => r.code === 'IntegrationByIp');
  const prologue = (): PlanStep[] => [
    step(1, 'backup', `Download settings backups of ${a.applianceId} and ${b.applianceId}`, m.backup),
    step(1, 'force-sync', `On ${b.applianceId} (/login > Management > Failover) force a sync and wait until the data is fully synchronized`, m.forceSync, false, b.applianceId),
    step(1, 'break-failover', 'Break the failover relationship', m.breakFailover),
  ];
  const extract = (window: WindowIndex): PlanStep[] =>
    needsExtract ? [step(window, 'extract-sessions', 'Extract sessions completed while failover was broken (Integration Client / API): before 10.6 they are not synchronized on re-establish', m.extractSessions)] : [];

  const option1Steps: PlanStep[] = [
    ...prologue(),
    step(1, 'install', `Install ${pkg.name} on ${a.applianceId} (production): the site is down, staff and active sessions are disconnected`, install(a), true, a.applianceId),
    step(1, 'verify', `Verify ${pkg.version} on ${a.applianceId} in production`, m.verify, false, a.applianceId),
    step(2, 'install', `Install ${pkg.name} on ${b.applianceId}`, install(b), false, b.applianceId),
    ...extract(2),
    step(2, 'reestablish-failover', `Re-establish failover: ${a.applianceId} primary, ${b.applianceId} backup`, m.reestablish),
    step(2, 'resync', 'Resynchronize the appliances', m.resync),
  ];
  const option2Steps: PlanStep[] = [
    ...prologue(),
    step(1, 'install', `Install ${pkg.name} on ${b.applianceId} (backup, not serving production)`, install(b), false, b.applianceId),
    step(1, 'dns-switch', `Change DNS/network so the primary hostname resolves to ${b.applianceId}: sessions on ${a.applianceId} end`, settings.dnsCutoverMinutes, true, b.applianceId),
    ...(byIp ? [step(1, 'check-integrations', `Confirm every Integration Client configured by IP can extract from ${b.applianceId}`, m.verify, false, b.applianceId)] : []),
    step(1, 'verify', `Verify ${pkg.version} on ${b.applianceId} in production`, m.verify, false, b.applianceId),
    step(2, 'install', `Install ${pkg.name} on ${a.applianceId} (now the backup)`, install(a), false, a.applianceId),
    ...extract(2),
    step(2, 'reestablish-failover', `Re-establish failover: ${b.applianceId} primary, ${a.applianceId} backup`, m.reestablish),
    step(2, 'resync', 'Resynchronize the appliances', m.resync),
  ];
  const plans = [
    summarize('option1', 'Option 1: upgrade production first (no failover event, longer downtime)', option1Steps, risks, 2),
    summarize('option2', 'Option 2: swap roles (minimal downtime, needs a failover change)', option2Steps, risks, 2),
  ].map((p) => {
    const extra = windowRisks(p, input.windowMinutes);
    return { ...p, risks: [...p.risks, ...extra] };
  });
  const allRisks = [...risks, ...plans.flatMap((p) => p.risks.filter((r) => r.code === 'WindowTooShort'))];
  return {
    packageId: pkg.packageId,
    targetVersion: pkg.version,
    kind: 'pair',
    primaryId: a.applianceId,
    backupId: b.applianceId,
    options: plans,
    risks: allRisks,
    recommendation: recommend(plans[0]!, plans[1]!, byIp),
  };
}

function recommend(o1: OptionPlan, o2: OptionPlan, byIp: boolean): UpgradePlan['recommendation'] {
  if (o1.blocked && o2.blocked) {
    const blockers = [...new Set(o1.risks.concat(o2.risks).filter((r) => r.severity === 'blocker').map((r) => r.message))];
    return { option: null, reason: `blocked: ${blockers.join('; ')}` };
  }
  if (o2.blocked) return { option: 'option1', reason: 'option 2 is blocked' };
  if (o1.blocked) return { option: 'option2', reason: 'option 1 is blocked' };
  if (byIp) {
    return {
      option: 'option1',
      reason: `Integration Clients are configured by IP: option 1 keeps ${o1.productionDowntimeMinutes} min of downtime but no failover event, so extraction keeps working; choose option 2 (${o2.productionDowntimeMinutes} min) only after confirming they can extract from the backup`,
    };
  }
  if (o2.productionDowntimeMinutes < o1.productionDowntimeMinutes) {
    return { option: 'option2', reason: `least production downtime: about ${o2.productionDowntimeMinutes} min (DNS cutover) instead of ${o1.productionDowntimeMinutes} min for option 1` };
  }
  return { option: 'option1', reason: `no failover event and production downtime no longer than option 2 (${o1.productionDowntimeMinutes} vs ${o2.productionDowntimeMinutes} min)` };
}

/**
 * Catalog packages newer than what the appliance runs, with whether each can be installed now: the
 * "Check for Updates" list, where a package whose prerequisite is unmet is shown disabled with the reason.
 */
export function pendingUpdates(
  appliance: Pick<Appliance, 'productVersion' | 'baseVersion'>,
  packages: PlanPackage[],
): { packageId: string; version: string; installable: boolean; reason?: string }[] {
  return packages
    .filter((p) => compareVersions(p.version, installedVersion(appliance, p.kind ?? 'product')) > 0)
    .sort((x, y) => compareVersions(x.version, y.version))
    .map((p) => {
      const { minBaseVersion, minProductVersion } = p.prerequisites;
      const unmet =
        minBaseVersion && !isAtLeast(appliance.baseVersion, minBaseVersion)
          ? `${appliance.baseVersion} does not satisfy ${p.version}'s requirements`
          : minProductVersion && !isAtLeast(appliance.productVersion, minProductVersion)
            ? `${appliance.productVersion} does not satisfy ${p.version}'s requirements`
            : undefined;
      return { packageId: p.packageId, version: p.version, installable: !unmet, ...(unmet ? { reason: unmet } : {}) };
    });
}
