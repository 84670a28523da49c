import { createBackupTask } from './create-backup-task.js';
import type { TaskHandler } from './task.js';
import { upgradeTasks } from './upgrade-tasks.js';

/** Every Step Functions task by name; the local runner and the CDK stack both read this registry. */
export const tasks: Record<string, TaskHandler> = {
  createBackup: createBackupTask,
  ...upgradeTasks,
};
