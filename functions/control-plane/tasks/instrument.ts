/**
 * Step logging for both runtimes (the local Step Functions runner and the task Lambda wrap every task
 * with this): one line when a step starts, when it finishes and when it fails, each with the run id,
 * window, the window's attempt (from the run record), step, appliance and duration; every line the step
 * writes meanwhile carries the same fields. Metrics recorded by the step are flushed when it ends.
 */
import { isDomainError } from '../../platform/core/errors.js';
import type { Services } from '../../platform/adapters/services.js';
import { getRun } from '../app/run-store.js';
import { errorFields, log } from '../../platform/observability/logger.js';
import { withLogContext, type LogContext } from '../../platform/observability/log-context.js';
import { flushMetrics } from '../../platform/observability/metrics.js';
import type { TaskHandler } from './task.js';

/** The window's attempt number, read from the run (executions are named `<run>-w<window>-a<attempt>`). */
async function windowAttempt(services: Services, runId: string, window: unknown): Promise<number | undefined> {
  if (window !== 1 && window !== 2) return undefined;
  const run = await getRun(services, runId).catch(() => undefined);
  return run?.windows.find((x) => x.index === window)?.attempt;
}

export function instrumentTask(name: string, task: TaskHandler): TaskHandler {
  return async (input, services) => {
    const runId = typeof input.runId === 'string' ? input.runId : undefined;
    const fields: LogContext = {
      step: name,
      runId,
      window: typeof input.window === 'number' ? input.window : undefined,
      applianceId: typeof input.applianceId === 'string' ? input.applianceId : undefined,
      attempt: runId ? await windowAttempt(services, runId, input.window) : undefined,
    };
    return withLogContext(fields, async () => {
      const started = performance.now();
      const ms = () => Math.round((performance.now() - started) * 10) / 10;
      log.info('step started');
      try {
        const output = await task(input, services);
        log.info('step finished', { durationMs: ms() });
        return output;
      } catch (e) {
        // A refusal (domain error) is the workflow's Catch path; anything else is a failure of ours.
        if (isDomainError(e)) log.warn('step failed', { durationMs: ms(), errorCode: e.code, ...errorFields(e) });
        else log.error('step failed', { durationMs: ms(), ...errorFields(e, true) });
        throw e;
      } finally {
        flushMetrics();
      }
    });
  };
}
