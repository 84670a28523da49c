/**
 * Fleet campaigns: upgrade many appliances and failover pairs with one package. A canary (a staging
 * appliance: the guide recommends testing a release on a pre-production appliance first) runs alone; when
 * it succeeds the targets follow in waves, at most `concurrency` runs at a time; the first failure halts
 * the campaign (no new runs start; runs already in flight finish and are recorded).
 *
 * The campaign is a state record advanced by `advanceCampaign`, called by the local scheduler loop (and by
 * a rate schedule on AWS). Each target is an ordinary run, so every step is audited and idempotent; the
 * approver who starts the campaign signs off each run's interim once its automated checks pass.
 */
import { createHash } from 'node:crypto';
import type { Appliance } from '../../platform/core/appliance.js';
import { conflict, DomainError, isDomainError, notFound, preconditionFailed, validationError } from '../../platform/core/errors.js';
import { installedVersion, type PackageKind } from '../../platform/core/packages.js';
import { planUpgrade } from '../core/plan.js';
import { ConditionFailedError, type StoredItem, queryAll } from '../../platform/core/ports.js';
import { cancelledBy, type Run, type UpgradeOption } from '../core/run.js';
import { inventoryOf } from './appliance-drivers.js';
import type { AppContext } from '../../platform/app/context.js';
import { pairsOf, planInputFor, requirePackage } from './fleet.js';
import { campaignKey } from '../../platform/app/keys.js';
import { reconcileRun } from './run-progress.js';
import { appendAudit, requireRun } from './run-store.js';
import { approveInterim, cancelRun, createUpgradeRun, startRunWindow } from './runs.js';
import { log } from '../../platform/observability/logger.js';

export type TargetStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
export type CampaignStatus = 'created' | 'canary' | 'rolling' | 'succeeded' | 'halted' | 'cancelled';

export interface CampaignTarget {
  /** Pair id, or appliance id for a single appliance. */
  targetId: string;
  kind: 'pair' | 'single';
  primaryId: string;
  backupId?: string;
  pairId?: string;
  option: UpgradeOption;
  /** 0 is the canary; waves run in order from 1. */
  wave: number;
  status: TargetStatus;
  runId?: string;
  error?: string;
}

export interface Campaign {
  campaignId: string;
  packageId: string;
  targetVersion: string;
  packageKind?: PackageKind;
  option: 'option1' | 'option2';
  concurrency: number;
  waveSize: number;
  windowMinutes: number;
  timeZone: string;
  targets: CampaignTarget[];
  status: CampaignStatus;
  statusReason?: string;
  createdBy: string;
  startedBy?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  endedAt?: string;
  /** An operator's halt (a failure halts without it). */
  haltedBy?: { by: string; at: string; reason: string };
  /** Single-writer lease of the advancer (scheduler loop, API call, rate schedule) working on it. */
  lease?: { holder: string; until: number };
  version: number;
}

export interface NewCampaign {
  campaignId?: string;
  packageId: string;
  pairIds?: string[];
  applianceIds?: string[];
  option: 'option1' | 'option2';
  concurrency: number;
  waveSize: number;
  canaryApplianceId?: string;
  windowMinutes: number;
  timeZone: string;
}

const CAMPAIGNS = 'CAMPAIGNS';
const ACTIVE: CampaignStatus[] = ['canary', 'rolling', 'halted'];

const toItem = (c: Campaign): StoredItem => ({ ...campaignKey(c.campaignId), gsi1pk: CAMPAIGNS, gsi1sk: `${c.createdAt}#${c.campaignId}`, type: 'campaign', ...c });
function fromItem(item: StoredItem): Campaign {
  const { pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as Campaign;
}

export async function requireCampaign(ctx: AppContext, campaignId: string): Promise<Campaign> {
  const item = await ctx.records.runs.get(campaignKey(campaignId));
  if (!item) throw notFound('CampaignNotFound', `campaign ${campaignId} does not exist`, { campaignId });
  return fromItem(item);
}

export async function listCampaigns(ctx: AppContext): Promise<Campaign[]> {
  return (await queryAll(ctx.records.runs, { index: 'gsi1', pk: CAMPAIGNS, descending: true })).map(fromItem);
}

async function updateCampaign(ctx: AppContext, campaignId: string, change: (c: Campaign) => Campaign): Promise<Campaign> {
  for (let attempt = 0; ; attempt++) {
    const current = await requireCampaign(ctx, campaignId);
    const changed = change(current);
    if (changed === current) return current; // nothing to change: no write (a repeated request does not contend)
    const next = { ...changed, campaignId, version: current.version + 1, updatedAt: ctx.clock.now().toISOString() };
    try {
      await ctx.records.runs.put(toItem(next), { expectVersion: current.version });
      return next;
    } catch (e) {
      if (!(e instanceof ConditionFailedError) || attempt >= 5) throw e;
    }
  }
}

/** Validates the targets, picks the canary, checks every target's plan for blockers, then stores the campaign. */
export async function createCampaign(ctx: AppContext, input: NewCampaign, actor: string): Promise<Campaign> {
  const pairIds = [...new Set(input.pairIds ?? [])];
  const applianceIds = [...new Set(input.applianceIds ?? [])];
  if (pairIds.length + applianceIds.length === 0) throw validationError('NoTargets', 'a campaign needs pairIds and/or applianceIds', { field: 'pairIds' });
  if (!Number.isInteger(input.concurrency) || input.concurrency < 1) throw validationError('InvalidConcurrency', 'concurrency must be a positive integer', { field: 'concurrency' });
  const pkg = await requirePackage(ctx, input.packageId);
  const fleet = await inventoryOf(ctx).listAppliances();
  const byId = new Map(fleet.map((a) => [a.applianceId, a]));
  const pairs = new Map(pairsOf(fleet).map((p) => [p.pairId, p]));

  const targets: CampaignTarget[] = [];
  const missing: string[] = [];
  for (const pairId of pairIds) {
    const p = pairs.get(pairId);
    if (!p?.primaryId || !p.backupId) missing.push(`pair ${pairId}`);
    else targets.push({ targetId: pairId, kind: 'pair', pairId, primaryId: p.primaryId, backupId: p.backupId, option: input.option, wave: 0, status: 'pending' });
  }
  for (const id of applianceIds) {
    const a = byId.get(id);
    if (!a) missing.push(`appliance ${id}`);
    else if (a.failover.pairId && pairs.get(a.failover.pairId)?.backupId) missing.push(`appliance ${id} (is in pair ${a.failover.pairId}: target the pair)`);
    else targets.push({ targetId: id, kind: 'single', primaryId: id, option: 'single', wave: 0, status: 'pending' });
  }
  if (missing.length > 0) throw notFound('CampaignTargetsNotFound', `unknown or incomplete targets: ${missing.join(', ')}`, { targets: missing });

  const inTargets = new Set(targets.flatMap((t) => [t.primaryId, t.backupId]).filter(Boolean));
  const canary: Appliance | undefined = input.canaryApplianceId
    ? byId.get(input.canaryApplianceId)
    : fleet.find((a) => a.staging && !inTargets.has(a.applianceId) && installedVersion(a, pkg.kind) !== pkg.version);
  if (input.canaryApplianceId && !canary) throw notFound('ApplianceNotFound', `appliance ${input.canaryApplianceId} does not exist`);
  if (!canary) throw preconditionFailed('NoStagingAppliance', 'a campaign starts with a canary on a staging (pre-production) appliance; none is available');
  if (!canary.staging) throw preconditionFailed('CanaryNotStaging', `${canary.applianceId} is not a staging appliance; the canary must not be production`);
  if (inTargets.has(canary.applianceId)) throw validationError('CanaryInTargets', `${canary.applianceId} is the canary and cannot also be a target`);

  const now = ctx.clock.now().toISOString();
  const blocked: string[] = [];
  const all = [{ targetId: canary.applianceId, primaryId: canary.applianceId, backupId: undefined as string | undefined, pairId: undefined as string | undefined, option: 'single' as UpgradeOption }, ...targets];
  // Campaign windows are booked back to back with no operator in between: what a run would refuse to
  // start (a window too short for the modelled install, Integration Clients older than 10.6, API users
  // not acknowledged) blocks the target here, before anything is stored.
  const campaignBlockers = new Set(['WindowTooShort', 'IntegrationClientTooOld', 'ApiUsersMustPrepare']);
  for (const t of all) {
    const facts = await planInputFor(
      ctx,
      { primary: byId.get(t.primaryId)!, backup: t.backupId ? byId.get(t.backupId) : undefined, pairId: t.pairId },
      pkg,
      { windowMinutes: t.option === 'single' ? [input.windowMinutes] : [input.windowMinutes, input.windowMinutes], traffic: false, fleet },
    );
    const plan = planUpgrade(facts);
    const mine = plan.options.find((o) => o.option === t.option)?.risks ?? [];
    const blockers = mine.filter((r) => r.severity === 'blocker' || campaignBlockers.has(r.code));
    if (blockers.length > 0) blocked.push(`${t.targetId}: ${blockers.map((r) => r.message).join('; ')}`);
  }
  if (blocked.length > 0) throw preconditionFailed('CampaignTargetsBlocked', `${blocked.length} target(s) cannot be upgraded: ${blocked.slice(0, 5).join(' | ')}`, { blocked });

  const waveSize = Math.max(1, input.waveSize);
  const campaign: Campaign = {
    campaignId: input.campaignId ?? `campaign-${crypto.randomUUID()}`,
    packageId: pkg.packageId,
    targetVersion: pkg.version,
    ...(pkg.kind === 'base' ? { packageKind: 'base' as const } : {}),
    option: input.option,
    concurrency: input.concurrency,
    waveSize,
    windowMinutes: input.windowMinutes,
    timeZone: input.timeZone,
    targets: [
      { targetId: canary.applianceId, kind: 'single', primaryId: canary.applianceId, option: 'single', wave: 0, status: 'pending' },
      ...targets.map((t, i) => ({ ...t, wave: Math.floor(i / waveSize) + 1 })),
    ],
    status: 'created',
    createdBy: actor,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  try {
    await ctx.records.runs.put(toItem(campaign), { expectVersion: 0 });
  } catch (e) {
    if (e instanceof ConditionFailedError) throw conflict('CampaignExists', `campaign ${campaign.campaignId} already exists`);
    throw e;
  }
  await appendAudit(ctx, { runId: campaign.campaignId, step: 'campaign.create', actor, outcome: 'succeeded', inputs: input, detail: `${campaign.targets.length - 1} target(s), canary ${canary.applianceId}` });
  return campaign;
}

/** An approver starts the campaign; that sign-off also approves each run's interim once its checks pass. */
export async function startCampaign(ctx: AppContext, campaignId: string, approver: string, options: { forbidSelfApproval?: boolean } = {}): Promise<Campaign> {
  const c = await updateCampaign(ctx, campaignId, (c) => {
    if (c.status !== 'created') throw preconditionFailed('CampaignNotStartable', `campaign ${campaignId} is ${c.status}`);
    if (options.forbidSelfApproval && c.createdBy === approver) {
      throw new DomainError('forbidden', 'SelfApprovalForbidden', 'the operator who created the campaign cannot approve (start) it');
    }
    return { ...c, status: 'canary', startedBy: approver, startedAt: ctx.clock.now().toISOString() };
  });
  await appendAudit(ctx, { runId: campaignId, step: 'campaign.start', actor: approver, outcome: 'succeeded', inputs: options });
  return c;
}

/**
 * An operator halts the campaign: no new run starts (pending targets are skipped), runs in flight finish and
 * are recorded, as after a failure. Cancel instead also stops the runs in flight between steps.
 */
export async function haltCampaign(ctx: AppContext, campaignId: string, actor: string, reason: string): Promise<Campaign> {
  let repeat = false;
  const c = await updateCampaign(ctx, campaignId, (c) => {
    if (c.status === 'halted' && c.haltedBy?.by === actor) {
      repeat = true;
      return c;
    }
    if (c.status !== 'created' && c.status !== 'canary' && c.status !== 'rolling') throw preconditionFailed('CampaignNotRunning', `campaign ${campaignId} is ${c.status}; only a created or running campaign can be halted`);
    return {
      ...c,
      status: 'halted',
      statusReason: `halted by ${actor}: ${reason}`,
      haltedBy: { by: actor, at: ctx.clock.now().toISOString(), reason },
      targets: c.targets.map((t) => (t.status === 'pending' ? { ...t, status: 'skipped' } : t)),
    };
  });
  if (!repeat) await appendAudit(ctx, { runId: campaignId, step: 'campaign.halt', actor, outcome: 'succeeded', inputs: { reason } });
  return c;
}

export async function cancelCampaign(ctx: AppContext, campaignId: string, actor: string, reason: string): Promise<Campaign> {
  const c = await updateCampaign(ctx, campaignId, (c) => {
    if (c.status === 'succeeded' || c.status === 'cancelled') throw preconditionFailed('CampaignClosed', `campaign ${campaignId} is already ${c.status}`);
    return { ...c, status: 'cancelled', statusReason: cancelledBy({ by: actor, reason }), endedAt: ctx.clock.now().toISOString() };
  });
  // Every run the campaign created that is still open (a failed target's run can be open too: an
  // interrupted window), so its appliances are released for the next campaign.
  for (const t of c.targets.filter((t) => t.runId && t.status !== 'pending')) {
    await cancelRun(ctx, t.runId!, actor, `campaign ${campaignId} cancelled: ${reason}`)
      .then((run) => reconcileRun(ctx, run))
      .catch((e) => {
        if (!isDomainError(e)) throw e; // RunClosed: nothing to do
      });
  }
  await appendAudit(ctx, { runId: campaignId, step: 'campaign.cancel', actor, outcome: 'succeeded', inputs: { reason } });
  return c;
}

/** Looks at a running target's run and moves it on: records the end, or approves the interim and starts window 2. */
async function observe(ctx: AppContext, c: Campaign, t: CampaignTarget): Promise<Pick<CampaignTarget, 'status' | 'error'>> {
  let run: Run = await reconcileRun(ctx, await requireRun(ctx, t.runId!));
  if (run.status === 'interim' && c.status !== 'cancelled') {
    const checks = run.interim.checks;
    if (checks && !checks.passed) return { status: 'failed', error: `interim checks failed: ${checks.results.filter((r) => !r.passed).map((r) => r.name).join(', ')}` };
    if (!checks) return { status: 'running' };
    try {
      if (!run.interim.approval) run = await approveInterim(ctx, run.runId, c.startedBy!, { comment: `campaign ${c.campaignId}` });
      run = await startRunWindow(ctx, run.runId, 2, c.startedBy!);
    } catch (e) {
      return { status: 'failed', error: isDomainError(e) ? `${e.code}: ${e.message}` : String(e) };
    }
  }
  if (run.status === 'succeeded') return { status: 'succeeded' };
  if (run.status === 'failed' || run.status === 'cancelled') return { status: 'failed', error: run.statusReason ?? run.status };
  // A window whose execution died needs an operator (resume or cancel): for the campaign it is a failure.
  const interrupted = run.windows.find((w) => w.interrupted);
  if (interrupted) return { status: 'failed', error: run.statusReason ?? `window ${interrupted.index} interrupted` };
  return { status: 'running' };
}

async function startTarget(ctx: AppContext, c: Campaign, t: CampaignTarget): Promise<Pick<CampaignTarget, 'status' | 'error'>> {
  const now = ctx.clock.now().getTime();
  const windowAt = (i: number) => ({ start: new Date(now + i * c.windowMinutes * 60_000).toISOString(), durationMinutes: c.windowMinutes, timeZone: c.timeZone });
  try {
    try {
      await createUpgradeRun(
        ctx,
        {
          runId: t.runId,
          option: t.option,
          packageId: c.packageId,
          targetVersion: c.targetVersion,
          packageKind: c.packageKind,
          primaryId: t.primaryId,
          backupId: t.backupId,
          pairId: t.pairId,
          windows: t.option === 'single' ? [windowAt(0)] : [windowAt(0), windowAt(1)],
        },
        c.createdBy,
      );
    } catch (e) {
      // A crash after creating the run but before recording it: the deterministic run id makes this a retry,
      // provided the run found is this target's (same appliances, created for this campaign's creator).
      if (!(isDomainError(e) && e.code === 'RunExists')) throw e;
      const existing = await requireRun(ctx, t.runId!);
      if (existing.primaryId !== t.primaryId || existing.backupId !== t.backupId || existing.createdBy !== c.createdBy) {
        throw conflict('RunIdTaken', `run ${t.runId} already exists for another target (${existing.primaryId})`);
      }
    }
    await startRunWindow(ctx, t.runId!, 1, c.startedBy!);
    return { status: 'running' };
  } catch (e) {
    return { status: 'failed', error: isDomainError(e) ? `${e.code}: ${e.message}` : `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/**
 * Deterministic (a retried claim finds its run again) and unique per campaign and target: a readable
 * prefix, then a digest of both ids, so long ids never truncate into one another.
 */
export function campaignRunId(campaignId: string, targetId: string): string {
  const readable = `${campaignId}-${targetId}`;
  if (readable.length <= 56) return readable;
  return `${readable.slice(0, 56)}-${createHash('sha256').update(`${campaignId}\n${targetId}`).digest('hex').slice(0, 13)}`;
}

const applyUpdates = (c: Campaign, updates: Map<string, Partial<CampaignTarget>>): Campaign => ({
  ...c,
  targets: c.targets.map((t) => (updates.has(t.targetId) ? { ...t, ...updates.get(t.targetId) } : t)),
});

function halted(c: Campaign): Campaign {
  const failed = c.targets.find((t) => t.status === 'failed');
  if (!failed || c.status === 'halted' || c.status === 'cancelled') return c;
  return {
    ...c,
    status: 'halted',
    statusReason: `halted: ${failed.targetId}${failed.wave === 0 ? ' (canary)' : ''} failed: ${failed.error ?? 'unknown error'}`,
    targets: c.targets.map((t) => (t.status === 'pending' ? { ...t, status: 'skipped' } : t)),
  };
}

class LeaseBusy extends Error {}
const LEASE_MS = 30_000;

/**
 * One step of the campaign state machine; safe to call repeatedly and concurrently: advancers take a
 * short lease on the campaign record (conditional write), so only one moves it at a time and a run is
 * never started twice. A crashed holder's lease expires after 30 s.
 */
export async function advanceCampaign(ctx: AppContext, campaignId: string): Promise<Campaign> {
  const holder = crypto.randomUUID();
  try {
    await updateCampaign(ctx, campaignId, (c) => {
      const now = ctx.clock.now().getTime();
      if (c.lease && c.lease.until > now) throw new LeaseBusy();
      return { ...c, lease: { holder, until: now + LEASE_MS } };
    });
  } catch (e) {
    if (e instanceof LeaseBusy) return requireCampaign(ctx, campaignId);
    throw e;
  }
  try {
    return await advanceLeased(ctx, campaignId);
  } finally {
    await updateCampaign(ctx, campaignId, (c) => (c.lease?.holder === holder ? { ...c, lease: undefined } : c));
  }
}

async function advanceLeased(ctx: AppContext, campaignId: string): Promise<Campaign> {
  let c = await requireCampaign(ctx, campaignId);
  if (!ACTIVE.includes(c.status) && c.status !== 'cancelled') return c;

  // 1. Observe runs in flight (also after a halt, so their outcome is recorded).
  const running = c.targets.filter((t) => t.status === 'running' && t.runId);
  if (running.length > 0) {
    const observed = await Promise.all(running.map(async (t) => [t.targetId, await observe(ctx, c, t)] as const));
    const changed = new Map(observed.filter(([id, o]) => o.status !== 'running' || c.targets.find((t) => t.targetId === id)?.error !== o.error));
    if (changed.size > 0) {
      c = await updateCampaign(ctx, campaignId, (cur) => halted(applyUpdates(cur, changed)));
      for (const [targetId, o] of changed) {
        log[o.status === 'failed' ? 'warn' : 'info']('campaign target ' + o.status, { campaignId, targetId, runId: c.targets.find((t) => t.targetId === targetId)?.runId, error: o.error });
        await appendAudit(ctx, { runId: campaignId, step: `campaign.target.${o.status}`, actor: 'campaign', outcome: o.status === 'failed' ? 'failed' : 'succeeded', inputs: { targetId }, detail: o.error ?? targetId });
      }
    }
  }
  if (c.status === 'halted' || c.status === 'cancelled') return c;

  // 2. Decide what to start next.
  const canary = c.targets.find((t) => t.wave === 0)!;
  if (c.status === 'canary' && canary.status === 'succeeded') {
    c = await updateCampaign(ctx, campaignId, (cur) => ({ ...cur, status: 'rolling' }));
  }
  let toStart: CampaignTarget[] = [];
  if (c.status === 'canary' && canary.status === 'pending') toStart = [canary];
  if (c.status === 'rolling') {
    const open = c.targets.filter((t) => t.wave > 0 && t.status !== 'succeeded');
    if (open.length === 0) {
      c = await updateCampaign(ctx, campaignId, (cur) => ({ ...cur, status: 'succeeded', endedAt: ctx.clock.now().toISOString() }));
      await appendAudit(ctx, { runId: campaignId, step: 'campaign.end', actor: 'campaign', outcome: 'succeeded', detail: `${c.targets.length} run(s) succeeded` });
      log.info('campaign succeeded', { campaignId, targets: c.targets.length });
      return c;
    }
    const wave = Math.min(...open.map((t) => t.wave));
    const inFlight = c.targets.filter((t) => t.status === 'running').length;
    toStart = open.filter((t) => t.wave === wave && t.status === 'pending').slice(0, Math.max(0, c.concurrency - inFlight));
  }
  if (toStart.length === 0) return c;

  // Claim first (record run ids), then start: a crash in between leaves a deterministic run id to resume.
  const claim = new Map(toStart.map((t) => [t.targetId, { status: 'running' as const, runId: campaignRunId(campaignId, t.targetId) }]));
  c = await updateCampaign(ctx, campaignId, (cur) => {
    for (const id of claim.keys()) if (cur.targets.find((t) => t.targetId === id)?.status !== 'pending') claim.delete(id);
    return applyUpdates(cur, claim);
  });
  const wave = toStart[0]!.wave;
  log.info(wave === 0 ? 'campaign canary starting' : 'campaign wave starting', { campaignId, wave, targets: [...claim.keys()] });
  const started = await Promise.all(c.targets.filter((t) => claim.has(t.targetId)).map(async (t) => [t.targetId, await startTarget(ctx, c, t)] as const));
  const failures = new Map(started.filter(([, o]) => o.status === 'failed'));
  if (failures.size > 0) c = await updateCampaign(ctx, campaignId, (cur) => halted(applyUpdates(cur, failures)));
  if (c.status === 'halted') log.warn('campaign halted', { campaignId, reason: c.statusReason });
  return c;
}

/** Advances every active campaign (local scheduler loop). */
export async function advanceActiveCampaigns(ctx: AppContext): Promise<Campaign[]> {
  const active = (await listCampaigns(ctx)).filter((c) => ACTIVE.includes(c.status));
  const out: Campaign[] = [];
  for (const c of active) out.push(await advanceCampaign(ctx, c.campaignId));
  return out;
}
