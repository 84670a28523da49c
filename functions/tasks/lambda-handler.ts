import { servicesFromEnvironment } from '../adapters/services.js';
import { tasks } from './index.js';

/** One bundle for all tasks; each Lambda function selects its task with TASK_NAME. */
export const handler = async (event: Record<string, unknown>) => {
  const name = process.env.TASK_NAME ?? '';
  const task = tasks[name];
  if (!task) throw new Error(`unknown TASK_NAME ${name}`);
  return task(event, servicesFromEnvironment());
};
