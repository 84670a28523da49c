import { createAppliance } from '../../functions/emulator/app/appliance-store.js';
import type { AppContext } from '../../functions/platform/app/context.js';
import { seedPackageCatalog } from '../../functions/emulator/app/appliance-seed.js';
import type { CatalogPackage } from '../../functions/control-plane/app/fleet.js';
import { issueOperatorToken } from '../../functions/control-plane/app/operator-tokens.js';
import type { Role } from '../../functions/platform/app/operator-identity.js';
import { switchPrimaryHostname } from '../../functions/emulator/app/primary-hostname.js';
import type { Appliance } from '../../functions/platform/core/appliance.js';
import { sampleAppliance } from './fixtures.js';
import { rawFetch } from './runtime.js';

/** Fixed test tokens (stored hashed like any other). */
export const TOKENS = {
  viewer: 'test-viewer-token-000000000001',
  operator: 'test-operator-token-0000000002',
  approver: 'test-approver-token-0000000003',
  /** Holds operator and approver: can create a run but (by default) not approve its own. */
  carol: 'test-carol-token-00000000000004',
} as const;

const OPERATORS: { key: keyof typeof TOKENS; operatorId: string; roles: Role[] }[] = [
  { key: 'viewer', operatorId: 'victor', roles: ['viewer'] },
  { key: 'operator', operatorId: 'olivia', roles: ['operator'] },
  { key: 'approver', operatorId: 'amy', roles: ['approver'] },
  { key: 'carol', operatorId: 'carol', roles: ['operator', 'approver'] },
];

export async function issueTestTokens(ctx: AppContext): Promise<void> {
  for (const o of OPERATORS) await issueOperatorToken(ctx, { operatorId: o.operatorId, displayName: o.operatorId, roles: o.roles, token: TOKENS[o.key] });
}

export const PACKAGES: CatalogPackage[] = [
  { packageId: 'base-3.2.6', name: 'Base Software-3.2.6', kind: 'base', version: '3.2.6', prerequisites: {}, requires: {}, source: 'catalog' },
  { packageId: 'bomgar-11.1.1', name: 'Bomgar-11.1.1', kind: 'product', version: '11.1.1', prerequisites: { minBaseVersion: '3.2.6' }, requires: { minBaseVersion: '3.2.6' }, source: 'catalog' },
];

/**
 * A failover pair `<pairId>-a` (primary) / `<pairId>-b` (backup), in sync, ready for 11.1.1. Its primary
 * hostname is `<pairId>.example.com` (see {@link createPair}, which also points it at A).
 */
export function pairAppliances(pairId: string, now: string, overrides: Partial<Appliance> = {}): Omit<Appliance, 'version'>[] {
  const failover = { pairId, pairStatus: 'established' as const, lastSyncAt: now, lastSyncStatus: 'ok' };
  const license = { primaryHostname: `${pairId}.example.com`, licenseCount: 15, expires: null };
  overrides = { license, ...overrides };
  return [
    sampleAppliance(`${pairId}-a`, { productVersion: '11.1.0', baseVersion: '3.2.6', storedDataGb: 40, failover: { ...failover, role: 'primary' }, ...overrides }),
    sampleAppliance(`${pairId}-b`, { productVersion: '11.1.0', baseVersion: '3.2.6', storedDataGb: 40, failover: { ...failover, role: 'backup' }, ...overrides }),
  ];
}

export async function seedFleet(ctx: AppContext, options: { pairs?: string[]; staging?: boolean } = {}): Promise<void> {
  const now = ctx.clock.now().toISOString();
  await seedPackageCatalog(ctx);
  for (const pairId of options.pairs ?? ['pair-1']) await createPair(ctx, pairId, now);
  if (options.staging ?? true) await createAppliance(ctx, sampleAppliance('staging-1', { productVersion: '11.1.0', baseVersion: '3.2.6', staging: true, storedDataGb: 2 }));
}

/** Creates the pair's appliances and points its primary hostname at A (the guide: A is where it resolves). */
export async function createPair(ctx: AppContext, pairId: string, now: string, overrides: Partial<Appliance> = {}): Promise<void> {
  const [a, b] = pairAppliances(pairId, now, overrides);
  await createAppliance(ctx, a!);
  await createAppliance(ctx, b!);
  await switchPrimaryHostname(ctx, a!.license.primaryHostname, a!.applianceId);
}

/** A tiny client for the control API; it sends exactly the token given (none when undefined). */
export function controlClient(baseUrl: string, token?: string) {
  const headers = (extra: Record<string, string> = {}) => ({ ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra });
  return {
    get: (path: string) => rawFetch(`${baseUrl}${path}`, { headers: headers() }),
    post: (path: string, body?: unknown, extra: Record<string, string> = {}) =>
      rawFetch(`${baseUrl}${path}`, { method: 'POST', headers: headers({ 'content-type': 'application/json', ...extra }), body: body === undefined ? undefined : JSON.stringify(body) }),
  };
}
