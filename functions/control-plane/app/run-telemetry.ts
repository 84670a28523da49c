/**
 * Logs and metrics of run transitions (functions/control-plane/core/run-transitions.ts), called by `updateRun` after
 * each successful write: window started / succeeded / failed / cancelled / interrupted and gate overrides.
 */
import { runTransitions, type RunTransitionKind } from '../core/run-transitions.js';
import type { Run } from '../core/run.js';
import { log } from '../../platform/observability/logger.js';
import { recordMetric, type MetricName } from '../../platform/observability/metrics.js';

const METRIC: Record<RunTransitionKind, MetricName> = {
  'window-started': 'WindowsStarted',
  'window-succeeded': 'WindowsSucceeded',
  'window-failed': 'WindowsFailed',
  'window-cancelled': 'WindowsCancelled',
  'window-interrupted': 'WindowsInterrupted',
  'gate-overridden': 'InterimGateOverrides',
};

export function noteRunChange(before: Run, after: Run): void {
  for (const t of runTransitions(before, after)) {
    const fields = { runId: after.runId, option: after.option, window: t.window, attempt: t.attempt, executionArn: t.executionArn, detail: t.detail };
    const level = t.kind === 'window-failed' || t.kind === 'window-interrupted' ? 'warn' : 'info';
    log[level](t.kind.replace('-', ' '), fields);
    recordMetric(METRIC[t.kind], 1, {}, { runId: after.runId, option: after.option, ...(t.window ? { window: t.window } : {}) });
  }
}
