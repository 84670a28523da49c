/** The control plane's way to an appliance: the driver the composition root configured (docs/driver.md). */
import type { ApplianceDriver, FleetInventory } from '../../platform/core/appliance-driver.js';
import type { Appliance } from '../../platform/core/appliance.js';
import { notFound } from '../../platform/core/errors.js';
import type { AppContext } from '../../platform/app/context.js';

export function driverOf(ctx: AppContext, applianceId: string): ApplianceDriver {
  if (!ctx.drivers) throw new Error('no appliance driver configured (Services.drivers): the control plane reaches appliances only through one');
  return ctx.drivers.forAppliance(applianceId);
}

/** The fleet's inventory (appliances, packages, what each recorded), read over the emulator's fleet API. */
export function inventoryOf(ctx: AppContext): FleetInventory {
  if (!ctx.drivers) throw new Error('no appliance driver configured (Services.drivers): the control plane reads the fleet only through its inventory');
  return ctx.drivers.inventory;
}

export async function requireAppliance(ctx: AppContext, applianceId: string): Promise<Appliance> {
  const a = await inventoryOf(ctx).getAppliance(applianceId);
  if (!a) throw notFound('ApplianceNotFound', `appliance ${applianceId} does not exist`);
  return a;
}

/**
 * The site user the control plane's driver signs in as on every appliance (enrolled per appliance,
 * docs/driver.md). Its own API calls are not an integration that must prepare for 10.6.
 */
export const DRIVER_USERNAME = 'upgrade-driver';
export const isDriverUsage = (u: { kind: string; principalId: string }) => u.kind === 'user' && u.principalId === DRIVER_USERNAME;
