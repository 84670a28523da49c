/**
 * The operator's view of the fleet: appliances, failover pairs, the package catalog, and dry-run plans.
 * Pairs are derived from each appliance's `failover.pairId` until the failover area publishes pair records.
 */
import type { Appliance } from '../core/appliance.js';
import { notFound, validationError } from '../core/errors.js';
import { planUpgrade, type PackagePrerequisites, type PlanPackage, type UpgradePlan } from '../core/plan.js';
import type { StoredItem } from '../core/ports.js';
import { isVersionString } from '../core/versions.js';
import { listBackups } from './backups.js';
import type { AppContext } from './context.js';
import { controlSettings } from './control-settings.js';
import { listAppliances, requireAppliance } from './appliance-store.js';
import { defaultInstallEstimateMinutes } from './install-estimate.js';
import { catalogPackageKey } from './keys.js';

export interface CatalogPackage extends PlanPackage {
  kind: 'product' | 'base';
  releasedAt?: string;
  /** SHA-256 of the package file in the packages bucket, when uploaded. */
  sha256?: string;
}

const CATALOG = 'PACKAGES';

export async function putCatalogPackage(ctx: AppContext, pkg: CatalogPackage): Promise<void> {
  if (!isVersionString(pkg.version)) throw validationError('InvalidVersion', `package ${pkg.packageId}: "${pkg.version}" is not a version`);
  // `version` is the store's optimistic-concurrency attribute, so the package version is kept as packageVersion.
  const { version, ...rest } = pkg;
  await ctx.records.appliances.put({ ...catalogPackageKey(pkg.packageId), gsi1pk: CATALOG, gsi1sk: pkg.packageId, type: 'catalog-package', ...rest, packageVersion: version });
}

function packageFromItem(item: StoredItem): CatalogPackage {
  return {
    packageId: String(item.packageId),
    name: String(item.name),
    kind: item.kind === 'base' ? 'base' : 'product',
    version: String(item.packageVersion),
    prerequisites: (item.prerequisites ?? {}) as PackagePrerequisites,
    releasedAt: item.releasedAt as string | undefined,
    sha256: item.sha256 as string | undefined,
  };
}

export async function listPackages(ctx: AppContext): Promise<CatalogPackage[]> {
  const out: CatalogPackage[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.records.appliances.query({ index: 'gsi1', pk: CATALOG, cursor });
    out.push(...page.items.map(packageFromItem));
    cursor = page.cursor;
  } while (cursor);
  return out;
}

export async function requirePackage(ctx: AppContext, packageId: string): Promise<CatalogPackage> {
  const item = await ctx.records.appliances.get(catalogPackageKey(packageId));
  if (!item) throw notFound('PackageNotFound', `package ${packageId} is not in the catalog`, { packageId });
  return packageFromItem(item);
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
  estimateInstallMinutes: (a: Appliance) => number = defaultInstallEstimateMinutes,
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
