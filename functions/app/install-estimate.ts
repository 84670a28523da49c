import type { Appliance } from '../core/appliance.js';

/**
 * PLACEHOLDER install-duration model used by the control area's plans until the appliance area's model
 * lands (the lead swaps it in here). Vendor guide: installs take 15–60 min, considerably longer with much
 * stored data (recordings). So: 15 min + 0.5 min per GB, capped at 60 min, plus 0.1 min per GB beyond
 * the 90 GB that reach the cap (the "considerably longer" growth).
 */
export function defaultInstallEstimateMinutes(appliance: Pick<Appliance, 'storedDataGb'>): number {
  const gb = Math.max(0, appliance.storedDataGb || 0);
  const typical = Math.min(60, 15 + 0.5 * gb);
  const growth = Math.max(0, gb - 90) * 0.1;
  return Math.round(typical + growth);
}
