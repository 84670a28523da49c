import type { ExecutionStatus, WorkflowEngine } from '../../functions/platform/core/ports.js';

/** A WorkflowEngine that records starts; tests set each execution's status by hand. */
export function recordingEngine() {
  const started: { workflow: string; input: { runId: string; window: number }; name?: string; executionArn: string }[] = [];
  const status = new Map<string, ExecutionStatus>();
  const engine: WorkflowEngine = {
    stateMachineArn: (w) => `arn:sm:${w}`,
    start: async (workflow, input, name) => {
      const executionArn = `arn:exec:${workflow}:${name}`;
      started.push({ workflow, input: input as { runId: string; window: number }, name, executionArn });
      status.set(executionArn, 'RUNNING');
      return { executionArn, startDate: new Date() };
    },
    describe: async (executionArn) => ({ executionArn, stateMachineArn: 'arn:sm', name: executionArn, status: status.get(executionArn) ?? 'RUNNING', startDate: new Date() }),
    list: async () => [],
    stop: async () => undefined,
  };
  return { engine, started, status };
}
