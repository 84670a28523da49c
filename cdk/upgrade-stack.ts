import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { BUCKETS, TABLES, type BucketName, type TableName } from '../functions/platform/adapters/config.js';
import type { Route } from '../functions/platform/api/http.js';
import { systemRouteTables } from '../functions/local/routes.js';
import { tasks as taskRegistry } from '../functions/control-plane/tasks/index.js';
import { Alarms } from './constructs/alarms.js';
import { ApplianceEmulator } from './constructs/appliance-emulator.js';
import { ControlPlane } from './constructs/control-plane.js';
import { CursorKey } from './constructs/cursor-key.js';
import { FunctionDeployer, type DeployedFunction, type FunctionKind } from './constructs/function-deployer.js';
import { Storage } from './constructs/storage.js';
import { stateMachineArnPrefix } from './constructs/workflows.js';
import type { GrantTargets } from './grants.js';
import { applyNagSuppressions } from './nag-suppressions.js';
import { permissionsFor } from './permissions.js';
import { apiEntry, kebab, pascal, routesByGroup, workflowSources, type WorkflowSource } from './sources.js';
import type { StageConfig, System } from './stage.js';

export type { DeployedFunction } from './constructs/function-deployer.js';

export interface UpgradeStackProps extends StackProps {
  config: StageConfig;
  /** Route tables by system; default functions/local/routes.ts (tests pass their own to probe edge cases). */
  routes?: Partial<Record<System, readonly Route[]>>;
  /** Defaults to the task names of functions/control-plane/tasks/index.ts. */
  tasks?: readonly string[];
  /** Defaults to statemachines/*.asl.json. */
  workflows?: readonly WorkflowSource[];
}

const ALARM_NAMES: Record<FunctionKind, (name: string) => string> = {
  'route group': (name) => `api-${name}`,
  'route stream': (name) => `api-${name}-stream`,
  task: (name) => `task-${name}`,
  scheduler: () => 'scheduler',
};

/** Route groups that both systems' APIs serve (`/health`): one function, deployed by the stack itself. */
const PLATFORM_GROUPS = ['system'];

/**
 * The systems of `config.systems` on AWS, generated from the route tables, the task registry and the ASL
 * files: the emulated appliances (cdk/constructs/appliance-emulator.ts) and the control plane
 * (cdk/constructs/control-plane.ts), each with an HTTP API of its own, over one storage that holds exactly
 * the tables and buckets their functions declare. This class wires parts together; the parts live in cdk/constructs/.
 */
export class UpgradeStack extends Stack {
  readonly storage: Storage;
  readonly cursorKey: CursorKey;
  readonly emulator?: ApplianceEmulator;
  readonly controlPlane?: ControlPlane;
  readonly functions: DeployedFunction[];

  constructor(scope: Construct, id: string, props: UpgradeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const routeTables = { ...systemRouteTables, ...props.routes };
    const taskNames = props.tasks ?? Object.keys(taskRegistry);
    const workflows = props.workflows ?? workflowSources();
    const deployed = new Set(config.systems);
    const routesOf = (system: System) => (deployed.has(system) ? routeTables[system] : []);

    // Storage first, sized by what the functions to come declare.
    const planned: { kind: FunctionKind; name: string }[] = [
      ...[...deployed].flatMap((s) => [...routesByGroup(routesOf(s)).keys()].map((name) => ({ kind: 'route group' as const, name }))),
      ...(deployed.has('control-plane') ? [...taskNames.map((name) => ({ kind: 'task' as const, name })), { kind: 'scheduler' as const, name: 'scheduler' }] : []),
    ];
    const declared = planned.map((f) => permissionsFor(f.kind, f.name));
    const used = {
      tables: new Set(TABLES.filter((t) => declared.some((p) => p.tables?.[t]))),
      buckets: new Set(BUCKETS.filter((b) => declared.some((p) => p.buckets?.[b]))),
    };
    this.storage = new Storage(this, 'Storage', config, used);
    this.cursorKey = new CursorKey(this, 'CursorKey', { config });
    const arnPrefix = stateMachineArnPrefix(this, config);
    const deployer = new FunctionDeployer(config, this.storage, { stateMachineArnPrefix: arnPrefix, cursorKeySecretArn: this.cursorKey.secret.secretArn });
    this.functions = deployer.functions;
    const targets: GrantTargets = {
      storage: this.storage,
      workflows: new Map(),
      hostedZoneId: config.hostedZoneId,
      cursorKey: this.cursorKey.secret,
      driverCredentialsPrefix: `${config.prefix}/appliances/`,
    };

    const shared = new Map<string, lambda.IFunction>();
    for (const group of PLATFORM_GROUPS) {
      if (!planned.some((f) => f.kind === 'route group' && f.name === group)) continue;
      const construct = deployer.deploy(this, 'platform', {
        kind: 'route group',
        name: group,
        physicalName: `api-${kebab(group)}`,
        entry: apiEntry(group),
        description: `HTTP routes of group ${group} (functions/platform/api), on each system's API`,
        timeout: Duration.seconds(25),
      }, targets);
      shared.set(group, construct.fn);
    }

    if (deployed.has('emulator')) {
      this.emulator = new ApplianceEmulator(this, 'Emulator', { config, routes: routesOf('emulator'), deployer, targets, shared });
    }
    if (deployed.has('control-plane')) {
      this.controlPlane = new ControlPlane(this, 'ControlPlane', {
        config,
        routes: routesOf('control-plane'),
        tasks: taskNames,
        workflows,
        deployer,
        targets,
        shared,
        // The stage config requires applianceBaseUrl when the emulator is not deployed here.
        applianceBaseUrl: this.emulator?.http.url ?? config.applianceBaseUrl!,
      });
    }

    // Operators sign in once (Cognito or an external issuer) for every API of the stack: operator auth is the platform's.
    if (this.controlPlane) {
      for (const f of this.functions.filter((x) => x.kind === 'route group' || x.kind === 'route stream')) {
        for (const [k, v] of Object.entries(this.controlPlane.signIn.environment)) f.construct.fn.addEnvironment(k, v);
      }
    }

    new Alarms(this, 'Alarms', {
      config,
      functions: new Map(this.functions.map((f) => [ALARM_NAMES[f.kind](f.name), f.construct.fn])),
      machines: this.controlPlane?.workflows.machines ?? new Map(),
      apis: [
        ...(this.controlPlane ? [{ name: '', label: 'control API', api: this.controlPlane.http.api }] : []),
        ...(this.emulator ? [{ name: 'Sites', label: "sites' API", api: this.emulator.http.api }] : []),
      ],
      controlPlane: deployed.has('control-plane'),
    });

    new CfnOutput(this, 'StateMachineArnPrefix', { value: arnPrefix });
    for (const t of TABLES) {
      const table = this.storage.tables[t as TableName];
      if (table) new CfnOutput(this, `${pascal(t)}TableName`, { value: table.tableName });
    }
    for (const b of BUCKETS) {
      const bucket = this.storage.buckets[b as BucketName];
      if (bucket) new CfnOutput(this, `${pascal(b)}BucketName`, { value: bucket.bucketName });
    }

    applyNagSuppressions(this);
  }

  /** Every HTTP API of the stack (one per deployed system). */
  get httpApis() {
    return [this.controlPlane?.http, this.emulator?.http].filter((h) => h !== undefined);
  }
}
