/**
 * Dry-run upgrade plans. Given the facts about an appliance or a failover pair and a package, lists the
 * steps of each option the vendor's guide describes, estimates production downtime, finds the risks and
 * recommends an option. Pure: the install-duration model is injected, every fact is read by the caller.
 *
 * Each risk cites the rule of the guide (`../shared/seeds/upgrade-guide-ja.txt`) it enforces; docs/control.md
 * lists them with the guide's words.
 */
import type { Appliance } from '../../platform/core/appliance.js';
import { backupCounts } from '../../platform/core/backup-rules.js';
import { installedVersion, unmetPrerequisites, type PackageKind, type Requirements } from '../../platform/core/packages.js';
import type { UpgradeOption, WindowIndex } from './run.js';
import { pipelineDefinition, type PipelineStepDef, type PlannedStep, type StepAction } from './pipeline.js';
import { busyHoursIn, quietestWindows, type SuggestedWindow, type TrafficProfile } from '../../platform/core/busy-hours.js';
import { compareVersions, GUID_LSID_SINCE, isAtLeast } from '../../platform/core/versions.js';

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
  /**
   * The package's own rules (its signed manifest): when given they decide, exactly as the appliance's
   * install does, so plan and preflight agree for catalog and manually uploaded packages alike.
   */
  requires?: Requirements;
  /** `catalog`: offered by Check for Updates; `upload`: a signed file uploaded for "Update Software". */
  source?: 'catalog' | 'upload';
}

/** An Integration Client registered on the pair (the one registry: the failover area's integrations). */
export interface PlanIntegrationClient {
  integrationId: string;
  name: string;
  /** Hostname or IP it extracts from. */
  target: string;
  /** Its software version, when registered. */
  version?: string;
  /** Whether it still reaches the serving appliance after the option-2 DNS change to B. */
  reachesBackupAfterSwap: boolean;
  reason?: string;
}

/** A principal that called the appliance's XML APIs recently (the appliance notes them). */
export interface PlanApiUser {
  applianceId: string;
  kind: 'api-account' | 'user';
  principalId: string;
  name: string;
  lastCallAt: string;
  lastCall: string;
}

export interface ApplianceFacts {
  appliance: Appliance;
  /** ISO instant of the newest settings backup, if any. */
  lastBackupAt?: string;
  /** The newest settings backup, to tell whether it still counts (version, settings change). */
  latestBackup?: { backupId: string; productVersion?: string; createdAt: string; downloadPath?: string };
  /** Principals that called this appliance's APIs recently. */
  apiUsers?: PlanApiUser[];
}

export interface PlanSettings {
  /** A backup older than this is stale. */
  staleBackupHours: number;
  /** Production outage while DNS/network moves the primary hostname to B (option 2). */
  dnsCutoverMinutes: number;
  /** A pair whose last sync is older than this is not in sync. */
  maxSyncAgeMinutes: number;
  /** The interim (no failover between the windows) longer than this is a risk. */
  maxInterimHours: number;
  /** Modelled minutes of the non-install steps. */
  stepMinutes: { backup: number; forceSync: number; breakFailover: number; verify: number; reestablish: number; resync: number; extractSessions: number };
}

export const DEFAULT_PLAN_SETTINGS: PlanSettings = {
  staleBackupHours: 24,
  dnsCutoverMinutes: 5,
  maxSyncAgeMinutes: 60,
  maxInterimHours: 24,
  stepMinutes: { backup: 5, forceSync: 10, breakFailover: 1, verify: 10, reestablish: 2, resync: 10, extractSessions: 15 },
};

/** A window the operator intends to book. */
export interface PlanWindow {
  start: string;
  durationMinutes: number;
  timeZone: string;
}

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
  /** The windows themselves (start, length, zone): interim length and busy hours are checked against them. */
  windows?: PlanWindow[];
  /** Pair: the primary hostname and the appliance it resolves to today (undefined: no record). */
  primaryHostname?: { hostname: string; resolvesTo?: string };
  /** Pair: the Integration Clients registered on it. */
  integrations?: PlanIntegrationClient[];
  /** The site's busy hours from its session history (in the windows' time zone). */
  traffic?: TrafficProfile;
  /** Pair: has the target version been installed successfully on a staging appliance? */
  staging?: { pretested: boolean; detail: string; candidateId?: string };
}

export type { StepAction } from './pipeline.js';

/** One step of an option, described and estimated: the same list the run page tracks (core/pipeline.ts). */
export type PlanStep = PlannedStep;

export type RiskCode =
  | 'PrerequisiteUnmet'
  | 'AlreadyAtTarget'
  | 'Downgrade'
  | 'ApplianceNotOnline'
  | 'PairNotInSync'
  | 'PairBroken'
  | 'MixedVersionPair'
  | 'PairRolesUnexpected'
  | 'PrimaryHostnameNotOnPrimary'
  | 'Pre106SessionGap'
  | 'LsidFormatChange'
  | 'ApiUsersMustPrepare'
  | 'IntegrationClientTooOld'
  | 'IntegrationByIp'
  | 'StaleBackup'
  | 'WindowTooShort'
  | 'LongInterim'
  | 'WindowInBusyHours'
  | 'NotPretested'
  | 'ManualUpdate';

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
  /**
   * Pair options: minutes from breaking failover (window 1) to re-establishing it (window 2), i.e. how
   * long the pair runs without failover. Measured between the booked windows when they are given,
   * otherwise the least possible (the two windows back to back).
   */
  withoutFailoverMinutes?: number;
  risks: Risk[];
  blocked: boolean;
}

/** One backup the plan tells the operator to download (or that the run takes first). */
export interface PlanBackup {
  applianceId: string;
  /** The backup that counts today, if any. */
  backupId?: string;
  productVersion: string;
  createdAt?: string;
  downloadPath: string;
  /** Why no current backup counts (the run takes a fresh one in preflight). */
  reason?: string;
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
  /** The settings backups to download before the install (guide: always download a backup first). */
  backups: PlanBackup[];
  /** API principals to prepare when the upgrade crosses 10.6, with the guide's checks. */
  apiUsers?: { users: PlanApiUser[]; checks: string[] };
  /** Integration Clients registered on the pair (one source: the pair's registrations). */
  integrations?: PlanIntegrationClient[];
  /** Quietest windows of the next 14 days that fit the estimated work (from the session history). */
  suggestedWindows?: SuggestedWindow[];
  /** Busy-hour profile used, in brief. */
  traffic?: { timeZone: string; sessions: number; from: string; to: string; truncated: boolean; busyThreshold: number; busiest: { label: string; sessionsPerHour: number }[] };
  /** Pair: a staging run to make first (the guide recommends pre-testing on another appliance). */
  stagingRun?: { applianceId: string; option: 'single'; packageId: string; reason: string };
  /** Every appliance already runs the package's version: the plan says so, recommends nothing and offers no run. */
  nothingToUpgrade?: string;
  /** Mixed-version broken pair: how to proceed instead. */
  proceed?: { option: 'single'; applianceId: string; reason: string };
}

/** The guide's checks for Bomgar API users before installing 10.6 (補足: LSID and LSEQ, namespaces). */
export const API_USER_CHECKS = [
  'LSID: before 10.6 an integer, from 10.6 a 32-hex GUID string: change the LSID type to a string (varchar(32)) in custom code and databases',
  'LSEQ: a new incrementing number element (not guaranteed unique nor strictly sequential) for applications that need a non-string session key',
  'Namespaces: XML responses gain xmlns="http://www.networkstreaming.com/namespaces/API" (see /api/reporting.xsd and /api/command.xsd): make the parsing namespace-aware',
];

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
/** An Integration Client target given as an IP literal (IPv4, or anything with a colon: IPv6). */
export const isIpTarget = (target: string) => IPV4.test(target.trim()) || (target.includes(':') && /^\[?[0-9a-f:]+\]?$/i.test(target.trim()));

/** A product upgrade from before 10.6 to 10.6 or later: LSID, LSEQ and namespaces change. */
export const crosses106 = (from: string, to: string, kind: PackageKind = 'product') => kind === 'product' && !isAtLeast(from, GUID_LSID_SINCE) && isAtLeast(to, GUID_LSID_SINCE);

/**
 * An Integration Client is ready for a 10.6 crossing once it runs 10.6 or later (the IC upgrade makes the
 * database changes itself; newer ICs work with older appliances). Unknown version: not ready.
 */
export const integrationClientReady = (version: string | undefined) => version !== undefined && isAtLeast(version, GUID_LSID_SINCE);

function unmet(pkg: PlanPackage, a: Appliance, now: number) {
  const requires: Requirements = pkg.requires ?? { minBaseVersion: pkg.prerequisites.minBaseVersion, minProductVersion: pkg.prerequisites.minProductVersion };
  return unmetPrerequisites({ kind: pkg.kind ?? 'product', version: pkg.version, requires }, a, new Date(now));
}

function applianceRisks(facts: ApplianceFacts, pkg: PlanPackage, now: number, settings: PlanSettings, options: UpgradeOption[]): Risk[] {
  const a = facts.appliance;
  const risks: Risk[] = [];
  const id = a.applianceId;
  const current = installedVersion(a, pkg.kind ?? 'product');
  const cmp = compareVersions(current, pkg.version);
  // The package's own rules, worded as the appliance words them (core/packages.ts).
  if (cmp < 0) {
    for (const failure of unmet(pkg, a, now)) {
      const hint = failure.code === 'BaseVersionTooOld' ? '; install the base software update first' : failure.code === 'ProductVersionTooOld' ? '; install the earlier product update first' : '';
      risks.push({ code: 'PrerequisiteUnmet', severity: 'blocker', applianceId: id, options, message: `${id}: ${failure.message}${hint}` });
    }
  }
  if (cmp === 0) risks.push({ code: 'AlreadyAtTarget', severity: 'info', applianceId: id, options, message: `${id} already runs ${pkg.version}; its install step is skipped` });
  if (cmp > 0) risks.push({ code: 'Downgrade', severity: 'blocker', applianceId: id, options, message: `${id} runs ${current}, newer than ${pkg.version}: downgrades are not supported` });
  if (a.state !== 'online') risks.push({ code: 'ApplianceNotOnline', severity: 'blocker', applianceId: id, options, message: `${id} is ${a.state}; it must be online to upgrade` });
  const backup = facts.latestBackup ?? (facts.lastBackupAt ? { backupId: '?', productVersion: a.productVersion, createdAt: facts.lastBackupAt } : undefined);
  const verdict = backupCounts(backup, a, new Date(now), settings.staleBackupHours);
  if (!verdict.counts && cmp < 0) {
    risks.push({
      code: 'StaleBackup',
      severity: 'warning',
      applianceId: id,
      options,
      message: `${id}: no settings backup of ${a.productVersion} counts (${verdict.reason}); the run takes one in preflight: download it before the install (guide: always download a backup before upgrading)`,
    });
  }
  if (crosses106(a.productVersion, pkg.version, pkg.kind)) {
    risks.push({ code: 'LsidFormatChange', severity: 'info', applianceId: id, options, message: `${id} crosses ${GUID_LSID_SINCE}: LSID becomes a 32-hex GUID string, LSEQ is added and XML gains a namespace; API/Integration Client users must update their code and databases first` });
  }
  const users = facts.apiUsers ?? [];
  if (users.length > 0 && crosses106(a.productVersion, pkg.version, pkg.kind)) {
    risks.push({
      code: 'ApiUsersMustPrepare',
      severity: 'warning',
      applianceId: id,
      options,
      message: `${id} is used through the API by ${users.map((u) => `${u.name} (${u.kind} ${u.principalId}, last ${u.lastCall} at ${u.lastCallAt})`).join(', ')}: before installing ${GUID_LSID_SINCE} check each for the LSID integer → string change, LSEQ and namespace-aware parsing; the run needs an operator acknowledgement before the first window that crosses ${GUID_LSID_SINCE}`,
    });
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
  if (status === 'broken') {
    if (compareVersions(a.productVersion, b.productVersion) !== 0) {
      const [low, high] = compareVersions(a.productVersion, b.productVersion) < 0 ? [a, b] : [b, a];
      risks.push({
        code: 'MixedVersionPair',
        severity: 'blocker',
        options: both,
        message: `the pair is broken with mixed versions (${a.applianceId} ${a.productVersion}, ${b.applianceId} ${b.productVersion}): a pair run starts from an established pair. Proceed by upgrading ${low.applianceId} alone to ${high.productVersion} (a single-appliance run), then re-establish failover with ${high.applianceId} as primary`,
      });
    } else {
      risks.push({ code: 'PairBroken', severity: 'blocker', options: both, message: `the pair is broken: re-establish failover (both at ${a.productVersion}, ${a.applianceId} primary) before a pair run; window 1 starts by syncing an established pair` });
    }
  } else if (status !== 'established' || syncAge > settings.maxSyncAgeMinutes || syncFailed) {
    const why = status !== 'established' ? `pair is ${status ?? 'not configured'}` : syncFailed ? 'last sync did not succeed' : lastSync === undefined ? 'never synced' : `last sync ${Math.floor(syncAge)} min ago`;
    risks.push({ code: 'PairNotInSync', severity: 'warning', options: both, message: `pair not verified in sync (${why}): the run forces a sync on ${b.applianceId} and waits for it before breaking failover; sessions not yet synced could be lost` });
  }
  if (a.failover.role !== 'primary' || b.failover.role !== 'backup') {
    risks.push({ code: 'PairRolesUnexpected', severity: 'blocker', options: both, message: `${a.applianceId} must be primary (the primary hostname resolves to it) and ${b.applianceId} backup; they are ${a.failover.role}/${b.failover.role}` });
  }
  // Guide, プロセスの注記 2: A is the primary appliance = the one the primary hostname resolves to.
  const dns = input.primaryHostname;
  if (status !== 'broken' && (!dns || dns.resolvesTo !== a.applianceId)) {
    const where = !dns ? 'the pair has no primary hostname' : dns.resolvesTo ? `${dns.hostname} resolves to ${dns.resolvesTo}` : `${dns.hostname} has no DNS record`;
    risks.push({ code: 'PrimaryHostnameNotOnPrimary', severity: 'blocker', options: both, message: `${where}, not to ${a.applianceId}: before window 1 the primary hostname must resolve to the primary (A); point it at ${a.applianceId} first (PUT /primary-hostnames/${dns?.hostname ?? '<hostname>'})` });
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
  const integrations = input.integrations ?? [];
  const stranded = integrations.filter((i) => !i.reachesBackupAfterSwap);
  if (stranded.length > 0) {
    risks.push({
      code: 'IntegrationByIp',
      severity: 'warning',
      options: ['option2'],
      message: `Integration Client(s) ${stranded.map((i) => `${i.name} → ${i.target}`).join(', ')} would not reach ${b.applianceId} after the role swap (${stranded.map((i) => i.reason ?? 'configured by IP').join('; ')}); option 2 needs them to extract from ${b.applianceId}: reconfigure them by hostname (or to ${b.ipAddress}) first`,
    });
  }
  if (crosses106(a.productVersion, input.package.version, input.package.kind) || crosses106(b.productVersion, input.package.version, input.package.kind)) {
    const tooOld = integrations.filter((i) => !integrationClientReady(i.version));
    if (tooOld.length > 0) {
      risks.push({
        code: 'IntegrationClientTooOld',
        severity: 'warning',
        options: both,
        message: `Integration Client(s) ${tooOld.map((i) => `${i.name} (${i.version ?? 'version unknown'})`).join(', ')} must be upgraded to ${GUID_LSID_SINCE} or later before the appliance (guide: identify and change the reports, upgrade the Integration Client, then upgrade Bomgar); the run refuses to start until they are, unless overridden with a reason`,
      });
    }
  }
  if (input.staging && !input.staging.pretested) {
    risks.push({ code: 'NotPretested', severity: 'warning', options: both, message: `${input.package.name} has not been installed successfully on a staging appliance yet (${input.staging.detail}): the guide recommends pre-testing the upgrade on another appliance before production${input.staging.candidateId ? `; run it on ${input.staging.candidateId} first` : ''}` });
  }
  if (input.package.source === 'catalog') {
    risks.push({ code: 'ManualUpdate', severity: 'info', options: both, message: `failover pairs cannot use automatic update: the run installs the stored signed package ${input.package.name} by manual update ("Update Software"); for production pairs ask Bomgar Support for the package link and upload it` });
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

/** Minutes into a window until the end of the first step with `action` (inclusive). */
const minutesThrough = (steps: PlanStep[], window: WindowIndex, action: StepAction) => {
  let total = 0;
  for (const s of steps.filter((x) => x.window === window)) {
    total += s.estimatedMinutes;
    if (s.action === action) return total;
  }
  return total;
};

/** How long the pair runs without failover, and the interim risk (guide: keep the interim as short as possible). */
function interimOf(plan: OptionPlan, input: PlanInput, settings: PlanSettings): { withoutFailoverMinutes: number; risks: Risk[] } {
  const breakAt = minutesThrough(plan.steps, 1, 'break-failover');
  const reestablishAt = minutesThrough(plan.steps, 2, 'reestablish-failover');
  const [w1, w2] = input.windows ?? [];
  const gapMinutes = w1 && w2 ? (Date.parse(w2.start) - Date.parse(w1.start)) / 60_000 : plan.windowMinutes[0]!;
  const withoutFailoverMinutes = Math.max(0, Math.round(gapMinutes - breakAt + reestablishAt));
  const risks: Risk[] = [];
  if (w1 && w2) {
    const interimHours = (Date.parse(w2.start) - (Date.parse(w1.start) + w1.durationMinutes * 60_000)) / 3_600_000;
    if (interimHours > settings.maxInterimHours) {
      risks.push({
        code: 'LongInterim',
        severity: 'warning',
        options: [plan.option],
        message: `${plan.option}: the interim between the windows is ${Math.round(interimHours)} h (limit ${settings.maxInterimHours} h): the pair runs about ${Math.round(withoutFailoverMinutes / 60)} h without failover; the guide: plan an interim long enough to verify the new version but as short as possible`,
      });
    }
  }
  return { withoutFailoverMinutes, risks };
}

function busyRisks(plan: OptionPlan, input: PlanInput): Risk[] {
  if (!input.traffic || !input.windows) return [];
  return input.windows.flatMap((w, i) => {
    if (i >= plan.windowMinutes.length) return [];
    const busy = busyHoursIn(input.traffic!, Date.parse(w.start), w.durationMinutes);
    return busy.length === 0
      ? []
      : [{
          code: 'WindowInBusyHours' as const,
          severity: 'warning' as const,
          options: [plan.option],
          message: `${plan.option} window ${i + 1} falls in busy hours of the site (${busy.map((b) => `${b.label} ~${b.sessionsPerHour} sessions/h`).join(', ')} in ${input.traffic!.timeZone}); the guide recommends low-traffic windows: see suggestedWindows`,
        }];
  });
}

function backupsOf(facts: ApplianceFacts[], now: number, settings: PlanSettings): PlanBackup[] {
  return facts.map((f) => {
    const a = f.appliance;
    const downloadPath = `/appliances/${a.applianceId}/login/software-management/backups`;
    const verdict = backupCounts(f.latestBackup, a, new Date(now), settings.staleBackupHours);
    return verdict.counts && f.latestBackup
      ? { applianceId: a.applianceId, backupId: f.latestBackup.backupId, productVersion: a.productVersion, createdAt: f.latestBackup.createdAt, downloadPath: f.latestBackup.downloadPath ?? `${downloadPath}/${f.latestBackup.backupId}` }
      : { applianceId: a.applianceId, productVersion: a.productVersion, downloadPath, reason: verdict.reason };
  });
}

const backupDescription = (backups: PlanBackup[]) =>
  `Download a settings backup of each appliance before the install (/login > Management > Software Management): ${backups
    .map((b) => (b.backupId ? `${b.applianceId}: backup ${b.backupId} of ${b.productVersion} (${b.createdAt}), GET ${b.downloadPath}` : `${b.applianceId}: none of ${b.productVersion} counts yet (${b.reason}); the run takes one in preflight: download it from ${b.downloadPath}`))
    .join('; ')}`;

interface StepWords {
  backups: PlanBackup[];
  apiUsers: PlanApiUser[];
  m: PlanSettings['stepMinutes'];
  describeInstall: (applianceId: string, window: WindowIndex) => string;
  estimateInstall: (applianceId: string) => number;
  verify: (applianceId: string, window: WindowIndex) => string;
  integrationClients?: string;
  dnsSwitch?: string;
  dnsCutoverMinutes?: number;
  integrationCheck?: string;
  window2Backup?: string;
  reestablish?: string;
}

/** Describes and estimates the steps of the option's definition (core/pipeline.ts): the list the run page tracks. */
function describeSteps(defs: PipelineStepDef[], w: StepWords): PlanStep[] {
  return defs.map((d) => {
    const id = d.applianceId ?? '';
    const [description, minutes] = ((): [string, number] => {
      switch (d.action) {
        case 'backup': return d.window === 1 ? [backupDescription(w.backups), w.m.backup] : [w.window2Backup ?? backupDescription(w.backups), w.m.backup];
        case 'check-api-integrations': return [`Before the install: confirm with the owners of ${w.apiUsers.map((u) => u.name).join(', ')} that their integrations handle ${GUID_LSID_SINCE}: ${API_USER_CHECKS.join('; ')} (operator acknowledgement on the run)`, 0];
        case 'upgrade-integration-client': return [w.integrationClients ?? 'Upgrade the Integration Client before the appliance', 0];
        case 'force-sync': return [`On ${id} (/login > Management > Failover) force a sync and wait until the data is fully synchronized`, w.m.forceSync];
        case 'break-failover': return ['Break the failover relationship', w.m.breakFailover];
        case 'install': return [w.describeInstall(id, d.window), w.estimateInstall(id)];
        case 'verify': return [w.verify(id, d.window), w.m.verify];
        case 'dns-switch': return [w.dnsSwitch ?? `Move the primary hostname to ${id}`, w.dnsCutoverMinutes ?? 0];
        case 'check-integrations': return [w.integrationCheck ?? `Integration Clients can extract from ${id}`, w.m.verify];
        case 'extract-sessions': return ['Extract sessions completed while failover was broken (Integration Client / API): before 10.6 they are not synchronized on re-establish', w.m.extractSessions];
        case 'reestablish-failover': return [w.reestablish ?? 'Re-establish failover', w.m.reestablish];
        case 'resync': return ['Resynchronize the appliances', w.m.resync];
        case 'console-report': return ['List the staff consoles that did not upgrade with the site: installed consoles upgrade on their next start; MSI-deployed consoles on locked-down computers must be redeployed', 0];
      }
    })();
    return step(d.window, d.action, description, minutes, d.productionDown, d.applianceId);
  });
}

/** "a and b already run 11.1.1": when no appliance of the target would change. */
function nothingToUpgrade(appliances: Appliance[], pkg: PlanPackage): string | undefined {
  const kind = pkg.kind ?? 'product';
  if (!appliances.every((x) => compareVersions(installedVersion(x, kind), pkg.version) === 0)) return undefined;
  const ids = appliances.map((x) => x.applianceId);
  return `nothing to upgrade: ${ids.length === 1 ? `${ids[0]} already runs` : `${ids.join(' and ')} already run`} ${kind === 'base' ? 'base software ' : ''}${pkg.version}`;
}

/** Builds the dry-run plan. Never throws for domain problems: they come back as risks. */
export function planUpgrade(input: PlanInput): UpgradePlan {
  const settings = input.settings ?? DEFAULT_PLAN_SETTINGS;
  const m = settings.stepMinutes;
  const now = Date.parse(input.now);
  const pkg = input.package;
  const a = input.primary.appliance;
  const install = (x: Appliance) => (compareVersions(installedVersion(x, pkg.kind ?? 'product'), pkg.version) >= 0 ? 0 : input.estimateInstallMinutes(x));
  const facts = [input.primary, ...(input.backup ? [input.backup] : [])];
  const crossing = facts.some((f) => crosses106(f.appliance.productVersion, pkg.version, pkg.kind));
  const apiUsers = crossing ? facts.flatMap((f) => f.apiUsers ?? []) : [];
  const backups = backupsOf(facts, now, settings);
  const suggest = (plans: OptionPlan[], chosen: UpgradeOption | null) => {
    if (!input.traffic) return undefined;
    const basis = plans.find((p) => p.option === chosen) ?? plans[0]!;
    const need = Math.max(...basis.windowMinutes);
    // From an hour ahead: a window to book, not one already under way.
    return quietestWindows(input.traffic, { fromMs: now + 3_600_000, days: 14, durationMinutes: Math.max(30, Math.ceil(need / 30) * 30), count: 3 });
  };
  const trafficBrief = input.traffic && {
    timeZone: input.traffic.timeZone,
    sessions: input.traffic.sessions,
    from: input.traffic.from,
    to: input.traffic.to,
    truncated: input.traffic.truncated,
    busyThreshold: input.traffic.busyThreshold,
    busiest: input.traffic.perHour
      .map((rate, h) => ({ h, rate }))
      .sort((x, y) => y.rate - x.rate || x.h - y.h)
      .slice(0, 3)
      .filter((x) => x.rate > 0)
      .map((x) => ({ label: `${['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][Math.floor(x.h / 24)]} ${String(x.h % 24).padStart(2, '0')}:00`, sessionsPerHour: x.rate })),
  };

  if (!input.backup) {
    const risks = applianceRisks(input.primary, pkg, now, settings, ['single']);
    const steps = describeSteps(pipelineDefinition('single', { primaryId: a.applianceId, apiUsers: apiUsers.length > 0, integrationClientUpgrade: false, integrationCheck: false, extractSessions: false }), {
      backups,
      apiUsers,
      m,
      describeInstall: () => `Install ${pkg.name} on ${a.applianceId}: the site is down, logged-in staff and active sessions are disconnected`,
      estimateInstall: () => install(a),
      verify: () => `Verify ${pkg.version} on ${a.applianceId} in production`,
    });
    let single = summarize('single', 'Single appliance', steps, risks, 1);
    single = { ...single, risks: [...single.risks, ...windowRisks(single, input.windowMinutes ?? input.windows?.map((w) => w.durationMinutes)), ...busyRisks(single, input)] };
    single.blocked = single.risks.some((r) => r.severity === 'blocker');
    const idle = nothingToUpgrade([a], pkg);
    const recommendation = idle
      ? { option: null, reason: idle }
      : single.blocked
      ? { option: null, reason: `blocked: ${single.risks.filter((r) => r.severity === 'blocker').map((r) => r.message).join('; ')}` }
      : { option: 'single' as const, reason: `one window, about ${single.productionDowntimeMinutes} min of production downtime` };
    return {
      packageId: pkg.packageId,
      targetVersion: pkg.version,
      kind: 'single',
      primaryId: a.applianceId,
      options: [single],
      risks: single.risks,
      recommendation,
      ...(idle ? { nothingToUpgrade: idle } : {}),
      backups,
      ...(crossing ? { apiUsers: { users: apiUsers, checks: API_USER_CHECKS } } : {}),
      ...(input.traffic ? { suggestedWindows: suggest([single], recommendation.option), traffic: trafficBrief } : {}),
    };
  }

  const b = input.backup.appliance;
  const both: UpgradeOption[] = ['option1', 'option2'];
  const risks = [...applianceRisks(input.primary, pkg, now, settings, both), ...applianceRisks(input.backup, pkg, now, settings, both), ...pairRisks(input, settings, now)];
  const needsExtract = [a, b].some((x) => !isAtLeast(x.productVersion, GUID_LSID_SINCE));
  const integrations = input.integrations ?? [];
  const stranded = integrations.some((i) => !i.reachesBackupAfterSwap);
  const tooOld = integrations.filter((i) => !integrationClientReady(i.version));
  const manual = pkg.source === 'upload' ? 'manual update ("Update Software") with the uploaded signed package' : 'manual update ("Update Software")';
  const pairFacts = { primaryId: a.applianceId, backupId: b.applianceId, apiUsers: apiUsers.length > 0, integrationClientUpgrade: crossing && integrations.length > 0, extractSessions: needsExtract };
  const byId = (id: string | undefined) => (id === a.applianceId ? a : b);
  const shared = {
    backups,
    apiUsers,
    m,
    estimateInstall: (id: string) => install(byId(id)),
    integrationClients: `Before the install: identify and change the reports, queries and software that use the Integration Client database (lsid becomes varchar(32), lseq is added), then upgrade the Integration Client${tooOld.length ? ` (${tooOld.map((i) => `${i.name}: ${i.version ?? 'version unknown'} → ${GUID_LSID_SINCE} or later`).join(', ')})` : ' (all registered ones already run 10.6 or later)'}; newer Integration Clients work with the older appliance`,
    dnsCutoverMinutes: settings.dnsCutoverMinutes,
  };
  const option1Steps = describeSteps(pipelineDefinition('option1', { ...pairFacts, integrationCheck: false }), {
    ...shared,
    describeInstall: (id: string, w: WindowIndex) => (w === 1 ? `Install ${pkg.name} on ${id} (production) by ${manual}: the site is down, staff and active sessions are disconnected` : `Install ${pkg.name} on ${id} by ${manual}`),
    verify: (id: string, w: WindowIndex) => (w === 1 ? `Verify ${pkg.version} on ${id} in production` : `Verify ${pkg.version} on ${id} (the backup)`),
    window2Backup: `Before the install: preflight checks that the pair is as window 1 left it (${a.applianceId} at ${pkg.version}, failover broken, the primary hostname on ${a.applianceId}) and that a settings backup of each appliance still counts (the run takes a fresh one otherwise: download it)`,
    reestablish: `Re-establish failover: ${a.applianceId} primary, ${b.applianceId} backup`,
  });
  const option2Steps = describeSteps(pipelineDefinition('option2', { ...pairFacts, integrationCheck: integrations.length > 0 }), {
    ...shared,
    describeInstall: (id: string, w: WindowIndex) => (w === 1 ? `Install ${pkg.name} on ${id} (backup, not serving production) by ${manual}` : `Install ${pkg.name} on ${id} (now the backup) by ${manual}`),
    verify: (id: string, w: WindowIndex) => (w === 1 ? `Verify ${pkg.version} on ${id} before it serves production (online, at the version, the API answers)` : `Verify ${pkg.version} on ${id} (now the backup)`),
    dnsSwitch: `Change DNS/network so the primary hostname resolves to ${b.applianceId}: sessions on ${a.applianceId} end`,
    integrationCheck: `Confirm every Integration Client (${integrations.map((i) => `${i.name} → ${i.target}`).join(', ')}) can extract from ${b.applianceId} (checked with the interim checks)`,
    window2Backup: `Before the install: preflight checks that the pair is as window 1 left it (${b.applianceId} at ${pkg.version}, failover broken, the primary hostname on ${b.applianceId}) and that a settings backup of each appliance still counts (the run takes a fresh one otherwise: download it)`,
    reestablish: `Re-establish failover: ${b.applianceId} primary, ${a.applianceId} backup`,
  });
  const plans = [
    summarize('option1', 'Option 1: upgrade production first (no failover event, longer downtime)', option1Steps, risks, 2),
    summarize('option2', 'Option 2: swap roles (minimal downtime, needs a failover change)', option2Steps, risks, 2),
  ].map((p) => {
    const interim = interimOf(p, input, settings);
    const extra = [...windowRisks(p, input.windowMinutes ?? input.windows?.map((w) => w.durationMinutes)), ...interim.risks, ...busyRisks(p, input)];
    const all = [...p.risks, ...extra];
    return { ...p, withoutFailoverMinutes: interim.withoutFailoverMinutes, risks: all, blocked: all.some((r) => r.severity === 'blocker') };
  });
  const perOption = new Set<RiskCode>(['WindowTooShort', 'LongInterim', 'WindowInBusyHours']);
  const allRisks = [...risks, ...plans.flatMap((p) => p.risks.filter((r) => perOption.has(r.code)))];
  const idle = nothingToUpgrade([a, b], pkg);
  const recommendation = idle ? { option: null, reason: idle } : recommend(plans[0]!, plans[1]!, stranded);
  const mixed = risks.some((r) => r.code === 'MixedVersionPair');
  const [low, high] = compareVersions(a.productVersion, b.productVersion) < 0 ? [a, b] : [b, a];
  return {
    packageId: pkg.packageId,
    targetVersion: pkg.version,
    kind: 'pair',
    primaryId: a.applianceId,
    backupId: b.applianceId,
    options: plans,
    risks: allRisks,
    ...(idle ? { nothingToUpgrade: idle } : {}),
    recommendation: mixed ? { option: null, reason: `blocked: the pair is broken with mixed versions; proceed with a single-appliance run on ${low.applianceId} to ${high.productVersion}, then re-establish failover` } : recommendation,
    backups,
    integrations,
    ...(crossing ? { apiUsers: { users: apiUsers, checks: API_USER_CHECKS } } : {}),
    ...(input.traffic ? { suggestedWindows: suggest(plans, recommendation.option), traffic: trafficBrief } : {}),
    ...(input.staging && !input.staging.pretested && input.staging.candidateId
      ? { stagingRun: { applianceId: input.staging.candidateId, option: 'single' as const, packageId: pkg.packageId, reason: `pre-test ${pkg.name} on the staging appliance ${input.staging.candidateId} before production (POST /v1/runs with applianceId ${input.staging.candidateId}, option single)` } }
      : {}),
    ...(mixed ? { proceed: { option: 'single' as const, applianceId: low.applianceId, reason: `upgrade ${low.applianceId} alone to ${high.productVersion} (a broken pair's members may be upgraded alone), then re-establish failover with ${high.applianceId} as primary` } } : {}),
  };
}

function recommend(o1: OptionPlan, o2: OptionPlan, stranded: boolean): UpgradePlan['recommendation'] {
  if (o1.blocked && o2.blocked) {
    const blockers = [...new Set(o1.risks.concat(o2.risks).filter((r) => r.severity === 'blocker').map((r) => r.message))];
    return { option: null, reason: `blocked: ${blockers.join('; ')}` };
  }
  if (o2.blocked) return { option: 'option1', reason: 'option 2 is blocked' };
  if (o1.blocked) return { option: 'option2', reason: 'option 1 is blocked' };
  if (stranded) {
    return {
      option: 'option1',
      reason: `an Integration Client configured by IP cannot reach the backup after a role swap: option 1 keeps ${o1.productionDowntimeMinutes} min of downtime but no failover event, so extraction keeps working; choose option 2 (${o2.productionDowntimeMinutes} min) only once every Integration Client can extract from the backup`,
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
    .filter((p) => (p.source ?? 'catalog') === 'catalog')
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
