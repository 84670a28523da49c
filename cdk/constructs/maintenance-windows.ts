import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { StageConfig } from '../stage.js';

/**
 * EventBridge Scheduler group for maintenance windows and the role its schedules run as: the control API
 * creates one-time schedules in this group that invoke the scheduler function at a window's start, and a
 * rate schedule invokes it every 5 minutes to catch up (a window missed past its end is recorded missed).
 */
export class MaintenanceWindows extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: { config: StageConfig; workflows: ReadonlyMap<string, sfn.IStateMachine> }) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: `${props.config.prefix}-maintenance-windows`,
    });
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      description: 'Assumed by EventBridge Scheduler to start maintenance-window workflow executions',
      // Confused-deputy guard: only schedules of this account may assume it.
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
  }

  /** Points schedules at the scheduler function: the role may invoke it, and the catch-up schedule runs it. */
  useTarget(fn: lambda.IFunction): void {
    fn.grantInvoke(this.executionRole);
    new scheduler.CfnSchedule(this, 'CatchUp', {
      groupName: this.group.scheduleGroupName,
      description: 'Fire due maintenance windows, record missed ones, advance campaigns',
      scheduleExpression: 'rate(5 minutes)',
      flexibleTimeWindow: { mode: 'OFF' },
      target: { arn: fn.functionArn, roleArn: this.executionRole.roleArn, input: '{}' },
    });
  }
}
