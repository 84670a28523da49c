/**
 * The run's side of live traffic (issue 14): the plan's downtime estimate per window, kept when the run is
 * created (after the run the installs are done and a new plan would estimate nothing), and writing the
 * measurement on the run. The measuring itself is functions/traffic/ (the local runtime's generator).
 */
import type { OptionPlan } from '../core/plan.js';
import type { Run, RunTraffic, UpgradeOption } from '../core/run.js';
import type { AppContext } from '../../platform/app/context.js';
import { planFor } from './fleet.js';
import { updateRun } from './run-store.js';

/** Minutes the production site is down in each window of an option's plan. */
export const downtimeByWindow = (plan: Pick<OptionPlan, 'steps'>, windows: number) =>
  Array.from({ length: windows }, (_, i) => plan.steps.filter((s) => s.window === i + 1 && s.productionDown).reduce((n, s) => n + s.estimatedMinutes, 0));

/** The estimate for a run about to be created, or undefined when no plan can be made (the run does not depend on it). */
export async function plannedDowntime(ctx: AppContext, input: { option: UpgradeOption; primaryId: string; backupId?: string; packageId: string }): Promise<number[] | undefined> {
  try {
    const { plan } = await planFor(ctx, { primaryId: input.primaryId, ...(input.backupId ? { backupId: input.backupId } : { applianceId: input.primaryId }), packageId: input.packageId });
    const chosen = plan.options.find((o) => o.option === input.option);
    return chosen ? downtimeByWindow(chosen, input.option === 'single' ? 1 : 2) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the run's traffic measurement (the whole field: a re-measure replaces it). */
export function recordRunTraffic(ctx: AppContext, runId: string, traffic: RunTraffic): Promise<Run> {
  return updateRun(ctx, runId, (run) => ({ ...run, traffic }));
}

/** The local runtime's live traffic, as the control API sees it (absent on AWS: no generator runs there). */
export interface TrafficControl {
  status(): TrafficStatusView;
  configure(settings: Partial<TrafficSettingsView>, actor: string): Promise<TrafficStatusView>;
  measureRun(runId: string, options?: { reconcile?: boolean }): Promise<RunTraffic | undefined>;
}

export interface TrafficSettingsView {
  sessionsPerHour: number;
  medianSessionMinutes: number;
  sessionLengthSigma: number;
  representativesPerTeam: number;
  seed: number;
}

export interface TrafficStatusView {
  settings: TrafficSettingsView;
  running: boolean;
  sites: string[];
  active: number;
  requested: number;
  completed: number;
  cutOff: number;
  failedAttempts: number;
  dropped: number;
  gaveUp: number;
  lastLoginRefusal?: string;
}
