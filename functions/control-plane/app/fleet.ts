/**
 * The operator's view of the fleet: appliances, failover pairs, the package catalog, and dry-run plans.
 * Pairs are derived from each appliance's `failover` fields (kept in step with the pair records by the
 * failover area); packages come from the appliance area's package registry.
 */
import type { Appliance } from '../../platform/core/appliance.js';
import { notFound, validationError } from '../../platform/core/errors.js';
import { installedVersion, type Requirements } from '../../platform/core/packages.js';
import { planUpgrade, type ApplianceFacts, type PlanInput, type PlanIntegrationClient, type PlanPackage, type PlanWindow, type UpgradePlan } from '../core/plan.js';
import { estimateInstallMinutes as installModel } from '../../platform/core/install.js';
import { compareVersions } from '../../platform/core/versions.js';
import type { PackageView } from '../../platform/core/appliance-driver.js';
import { inventoryOf, isDriverUsage, requireAppliance } from './appliance-drivers.js';
import type { AppContext } from '../../platform/app/context.js';
import { controlSettings } from './control-settings.js';

export interface CatalogPackage extends PlanPackage {
  kind: 'product' | 'base';
  releasedAt?: string;
  /** SHA-256 of the package file in the packages bucket. */
  sha256?: string;
  /** The signed manifest's rules (plans and preflight both check these). */
  requires: Requirements;
  source: 'catalog' | 'upload';
}

/** The control API's view of a package (the fleet's package registry is the one source). */
function toCatalogPackage(p: PackageView): CatalogPackage {
  return {
    packageId: p.packageId,
    name: p.name,
    kind: p.kind,
    version: p.version,
    prerequisites: { minBaseVersion: p.requires.minBaseVersion, minProductVersion: p.requires.minProductVersion },
    requires: p.requires,
    source: p.source,
    releasedAt: p.releasedAt,
    sha256: p.sha256,
  };
}

export async function listPackages(ctx: AppContext): Promise<CatalogPackage[]> {
  return (await inventoryOf(ctx).listPackages()).map(toCatalogPackage);
}

export async function requirePackage(ctx: AppContext, packageId: string): Promise<CatalogPackage> {
  const stored = await inventoryOf(ctx).getPackage(packageId);
  if (!stored) throw notFound('PackageNotFound', `package ${packageId} is not in the catalog`, { packageId });
  return toCatalogPackage(stored);
}

export interface Pair {
  pairId: string;
  /** A: the appliance the primary hostname resolves to. */
  primaryId?: string;
  /** B: the backup. */
  backupId?: string;
  status: 'established' | 'broken' | 'syncing' | 'unknown';
  lastSyncAt?: string;
  lastSyncStatus?: string;
  appliances: Appliance[];
}

export function pairsOf(appliances: Appliance[]): Pair[] {
  const byPair = new Map<string, Appliance[]>();
  for (const a of appliances) {
    const id = a.failover.pairId;
    if (id) byPair.set(id, [...(byPair.get(id) ?? []), a]);
  }
  return [...byPair.entries()]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([pairId, members]) => {
      const primary = members.find((m) => m.failover.role === 'primary');
      const backup = members.find((m) => m.failover.role === 'backup');
      const syncs = members.map((m) => m.failover.lastSyncAt).filter((t): t is string => Boolean(t)).sort();
      return {
        pairId,
        primaryId: primary?.applianceId,
        backupId: backup?.applianceId,
        status: (backup ?? primary)?.failover.pairStatus ?? 'unknown',
        lastSyncAt: syncs.at(-1),
        lastSyncStatus: (backup ?? primary)?.failover.lastSyncStatus,
        appliances: members,
      };
    });
}

export const listPairs = async (ctx: AppContext) => pairsOf(await inventoryOf(ctx).listAppliances());

export async function requirePair(ctx: AppContext, pairId: string): Promise<Pair> {
  const pair = (await listPairs(ctx)).find((p) => p.pairId === pairId);
  if (!pair) throw notFound('PairNotFound', `failover pair ${pairId} does not exist`, { pairId });
  return pair;
}

/** Which appliances a plan or run targets: a pair (by id) or explicit appliance ids. */
export interface TargetSpec {
  pairId?: string;
  applianceId?: string;
  primaryId?: string;
  backupId?: string;
}

export interface ResolvedTarget {
  primary: Appliance;
  backup?: Appliance;
  pairId?: string;
}

export async function resolveTarget(ctx: AppContext, spec: TargetSpec): Promise<ResolvedTarget> {
  if (spec.pairId) {
    const pair = await requirePair(ctx, spec.pairId);
    const primary = pair.appliances.find((a) => a.applianceId === pair.primaryId);
    const backup = pair.appliances.find((a) => a.applianceId === pair.backupId);
    if (!primary || !backup) {
      throw validationError('PairIncomplete', `pair ${spec.pairId} needs one primary and one backup appliance (has ${pair.appliances.map((a) => `${a.applianceId}:${a.failover.role}`).join(', ')})`);
    }
    return { primary, backup, pairId: pair.pairId };
  }
  const primaryId = spec.primaryId ?? spec.applianceId;
  if (!primaryId) throw validationError('TargetRequired', 'give pairId, applianceId, or primaryId and backupId', { field: 'pairId' });
  const primary = await requireAppliance(ctx, primaryId);
  const backup = spec.backupId ? await requireAppliance(ctx, spec.backupId) : undefined;
  if (!backup && primary.failover.pairId && primary.failover.pairStatus !== 'broken') {
    // Upgrading one member of a live pair alone would leave it on mixed versions without the failover procedure.
    throw validationError('TargetInPair', `appliance ${primaryId} is in failover pair ${primary.failover.pairId}: target the pair (pairId) with option1 or option2`, { field: spec.applianceId ? 'applianceId' : 'primaryId', pairId: primary.failover.pairId });
  }
  return { primary, backup, pairId: backup ? primary.failover.pairId : undefined };
}

/** What a plan reads beside the target and the package. */
export interface PlanFactOptions {
  windowMinutes?: number[];
  windows?: PlanWindow[];
  /** Read the session history for busy hours (default true; campaigns skip it). */
  traffic?: boolean;
  /** The fleet, when the caller has it already (campaigns): avoids listing it per target. */
  fleet?: Appliance[];
}

async function factsOf(ctx: AppContext, appliance: Appliance, apiUsageSince: string): Promise<ApplianceFacts> {
  const inventory = inventoryOf(ctx);
  const [backups, usage] = await Promise.all([inventory.listBackups(appliance.applianceId), inventory.apiUsage(appliance.applianceId, apiUsageSince)]);
  const newest = backups[0];
  return {
    appliance,
    lastBackupAt: newest?.createdAt,
    ...(newest ? { latestBackup: { backupId: newest.backupId, productVersion: newest.productVersion, createdAt: newest.createdAt, downloadPath: inventory.backupDownloadPath(newest) } } : {}),
    apiUsers: usage.filter((u) => !isDriverUsage(u)),
  };
}

/**
 * The Integration Clients registered on the pair, each judged as the interim check judges it: would it
 * still reach the serving appliance after the option-2 DNS change to the backup? (One registry, one rule:
 * the fleet's integration-readiness answer.)
 */
export async function pairIntegrations(ctx: AppContext, pairId: string, backup: Appliance): Promise<PlanIntegrationClient[]> {
  const inventory = inventoryOf(ctx);
  if ((await inventory.integrationClients(pairId)).length === 0) return [];
  const { integrations } = await inventory.integrationReadiness(pairId, backup.applianceId);
  return integrations.map((r) => ({
    integrationId: r.integrationId,
    name: r.name,
    target: r.target ?? '',
    ...(r.version !== undefined ? { version: r.version } : {}),
    reachesBackupAfterSwap: r.ready,
    ...(r.reason ? { reason: r.reason } : {}),
  }));
}

/** Has `version` of this package kind been installed successfully on a staging appliance (the guide's pre-test)? */
export async function stagingEvidence(ctx: AppContext, pkg: CatalogPackage, exclude: string[], fleet?: Appliance[]) {
  const staging = (fleet ?? (await inventoryOf(ctx).listAppliances())).filter((a) => a.staging && !exclude.includes(a.applianceId));
  for (const a of staging) {
    const done = (await inventoryOf(ctx).installHistory(a.applianceId)).find((r) => r.targetVersion === pkg.version && (r.packageKind ?? 'product') === pkg.kind && r.outcome === 'online');
    if (done) return { pretested: true, detail: `installed on ${a.applianceId} at ${done.finishedAt ?? done.startedAt}` };
  }
  const candidate = staging.find((a) => compareVersions(installedVersion(a, pkg.kind), pkg.version) < 0);
  return { pretested: false, detail: staging.length ? `no successful install of ${pkg.version} on ${staging.map((a) => a.applianceId).join(', ')}` : 'there is no staging appliance', ...(candidate ? { candidateId: candidate.applianceId } : {}) };
}

/** Every fact a plan needs for `target` and `pkg` (reads only). */
export async function planInputFor(ctx: AppContext, target: ResolvedTarget, pkg: CatalogPackage, options: PlanFactOptions = {}): Promise<PlanInput> {
  const settings = controlSettings();
  const now = ctx.clock.now();
  const since = new Date(now.getTime() - settings.apiUsageDays * 86_400_000).toISOString();
  const [primary, backup] = await Promise.all([factsOf(ctx, target.primary, since), target.backup ? factsOf(ctx, target.backup, since) : undefined]);
  const pair = target.backup && target.pairId ? { pairId: target.pairId, backup: target.backup } : undefined;
  const hostname = target.primary.license.primaryHostname;
  const [resolvesTo, integrations, staging, traffic] = await Promise.all([
    pair ? inventoryOf(ctx).resolveHostname(hostname) : undefined,
    pair ? pairIntegrations(ctx, pair.pairId, pair.backup) : undefined,
    pair ? stagingEvidence(ctx, pkg, [target.primary.applianceId, pair.backup.applianceId], options.fleet) : undefined,
    options.traffic === false ? undefined : inventoryOf(ctx).trafficProfile(target.primary.applianceId, options.windows?.[0]?.timeZone ?? 'UTC'),
  ]);
  return {
    package: pkg,
    primary,
    backup,
    now: now.toISOString(),
    estimateInstallMinutes: installModel,
    settings: settings.plan,
    windowMinutes: options.windowMinutes,
    windows: options.windows,
    ...(pair ? { primaryHostname: { hostname, resolvesTo }, integrations, staging } : {}),
    ...(traffic ? { traffic } : {}),
  };
}

/** Dry run for a target and package; reads only. */
export async function planFor(
  ctx: AppContext,
  spec: TargetSpec & { packageId: string } & PlanFactOptions,
  estimateInstallMinutes: (a: Appliance) => number = installModel,
): Promise<{ plan: UpgradePlan; target: ResolvedTarget; package: CatalogPackage; input: PlanInput }> {
  const [target, pkg] = await Promise.all([resolveTarget(ctx, spec), requirePackage(ctx, spec.packageId)]);
  const input = { ...(await planInputFor(ctx, target, pkg, spec)), estimateInstallMinutes };
  return { plan: planUpgrade(input), target, package: pkg, input };
}
