import { ArnFormat, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Route } from '../../functions/platform/api/http.js';
import type { GrantTargets } from '../grants.js';
import type { Permissions } from '../permissions.js';
import { kebab, SCHEDULER_ENTRY, TASK_ENTRY, type WorkflowSource } from '../sources.js';
import type { StageConfig } from '../stage.js';
import type { FunctionDeployer } from './function-deployer.js';
import { HttpApi } from './http-api.js';
import { MaintenanceWindows } from './maintenance-windows.js';
import { OperatorSignIn } from './operator-sign-in.js';
import { workflowRefs, Workflows } from './workflows.js';

/**
 * The control plane on AWS: the upgrade workflows (one state machine per ASL file) and their task functions,
 * the maintenance-window scheduler, the control API `/v1` with the operator console on an HTTP API of its own,
 * operator sign-in. It reaches appliances only through the site driver at `applianceBaseUrl`: the emulator's
 * API when both are deployed, a real fleet's otherwise (`-c systems=control-plane -c applianceBaseUrl=...`).
 */
export class ControlPlane extends Construct {
  readonly http: HttpApi;
  readonly workflows: Workflows;
  readonly windows: MaintenanceWindows;
  readonly signIn: OperatorSignIn;

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: StageConfig;
      routes: readonly Route[];
      tasks: readonly string[];
      workflows: readonly WorkflowSource[];
      deployer: FunctionDeployer;
      /** Storage and cursor key; the workflows and schedules are added here. */
      targets: Omit<GrantTargets, 'workflows'>;
      shared: ReadonlyMap<string, lambda.IFunction>;
      applianceBaseUrl: string;
    },
  ) {
    super(scope, id);
    const { config, deployer } = props;
    const refs = workflowRefs(this, config, props.workflows);
    this.windows = new MaintenanceWindows(this, 'MaintenanceWindows', { config, workflows: refs });
    const targets: GrantTargets = { ...props.targets, workflows: refs, scheduleGroup: this.windows.group, schedulerRole: this.windows.executionRole };
    // Known before the function exists (its name is fixed), so the API functions can point schedules at it.
    const schedulerFunctionArn = Stack.of(this).formatArn({ service: 'lambda', resource: 'function', resourceName: `${config.prefix}-scheduler`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const environmentFor = (p: Permissions): Record<string, string> => ({
      // Names read by functions/control-plane/adapters/eventbridge-scheduler.ts; the target is the scheduler function.
      ...(p.scheduler ? { SCHEDULER_GROUP: this.windows.group.scheduleGroupName, SCHEDULER_ROLE_ARN: this.windows.executionRole.roleArn, SCHEDULER_TARGET_ARN: schedulerFunctionArn } : {}),
      // The site driver (docs/driver.md): where the appliances' sites answer, and where their credentials are.
      ...(p.applianceDriver ? { APPLIANCE_BASE_URL: props.applianceBaseUrl, DRIVER_CREDENTIALS_PREFIX: props.targets.driverCredentialsPrefix } : {}),
    });

    const taskFunctions = new Map<string, lambda.IFunction>();
    for (const task of props.tasks) {
      const construct = deployer.deploy(this, 'control-plane', {
        kind: 'task',
        name: task,
        physicalName: `task-${kebab(task)}`,
        entry: TASK_ENTRY,
        description: `Step Functions task ${task} (functions/control-plane/tasks)`,
        environment: { TASK_NAME: task },
        timeout: Duration.minutes(1),
      }, targets, environmentFor);
      taskFunctions.set(task, construct.fn);
    }

    const groupFunctions = deployer.deployRouteGroups(this, 'control-plane', props.routes, props.shared, targets, {
      folder: 'functions/control-plane/api',
      copyIntoBundle: [{ from: 'functions/control-plane/api/console/assets', to: 'assets' }],
      environmentFor,
    });

    const scheduler = deployer.deploy(this, 'control-plane', {
      kind: 'scheduler',
      name: 'scheduler',
      physicalName: 'scheduler',
      entry: SCHEDULER_ENTRY,
      description: 'Starts maintenance windows when their schedule fires; catches up on due and missed windows; advances campaigns',
      timeout: Duration.minutes(1),
    }, targets, environmentFor);
    this.windows.useTarget(scheduler.fn);

    this.http = new HttpApi(this, 'Http', {
      config,
      name: 'api',
      description: 'Appliance upgrade control plane: the control API /v1 and the operator console',
      routes: props.routes,
      functionOfGroup: (g) => groupFunctions.get(g)!,
    });
    // The console is served at the API's root; sign-in (Cognito or an external issuer) returns there.
    const consoleUrl = `${this.http.url}/`;
    this.signIn = new OperatorSignIn(this, 'SignIn', { config, consoleUrl });
    this.workflows = new Workflows(this, 'Workflows', { config, workflows: props.workflows, taskFunctions });

    const outputs = Stack.of(this);
    new CfnOutput(outputs, 'ApiUrl', { value: this.http.url, description: 'Base URL of the control API' });
    new CfnOutput(outputs, 'ConsoleUrl', { value: consoleUrl, description: 'Operator console (sign in with an operator token, or single sign-on when configured)' });
    new CfnOutput(outputs, 'ScheduleGroupName', { value: this.windows.group.scheduleGroupName });
  }
}
