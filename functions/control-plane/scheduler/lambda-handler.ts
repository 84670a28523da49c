import { servicesFromEnvironment } from '../../platform/adapters/services.js';
import { controlPlaneAdapters } from '../adapters/control-plane-services.js';
import { advanceActiveCampaigns } from '../app/campaigns.js';
import { fireSchedule, runDueSchedules } from '../app/scheduler.js';
import { log } from '../../platform/observability/logger.js';
import { flushMetrics } from '../../platform/observability/metrics.js';

/**
 * AWS entry of the scheduler: a one-time EventBridge schedule invokes it with `{ scheduleId }` at a window's
 * start; a rate schedule invokes it with `{}` to catch up on due windows (missed ones are recorded) and to
 * advance campaigns. Same app functions as the local scheduler loop.
 */
export const handler = async (event: { scheduleId?: unknown }, context?: Parameters<typeof log.addContext>[0]) => {
  if (context) log.addContext(context);
  const services = servicesFromEnvironment(controlPlaneAdapters);
  try {
    if (typeof event.scheduleId === 'string') {
      const schedule = await fireSchedule(services, event.scheduleId);
      log.info('scheduler invoked for one window', { scheduleId: event.scheduleId, status: schedule?.status });
      return { schedule };
    }
    const fired = await runDueSchedules(services);
    const campaigns = await advanceActiveCampaigns(services);
    log.info('scheduler pass', { fired: fired.length, campaigns: campaigns.length });
    return { fired: fired.length, campaigns: campaigns.length };
  } finally {
    flushMetrics();
  }
};
