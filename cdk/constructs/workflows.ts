import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { definitionSubstitutions, pascal, type WorkflowSource } from '../sources.js';
import type { StageConfig } from '../stage.js';

/** Physical state machine name; `STATE_MACHINE_ARN_PREFIX` + workflow name must give its ARN. */
export const stateMachineName = (config: StageConfig, workflow: string) => `${config.prefix}-${workflow}`;

/** The prefix SfnWorkflowEngine puts before a workflow name to get its state machine ARN. */
export function stateMachineArnPrefix(scope: Construct, config: StageConfig): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: `${config.prefix}-`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Each workflow imported by its known ARN, for grants that must not depend on the state machine resources. */
export function workflowRefs(scope: Construct, config: StageConfig, workflows: readonly WorkflowSource[]) {
  return new Map<string, sfn.IStateMachine>(
    workflows.map((w) => [
      w.name,
      sfn.StateMachine.fromStateMachineName(scope, `${pascal(w.name)}Ref`, stateMachineName(config, w.name)),
    ]),
  );
}

/** One state machine per statemachines/*.asl.json, the file text as-is plus `DefinitionSubstitutions` for task ARNs. */
export class Workflows extends Construct {
  readonly machines = new Map<string, sfn.StateMachine>();

  constructor(
    scope: Construct,
    id: string,
    props: { config: StageConfig; workflows: readonly WorkflowSource[]; taskFunctions: ReadonlyMap<string, lambda.IFunction> },
  ) {
    super(scope, id);
    const { config } = props;
    for (const workflow of props.workflows) {
      const fnOf = (task: string) => {
        const fn = props.taskFunctions.get(task);
        if (!fn) throw new Error(`statemachines/${workflow.name}.asl.json references task "${task}" that functions/control-plane/tasks/index.ts does not register`);
        return fn;
      };
      const name = stateMachineName(config, workflow.name);
      const logGroup = new logs.LogGroup(this, `${pascal(workflow.name)}Logs`, {
        // The vendedlogs prefix keeps Step Functions from growing the account's log resource policy.
        logGroupName: `/aws/vendedlogs/states/${name}`,
        retention: config.logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const machine = new sfn.StateMachine(this, pascal(workflow.name), {
        stateMachineName: name,
        stateMachineType: sfn.StateMachineType.STANDARD,
        definitionBody: sfn.DefinitionBody.fromString(workflow.text),
        definitionSubstitutions: definitionSubstitutions(workflow.text, (task) => fnOf(task).functionArn),
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
        tracingEnabled: true,
      });
      for (const task of workflow.tasks) fnOf(task).grantInvoke(machine);
      this.machines.set(workflow.name, machine);
    }
  }
}
