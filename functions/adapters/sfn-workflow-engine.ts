import type { SFNClient } from '@aws-sdk/client-sfn';
import { conflict } from '../core/errors.js';
import type { ExecutionDetail, ExecutionStatus, ExecutionSummary, WorkflowEngine } from '../core/ports.js';
import { once } from './lazy.js';

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

  async start(workflow: string, input: unknown, name?: string) {
    const { StartExecutionCommand } = await sdk();
    try {
      const out = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn(workflow),
          input: JSON.stringify(input ?? {}),
          name,
        }),
      );
      return { executionArn: out.executionArn!, startDate: out.startDate ?? new Date() };
    } catch (e) {
      if ((e as Error).name === 'ExecutionAlreadyExists') {
        throw conflict('ExecutionAlreadyExists', `an execution named ${name} already exists with other input`);
      }
      throw e;
    }
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
