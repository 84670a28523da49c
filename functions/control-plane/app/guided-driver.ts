/**
 * The guided driver, for real appliances: every operation a real appliance offers no API for (install
 * from /appliance, force sync / break / establish in /login, docs/driver.md) becomes a manual step. The
 * step records the guide's instruction ("On B: /login > Management > Failover: …") and waits for an
 * operator to confirm it (console, CLI or `confirmManualStep`); then the control plane verifies over the
 * vendor's real APIs what they can show (check_health: version, role, last data sync; get_api_info:
 * product version) before the workflow goes on. A mismatch is a `GuidedVerificationFailed` refusal,
 * which the window's Catch path turns into the safe state like any other failed step.
 *
 * The pause: local Step Functions has no task tokens, so, like the interim gate, the confirmation is a
 * record (runs table, `MANUAL#<requestKey>`) that the waiting step polls; a retried or resumed execution
 * finds the same record (confirmed or not) under the step's request key, so nothing is asked twice.
 * Reads (the appliance's view, backups, the failover page) go to `reader`.
 */
import type {
  ApplianceDriver,
  HealthView,
  InstallRequest,
  PairChangeView,
  SyncView,
} from '../../platform/core/appliance-driver.js';
import { conflict, DomainError, notFound, preconditionFailed } from '../../platform/core/errors.js';
import { ConditionFailedError, queryAll, type StoredItem } from '../../platform/core/ports.js';
import { apiVersionFor } from '../../platform/core/versions.js';
import type { AppContext } from '../../platform/app/context.js';

export interface ManualStep {
  requestKey: string;
  applianceId: string;
  operation: 'install' | 'force-sync' | 'break' | 'establish';
  instruction: string;
  status: 'pending' | 'confirmed';
  createdAt: string;
  confirmedBy?: string;
  confirmedAt?: string;
}

const INDEX_PK = 'MANUAL-STEPS';
const stepKey = (requestKey: string) => ({ pk: INDEX_PK, sk: requestKey });

const toStep = (item: StoredItem): ManualStep => {
  const { pk: _pk, sk: _sk, type: _type, version: _v, ...step } = item;
  return step as unknown as ManualStep;
};

export async function listManualSteps(ctx: AppContext, status?: ManualStep['status']): Promise<ManualStep[]> {
  const items = await queryAll(ctx.records.runs, { pk: INDEX_PK });
  return items.map(toStep).filter((i) => !status || i.status === status);
}

export async function getManualStep(ctx: AppContext, requestKey: string): Promise<ManualStep | undefined> {
  const item = await ctx.records.runs.get(stepKey(requestKey));
  return item ? toStep(item) : undefined;
}

/** The operator says the manual step is done (idempotent for the same step). */
export async function confirmManualStep(ctx: AppContext, requestKey: string, actor: string): Promise<ManualStep> {
  const item = await ctx.records.runs.get(stepKey(requestKey));
  if (!item) throw notFound('ManualStepNotFound', `no manual step ${requestKey}`);
  if (item.status === 'confirmed') return (await getManualStep(ctx, requestKey))!;
  try {
    const version = Number(item.version ?? 1);
    await ctx.records.runs.put({ ...item, status: 'confirmed', confirmedBy: actor, confirmedAt: ctx.clock.now().toISOString(), version: version + 1 }, { expectVersion: version });
  } catch (e) {
    if (e instanceof ConditionFailedError) throw conflict('ConcurrentModification', `manual step ${requestKey} changed meanwhile; read it again`);
    throw e;
  }
  return (await getManualStep(ctx, requestKey))!;
}

export interface GuidedOptions {
  /** How often a waiting step reads the confirmation record. */
  pollMs?: number;
  /** How long a step waits for the operator before it stops the window (ManualStepTimeout). */
  waitMs?: number;
}

export class GuidedDriver implements ApplianceDriver {
  readonly kind = 'guided' as const;
  private readonly pollMs: number;
  private readonly waitMs: number;

  constructor(
    private readonly ctx: AppContext,
    /** The appliance's reads (and its vendor APIs: check_health, get_api_info). */
    private readonly reader: ApplianceDriver,
    options: GuidedOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1_000;
    this.waitMs = options.waitMs ?? 15 * 60_000;
  }

  /** Records the instruction once, then waits until the operator confirms it. */
  private async manual(requestKey: string | undefined, applianceId: string, operation: ManualStep['operation'], instruction: string): Promise<ManualStep> {
    if (!requestKey) throw preconditionFailed('ManualStepUnkeyed', `${operation} on ${applianceId} is a manual step and needs the step's request key`);
    const now = this.ctx.clock.now().toISOString();
    const step: ManualStep = { requestKey, applianceId, operation, instruction, status: 'pending', createdAt: now };
    await this.ctx.records.runs.put({ ...stepKey(requestKey), type: 'manual-step', ...step, version: 1 }, { ifNotExists: true }).catch((e: unknown) => {
      if (!(e instanceof ConditionFailedError)) throw e; // a retried step finds its own record
    });
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const current = await getManualStep(this.ctx, requestKey);
      if (current?.status === 'confirmed') return current;
      if (Date.now() > deadline) throw new DomainError('precondition', 'ManualStepTimeout', `nobody confirmed "${instruction}" within ${Math.round(this.waitMs / 1000)} s`, { requestKey, applianceId });
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  private mismatch(step: ManualStep, what: string): DomainError {
    return preconditionFailed('GuidedVerificationFailed', `${step.operation} on ${step.applianceId} was confirmed by ${step.confirmedBy}, but ${what}; the window stops`, { requestKey: step.requestKey, applianceId: step.applianceId });
  }

  async forceSync(applianceId: string, options: { requestKey?: string } = {}): Promise<SyncView> {
    const step = await this.manual(options.requestKey, applianceId, 'force-sync', `On ${applianceId}: /login > Management > Failover: "Force a data sync now"; confirm when the sync has finished`);
    const health = await this.reader.health(applianceId);
    // check_health's last data sync must be the one the operator just ran.
    const at = health.lastDataSyncTime ? Date.parse(health.lastDataSyncTime) : Number.NaN;
    if (!(at >= Date.parse(step.createdAt) - 1_000)) throw this.mismatch(step, `check_health shows the last data sync at ${health.lastDataSyncTime ?? 'never'}, before the step was asked for`);
    if (health.lastDataSyncStatus && !/^(success|ok|succeeded)/i.test(health.lastDataSyncStatus)) throw this.mismatch(step, `the last data sync reports ${health.lastDataSyncStatus}`);
    const status = await this.reader.failoverStatus(applianceId);
    return { pairId: status.pairId, transferred: 0, status: status.status };
  }

  async breakPair(applianceId: string, options: { holdToken?: string; requestKey?: string }): Promise<PairChangeView> {
    const before = await this.reader.health(applianceId);
    const step = await this.manual(options.requestKey, applianceId, 'break', `On ${applianceId}: /login > Management > Failover: "Break Failover Relationship"; confirm when it shows no peer`);
    // check_health cannot show a broken relationship (the roles stay); it can show that they did not change.
    const after = await this.reader.health(applianceId);
    if (after.failoverRole !== before.failoverRole) throw this.mismatch(step, `its failover role changed from ${before.failoverRole} to ${after.failoverRole}`);
    const status = await this.reader.failoverStatus(applianceId);
    return { pairId: status.pairId, status: status.status, changed: true };
  }

  async establishPair(input: { primaryId: string; backupId: string; holdToken?: string; requestKey?: string }): Promise<PairChangeView> {
    const step = await this.manual(
      input.requestKey,
      input.primaryId,
      'establish',
      `On ${input.primaryId}: /login > Management > Failover: establish the relationship with ${input.backupId} as the backup ("Establish Relationship"), ${input.primaryId} primary; confirm when both show the roles`,
    );
    const [primary, backup] = await Promise.all([this.reader.health(input.primaryId), this.reader.health(input.backupId)]);
    if (primary.failoverRole !== 'primary' || backup.failoverRole !== 'backup') {
      throw this.mismatch(step, `check_health shows ${input.primaryId} ${primary.failoverRole} and ${input.backupId} ${backup.failoverRole} (expected primary and backup)`);
    }
    const status = await this.reader.failoverStatus(input.primaryId);
    return { pairId: status.pairId, status: status.status, changed: true, primaryId: input.primaryId, backupId: input.backupId };
  }

  async startInstall(applianceId: string, packageId: string, request: InstallRequest) {
    const step = await this.manual(
      request.requestKey,
      applianceId,
      'install',
      `On ${applianceId}: /appliance > Updates: install ${packageId}${request.targetVersion ? ` (${request.targetVersion})` : ''} ("Update Software" with the file from support for a failover pair); confirm when the appliance is back online`,
    );
    const [health, info] = await Promise.all([this.reader.health(applianceId), this.reader.apiInfo(applianceId)]);
    const apiVersion = request.targetVersion ? apiVersionFor(request.targetVersion) : undefined;
    if (request.targetVersion && (health.version !== request.targetVersion || info.apiVersion !== apiVersion)) {
      throw this.mismatch(step, `check_health reports ${health.version} and get_api_info API ${info.apiVersion}, not ${request.targetVersion} (API ${apiVersion})`);
    }
    if (!health.success) throw this.mismatch(step, 'check_health reports a failure');
    return { installId: step.requestKey, replayed: false };
  }

  // Reads, vendor APIs and what the control plane does itself (the DNS record, session exports).
  describe = (id: string) => this.reader.describe(id);
  apiInfo = (id: string) => this.reader.apiInfo(id);
  health = (id: string): Promise<HealthView> => this.reader.health(id);
  failoverStatus = (id: string, options?: { asOf?: string }) => this.reader.failoverStatus(id, options);
  completedSessions = (id: string) => this.reader.completedSessions(id);
  installStatus = (id: string) => this.reader.installStatus(id);
  listInstalls = (id: string) => this.reader.listInstalls(id);
  listBackups = (id: string) => this.reader.listBackups(id);
  createBackup = (id: string, key: string) => this.reader.createBackup(id, key);
  backupDownloadPath = (b: { applianceId: string; backupId: string }) => this.reader.backupDownloadPath(b);
  consolesReport = (id: string) => this.reader.consolesReport(id);
  switchPrimaryHostname = (hostname: string, id: string) => this.reader.switchPrimaryHostname(hostname, id);
  exportSessionsAtRisk = (pairId: string, primaryId: string) => this.reader.exportSessionsAtRisk(pairId, primaryId);
  reimportSessions = (pairId: string, via: string) => this.reader.reimportSessions(pairId, via);
  integrationReadiness = (pairId: string, target: string) => this.reader.integrationReadiness(pairId, target);
  // A real appliance has no maintenance hold: the run's own record is the only guard.
  hold = async () => undefined;
  releaseHold = async () => undefined;
}
