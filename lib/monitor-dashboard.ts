import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { DefaultDashboardFactory, MonitoringFacade } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { EVENT_TYPES } from '../functions/core/event-catalogue.ts';
import { METRIC, METRIC_DIMENSIONS, METRICS_NAMESPACE } from '../functions/observability/metric-names.ts';
import { POLL_SUMMARY_LOG } from '../functions/observability/poll-summary-log.ts';

export interface MonitorDashboardProps {
  /** Prefix of the dashboard's name (`{prefix}-Detail`). */
  readonly name: string;
  readonly function: lambda.IFunction;
  /** The poll function's log group: the Logs Insights widgets read its "Poll finished" lines. */
  readonly logGroup: logs.ILogGroup;
  readonly table: dynamodb.ITable;
  readonly alertsTopic: sns.ITopic;
  readonly failureQueue: sqs.IQueue;
  /** Every alarm of the monitor, shown in one status widget at the top. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The monthly report function, when deployed. @default - none */
  readonly reportFunction?: lambda.IFunction;
  /**
   * Period of the graphs.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

/**
 * One CloudWatch dashboard for the monitor itself: is it healthy at a glance? The alarms' states at
 * the top; then the polls (succeeded, duration, targets ok / failing / skipped), events by type and
 * alerts (published, refused by SNS, owed), and the standard Lambda, DynamoDB, SNS and SQS widgets.
 *
 * The standard widgets come from cdk-monitoring-constructs (`MonitoringFacade.monitor*`); it creates
 * no alarm here (MonitorAlarms owns them). What it has no widget for is added as plain CloudWatch
 * widgets: the alarm status, and Logs Insights on the poll's summary line (targets ok/failing, owed
 * alerts, events by type are logged per run rather than published as metrics, which would cost a
 * custom metric each).
 */
export class MonitorDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitorDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const factory = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: props.name,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
      detailDashboardRange: Duration.days(1),
    });
    const facade = new MonitoringFacade(this, 'Facade', {
      metricFactoryDefaults: { namespace: METRICS_NAMESPACE, period },
      alarmFactoryDefaults: { alarmNamePrefix: props.name, actionsEnabled: false },
      dashboardFactory: factory,
    });
    const metric = (name: string, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { ...METRIC_DIMENSIONS },
        statistic,
        period,
        label,
      });
    const logQuery = (title: string, lines: string[], width = 12) =>
      new cloudwatch.LogQueryWidget({
        title,
        logGroupNames: [props.logGroup.logGroupName],
        view: cloudwatch.LogQueryVisualizationType.LINE,
        queryLines: lines,
        width,
        height: 6,
      });

    facade
      .addLargeHeader('restore-watch: the monitor itself')
      .addWidget(
        new cloudwatch.AlarmStatusWidget({
          title: 'Alarms (runbooks: docs/deploy.md)',
          alarms: [...props.alarms],
          width: 24,
          height: 4,
        }),
      )
      .monitorCustom({
        alarmFriendlyName: 'Polls',
        humanReadableName: 'Polls',
        metricGroups: [
          {
            title: 'Polls',
            metrics: [
              metric(METRIC.pollsSucceeded, 'Sum', 'Succeeded (heartbeat)'),
              metric(METRIC.targetsFailed, 'Sum', 'Target polls failed'),
              metric(METRIC.targetsSkipped, 'Sum', 'Targets skipped (time budget)'),
            ],
          },
          {
            title: 'Poll duration',
            metrics: [
              metric(METRIC.pollDuration, 'Average', 'Average (ms)'),
              metric(METRIC.pollDuration, 'Maximum', 'Maximum (ms)'),
            ],
          },
          {
            title: 'Scheduled ticks dropped (no concurrency)',
            metrics: [
              props.function.metric('AsyncEventsDropped', { statistic: 'Sum', period, label: 'Dropped' }),
            ],
          },
          {
            title: 'Events and alerts',
            metrics: [
              metric(METRIC.eventsDetected, 'Sum', 'Events detected'),
              metric(METRIC.alertsPublished, 'Sum', 'Alerts published'),
              metric(METRIC.alertsFailed, 'Sum', 'Alerts refused by SNS'),
              // Emitted only with PagerDuty configured: empty lines otherwise.
              metric(METRIC.pagerDutyEventsSent, 'Sum', 'Pages sent (PagerDuty)'),
              metric(METRIC.pagerDutyEventsFailed, 'Sum', 'Pages refused or not taken (PagerDuty)'),
            ],
          },
        ],
      })
      .addWidget(
        logQuery('Targets ok / failing / skipped (per run)', [
          `filter message = "${POLL_SUMMARY_LOG.message}"`,
          'stats max(targets.ok) as ok, max(targets.failed) as failing, max(targets.skipped) as skipped by bin(5m)',
        ]),
      )
      .addWidget(
        logQuery('Alerts still owed after each run', [
          `filter message = "${POLL_SUMMARY_LOG.message}"`,
          'stats max(alertsOwed) as owed, sum(alertsAbandoned) as parked, max(pagerduty.owed) as pagesOwed by bin(5m)',
        ]),
      )
      .addWidget(
        logQuery(
          'Events by type (each is an alert unless below minSeverity)',
          [
            `filter message = "${POLL_SUMMARY_LOG.message}" and eventsDetected > 0`,
            `stats ${EVENT_TYPES.map((type) => `sum(${POLL_SUMMARY_LOG.eventsByType}.${type}) as ${type}`).join(', ')} by bin(1h)`,
          ],
          24,
        ),
      )
      .monitorLambdaFunction({ lambdaFunction: props.function, humanReadableName: 'Poll function' })
      .monitorDynamoTable({ table: props.table, humanReadableName: 'State table' })
      .monitorSnsTopic({ topic: props.alertsTopic, humanReadableName: 'Alerts topic' })
      .monitorSqsQueue({ queue: props.failureQueue, humanReadableName: 'Failure queue' });
    if (props.reportFunction) {
      facade.monitorLambdaFunction({
        lambdaFunction: props.reportFunction,
        humanReadableName: 'Report function',
      });
    }
    const dashboard = factory.dashboard;
    if (!dashboard) throw new Error('MonitorDashboard: the dashboard factory created no dashboard');
    this.dashboard = dashboard;
  }
}
