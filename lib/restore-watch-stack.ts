import { CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { Config } from '../functions/core/config.ts';
import { ENV } from '../functions/core/environment.ts';
import { schedulePeriod } from '../functions/core/schedule-period.ts';
import { alertSubscribers, operationsSubscribers } from './alert-subscriptions.ts';
import { CredentialsSecret } from './credentials-secret.ts';
import { EncryptedTopic } from './encrypted-topic.ts';
import { MonitorAlarms } from './monitor-alarms.ts';
import { MonitorDashboard } from './monitor-dashboard.ts';
import { MonitorFunction } from './monitor-function.ts';
import { egressPorts, MonitorNetwork } from './monitor-network.ts';
import { NotificationKey } from './notification-key.ts';
import { PollSchedule } from './poll-schedule.ts';
import { ReportFunction } from './report-function.ts';
import { ReportSchedule } from './report-schedule.ts';
import { SlackChannel } from './slack-channel.ts';
import { StateTable } from './state-table.ts';

/** A run gets one period to work, at least a minute and at most five (the time budget carries the rest). */
const MIN_TIMEOUT_SECONDS = 60;
const MAX_TIMEOUT_SECONDS = 300;

export interface RestoreWatchStackProps extends StackProps {
  /** The validated configuration (`loadDeployConfig`): targets for the function, `deploy` for the stack. */
  readonly config: Config;
  /**
   * The checked PEM certificates of `cloudManager.caFile` (`loadDeployConfig`), bundled with the
   * configuration. Required when the configuration names a caFile.
   * @default - none
   */
  readonly caCertificates?: string;
}

/**
 * restore-watch on AWS: schedule → function → (Cloud Manager, state table, alerts topic), with the
 * operations side around it (failure queue, alarms to an operations topic). Everything is derived
 * from the one configuration file the CLI uses.
 */
export class RestoreWatchStack extends Stack {
  readonly table: StateTable;
  readonly alerts: EncryptedTopic;
  readonly operations: EncryptedTopic;
  readonly credentials: CredentialsSecret;
  readonly monitor: MonitorFunction;
  /** Only with `deploy.network`. */
  readonly network?: MonitorNetwork;
  readonly schedule: PollSchedule;
  readonly alarms: MonitorAlarms;
  readonly dashboard: MonitorDashboard;
  readonly slack?: SlackChannel;
  /** The monthly digest, with `deploy.report` only. */
  readonly report?: { function: ReportFunction; schedule: ReportSchedule };

  constructor(scope: Construct, id: string, props: RestoreWatchStackProps) {
    super(scope, id, {
      description: 'restore-watch: watches MongoDB Cloud Manager restore jobs and alerts through SNS',
      ...props,
    });
    const { deploy } = props.config;
    const period = schedulePeriod(deploy.schedule);

    this.table = new StateTable(this, 'State');
    const key = new NotificationKey(this, 'NotificationKey');
    this.alerts = new EncryptedTopic(this, 'Alerts', {
      key: key.key,
      displayName: 'restore-watch alerts',
      emails: alertSubscribers(deploy.subscriptions.emails),
    });
    this.operations = new EncryptedTopic(this, 'Operations', {
      key: key.key,
      displayName: 'restore-watch operations',
      emails: operationsSubscribers(deploy.subscriptions.emails),
      allowCloudWatchAlarms: true,
    });
    if (deploy.subscriptions.slack) {
      this.slack = new SlackChannel(this, 'Slack', {
        workspaceId: deploy.subscriptions.slack.workspaceId,
        channelId: deploy.subscriptions.slack.channelId,
        topics: [this.alerts.topic, this.operations.topic],
      });
    }

    this.credentials = new CredentialsSecret(this, 'Credentials', {
      ...(deploy.credentialsSecret ? { existingSecret: deploy.credentialsSecret } : {}),
    });

    if (deploy.network) {
      this.network = new MonitorNetwork(this, 'Network', {
        network: deploy.network,
        egressPorts: egressPorts(props.config),
        flowLogRetention: retentionDays(deploy.logRetentionDays),
      });
    }
    this.monitor = new MonitorFunction(this, 'Monitor', {
      ...(this.network ? { network: this.network } : {}),
      config: props.config,
      ...(props.caCertificates ? { caCertificates: props.caCertificates } : {}),
      logRetention: retentionDays(deploy.logRetentionDays),
      timeout: Duration.seconds(
        period.exact ? clamp(period.seconds, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS) : MAX_TIMEOUT_SECONDS,
      ),
    });
    this.monitor.useTable(this.table.table);
    this.monitor.useTopic(this.alerts.topic);
    this.monitor.useCredentialsSecret(this.credentials.secret, this.credentials.secretId);

    this.schedule = new PollSchedule(this, 'Schedule', {
      function: this.monitor.function,
      expression: deploy.schedule,
      shards: deploy.shards,
    });

    if (deploy.report) {
      const reportFunction = new ReportFunction(this, 'Report', {
        logRetention: retentionDays(deploy.logRetentionDays),
      });
      reportFunction.useTable(this.table.table);
      reportFunction.useTopic(this.alerts.topic);
      const reportSchedule = new ReportSchedule(this, 'ReportSchedule', {
        function: reportFunction.function,
        expression: deploy.report.schedule,
      });
      this.report = { function: reportFunction, schedule: reportSchedule };
    }

    this.alarms = new MonitorAlarms(this, 'Alarms', {
      function: this.monitor.function,
      table: this.table.table,
      alertsTopic: this.alerts.topic,
      operationsTopic: this.operations.topic,
      failureQueue: this.schedule.failureQueue,
      schedulePeriod: Duration.seconds(period.seconds),
      shards: deploy.shards,
      ...(this.report ? { reportFunction: this.report.function.function } : {}),
    });

    this.dashboard = new MonitorDashboard(this, 'Dashboard', {
      name: this.stackName,
      function: this.monitor.function,
      logGroup: this.monitor.logGroup,
      table: this.table.table,
      alertsTopic: this.alerts.topic,
      failureQueue: this.schedule.failureQueue,
      alarms: this.alarms.all,
      ...(this.report ? { reportFunction: this.report.function.function } : {}),
    });

    this.addOutputs();
  }

  /**
   * Three AZs by `Fn::GetAZs`, whatever the environment. With an account and region CDK would look
   * the zones up in the account at synth (a context lookup, needing credentials) as soon as a VPC
   * asks; the NAT network names its zones this way itself, and this keeps the check CDK makes of them
   * offline too.
   */
  override get availabilityZones(): string[] {
    return [0, 1, 2].map((index) => Fn.select(index, Fn.getAzs()));
  }

  private addOutputs(): void {
    const tableName = this.table.table.tableName;
    new CfnOutput(this, 'TableName', { value: tableName, description: 'State table (RESTORE_WATCH_TABLE)' });
    new CfnOutput(this, 'AlertsTopicArn', {
      value: this.alerts.topic.topicArn,
      description: 'Alerts topic: subscribe more endpoints here',
    });
    new CfnOutput(this, 'OperationsTopicArn', {
      value: this.operations.topic.topicArn,
      description: 'Alarm notifications about the monitor itself',
    });
    new CfnOutput(this, 'CredentialsSecretArn', {
      value: this.credentials.secret.secretArn,
      description: 'Secrets Manager secret with the Cloud Manager credentials',
    });
    new CfnOutput(this, 'FunctionName', { value: this.monitor.function.functionName });
    new CfnOutput(this, 'FailureQueueUrl', {
      value: this.schedule.failureQueue.queueUrl,
      description: 'Failed or undeliverable poll invocations',
    });
    new CfnOutput(this, 'AuditCommand', {
      value: Fn.join('', [
        `${ENV.table}=`,
        tableName,
        ` AWS_REGION=`,
        this.region,
        ' node bin/restore-watch.ts audit --since 24h',
      ]),
      description:
        'Query the audit trail of the last 24 hours from a clone of the repository (npm ci first; Node 22.18+, or prefix npx -y -p node@24)',
    });
    if (this.network && this.network.egressIps.length > 0) {
      new CfnOutput(this, 'EgressIps', {
        value: Fn.join(', ', this.network.egressIps),
        description:
          "The function's only egress addresses (the NAT gateways' Elastic IPs): add these addresses to the API key's (or service account's) IP access list in Cloud Manager",
      });
    }
    if (this.credentials.created) {
      new CfnOutput(this, 'CredentialsSetupCommand', {
        value: Fn.join('', [
          'aws secretsmanager put-secret-value --region ',
          this.region,
          ' --secret-id ',
          this.credentials.secret.secretArn,
          ' --secret-string file://cloud-manager-credentials.json',
        ]),
        description:
          'The secret was created empty: put {"publicKey":"...","privateKey":"..."} (or clientId/clientSecret) in cloud-manager-credentials.json, run this, then delete the file',
      });
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** CloudWatch Logs accepts only certain retention values: the configured days, rounded up to one. */
export function retentionDays(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays)
    .filter((value): value is logs.RetentionDays => typeof value === 'number' && value > 0)
    .sort((a, b) => a - b);
  return allowed.find((value) => value >= days) ?? logs.RetentionDays.INFINITE;
}
