import { advanceActiveCampaigns } from '../control-plane/app/campaigns.js';
import type { AppContext } from '../platform/app/context.js';
import { runDueSchedules } from '../control-plane/app/scheduler.js';
import { errorFields, log } from '../platform/observability/logger.js';
import { flushMetrics } from '../platform/observability/metrics.js';

export interface LocalScheduler {
  /** One pass: fire due windows (recording missed ones) and advance active campaigns. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The local stand-in for EventBridge Scheduler: polls the schedule records in DynamoDB. Because the records
 * are the state, a restart loses nothing; the first tick right after start fires what came due while the
 * process was down, or records it missed when its window has already ended.
 */
export function startLocalScheduler(ctx: AppContext, options: { intervalMs: number }): LocalScheduler {
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  const pass = async () => {
    try {
      await runDueSchedules(ctx);
      await advanceActiveCampaigns(ctx);
    } catch (e) {
      if (!stopped) log.error('scheduler pass failed', errorFields(e, true));
    } finally {
      flushMetrics();
    }
  };
  const tick = async () => {
    // Passes never overlap: a slow pass makes the next one wait, not run twice.
    while (inFlight) await inFlight;
    if (stopped) return;
    inFlight = pass().finally(() => (inFlight = undefined));
    await inFlight;
  };
  const timer = options.intervalMs > 0 ? setInterval(() => void (inFlight ? undefined : tick()), options.intervalMs) : undefined;
  timer?.unref();
  if (options.intervalMs > 0) void tick();
  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await inFlight;
    },
  };
}
