import type { SFNClient } from '@aws-sdk/client-sfn';
import { conflict } from '../core/errors.js';
import type { ExecutionDetail, ExecutionStatus, ExecutionSummary, WorkflowEngine } from '../core/ports.js';
import { once } from './lazy.js';
import { currentRequestId } from '../observability/log-context.js';

/** Command classes, imported on first use (see clients.ts). */
const sdk = once(() => import('@aws-sdk/client-sfn'));

/** WorkflowEngine over Step Functions: the real service on AWS, the local endpoint in `npm start`. */
export class SfnWorkflowEngine implements WorkflowEngine {
  constructor(
    private readonly client: SFNClient,
    private readonly arnPrefix: string,
  ) {}

  stateMachineArn(workflow: string): string {
    return `${this.arnPrefix}${workflow}`;
  }

  /**
   * Starts an execution; the request that started it is carried in its input as `requestId` (the tasks'
   * Parameters pick only the fields they need, so it changes nothing they see). A retry of the same name
   * from another request differs only in `requestId`: that is still the same execution, as Step Functions
   * itself treats a retry with equal input.
   */
  async start(workflow: string, input: unknown, name?: string) {
    const { StartExecutionCommand } = await sdk();
    const requestId = currentRequestId();
    const body = requestId && input && typeof input === 'object' && !Array.isArray(input) ? { ...input, requestId } : (input ?? {});
    try {
      const out = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn(workflow),
          input: JSON.stringify(body),
          name,
        }),
      );
      return { executionArn: out.executionArn!, startDate: out.startDate ?? new Date() };
    } catch (e) {
      if ((e as Error).name === 'ExecutionAlreadyExists') {
        const same = name ? await this.sameExecution(workflow, name, input) : undefined;
        if (same) return same;
        throw conflict('ExecutionAlreadyExists', `an execution named ${name} already exists with other input`);
      }
      throw e;
    }
  }

  private async sameExecution(workflow: string, name: string, input: unknown) {
    const executionArn = `${this.stateMachineArn(workflow).replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = await this.describe(executionArn).catch(() => undefined);
    if (existing?.status !== 'RUNNING' || !existing.input || typeof existing.input !== 'object') return undefined;
    const { requestId: _ignored, ...rest } = existing.input as Record<string, unknown>;
    return JSON.stringify(rest) === JSON.stringify(input ?? {}) ? { executionArn, startDate: existing.startDate } : undefined;
  }

  async describe(executionArn: string): Promise<ExecutionDetail> {
    const { DescribeExecutionCommand } = await sdk();
    const out = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    return {
      executionArn: out.executionArn!,
      stateMachineArn: out.stateMachineArn!,
      name: out.name!,
      status: out.status as ExecutionStatus,
      startDate: out.startDate!,
      stopDate: out.stopDate,
      input: out.input ? JSON.parse(out.input) : undefined,
      output: out.output ? JSON.parse(out.output) : undefined,
      error: out.error,
      cause: out.cause,
    };
  }

  async list(workflow: string, status?: ExecutionStatus): Promise<ExecutionSummary[]> {
    const { ListExecutionsCommand } = await sdk();
    const result: ExecutionSummary[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn(workflow), statusFilter: status, nextToken }),
      );
      for (const e of out.executions ?? []) {
        result.push({
          executionArn: e.executionArn!,
          stateMachineArn: e.stateMachineArn!,
          name: e.name!,
          status: e.status as ExecutionStatus,
          startDate: e.startDate!,
          stopDate: e.stopDate,
        });
      }
      nextToken = out.nextToken;
    } while (nextToken);
    return result;
  }

  async stop(executionArn: string, cause?: string): Promise<void> {
    const { StopExecutionCommand } = await sdk();
    await this.client.send(new StopExecutionCommand({ executionArn, cause }));
  }
}
