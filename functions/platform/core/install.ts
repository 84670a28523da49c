/**
 * How long an install takes: the model both systems share (the emulator's installs take exactly this long,
 * the control plane sizes windows from it). The lifecycle itself is the emulator's (functions/emulator/core/install.ts).
 */
import type { Appliance } from './appliance.js';

export const MIN_INSTALL_MINUTES = 15;
/** The tail of an install spent restarting services (included in the total). */
export const RESTART_MINUTES = 5;
/** Stored data (recordings) that adds one modelled minute to an install. */
export const GB_PER_EXTRA_MINUTE = 10;

/**
 * Modelled install duration in minutes: 15 for an appliance with no stored data plus one minute per
 * 10 GB of stored data (recordings), with no upper bound. The vendor guide: "installation usually takes
 * 15 minutes to an hour; with a large amount of data stored on the appliance (e.g. session recordings)
 * it can take considerably longer" (アップグレードの準備, 3rd point). So 450 GB reaches the hour and 2 TB
 * takes about 3.6 h: the window-deadline guard, the plan and campaigns size windows from this, and the
 * emulator's installs take exactly this long. Both appliances of a pair hold the same data, so they take
 * the same time (プロセスの注記 4). The slope is our calibration (the guide gives no figure).
 */
export function estimateInstallMinutes(input: number | Pick<Appliance, 'storedDataGb'>): number {
  const gb = typeof input === 'number' ? input : input.storedDataGb;
  const extra = Number.isFinite(gb) && gb > 0 ? Math.ceil(gb / GB_PER_EXTRA_MINUTE) : 0;
  return MIN_INSTALL_MINUTES + extra;
}
