/**
 * What changed between two versions of a run, as operational events: a window's execution started, a
 * window ended (succeeded, failed, cancelled), an execution was found interrupted, the interim gate was
 * overridden. Derived from the stored transition, so each is reported exactly once however often the
 * steps that caused it were retried (the write that made it is conditional).
 */
import type { Run, WindowIndex } from './run.js';

export type RunTransitionKind = 'window-started' | 'window-succeeded' | 'window-failed' | 'window-cancelled' | 'window-interrupted' | 'gate-overridden';

export interface RunTransition {
  kind: RunTransitionKind;
  window?: WindowIndex;
  attempt?: number;
  executionArn?: string;
  detail?: string;
}

export function runTransitions(before: Run, after: Run): RunTransition[] {
  const out: RunTransition[] = [];
  for (const w of after.windows) {
    const prev = before.windows.find((x) => x.index === w.index);
    const base = { window: w.index, ...(w.attempt !== undefined ? { attempt: w.attempt } : {}) };
    // Started = an execution ARN recorded for a running window (a start that failed is put back without one).
    if (w.status === 'running' && w.executionArn && w.executionArn !== prev?.executionArn) out.push({ kind: 'window-started', ...base, executionArn: w.executionArn });
    if (w.status !== prev?.status && prev?.status === 'running') {
      if (w.status === 'succeeded') out.push({ kind: 'window-succeeded', ...base });
      if (w.status === 'failed') out.push({ kind: after.cancelRequested ? 'window-cancelled' : 'window-failed', ...base, ...(w.error ? { detail: w.error } : {}) });
    }
    if (w.interrupted && !prev?.interrupted) out.push({ kind: 'window-interrupted', ...base, detail: w.interrupted.reason });
  }
  if (after.interim.override && !before.interim.override) out.push({ kind: 'gate-overridden', detail: after.interim.override.reason });
  return out;
}
