import { servicesFromEnvironment } from '../adapters/services.js';
import { advanceActiveCampaigns } from '../app/campaigns.js';
import { fireSchedule, runDueSchedules } from '../app/scheduler.js';

/**
 * AWS entry of the scheduler: a one-time EventBridge schedule invokes it with `{ scheduleId }` at a window's
 * start; a rate schedule invokes it with `{}` to catch up on due windows (missed ones are recorded) and to
 * advance campaigns. Same app functions as the local scheduler loop.
 */
export const handler = async (event: { scheduleId?: unknown }) => {
  const services = servicesFromEnvironment();
  if (typeof event.scheduleId === 'string') return { schedule: await fireSchedule(services, event.scheduleId) };
  const fired = await runDueSchedules(services);
  const campaigns = await advanceActiveCampaigns(services);
  return { fired: fired.length, campaigns: campaigns.length };
};
