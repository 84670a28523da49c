/**
 * First-start seeds of the appliance area (idempotent): the default vendor package catalog and a small
 * demo fleet (`staging-1`, and `appliance-a` / `appliance-b`, which the failover area pairs).
 */
import { createHash } from 'node:crypto';
import { newAppliance, type Appliance } from '../../platform/core/appliance.js';
import type { PackageManifest } from '../../platform/core/packages.js';
import type { StaffConsole } from '../core/staff-console.js';
import { createAppliance, getAppliance } from './appliance-store.js';
import type { AppContext } from '../../platform/app/context.js';
import { buildPackageFile } from './package-signing.js';
import { getPackage, storePackage } from './packages.js';
import { ConditionFailedError } from '../../platform/core/ports.js';
import { putConsole } from './staff-console-store.js';

type CatalogEntry = Omit<PackageManifest, 'format' | 'payload' | 'requires'> & { requires: PackageManifest['requires'] };

/** The vendor catalog Check for Updates offers (the guide's screen: Base Software-3.2.6 and Bomgar-11.1.1). */
export const DEFAULT_CATALOG: CatalogEntry[] = [
  { packageId: 'base-3.2.6', kind: 'base', version: '3.2.6', requires: { minBaseVersion: '3.2.0' }, releasedAt: '2026-09-01T00:00:00.000Z', notes: 'Base software update' },
  {
    packageId: 'bomgar-10.6.0',
    kind: 'product',
    version: '10.6.0',
    requires: { minBaseVersion: '3.2.4', minProductVersion: '10.5.0' },
    releasedAt: '2026-09-15T00:00:00.000Z',
    notes: 'API 1.5.0: GUID LSID, LSEQ, XML namespace',
  },
  {
    packageId: 'bomgar-11.1.1',
    kind: 'product',
    version: '11.1.1',
    requires: { minBaseVersion: '3.2.6', minProductVersion: '10.5.0', license: { notExpired: true } },
    releasedAt: '2026-10-01T00:00:00.000Z',
  },
];

/** Deterministic filler payload for a seeded package (the emulator never executes it). */
export function seedPayload(packageId: string, size = 256 * 1024): Uint8Array {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(packageId).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export async function seedPackageCatalog(ctx: AppContext): Promise<void> {
  for (const entry of DEFAULT_CATALOG) {
    if (await getPackage(ctx, entry.packageId)) continue;
    const file = buildPackageFile(entry, seedPayload(entry.packageId));
    await storePackage(ctx, (async function* () { yield file; })(), { source: 'catalog', contentLength: file.length });
  }
}

const demo = (id: string, hostname: string, o: Partial<Appliance>, now: string) => newAppliance(id, now, { hostname, storedDataGb: 180, ...o });

export async function seedDemoFleet(ctx: AppContext): Promise<void> {
  const now = ctx.clock.now().toISOString();
  const fleet = [
    demo('staging-1', 'staging.example.com', { ipAddress: '10.0.0.5', storedDataGb: 20, staging: true, license: { primaryHostname: 'staging.example.com', licenseCount: 2, expires: null } }, now),
    demo('appliance-a', 'a.support.example.com', { ipAddress: '10.0.0.11' }, now),
    demo('appliance-b', 'b.support.example.com', { ipAddress: '10.0.0.12' }, now),
  ];
  for (const a of fleet) {
    if (await getAppliance(ctx, a.applianceId)) continue;
    await createAppliance(ctx, a);
  }
  const consoles: [string, string, string, StaffConsole['deployment'], boolean][] = [
    ['appliance-a', 'alice-laptop', 'alice', 'auto-update', true],
    ['appliance-a', 'bob-lockdown', 'bob', 'msi', true],
    ['appliance-a', 'carol-desk', 'carol', 'auto-update', false],
    ['staging-1', 'qa-desk', 'qa', 'auto-update', false],
  ];
  for (const [applianceId, consoleId, username, deployment, loggedIn] of consoles) {
    try {
      await putConsole(ctx, { applianceId, consoleId, username, version: '10.5.2', deployment, registeredAt: now, loggedIn, ...(loggedIn ? { loggedInAt: now } : {}) }, { ifNotExists: true });
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
    }
  }
}
