import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type MetricName } from '../../functions/platform/observability/metrics.js';
import { pascal } from '../sources.js';
import type { StageConfig } from '../stage.js';

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Failed/timed-out executions, Lambda errors, API 5xx (count and rate), and the control plane's own EMF
 * metrics (functions/platform/observability/metrics.ts): window failures, sessions lost, installs over their
 * estimate. Notify `-c alarmTopicArn=...` when given.
 */
export class Alarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    props: {
      config: StageConfig;
      functions: ReadonlyMap<string, lambda.IFunction>;
      machines: ReadonlyMap<string, sfn.StateMachine>;
      /** Each HTTP API of the stack; `name` prefixes its alarms (`''` keeps the control API's `Api5xx`). */
      apis: readonly { name: string; label: string; api: apigw.HttpApi }[];
      /** The control plane's own metrics (windows, sessions, installs) exist only where it is deployed. */
      controlPlane: boolean;
    },
  ) {
    super(scope, id);
    const { config } = props;
    const add = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string, comparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD) =>
      this.alarms.push(
        new cloudwatch.Alarm(this, name, {
          alarmName: `${config.prefix}-${name}`,
          alarmDescription: description,
          metric,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    // The control plane's EMF metrics carry one dimension, service = the stage prefix (METRICS_SERVICE_NAME).
    const own = (metricName: MetricName, statistic: string) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: config.prefix }, statistic, period: FIVE_MINUTES });

    for (const [workflow, machine] of props.machines) {
      add(`${pascal(workflow)}ExecutionsFailed`, machine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `${workflow}: an execution failed`);
      add(`${pascal(workflow)}ExecutionsTimedOut`, machine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `${workflow}: an execution timed out`);
    }
    for (const [name, fn] of props.functions) {
      add(`${pascal(name)}Errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), config.alarms.lambdaErrors, `${name}: Lambda errors (unhandled exceptions, timeouts)`);
    }
    for (const { name, label, api } of props.apis) {
      add(`${name}Api5xx`, api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), config.alarms.api5xx, `HTTP API (${label}): 5xx responses`);
      add(
        `${name}Api5xxRate`,
        new cloudwatch.MathExpression({
          expression: 'IF(requests > 0, 100 * errors / requests, 0)',
          usingMetrics: { errors: api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), requests: api.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' }) },
          period: FIVE_MINUTES,
          label: '5xx % of requests',
        }),
        config.alarms.api5xxRatePercent,
        `HTTP API (${label}): at least ${config.alarms.api5xxRatePercent}% of requests answered 5xx`,
      );
    }
    if (props.controlPlane) {
      add('WindowsFailed', own('WindowsFailed', 'Sum'), 1, 'A maintenance window failed (the run has the reason and an alert audit event)');
      add('SessionsLost', own('SessionsLost', 'Sum'), 1, 'Completed sessions were missing on the serving appliance at an interim check (must stay 0)');
      add(
        'InstallOverEstimate',
        own('InstallOverEstimateMinutes', 'Maximum'),
        config.alarms.installOverrunMinutes,
        `An install ran more than ${config.alarms.installOverrunMinutes} min past its estimate (windows are sized by the estimate)`,
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
    }

    if (config.alarms.topicArn) {
      const action = new actions.SnsAction(sns.Topic.fromTopicArn(this, 'Topic', config.alarms.topicArn));
      for (const alarm of this.alarms) alarm.addAlarmAction(action);
    }
  }
}
