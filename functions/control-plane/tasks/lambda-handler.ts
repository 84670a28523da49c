import { servicesFromEnvironment } from '../../platform/adapters/services.js';
import { controlPlaneAdapters } from '../adapters/control-plane-services.js';
import { log } from '../../platform/observability/logger.js';
import { tasks } from './index.js';
import { instrumentTask } from './instrument.js';

/** One bundle for all tasks; each Lambda function selects its task with TASK_NAME. */
export const handler = async (event: Record<string, unknown>, context?: Parameters<typeof log.addContext>[0]) => {
  const name = process.env.TASK_NAME ?? '';
  const task = tasks[name];
  if (!task) throw new Error(`unknown TASK_NAME ${name}`);
  if (context) log.addContext(context);
  return instrumentTask(name, task)(event, servicesFromEnvironment(controlPlaneAdapters));
};
