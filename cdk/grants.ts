import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { Permissions } from './permissions.js';
import type { Storage } from './constructs/storage.js';

/** Actions of the health probe: list calls that AWS only authorizes on `*`. */
export const HEALTH_PROBE_ACTIONS = ['dynamodb:ListTables', 's3:ListAllMyBuckets', 'states:ListStateMachines'];

/** What grants can point at; workflows are referenced by name so grants never depend on the state machines. */
export interface GrantTargets {
  storage: Storage;
  /** Workflow name → state machine imported by its known ARN (no dependency cycle with task functions). */
  workflows: ReadonlyMap<string, sfn.IStateMachine>;
  /** The control plane's maintenance-window schedules (absent in a stack without it). */
  scheduleGroup?: scheduler.IScheduleGroup;
  schedulerRole?: iam.IRole;
  hostedZoneId?: string;
  /** Seals pagination cursors; every function with table access reads it (cdk/constructs/cursor-key.ts). */
  cursorKey: secretsmanager.ISecret;
  /** Name prefix of the per-appliance driver credentials (one secret per appliance, created by an operator). */
  driverCredentialsPrefix: string;
}

/** Turns one declaration into `grant*` calls on exactly the declared resources. */
export function applyPermissions(scope: Construct, id: string, role: iam.IRole, p: Permissions, t: GrantTargets): void {
  for (const [name, access] of Object.entries(p.tables ?? {})) {
    const table = t.storage.tables[name as keyof Storage['tables']];
    if (!table) throw new Error(`${id}: declares table ${name}, which this stack's storage does not hold`);
    if (access === 'read') table.grantReadData(role);
    else if (access === 'write') table.grantWriteData(role);
    else table.grantReadWriteData(role);
  }
  // A function that queries a table may page, and cursors are sealed with this key.
  if (Object.keys(p.tables ?? {}).length > 0) t.cursorKey.grantRead(role);
  for (const [name, access] of Object.entries(p.buckets ?? {})) {
    const bucket = t.storage.buckets[name as keyof Storage['buckets']];
    if (!bucket) throw new Error(`${id}: declares bucket ${name}, which this stack's storage does not hold`);
    if (access === 'read') bucket.grantRead(role);
    else if (access === 'write') bucket.grantPut(role);
    else bucket.grantReadWrite(role);
  }
  const workflowNames = p.workflows === 'all' ? [...t.workflows.keys()] : (p.workflows ?? []);
  for (const name of workflowNames) {
    const machine = t.workflows.get(name);
    if (!machine) throw new Error(`${id}: cdk/permissions.ts names workflow "${name}" but statemachines/${name}.asl.json does not exist`);
    // What SfnWorkflowEngine calls: StartExecution, ListExecutions, DescribeExecution, StopExecution.
    machine.grantStartExecution(role);
    machine.grant(role, 'states:ListExecutions');
    machine.grantExecution(role, 'states:DescribeExecution', 'states:StopExecution', 'states:GetExecutionHistory');
  }
  if (p.scheduler) {
    if (!t.scheduleGroup || !t.schedulerRole) throw new Error(`${id}: declares scheduler rights, but this stack has no maintenance-window schedules`);
    t.scheduleGroup.grantReadSchedules(role);
    t.scheduleGroup.grantWriteSchedules(role);
    t.scheduleGroup.grantDeleteSchedules(role);
    t.schedulerRole.grantPassRole(role);
  }
  if (p.route53 && t.hostedZoneId) {
    const zone = route53.HostedZone.fromHostedZoneId(scope, `${id}Zone`, t.hostedZoneId);
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
      resourceArns: [zone.hostedZoneArn],
    });
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['route53:GetChange'],
      resourceArns: [Stack.of(scope).formatArn({ service: 'route53', region: '', account: '', resource: 'change', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
    });
  }
  if (p.applianceDriver) {
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${t.driverCredentialsPrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    });
  }
  if (p.healthProbe) iam.Grant.addToPrincipal({ grantee: role, actions: HEALTH_PROBE_ACTIONS, resourceArns: ['*'] });
}
