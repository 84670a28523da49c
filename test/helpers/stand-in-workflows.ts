/**
 * Stand-ins for the upgrade state machines until the workflow area lands them: each window waits the
 * modelled install time (scaled by TIME_SCALE_MS_PER_MINUTE), then one task applies the window's effect
 * (target version, failover roles), records passing interim checks after window 1, and reports the outcome
 * through recordWindowOutcome, as the real workflows' last task will. Test and bench use only.
 */
import { updateAppliance } from '../../functions/emulator/app/appliance-store.js';
import { requireRun, updateRun } from '../../functions/control-plane/app/run-store.js';
import { recordWindowOutcome } from '../../functions/control-plane/app/runs.js';
import type { Run, WindowIndex } from '../../functions/control-plane/core/run.js';
import type { LocalStepFunctions } from '../../functions/local/local-step-functions.js';
import { tasks } from '../../functions/control-plane/tasks/index.js';

/** Appliance ids whose install the stand-in fails (campaign halt tests). */
export const standInFailures = new Set<string>();

function upgradedIn(run: Run, window: WindowIndex): string[] {
  if (run.option === 'single') return [run.primaryId];
  const first = run.option === 'option2' ? run.backupId! : run.primaryId;
  const second = run.option === 'option2' ? run.primaryId : run.backupId!;
  return [window === 1 ? first : second];
}

/** Must run before the runtime starts: the local Step Functions runner snapshots the task registry. */
export function installStandInTask(): void {
  tasks.standInWindow = async (input, services) => {
    const runId = String(input.runId);
    const window = Number(input.window) as WindowIndex;
    const run = await requireRun(services, runId);
    const now = services.clock.now().toISOString();
    for (const id of upgradedIn(run, window)) {
      if (standInFailures.has(id)) throw Object.assign(new Error(`install of ${run.targetVersion} failed on ${id}`), { name: 'InstallFailed' });
      await updateAppliance(services, id, (a) => ({ ...a, productVersion: run.targetVersion, state: 'online', stateChangedAt: now }));
    }
    if (run.option !== 'single') {
      const roles = run.option === 'option2' && window === 1 ? { [run.backupId!]: 'primary', [run.primaryId]: 'backup' } : {};
      for (const id of [run.primaryId, run.backupId!]) {
        await updateAppliance(services, id, (a) => ({
          ...a,
          failover: { ...a.failover, role: (roles[id] as 'primary' | 'backup' | undefined) ?? a.failover.role, pairStatus: window === 1 ? 'broken' : 'established', ...(window === 2 ? { lastSyncAt: now, lastSyncStatus: 'ok' } : {}) },
        }));
      }
      if (window === 1) {
        const upgraded = upgradedIn(run, 1)[0]!;
        await updateRun(services, runId, (r) => ({ ...r, interim: { ...r.interim, checks: { passed: true, checkedAt: now, results: [{ name: 'upgraded-appliance-online', passed: true, detail: `${upgraded} online on ${run.targetVersion}` }] } } }));
      }
    }
    await recordWindowOutcome(services, runId, window, { ok: true }, 'workflow');
    return { ok: true };
  };
}

export const STAND_IN_WORKFLOWS = ['single-appliance-upgrade', 'failover-option1', 'failover-option2'];

export function registerStandInWorkflows(stepFunctions: LocalStepFunctions, installSeconds = 1800): void {
  const text = JSON.stringify({
    Comment: 'Stand-in window: modelled install wait, then apply and report',
    StartAt: 'Install',
    States: {
      Install: { Type: 'Wait', Seconds: installSeconds, Next: 'Finish' },
      Finish: { Type: 'Task', Resource: '${StandInWindowFunctionArn}', End: true },
    },
  });
  for (const name of STAND_IN_WORKFLOWS) stepFunctions.register({ name, text });
}
