/**
 * The operator's view of the fleet: appliances, failover pairs, the package catalog, and dry-run plans.
 * Pairs are derived from each appliance's `failover` fields (kept in step with the pair records by the
 * failover area); packages come from the appliance area's package registry.
 */
import type { Appliance } from '../core/appliance.js';
import { notFound, validationError } from '../core/errors.js';
import { planUpgrade, type PackagePrerequisites, type PlanPackage, type UpgradePlan } from '../core/plan.js';
import { estimateInstallMinutes as installModel } from '../core/install.js';
import { listBackups } from './backups.js';
import { getPackage, listPackages as listStoredPackages, type PackageRecord } from './packages.js';
import type { AppContext } from './context.js';
import { controlSettings } from './control-settings.js';
import { listAppliances, requireAppliance } from './appliance-store.js';

export interface CatalogPackage extends PlanPackage {
  kind: 'product' | 'base';
  releasedAt?: string;
  /** SHA-256 of the package file in the packages bucket. */
  sha256?: string;
}

/** The control API's view of a stored package (the appliance area's package registry is the one source). */
function toCatalogPackage(p: PackageRecord): CatalogPackage {
  return {
    packageId: p.packageId,
    name: p.name,
    kind: p.kind,
    version: p.version,
    prerequisites: { minBaseVersion: p.manifest.requires.minBaseVersion, minProductVersion: p.manifest.requires.minProductVersion },
    releasedAt: p.manifest.releasedAt,
    sha256: p.sha256,
  };
}

export async function listPackages(ctx: AppContext): Promise<CatalogPackage[]> {
  return (await listStoredPackages(ctx)).map(toCatalogPackage);
}

export async function requirePackage(ctx: AppContext, packageId: string): Promise<CatalogPackage> {
  const stored = await getPackage(ctx, packageId);
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

export const listPairs = async (ctx: AppContext) => pairsOf(await listAppliances(ctx));

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

async function factsOf(ctx: AppContext, appliance: Appliance) {
  const backups = await listBackups(ctx, appliance.applianceId);
  return { appliance, lastBackupAt: backups[0]?.createdAt, integrations: appliance.integrationClients ?? [] };
}

/** Dry run for a target and package; reads only. */
export async function planFor(
  ctx: AppContext,
  spec: TargetSpec & { packageId: string; windowMinutes?: number[] },
  estimateInstallMinutes: (a: Appliance) => number = installModel,
): Promise<{ plan: UpgradePlan; target: ResolvedTarget; package: CatalogPackage }> {
  const [target, pkg] = await Promise.all([resolveTarget(ctx, spec), requirePackage(ctx, spec.packageId)]);
  const [primary, backup] = await Promise.all([factsOf(ctx, target.primary), target.backup ? factsOf(ctx, target.backup) : undefined]);
  const plan = planUpgrade({
    package: pkg,
    primary,
    backup,
    now: ctx.clock.now().toISOString(),
    estimateInstallMinutes,
    settings: controlSettings().plan,
    windowMinutes: spec.windowMinutes,
  });
  return { plan, target, package: pkg };
}
