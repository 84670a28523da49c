/**
 * A site's busy hours from its session history, with bounded reads: only the last `lookbackDays` (28),
 * only the `startTime` attribute (a projection), at most `maxSessions` (20,000) sessions. On a site with
 * more sessions than that in the lookback, the profile covers the period the sessions read span.
 */
import { buildTrafficProfile, type TrafficProfile } from '../../platform/core/busy-hours.js';
import type { AppContext } from '../../platform/app/context.js';
import { iterateSessionsByStart } from './session-store.js';

export const TRAFFIC_LOOKBACK_DAYS = 28;
export const TRAFFIC_MAX_SESSIONS = 20_000;

export async function trafficProfile(
  ctx: AppContext,
  applianceId: string,
  timeZone: string,
  options: { lookbackDays?: number; maxSessions?: number } = {},
): Promise<TrafficProfile> {
  const toMs = ctx.clock.now().getTime();
  const fromMs = toMs - (options.lookbackDays ?? TRAFFIC_LOOKBACK_DAYS) * 86_400_000;
  const cap = options.maxSessions ?? TRAFFIC_MAX_SESSIONS;
  const starts: number[] = [];
  let truncated = false;
  for await (const page of iterateSessionsByStart(ctx, applianceId, new Date(fromMs).toISOString(), new Date(toMs).toISOString(), { pageSize: 1000, fields: ['startTime'] })) {
    for (const s of page) starts.push(Date.parse(s.startTime));
    if (starts.length >= cap) {
      truncated = true;
      break;
    }
  }
  const covered = truncated ? starts.slice(0, cap) : starts;
  // Truncated: the profile covers what was read (oldest first), so the averages stay per real week.
  const end = truncated ? covered[covered.length - 1]! + 1 : toMs;
  return buildTrafficProfile(covered, { fromMs, toMs: end, timeZone, truncated });
}
