import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pascal } from '../sources.js';
import type { StageConfig } from '../stage.js';

const FIVE_MINUTES = Duration.minutes(5);

/** Failed/timed-out executions, Lambda errors and API 5xx; notify `-c alarmTopicArn=...` when given. */
export class Alarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: StageConfig;
      functions: ReadonlyMap<string, lambda.IFunction>;
      machines: ReadonlyMap<string, sfn.StateMachine>;
      api: apigw.HttpApi;
    },
  ) {
    super(scope, id);
    const { config } = props;
    const add = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) =>
      this.alarms.push(
        new cloudwatch.Alarm(this, name, {
          alarmName: `${config.prefix}-${name}`,
          alarmDescription: description,
          metric,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );

    for (const [workflow, machine] of props.machines) {
      add(`${pascal(workflow)}ExecutionsFailed`, machine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `${workflow}: an execution failed`);
      add(`${pascal(workflow)}ExecutionsTimedOut`, machine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `${workflow}: an execution timed out`);
    }
    for (const [name, fn] of props.functions) {
      add(`${pascal(name)}Errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), config.alarms.lambdaErrors, `${name}: Lambda errors (unhandled exceptions, timeouts)`);
    }
    add('Api5xx', props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), config.alarms.api5xx, 'HTTP API: 5xx responses');

    if (config.alarms.topicArn) {
      const action = new actions.SnsAction(sns.Topic.fromTopicArn(this, 'Topic', config.alarms.topicArn));
      for (const alarm of this.alarms) alarm.addAlarmAction(action);
    }
  }
}
