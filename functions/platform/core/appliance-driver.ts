/**
 * The ApplianceDriver port: the control plane's only view of an appliance (docs/driver.md). Workflows,
 * plans, interim checks, campaigns and the scheduler call these operations; an adapter carries them to
 * an appliance over its wire interface (functions/control-plane/adapters/site-driver.ts), or asks an operator to do
 * them by hand and verifies what a real appliance's APIs can tell (functions/control-plane/app/guided-driver.ts).
 *
 * The views are the JSON the appliance (or the emulator's admin pages) answers; they are types only, so
 * the control plane depends on the shape of the wire, never on the emulator's modules.
 */
import type { Appliance } from './appliance.js';
import type { TrafficProfile } from './busy-hours.js';
import type { PackageKind, Requirements } from './packages.js';

/** The appliance as its admin view shows it (identity, versions, state, failover role, license). */
export type ApplianceView = Appliance;

export interface FailoverMemberView {
  applianceId: string;
  role: string;
  productVersion: string;
  baseVersion: string;
  state: string;
}

/** /login > Management > Failover of one member (the pair it belongs to). */
export interface FailoverStatusView {
  pairId: string;
  status: 'established' | 'syncing' | 'broken' | string;
  primaryId: string;
  backupId: string;
  members: FailoverMemberView[];
  inSync: boolean;
  /** Sessions of the primary the backup does not hold yet (null: cannot tell, full resync needed). */
  behind: number | null;
  primaryHostname?: { hostname: string; resolvesTo?: string; resolvesToPrimary: boolean };
}

export interface SyncView {
  pairId: string;
  transferred: number;
  status: string;
}

export interface PairChangeView {
  pairId: string;
  status: string;
  changed: boolean;
  primaryId?: string;
  backupId?: string;
}

export interface InstallView {
  installId: string;
  replayed: boolean;
}

export interface InstallStatusView {
  state: 'installing' | 'restarting' | 'online' | 'failed' | string;
  productVersion: string;
  baseVersion: string;
  lastInstallError?: string;
}

export interface BackupView {
  backupId: string;
  applianceId: string;
  productVersion?: string;
  createdAt: string;
  size?: number;
  sha256?: string;
}

export interface ConsolesReportView {
  laggards: number;
  appliances: { applianceId: string; laggards: { consoleId: string; username: string; needsAction: boolean; action: string }[] }[];
}

export interface DnsRecordView {
  hostname: string;
  applianceId: string;
  changed: boolean;
}

export interface SessionsExportView {
  count: number;
}

export interface ReimportView {
  reimported: number;
}

/** get_api_info as the command API answers it (the API version; the product version is check_health's, docs/vendor-api.md F1). */
export interface ApiInfoView {
  apiVersion: string;
}

export interface HealthView {
  version: string;
  success: boolean;
  failoverRole: string;
  lastDataSyncTime?: string;
  lastDataSyncStatus?: string;
}

export interface InstallRequest {
  requestKey: string;
  /** The version the install must end at (what a guided install's verification checks). */
  targetVersion?: string;
  requireBrokenFailover: boolean;
  holdToken?: string;
}

export interface ApplianceDriver {
  /** `site`: every operation over the appliance's site; `guided`: manual steps confirmed by an operator. */
  readonly kind: 'site' | 'guided';
  describe(applianceId: string): Promise<ApplianceView>;
  apiInfo(applianceId: string): Promise<ApiInfoView>;
  /** `asOf` (a sync's cut, ISO): sessions that started or ended after it are the next sync's, not counted behind. */
  failoverStatus(applianceId: string, options?: { asOf?: string }): Promise<FailoverStatusView>;
  /** Completed sessions the appliance holds (the reporting API's SupportSessionSummary). */
  completedSessions(applianceId: string): Promise<number>;
  /** check_health as the command API answers it. */
  health(applianceId: string): Promise<HealthView>;
  /** `requestKey` names the workflow step (a guided driver keys the operator's confirmation by it). */
  forceSync(applianceId: string, options?: { requestKey?: string }): Promise<SyncView>;
  breakPair(applianceId: string, options: { holdToken?: string; requestKey?: string }): Promise<PairChangeView>;
  establishPair(input: { primaryId: string; backupId: string; holdToken?: string; requestKey?: string }): Promise<PairChangeView>;
  startInstall(applianceId: string, packageId: string, request: InstallRequest): Promise<InstallView>;
  installStatus(applianceId: string): Promise<InstallStatusView>;
  /** Install history (each with the request key it was started with). */
  listInstalls(applianceId: string): Promise<{ installId: string; requestKey?: string; state?: string }[]>;
  /** Newest first. */
  listBackups(applianceId: string): Promise<BackupView[]>;
  createBackup(applianceId: string, idempotencyKey: string): Promise<BackupView>;
  /** Where an operator downloads the backup on the appliance (a path of its site). */
  backupDownloadPath(backup: Pick<BackupView, 'applianceId' | 'backupId'>): string;
  consolesReport(applianceId: string): Promise<ConsolesReportView>;
  /** Points the primary hostname at `applianceId` (the DNS record every client resolves). */
  switchPrimaryHostname(hostname: string, applianceId: string): Promise<DnsRecordView>;
  /** Sessions a pre-10.6 re-establish would overwrite, exported before it (idempotent). */
  exportSessionsAtRisk(pairId: string, primaryId: string): Promise<SessionsExportView>;
  /** Re-imports exported sessions into the primary (`via`: the member whose credential is used). */
  reimportSessions(pairId: string, via: string): Promise<ReimportView>;
  /** Would each Integration Client registered on the pair reach `targetPrimaryId` after a DNS move? */
  integrationReadiness(pairId: string, targetPrimaryId: string): Promise<IntegrationReadinessView>;
  hold(applianceId: string, input: { owner: string; token: string; expiresAt: string }): Promise<void>;
  releaseHold(applianceId: string, token: string): Promise<void>;
}

/** A package as the fleet's package registry lists it (`GET /packages`, no signature bytes). */
export interface PackageView {
  packageId: string;
  name: string;
  kind: PackageKind;
  version: string;
  requires: Requirements;
  size: number;
  sha256: string;
  source: 'catalog' | 'upload';
  releasedAt?: string;
  /** With `verifyFile`: whether the registry holds the package file, and its size. */
  file?: { stored: boolean; size?: number };
}

/** One install in an appliance's history (`/appliance/installs`). */
export interface InstallRecordView {
  installId: string;
  packageKind?: PackageKind;
  targetVersion: string;
  startedAt: string;
  onlineAt: string;
  finishedAt?: string;
  outcome?: 'online' | 'failed';
  requestKey?: string;
  state?: string;
}

/** A principal that called the appliance's APIs lately (an integration that must prepare for 10.6). */
export interface ApiUsageView {
  applianceId: string;
  kind: 'api-account' | 'user';
  principalId: string;
  name: string;
  lastCallAt: string;
  lastCall: string;
}

export interface IntegrationClientView {
  integrationId: string;
  name: string;
  pairId: string;
  target: { kind: 'hostname'; hostname: string } | { kind: 'ip'; ipAddress: string };
  version?: string;
}

export interface IntegrationReadinessView {
  ready: boolean;
  integrations: { integrationId: string; name: string; target?: string; version?: string; ready: boolean; reason?: string }[];
}

/**
 * The fleet's inventory: which appliances and packages there are and what each appliance recorded
 * (installs, API callers, busy hours, backups), read over the emulator's fleet API with the control
 * plane's inventory token, not with an appliance's own credential. Plans, fleet views and campaigns read
 * here; every operation on an appliance goes through its ApplianceDriver. Getters answer undefined for
 * what does not exist, so callers keep their own errors.
 */
export interface FleetInventory {
  listAppliances(): Promise<ApplianceView[]>;
  getAppliance(applianceId: string): Promise<ApplianceView | undefined>;
  listPackages(): Promise<PackageView[]>;
  getPackage(packageId: string, options?: { verifyFile?: boolean }): Promise<PackageView | undefined>;
  /** Newest first. */
  listBackups(applianceId: string): Promise<BackupView[]>;
  backupDownloadPath(backup: Pick<BackupView, 'applianceId' | 'backupId'>): string;
  installHistory(applianceId: string): Promise<InstallRecordView[]>;
  /** Callers of the appliance's APIs since `since` (ISO). */
  apiUsage(applianceId: string, since: string): Promise<ApiUsageView[]>;
  /** Busy hours from the appliance's session history, in `timeZone`. */
  trafficProfile(applianceId: string, timeZone: string): Promise<TrafficProfile>;
  integrationClients(pairId: string): Promise<IntegrationClientView[]>;
  /** Would each Integration Client of the pair reach `targetPrimaryId` after the primary hostname moves there? */
  integrationReadiness(pairId: string, targetPrimaryId: string): Promise<IntegrationReadinessView>;
  /** The appliance the primary hostname's DNS record names today (undefined without a record). */
  resolveHostname(hostname: string): Promise<string | undefined>;
}

/** Which driver reaches an appliance (one run may mix emulated and real appliances), and the fleet's inventory. */
export interface ApplianceDrivers {
  forAppliance(applianceId: string): ApplianceDriver;
  readonly inventory: FleetInventory;
}
