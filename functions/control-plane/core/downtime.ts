/** Production downtime from facts: which appliance served production when, and when each one was down. */

export interface Interval {
  from: number;
  to: number;
}

/**
 * Milliseconds during [start, end] in which the appliance serving production was down. `serving` lists
 * the switches in time order (the first entry holds from `start`); `outages` are per appliance.
 */
export function productionDowntimeMs(
  serving: { applianceId: string; at: number }[],
  outages: Record<string, Interval[]>,
  start: number,
  end: number,
): number {
  let total = 0;
  for (let i = 0; i < serving.length; i++) {
    const from = Math.max(start, serving[i]!.at);
    const to = Math.min(end, serving[i + 1]?.at ?? end);
    if (to <= from) continue;
    for (const o of outages[serving[i]!.applianceId] ?? []) total += Math.max(0, Math.min(to, o.to) - Math.max(from, o.from));
  }
  return total;
}
