import { validationError } from '../../platform/core/errors.js';
import type { WindowIndex } from '../core/run.js';
import {
  beginInstall,
  breakFailover,
  loadRun,
  moveProductionToBackup,
  pollInstall,
  preflight,
  reestablishFailover,
  resyncPair,
  staffConsoleReport,
  syncBeforeBreak,
  verifyUpgraded,
  type StepInput,
} from '../app/upgrade-steps.js';
import { completeWindow, failWindow, type WindowFailure } from '../app/window-outcome.js';
import type { TaskHandler } from './task.js';

/** Validates the fields every upgrade task gets from its ASL Parameters. */
function stepInput(input: Record<string, unknown>, step: string): StepInput {
  const { runId, window, applianceId } = input;
  if (typeof runId !== 'string' || !runId) throw validationError('InvalidTaskInput', 'runId is required');
  if (window !== 1 && window !== 2) throw validationError('InvalidTaskInput', 'window must be 1 or 2');
  if (applianceId !== undefined && typeof applianceId !== 'string') throw validationError('InvalidTaskInput', 'applianceId must be a string');
  return { runId, window: window as WindowIndex, step, ...(applianceId ? { applianceId } : {}) };
}

const step =
  (name: string, fn: (ctx: Parameters<TaskHandler>[1], input: StepInput) => Promise<unknown>): TaskHandler =>
  (input, services) =>
    fn(services, stepInput(input, name));

/** The tasks of statemachines/single-appliance-upgrade, failover-option1 and failover-option2. */
export const upgradeTasks: Record<string, TaskHandler> = {
  loadRun: step('load-run', loadRun),
  preflight: step('preflight', preflight),
  syncBeforeBreak: step('sync-before-break', syncBeforeBreak),
  breakFailover: step('break-pair', breakFailover),
  beginInstall: step('begin-install', beginInstall),
  pollInstall: step('poll-install', pollInstall),
  verifyUpgraded: step('verify', verifyUpgraded),
  moveProductionToBackup: step('move-production', moveProductionToBackup),
  reestablishFailover: step('establish-pair', reestablishFailover),
  resyncPair: step('resync', resyncPair),
  staffConsoleReport: step('console-report', staffConsoleReport),
  completeWindow: async (input, services) => {
    const { runId, window } = stepInput(input, 'complete');
    return completeWindow(services, runId, window);
  },
  failWindow: async (input, services) => {
    const { runId, window } = stepInput(input, 'fail');
    return failWindow(services, runId, window, (input.error ?? {}) as WindowFailure);
  },
};
