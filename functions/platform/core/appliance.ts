/** The appliance domain model shared by every area. Pure types and small pure helpers. */

export type ApplianceState = 'online' | 'installing' | 'restarting' | 'failed';
export type FailoverRole = 'none' | 'primary' | 'backup';

export interface License {
  primaryHostname: string;
  licenseCount: number;
  /** ISO date, or null for "Never". */
  expires: string | null;
  /**
   * Licence edition. The Integration Client needs an enterprise licence (upgrade guide, footnote 1 of
   * "LSID and LSEQ: for Integration Client users"). Absent on records written before editions were
   * modelled: those count as enterprise, the emulator's default (docs/appliance.md).
   */
  edition?: 'standard' | 'enterprise';
}

/**
 * A maintenance hold: the appliance refuses installs and failover changes that do not carry the hold's
 * token, naming its owner. The control plane places one on every appliance of an open run through the
 * appliance's admin API, so nothing else touches an appliance a run drives. The appliance keeps only the
 * token's SHA-256.
 */
export interface MaintenanceHold {
  /** Who holds it, shown in refusals (the control plane uses the run id). */
  owner: string;
  tokenSha256: string;
  since: string;
  /** After this instant the hold lapses by itself (a control plane that never came back cannot lock it forever). */
  expiresAt: string;
}

export interface InstallInProgress {
  packageId: string;
  fromVersion: string;
  targetVersion: string;
  startedAt: string;
  /** When the install phase ends and the restart begins (modelled time scaled to real time). */
  restartAt: string;
  /** When the appliance is back online. */
  onlineAt: string;
  /** Idempotency key of the request that started it (run id + step for workflows). */
  requestKey?: string;
  /** Install record id (appliance area: `GET /appliances/:id/appliance/installs/:installId`). */
  installId?: string;
  /** What the package upgrades: the site (`product`, default) or the base software (`base`). */
  packageKind?: 'product' | 'base';
  /** Reinstall of the installed version was forced. */
  forced?: boolean;
  /** Emulator fault injection: the install ends `failed` at onlineAt instead of online. */
  simulateFailure?: boolean;
}

/** Outcome of the most recent finished install (appliance area writes it when the install settles). */
export interface InstallOutcome {
  installId: string;
  packageId: string;
  packageKind: 'product' | 'base';
  fromVersion: string;
  targetVersion: string;
  outcome: 'online' | 'failed';
  startedAt: string;
  finishedAt: string;
  requestKey?: string;
}

export interface Appliance {
  applianceId: string;
  hostname: string;
  ipAddress: string;
  /** Site (remote support web app) version, e.g. 10.5.2. */
  productVersion: string;
  /** Base software (appliance OS) version, e.g. 3.2.4. */
  baseVersion: string;
  license: License;
  /** Stored data (recordings etc.) in GB: install duration grows with it. */
  storedDataGb: number;
  /** Pre-production appliance used to test a release before production (canary). */
  staging: boolean;
  state: ApplianceState;
  stateChangedAt: string;
  install?: InstallInProgress;
  lastInstallError?: string;
  /** The last install that finished (online or failed). */
  lastInstall?: InstallOutcome;
  /** The last settings backup restored onto this appliance. */
  lastRestore?: { backupId: string; at: string; fromVersion?: string };
  /**
   * Maintained by the failover area; read by check_health and by install guards.
   * `role` is this appliance's configured failover role; `pairStatus` says whether the pair is live.
   */
  failover: {
    pairId?: string;
    role: FailoverRole;
    pairStatus?: 'established' | 'broken' | 'syncing';
    lastSyncAt?: string;
    lastSyncStatus?: string;
  };
  /**
   * When the settings a backup restores last changed (hostname, IP address, licence): a backup taken
   * before it no longer holds this appliance's settings. Maintained by the appliance store.
   */
  settingsChangedAt?: string;
  /** The maintenance hold of the run driving this appliance, if any. */
  hold?: MaintenanceHold;
  createdAt: string;
  updatedAt: string;
  /** Emulator fault hook (tests, drills): the next install on this appliance ends `failed`. */
  failNextInstall?: boolean;
  /** Optimistic concurrency counter. */
  version: number;
}

/** The site answers only when online; during install/restart it is down (503 + Retry-After). */
export const siteAvailable = (a: Pick<Appliance, 'state'>) => a.state === 'online' || a.state === 'failed';

/**
 * A new, online, unpaired appliance at 10.5.2 on base software 3.2.4 with the defaults the emulator
 * uses; `overrides` set anything else. Seeds, the session generator CLI and tests build appliances here.
 */
export function newAppliance(applianceId: string, now: string, overrides: Partial<Appliance> = {}): Omit<Appliance, 'version'> {
  return {
    applianceId,
    hostname: `${applianceId}.example.com`,
    ipAddress: '10.0.0.10',
    productVersion: '10.5.2',
    baseVersion: '3.2.4',
    license: { primaryHostname: 'support.example.com', licenseCount: 15, expires: null },
    storedDataGb: 10,
    staging: false,
    state: 'online',
    stateChangedAt: now,
    failover: { role: 'none' },
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
