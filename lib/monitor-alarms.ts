import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  METRIC,
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  SHARD_DIMENSION,
} from '../functions/observability/metric-names.ts';

/** CloudWatch evaluates an alarm over at most one day. */
const MAX_EVALUATION_SECONDS = 86_400;

export interface MonitorAlarmsProps {
  readonly function: lambda.IFunction;
  readonly table: dynamodb.ITable;
  /** The alerts topic: its failed deliveries are alarmed. */
  readonly alertsTopic: sns.ITopic;
  /** Where alarm and OK notifications go. */
  readonly operationsTopic: sns.ITopic;
  readonly failureQueue: sqs.IQueue;
  /** Time between two scheduled runs (an upper bound when the schedule is an irregular cron). */
  readonly schedulePeriod: Duration;
  /**
   * Consecutive periods without a successful poll before the heartbeat alarm fires.
   * @default 3 (1 when three periods would exceed a day)
   */
  readonly heartbeatPeriods?: number;
  /**
   * Period of the error-type alarms (errors, throttles, dropped events, queue depth, SNS, DynamoDB).
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * Partitions of the fleet (`deploy.shards`). Above 1, each shard gets its own heartbeat alarm on
   * the data point its runs emit with a `shard` dimension, so one shard that stops polling is seen
   * while the others keep the stack-wide heartbeat green.
   * @default 1
   */
  readonly shards?: number;
  /**
   * The monthly report function (`deploy.report`): alarmed when an invocation fails for good.
   * @default - no report function, no alarm
   */
  readonly reportFunction?: lambda.IFunction;
}

/**
 * Everything that says "the monitor itself is not working", each alarm notifying the operations
 * topic when it fires and when it clears. The heartbeat is the one that catches what the others
 * cannot see (a disabled schedule, a deleted permission, credentials that fail every target): it
 * watches the metric the handler emits after a good run and treats silence as failure.
 */
export class MonitorAlarms extends Construct {
  readonly heartbeat: cloudwatch.Alarm;
  /** One heartbeat per shard of a sharded fleet (empty when unsharded), in shard order. */
  readonly shardHeartbeats: cloudwatch.Alarm[];
  readonly errors: cloudwatch.Alarm;
  readonly throttles: cloudwatch.Alarm;
  readonly droppedEvents: cloudwatch.Alarm;
  readonly failureQueueDepth: cloudwatch.Alarm;
  readonly notificationsFailed: cloudwatch.Alarm;
  readonly alertsRefused: cloudwatch.Alarm;
  readonly pagerDutyRefused: cloudwatch.Alarm;
  readonly tableThrottles: cloudwatch.Alarm;
  readonly reportErrors?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: MonitorAlarmsProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    // Heartbeat periods are whole minutes, no shorter than the schedule (else quiet periods breach).
    const heartbeatSeconds = Math.min(
      MAX_EVALUATION_SECONDS,
      Math.max(300, Math.ceil(props.schedulePeriod.toSeconds() / 60) * 60),
    );
    const wanted = props.heartbeatPeriods ?? 3;
    const heartbeatPeriods = Math.max(
      1,
      Math.min(wanted, Math.floor(MAX_EVALUATION_SECONDS / heartbeatSeconds)),
    );

    const heartbeat = (alarmId: string, dimensions: Record<string, string>, what: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.pollsSucceeded,
        dimensionsMap: dimensions,
        statistic: cloudwatch.Stats.SUM,
        period: Duration.seconds(heartbeatSeconds),
      }).createAlarm(this, alarmId, {
        alarmDescription: `No successful poll${what} for ${heartbeatPeriods} x ${heartbeatSeconds / 60} min: restore jobs are not being watched. See docs/deploy.md#heartbeat.`,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: heartbeatPeriods,
        datapointsToAlarm: heartbeatPeriods,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    this.heartbeat = heartbeat('Heartbeat', { ...METRIC_DIMENSIONS }, '');
    const shards = props.shards ?? 1;
    this.shardHeartbeats =
      shards === 1
        ? []
        : Array.from({ length: shards }, (_, i) =>
            heartbeat(
              `Heartbeat${i + 1}of${shards}`,
              { ...METRIC_DIMENSIONS, [SHARD_DIMENSION]: `${i + 1}/${shards}` },
              ` of shard ${i + 1}/${shards} (its projects)`,
            ),
          );

    const atLeastOnce = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      description: string,
    ): cloudwatch.Alarm =>
      new cloudwatch.Alarm(this, alarmId, {
        metric,
        alarmDescription: description,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    const sum = { statistic: cloudwatch.Stats.SUM, period };
    this.errors = atLeastOnce(
      'Errors',
      props.function.metricErrors(sum),
      'A poll run failed (credentials, DynamoDB, lease, timeout). See docs/deploy.md#errors.',
    );
    this.throttles = atLeastOnce(
      'Throttles',
      props.function.metricThrottles(sum),
      'The poll function was throttled (account concurrency exhausted). See docs/deploy.md#throttles.',
    );
    this.droppedEvents = atLeastOnce(
      'AsyncEventsDropped',
      props.function.metric('AsyncEventsDropped', sum),
      'Scheduled ticks were dropped without running the poll. See docs/deploy.md#dropped-events.',
    );
    this.failureQueueDepth = atLeastOnce(
      'FailureQueueDepth',
      props.failureQueue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period,
      }),
      'Failed or undeliverable poll invocations are waiting in the failure queue. See docs/deploy.md#failure-queue.',
    );
    this.notificationsFailed = atLeastOnce(
      'AlertDeliveryFailed',
      props.alertsTopic.metricNumberOfNotificationsFailed(sum),
      'SNS could not deliver alerts to a subscriber (email, Slack). See docs/deploy.md#alert-delivery.',
    );
    // A channel refusing alerts leaves them owed and retried every run; the heartbeat stays green, so
    // these are the alarms that say alerts are not reaching anyone. Two periods in a row, so one
    // transient blip that the next run repairs does not page anyone. No data (PagerDuty not
    // configured) is not breaching, so the PagerDuty alarm costs nothing to have when it is unused.
    const twoPeriodsInARow = (alarmId: string, metricName: string, description: string): cloudwatch.Alarm =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { ...METRIC_DIMENSIONS },
        ...sum,
      }).createAlarm(this, alarmId, {
        alarmDescription: description,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    // SNS: permissions, KMS, an invalid message.
    this.alertsRefused = twoPeriodsInARow(
      'AlertsRefused',
      METRIC.alertsFailed,
      'SNS refused alerts in two periods in a row: they stay owed and are not reaching anyone. See docs/deploy.md#alerts-refused.',
    );
    // PagerDuty: an outage, a 429 storm, an invalid event, an unusable routing key in the secret.
    this.pagerDutyRefused = twoPeriodsInARow(
      'PagerDutyRefused',
      METRIC.pagerDutyEventsFailed,
      'PagerDuty refused or could not take events in two periods in a row: they stay owed and nobody is paged. See docs/deploy.md#pagerduty-refused.',
    );
    this.tableThrottles = atLeastOnce(
      'TableThrottles',
      new cloudwatch.MathExpression({
        expression: 'FILL(reads, 0) + FILL(writes, 0)',
        usingMetrics: {
          reads: props.table.metric('ReadThrottleEvents', sum),
          writes: props.table.metric('WriteThrottleEvents', sum),
        },
        label: 'Throttled reads + writes',
        period,
      }),
      'DynamoDB throttled the state table. See docs/deploy.md#table-throttles.',
    );

    if (props.reportFunction) {
      // A day: the function's own retries span hours, and a report is only ever a month late.
      this.reportErrors = atLeastOnce(
        'ReportErrors',
        props.reportFunction.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.days(1) }),
        'The monthly restore report could not be published. See docs/deploy.md#report-errors.',
      );
    }

    const notify = new actions.SnsAction(props.operationsTopic);
    for (const alarm of this.all) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
  }

  /** Every alarm of the monitor. */
  get all(): cloudwatch.Alarm[] {
    return [
      this.heartbeat,
      ...this.shardHeartbeats,
      this.errors,
      this.throttles,
      this.droppedEvents,
      this.failureQueueDepth,
      this.notificationsFailed,
      this.alertsRefused,
      this.pagerDutyRefused,
      this.tableThrottles,
      ...(this.reportErrors ? [this.reportErrors] : []),
    ];
  }
}
