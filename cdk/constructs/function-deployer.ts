import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { BUCKETS, ROUTE53_ZONE_ENV, TABLES } from '../../functions/platform/adapters/config.js';
import { applyPermissions, type GrantTargets } from '../grants.js';
import { permissionsFor, type Permissions } from '../permissions.js';
import type { Route } from '../../functions/platform/api/http.js';
import { apiEntry, kebab, pascal, routesByGroup } from '../sources.js';
import type { StageConfig, System } from '../stage.js';
import { ControlPlaneFunction } from './control-plane-function.js';
import type { Storage } from './storage.js';

export type FunctionKind = 'route group' | 'route stream' | 'task' | 'scheduler';

/** A function the stack created, with the system it belongs to and the declaration its rights came from (tests check one against the other). */
export interface DeployedFunction {
  kind: FunctionKind;
  name: string;
  /** `platform` = shared by both systems (the health probe). */
  system: System | 'platform';
  construct: ControlPlaneFunction;
  permissions: Permissions;
}

export interface FunctionSpec {
  kind: FunctionKind;
  name: string;
  /** Physical-name suffix (`<prefix>-<physicalName>`). */
  physicalName: string;
  entry: string;
  description: string;
  timeout: Duration;
  /** Beside the environment every function gets from its declaration. */
  environment?: Record<string, string>;
  copyIntoBundle?: { from: string; to: string }[];
}

/**
 * Creates every function of the stack the same way: rights exactly from cdk/permissions.ts, the environment
 * those rights imply (table and bucket names, the cursor key), and one registry of what was deployed.
 */
export class FunctionDeployer {
  readonly functions: DeployedFunction[] = [];

  constructor(
    private readonly config: StageConfig,
    private readonly storage: Storage,
    private readonly common: { stateMachineArnPrefix: string; cursorKeySecretArn: string },
  ) {}

  deploy(scope: Construct, system: DeployedFunction['system'], spec: FunctionSpec, targets: GrantTargets, environmentFor: (p: Permissions) => Record<string, string> = () => ({})): ControlPlaneFunction {
    const permissions = permissionsFor(spec.kind, spec.name);
    const id = `${pascal(spec.kind === 'route group' ? 'api' : spec.kind === 'route stream' ? 'stream' : spec.kind)}${spec.kind === 'scheduler' ? '' : pascal(spec.name)}`;
    const construct = new ControlPlaneFunction(scope, id, {
      config: this.config,
      name: spec.physicalName,
      entry: spec.entry,
      description: spec.description,
      timeout: spec.timeout,
      copyIntoBundle: spec.copyIntoBundle,
      environment: { ...this.environment(permissions), ...environmentFor(permissions), ...spec.environment },
    });
    applyPermissions(scope, `${pascal(spec.kind)}${pascal(spec.name)}`, construct.role, permissions, targets);
    this.functions.push({ kind: spec.kind, name: spec.name, system, construct, permissions });
    return construct;
  }

  /**
   * One function per route group of `routes` (`api-<group>`), but for the groups `shared` already serves
   * (the platform's health probe): what each system's HTTP API integrates, by group.
   */
  deployRouteGroups(
    scope: Construct,
    system: System,
    routes: readonly Route[],
    shared: ReadonlyMap<string, IFunction>,
    targets: GrantTargets,
    options: { folder: string; copyIntoBundle?: FunctionSpec['copyIntoBundle']; environmentFor?: (p: Permissions) => Record<string, string> },
  ): Map<string, IFunction> {
    const groupFunctions = new Map(shared);
    for (const group of routesByGroup(routes).keys()) {
      if (groupFunctions.has(group)) continue;
      const { fn } = this.deploy(scope, system, {
        kind: 'route group',
        name: group,
        physicalName: `api-${kebab(group)}`,
        entry: apiEntry(group),
        description: `HTTP routes of group ${group} (${options.folder})`,
        copyIntoBundle: options.copyIntoBundle,
        // API Gateway gives up after 30 s; fail first so the client sees our error.
        timeout: Duration.seconds(25),
      }, targets, options.environmentFor);
      groupFunctions.set(group, fn);
    }
    return groupFunctions;
  }

  /** Names of the stack's tables and buckets (a system deployed alone has only its own), the workflows' ARN prefix, the cursor key, the hosted zone. */
  private environment(p: Permissions): Record<string, string> {
    return {
      ...Object.fromEntries(TABLES.filter((t) => this.storage.tables[t]).map((t) => [`${t.toUpperCase()}_TABLE`, this.storage.tables[t]!.tableName])),
      ...Object.fromEntries(BUCKETS.filter((b) => this.storage.buckets[b]).map((b) => [`${b.toUpperCase()}_BUCKET`, this.storage.buckets[b]!.bucketName])),
      STATE_MACHINE_ARN_PREFIX: this.common.stateMachineArnPrefix,
      // Every function that queries a table pages with cursors sealed by this key (read on first use).
      ...(Object.keys(p.tables ?? {}).length > 0 ? { CURSOR_KEY_SECRET_ARN: this.common.cursorKeySecretArn } : {}),
      ...(p.route53 && this.config.hostedZoneId ? { [ROUTE53_ZONE_ENV]: this.config.hostedZoneId } : {}),
    };
  }
}
