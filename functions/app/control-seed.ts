import type { Appliance } from '../core/appliance.js';
import { isDomainError } from '../core/errors.js';
import { createAppliance } from './appliance-store.js';
import type { AppContext } from './context.js';
import { putCatalogPackage, type CatalogPackage } from './fleet.js';
import { issueOperatorToken, type Role } from './operator-tokens.js';

/** Local demo credentials (documented in docs/control.md). Seeded only against the local emulators. */
export const DEMO_TOKENS: { operatorId: string; roles: Role[]; token: string }[] = [
  { operatorId: 'demo-viewer', roles: ['viewer'], token: 'demo-viewer-token' },
  { operatorId: 'demo-operator', roles: ['operator'], token: 'demo-operator-token' },
  { operatorId: 'demo-approver', roles: ['approver'], token: 'demo-approver-token' },
  { operatorId: 'demo-lead', roles: ['operator', 'approver'], token: 'demo-lead-token-1' },
];

export const DEMO_PACKAGES: CatalogPackage[] = [
  { packageId: 'base-3.2.6', name: 'Base Software-3.2.6', kind: 'base', version: '3.2.6', prerequisites: {} },
  { packageId: 'bomgar-11.1.1', name: 'Bomgar-11.1.1', kind: 'product', version: '11.1.1', prerequisites: { minBaseVersion: '3.2.6' } },
];

function demoAppliance(id: string, now: string, extra: Partial<Appliance>): Omit<Appliance, 'version'> {
  return {
    applianceId: id,
    hostname: `${id}.example.com`,
    ipAddress: '10.0.0.10',
    productVersion: '11.1.0',
    baseVersion: '3.2.6',
    license: { primaryHostname: 'support.example.com', licenseCount: 15, expires: null },
    storedDataGb: 40,
    staging: false,
    state: 'online',
    stateChangedAt: now,
    failover: { role: 'none' },
    createdAt: now,
    updatedAt: now,
    ...extra,
  };
}

/**
 * Control area seed: the package catalog, a demo failover pair and a staging appliance (canary), and demo
 * operator tokens (local only). Idempotent: packages and tokens are overwritten with the same values,
 * appliances are created only when missing.
 */
export async function controlSeed(ctx: AppContext): Promise<void> {
  for (const p of DEMO_PACKAGES) await putCatalogPackage(ctx, p);
  if (ctx.config.local) {
    for (const t of DEMO_TOKENS) await issueOperatorToken(ctx, { operatorId: t.operatorId, displayName: t.operatorId, roles: t.roles, token: t.token });
  }
  const now = ctx.clock.now().toISOString();
  const sync = { pairId: 'demo-pair', pairStatus: 'established' as const, lastSyncAt: now, lastSyncStatus: 'ok' };
  const fleet = [
    demoAppliance('demo-a', now, { ipAddress: '10.0.0.11', storedDataGb: 80, failover: { ...sync, role: 'primary' }, integrationClients: [{ name: 'reporting-ic', target: 'support.example.com' }] }),
    demoAppliance('demo-b', now, { ipAddress: '10.0.0.12', storedDataGb: 80, failover: { ...sync, role: 'backup' } }),
    demoAppliance('demo-staging', now, { ipAddress: '10.0.0.13', storedDataGb: 5, staging: true }),
  ];
  for (const a of fleet) {
    await createAppliance(ctx, a).catch((e) => {
      if (!(isDomainError(e) && e.code === 'ApplianceExists')) throw e;
    });
  }
}
