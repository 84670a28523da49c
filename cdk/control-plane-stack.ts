import { ArnFormat, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { BUCKETS, ROUTE53_ZONE_ENV, TABLES } from '../functions/platform/adapters/config.js';
import type { Route } from '../functions/platform/api/http.js';
import { routes as routeTable } from '../functions/platform/api/routes.js';
import { tasks as taskRegistry } from '../functions/control-plane/tasks/index.js';
import { Alarms } from './constructs/alarms.js';
import { ControlPlaneFunction } from './constructs/control-plane-function.js';
import { CursorKey } from './constructs/cursor-key.js';
import { HttpApi } from './constructs/http-api.js';
import { MaintenanceWindows } from './constructs/maintenance-windows.js';
import { OperatorSignIn } from './constructs/operator-sign-in.js';
import { Storage } from './constructs/storage.js';
import { stateMachineArnPrefix, workflowRefs, Workflows } from './constructs/workflows.js';
import { applyPermissions, type GrantTargets } from './grants.js';
import { applyNagSuppressions } from './nag-suppressions.js';
import { permissionsFor, type Permissions } from './permissions.js';
import { apiEntry, pascal, routesByGroup, SCHEDULER_ENTRY, streamingGroups, TASK_ENTRY, workflowSources, type WorkflowSource } from './sources.js';
import type { StageConfig } from './stage.js';

export interface ControlPlaneStackProps extends StackProps {
  config: StageConfig;
  /** Defaults to the route table of functions/platform/api/routes.ts (tests pass their own to probe edge cases). */
  routes?: readonly Route[];
  /** Defaults to the task names of functions/control-plane/tasks/index.ts. */
  tasks?: readonly string[];
  /** Defaults to statemachines/*.asl.json. */
  workflows?: readonly WorkflowSource[];
}

/** A function the stack created, with the declaration its rights came from (tests check one against the other). */
export interface DeployedFunction {
  kind: 'route group' | 'route stream' | 'task' | 'scheduler';
  name: string;
  construct: ControlPlaneFunction;
  permissions: Permissions;
}

const ALARM_NAMES: Record<DeployedFunction['kind'], (name: string) => string> = {
  'route group': (name) => `api-${name}`,
  'route stream': (name) => `api-${name}-stream`,
  task: (name) => `task-${name}`,
  scheduler: () => 'scheduler',
};
const alarmName = (f: DeployedFunction) => ALARM_NAMES[f.kind](f.name);

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The whole control plane on AWS, generated from the route table, the task registry and the ASL files.
 * This class wires parts together and declares outputs; the parts live in cdk/constructs/.
 */
export class ControlPlaneStack extends Stack {
  readonly storage: Storage;
  readonly cursorKey: CursorKey;
  readonly http: HttpApi;
  readonly workflows: Workflows;
  readonly windows: MaintenanceWindows;
  readonly signIn: OperatorSignIn;
  readonly functions: DeployedFunction[] = [];
  /** Function URLs (response streaming) by route group. */
  readonly streamUrls: Map<string, lambda.FunctionUrl>;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    const { config } = props;
    const routes = props.routes ?? routeTable;
    const taskNames = props.tasks ?? Object.keys(taskRegistry);
    const workflows = props.workflows ?? workflowSources();

    this.storage = new Storage(this, 'Storage', config);
    this.cursorKey = new CursorKey(this, 'CursorKey', { config });
    const refs = workflowRefs(this, config, workflows);
    this.windows = new MaintenanceWindows(this, 'MaintenanceWindows', { config, workflows: refs });
    const targets: GrantTargets = {
      storage: this.storage,
      workflows: refs,
      scheduleGroup: this.windows.group,
      schedulerRole: this.windows.executionRole,
      hostedZoneId: config.hostedZoneId,
      cursorKey: this.cursorKey.secret,
      driverCredentialsPrefix: `${config.prefix}/appliances/`,
    };
    const arnPrefix = stateMachineArnPrefix(this, config);
    // Known before the function exists (its name is fixed), so the API functions can point schedules at it.
    const schedulerFunctionArn = Stack.of(this).formatArn({ service: 'lambda', resource: 'function', resourceName: `${config.prefix}-scheduler`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const environmentFor = (p: Permissions): Record<string, string> => ({
      ...Object.fromEntries(TABLES.map((t) => [`${t.toUpperCase()}_TABLE`, this.storage.tables[t].tableName])),
      ...Object.fromEntries(BUCKETS.map((b) => [`${b.toUpperCase()}_BUCKET`, this.storage.buckets[b].bucketName])),
      STATE_MACHINE_ARN_PREFIX: arnPrefix,
      // Every function that queries a table pages with cursors sealed by this key (read on first use).
      ...(Object.keys(p.tables ?? {}).length > 0 ? { CURSOR_KEY_SECRET_ARN: this.cursorKey.secret.secretArn } : {}),
      // Names read by functions/control-plane/adapters/eventbridge-scheduler.ts; the target is the scheduler function.
      ...(p.scheduler
        ? {
            SCHEDULER_GROUP: this.windows.group.scheduleGroupName,
            SCHEDULER_ROLE_ARN: this.windows.executionRole.roleArn,
            SCHEDULER_TARGET_ARN: schedulerFunctionArn,
          }
        : {}),
      ...(p.route53 && config.hostedZoneId ? { [ROUTE53_ZONE_ENV]: config.hostedZoneId } : {}),
      ...(p.applianceDriver ? { DRIVER_CREDENTIALS_PREFIX: targets.driverCredentialsPrefix } : {}),
    });
    const deploy = (kind: DeployedFunction['kind'], name: string, make: (p: Permissions) => ControlPlaneFunction) => {
      const permissions = permissionsFor(kind, name);
      const construct = make(permissions);
      applyPermissions(this, `${pascal(kind)}${pascal(name)}`, construct.role, permissions, targets);
      this.functions.push({ kind, name, construct, permissions });
      return construct.fn;
    };

    const taskFunctions = new Map<string, lambda.IFunction>();
    for (const task of taskNames) {
      taskFunctions.set(
        task,
        deploy('task', task, (p) =>
          new ControlPlaneFunction(this, `Task${pascal(task)}`, {
            config,
            name: `task-${kebab(task)}`,
            entry: TASK_ENTRY,
            description: `Step Functions task ${task} (functions/control-plane/tasks)`,
            environment: { ...environmentFor(p), TASK_NAME: task },
            timeout: Duration.minutes(1),
          }),
        ),
      );
    }

    const groupFunctions = new Map<string, lambda.IFunction>();
    for (const group of routesByGroup(routes).keys()) {
      groupFunctions.set(
        group,
        deploy('route group', group, (p) =>
          new ControlPlaneFunction(this, `Api${pascal(group)}`, {
            config,
            name: `api-${kebab(group)}`,
            entry: apiEntry(group),
            description: `HTTP routes of group ${group} (functions/<system>/api)`,
            environment: environmentFor(p),
            copyIntoBundle: [{ from: 'functions/control-plane/api/console/assets', to: 'assets' }],
            // API Gateway gives up after 30 s; fail first so the client sees our error.
            timeout: Duration.seconds(25),
          }),
        ),
      );
    }

    // API Gateway buffers Lambda responses (6 MB at most): routes marked `streaming` are also served by a
    // response-streaming Function URL. Authentication stays in the app (the API's bearer tokens), as behind API Gateway.
    this.streamUrls = new Map<string, lambda.FunctionUrl>();
    for (const group of streamingGroups(routes)) {
      const fn = deploy('route stream', group, (p) =>
        new ControlPlaneFunction(this, `Stream${pascal(group)}`, {
          config,
          name: `api-${kebab(group)}-stream`,
          entry: apiEntry(group, 'stream'),
          description: `Streamed responses of route group ${group} (large reports) behind a Function URL`,
          environment: environmentFor(p),
          // No API Gateway 30 s limit here; a 100,000-session report reads for seconds, not minutes.
          timeout: Duration.minutes(5),
        }),
      );
      const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE, invokeMode: lambda.InvokeMode.RESPONSE_STREAM });
      this.streamUrls.set(group, url);
      new CfnOutput(this, `${pascal(group)}StreamUrl`, { value: url.url, description: `Streaming base URL for the ${group} routes marked streaming (e.g. large reports)` });
    }

    const schedulerFn = deploy('scheduler', 'scheduler', (p) =>
      new ControlPlaneFunction(this, 'Scheduler', {
        config,
        name: 'scheduler',
        entry: SCHEDULER_ENTRY,
        description: 'Starts maintenance windows when their schedule fires; catches up on due and missed windows; advances campaigns',
        environment: environmentFor(p),
        timeout: Duration.minutes(1),
      }),
    );
    this.windows.useTarget(schedulerFn);

    this.http = new HttpApi(this, 'Http', { config, routes, functionOfGroup: (g) => groupFunctions.get(g)! });
    // The console is served at the API's root; sign-in (Cognito or an external issuer) returns there.
    const consoleUrl = `${this.http.url}/`;
    this.signIn = new OperatorSignIn(this, 'SignIn', { config, consoleUrl });
    for (const f of this.functions.filter((x) => x.kind === 'route group' || x.kind === 'route stream')) {
      for (const [k, v] of Object.entries(this.signIn.environment)) f.construct.fn.addEnvironment(k, v);
    }
    // The emulated appliances' sites are served by this API: the site driver reaches them there (docs/driver.md).
    for (const f of this.functions.filter((x) => x.permissions.applianceDriver)) f.construct.fn.addEnvironment('APPLIANCE_BASE_URL', this.http.url);
    this.workflows = new Workflows(this, 'Workflows', { config, workflows, taskFunctions });
    new Alarms(this, 'Alarms', {
      config,
      functions: new Map(this.functions.map((f) => [alarmName(f), f.construct.fn])),
      machines: this.workflows.machines,
      api: this.http.api,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.http.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'ConsoleUrl', { value: consoleUrl, description: 'Operator console (sign in with an operator token, or single sign-on when configured)' });
    new CfnOutput(this, 'StateMachineArnPrefix', { value: arnPrefix });
    new CfnOutput(this, 'ScheduleGroupName', { value: this.windows.group.scheduleGroupName });
    for (const t of TABLES) new CfnOutput(this, `${pascal(t)}TableName`, { value: this.storage.tables[t].tableName });
    for (const b of BUCKETS) new CfnOutput(this, `${pascal(b)}BucketName`, { value: this.storage.buckets[b].bucketName });

    applyNagSuppressions(this);
  }
}
