import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { atExpression } from '../../platform/core/schedule.js';
import type { RemoteScheduler } from '../app/scheduler.js';
import { once } from '../../platform/adapters/lazy.js';

/** The SDK module, imported on first use (see clients.ts). */
const sdk = once(() => import('@aws-sdk/client-scheduler'));

export interface EventBridgeSchedulerOptions {
  /** Lambda that runs `fireSchedule` (functions/control-plane/scheduler/lambda-handler.ts). */
  targetArn: string;
  /** Role EventBridge Scheduler assumes to invoke the target. */
  roleArn: string;
  groupName?: string;
}

/**
 * One-time EventBridge Scheduler schedules for maintenance windows. The expression is in UTC because
 * the DST decision was already made by functions/control-plane/core/schedule.ts; the schedule deletes itself after it
 * fires, and the DynamoDB schedule record stays the source of truth (a fire for a window that was
 * cancelled or already started is refused there).
 */
export class EventBridgeWindowScheduler implements RemoteScheduler {
  constructor(
    private readonly client: Pick<SchedulerClient, 'send'>,
    private readonly options: EventBridgeSchedulerOptions,
  ) {}

  async create(schedule: { name: string; at: string; payload: { scheduleId: string } }): Promise<void> {
    try {
      const { CreateScheduleCommand } = await sdk();
      await this.client.send(
        new CreateScheduleCommand({
          Name: schedule.name,
          GroupName: this.options.groupName,
          ScheduleExpression: atExpression(schedule.at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: { Arn: this.options.targetArn, RoleArn: this.options.roleArn, Input: JSON.stringify(schedule.payload) },
        }),
      );
    } catch (e) {
      // Same name means a retried create of the same window: already scheduled.
      if ((e as Error).name !== 'ConflictException') throw e;
    }
  }

  async delete(name: string): Promise<void> {
    try {
      const { DeleteScheduleCommand } = await sdk();
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.options.groupName }));
    } catch (e) {
      if ((e as Error).name !== 'ResourceNotFoundException') throw e;
    }
  }
}

/** The EventBridge scheduler for one region (wired by services.ts when the SCHEDULER_* variables are set). */
export const eventBridgeWindowScheduler = async (region: string, options: EventBridgeSchedulerOptions): Promise<RemoteScheduler> =>
  new EventBridgeWindowScheduler(new (await sdk()).SchedulerClient({ region }), options);
