/**
 * The deployed shape of restore-watch, resource by resource, synthesised once (with real esbuild
 * bundling) from an in-test configuration: two emails, no Slack, a created secret, every 5 minutes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTableInput } from '../../functions/adapters/dynamo/create-table.ts';
import { parseConfig, parseConfigText } from '../../functions/core/config.ts';
import { ENV } from '../../functions/core/environment.ts';
import { EVENT_TYPES } from '../../functions/core/event-catalogue.ts';
import { METRIC, METRIC_DIMENSIONS, METRICS_NAMESPACE } from '../../functions/observability/metric-names.ts';
import { POLL_SUMMARY_LOG } from '../../functions/observability/poll-summary-log.ts';
import { BUNDLED_CONFIG_NAME, BUNDLED_CONFIG_PATH, TABLE_ITEM_ACTIONS } from '../../lib/monitor-function.ts';
import { BASE_CONFIG, type BuiltStack, buildStack, normaliseAssetHashes } from './stack-fixture.ts';

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
>;

let built: BuiltStack;
let template: Template;
let resources: Resources;

const logicalId = (type: string, pathPart: string): string => {
  const found = Object.entries(resources).filter(
    ([, r]) => r.Type === type && String(r.Metadata?.['aws:cdk:path'] ?? '').includes(pathPart),
  );
  if (found.length !== 1) throw new Error(`expected one ${type} at *${pathPart}*, found ${found.length}`);
  return (found[0] as [string, unknown])[0];
};
const ref = (type: string, pathPart: string) => ({ Ref: logicalId(type, pathPart) });
const arnOf = (type: string, pathPart: string) => ({ 'Fn::GetAtt': [logicalId(type, pathPart), 'Arn'] });

beforeAll(() => {
  built = buildStack(BASE_CONFIG, { bundle: true });
  template = built.template;
  resources = template.toJSON().Resources as Resources;
}, 60_000);

describe('state table', () => {
  it('has exactly the key schema, indexes and attributes of TABLE_SCHEMA (as the CLI creates it)', () => {
    const expected = createTableInput('ignored');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: expected.KeySchema,
      AttributeDefinitions: Match.arrayWith(expected.AttributeDefinitions ?? []),
      GlobalSecondaryIndexes: expected.GlobalSecondaryIndexes,
    });
    const table = resources[logicalId('AWS::DynamoDB::Table', '/State/')];
    expect(table?.Properties?.AttributeDefinitions).toHaveLength(expected.AttributeDefinitions?.length ?? -1);
  });

  it('is on-demand, with point-in-time recovery and the ttl attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('is encrypted at rest with KMS (SSEEnabled without a key id means the aws/dynamodb key)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
    });
  });

  it('is retained when the stack is deleted or the table replaced', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('alert and operations topics', () => {
  it('encrypts both topics with one rotating customer-managed key', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const key = ref('AWS::KMS::Key', '/NotificationKey/');
    for (const path of ['/Alerts/', '/Operations/']) {
      expect(resources[logicalId('AWS::SNS::Topic', path)]?.Properties?.KmsMasterKeyId).toEqual(
        arnOf('AWS::KMS::Key', '/NotificationKey/'),
      );
    }
    expect(key.Ref).toMatch(/^NotificationKey/);
  });

  it('lets CloudWatch alarms use the key with exactly Decrypt and GenerateDataKey', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  it('denies publishing without TLS on both topics', () => {
    for (const path of ['/Alerts/', '/Operations/']) {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [ref('AWS::SNS::Topic', path)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Principal: '*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it("lets only this account's CloudWatch alarms publish to the operations topic", () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref('AWS::SNS::Topic', '/Operations/')],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
    const alertsPolicy = resources[logicalId('AWS::SNS::TopicPolicy', '/Alerts/')];
    expect(JSON.stringify(alertsPolicy)).not.toContain('cloudwatch.amazonaws.com');
  });

  it('subscribes every configured email to both topics', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 4);
    for (const email of ['dba-oncall@example.com', 'platform@example.com']) {
      for (const path of ['/Alerts/', '/Operations/']) {
        template.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'email',
          Endpoint: email,
          TopicArn: ref('AWS::SNS::Topic', path),
        });
      }
    }
  });

  it('creates no Slack channel when none is configured', () => {
    template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
  });
});

describe('credentials secret', () => {
  it('is created holding an empty JSON object, never a value from the configuration', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: '{}' });
  });
});

describe('poll function', () => {
  it('runs nodejs24.x on ARM64 from the esbuild bundle, with active tracing', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 300,
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('names each resource in exactly one environment variable, next to the configuration file path', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [ENV.table]: ref('AWS::DynamoDB::Table', '/State/'),
          [ENV.topicArn]: ref('AWS::SNS::Topic', '/Alerts/'),
          [ENV.credentialsSecret]: ref('AWS::SecretsManager::Secret', '/Credentials/'),
          [ENV.configFile]: BUNDLED_CONFIG_PATH,
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it('writes to its own log group with the configured retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: ref('AWS::Logs::LogGroup', '/Monitor/') },
    });
  });

  it('carries the validated configuration in its bundle, minified with a source map', () => {
    const fn = resources[logicalId('AWS::Lambda::Function', '/Monitor/')];
    const assetDir = join(built.app.synth().directory, String(fn?.Metadata?.['aws:asset:path']));
    const bundled = parseConfigText(readFileSync(join(assetDir, BUNDLED_CONFIG_NAME), 'utf8'), 'bundle');
    expect(bundled).toEqual(parseConfig(BASE_CONFIG));
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(code).toContain('sourceMappingURL=index.mjs.map');
    // Minified: far fewer lines than kilobytes.
    expect(code.split('\n').length).toBeLessThan(code.length / 1000);
  });
});

describe('schedule and asynchronous invocation', () => {
  it('invokes the function every 5 minutes with the flexible window off and no Scheduler retries', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: arnOf('AWS::Lambda::Function', '/Monitor/'),
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 },
        DeadLetterConfig: { Arn: arnOf('AWS::SQS::Queue', '/FailureQueue/') },
        Input: Match.serializedJson({
          scheduledTime: '<aws.scheduler.scheduled-time>',
          scheduleArn: Match.anyValue(),
        }),
      },
    });
  });

  it('turns off Lambda async retries, keeps events at most one period, and sends failures to the queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref('AWS::Lambda::Function', '/Monitor/'),
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
      DestinationConfig: { OnFailure: { Destination: arnOf('AWS::SQS::Queue', '/FailureQueue/') } },
    });
  });

  it('keeps the failure queue encrypted and reachable over TLS only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('alarms', () => {
  const operations = () => [ref('AWS::SNS::Topic', '/Operations/')];
  const alarm = (name: string) =>
    resources[logicalId('AWS::CloudWatch::Alarm', `/Alarms/${name}/`)]?.Properties;

  it('raises the heartbeat on the exact metric the handler emits, treating silence as failure', () => {
    expect(alarm('Heartbeat')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.pollsSucceeded,
      Dimensions: Object.entries(METRIC_DIMENSIONS).map(([Name, Value]) => ({ Name, Value })),
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it.each([
    ['Errors', 'AWS/Lambda', 'Errors', 'Sum'],
    ['Throttles', 'AWS/Lambda', 'Throttles', 'Sum'],
    ['AsyncEventsDropped', 'AWS/Lambda', 'AsyncEventsDropped', 'Sum'],
    ['FailureQueueDepth', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum'],
    ['AlertDeliveryFailed', 'AWS/SNS', 'NumberOfNotificationsFailed', 'Sum'],
  ])('raises %s on %s %s (%s) at the first occurrence', (name, namespace, metricName, statistic) => {
    expect(alarm(name)).toMatchObject({
      Namespace: namespace,
      MetricName: metricName,
      Statistic: statistic,
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it.each<[string, string, string]>([
    ['AlertsRefused', 'SNS refused alerts', METRIC.alertsFailed],
    ['PagerDutyRefused', 'PagerDuty refused events (quiet without PagerDuty)', METRIC.pagerDutyEventsFailed],
  ])(
    'raises %s when %s in two periods in a row (one blip is repaired by the next run)',
    (name, _why, metric) => {
      expect(alarm(name)).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        MetricName: metric,
        Dimensions: Object.entries(METRIC_DIMENSIONS).map(([Name, Value]) => ({ Name, Value })),
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    },
  );

  it('watches the right resource in each alarm', () => {
    expect(alarm('Errors')?.Dimensions).toEqual([
      { Name: 'FunctionName', Value: ref('AWS::Lambda::Function', '/Monitor/') },
    ]);
    expect(alarm('FailureQueueDepth')?.Dimensions).toEqual([
      {
        Name: 'QueueName',
        Value: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', '/FailureQueue/'), 'QueueName'] },
      },
    ]);
    expect(alarm('AlertDeliveryFailed')?.Dimensions).toEqual([
      { Name: 'TopicName', Value: { 'Fn::GetAtt': [logicalId('AWS::SNS::Topic', '/Alerts/'), 'TopicName'] } },
    ]);
  });

  it('sums read and write throttles of the state table, missing data filled with zero', () => {
    const table = ref('AWS::DynamoDB::Table', '/State/');
    expect(alarm('TableThrottles')).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Metrics: expect.arrayContaining([
        expect.objectContaining({ Expression: 'FILL(reads, 0) + FILL(writes, 0)', ReturnData: true }),
        expect.objectContaining({
          Id: 'reads',
          MetricStat: expect.objectContaining({
            Metric: {
              Namespace: 'AWS/DynamoDB',
              MetricName: 'ReadThrottleEvents',
              Dimensions: [{ Name: 'TableName', Value: table }],
            },
          }),
        }),
        expect.objectContaining({
          Id: 'writes',
          MetricStat: expect.objectContaining({
            Metric: {
              Namespace: 'AWS/DynamoDB',
              MetricName: 'WriteThrottleEvents',
              Dimensions: [{ Name: 'TableName', Value: table }],
            },
          }),
        }),
      ]),
    });
  });

  it('notifies the operations topic when any alarm fires and when it clears', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 9);
    for (const [, resource] of Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::CloudWatch::Alarm',
    )) {
      expect(resource.Properties?.AlarmActions).toEqual(operations());
      expect(resource.Properties?.OKActions).toEqual(operations());
    }
  });
});

describe('dashboard', () => {
  /** The dashboard body as text, every CloudFormation token written as its JSON. */
  const body = (): string => {
    const dashboards = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const dashboardBody = dashboards[0]?.Properties?.DashboardBody as
      | { 'Fn::Join': [string, unknown[]] }
      | undefined;
    const join = dashboardBody?.['Fn::Join'] ?? ['', []];
    return join[1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
  };

  it('is one dashboard named after the stack, with every alarm in its status widget', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'RestoreWatch' });
    const text = body();
    const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
    // MonitorAlarms' nine, PagerDutyRefused included.
    expect(alarms).toHaveLength(9);
    expect(text).toContain('"type":"alarm"');
    for (const [id] of alarms) expect(text).toContain(JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }));
  });

  it("graphs the poll metrics and reads the summary line of the poll function's log group", () => {
    const text = body();
    for (const name of [
      METRIC.pollsSucceeded,
      METRIC.pollDuration,
      METRIC.eventsDetected,
      METRIC.alertsFailed,
      METRIC.pagerDutyEventsSent,
      METRIC.pagerDutyEventsFailed,
    ]) {
      expect(text).toContain(`"${METRICS_NAMESPACE}","${name}"`);
    }
    expect(text).toContain(JSON.stringify({ Ref: logicalId('AWS::Logs::LogGroup', '/Monitor/') }));
    expect(text).toContain(`filter message = \\"${POLL_SUMMARY_LOG.message}\\"`);
    for (const type of EVENT_TYPES)
      expect(text).toContain(`sum(${POLL_SUMMARY_LOG.eventsByType}.${type}) as ${type}`);
  });

  it('shows the standard Lambda, DynamoDB, SNS and SQS widgets (cdk-monitoring-constructs) and adds no alarm', () => {
    const text = body();
    for (const title of ['### Lambda Function', '### Dynamo Table', '### SNS Topic', '### SQS Queue']) {
      expect(text).toContain(title);
    }
    template.resourceCountIs('AWS::CloudWatch::Alarm', 9);
  });
});

describe('IAM', () => {
  const statements = () =>
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
      .flatMap(([id, r]) =>
        (
          (r.Properties?.PolicyDocument ?? { Statement: [] }) as { Statement: Array<Record<string, unknown>> }
        ).Statement.map((statement) => ({ policy: id, statement })),
      );
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
  /** Actions that support no resource-level permissions: the only ones allowed on Resource "*". */
  const UNSCOPABLE = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

  it('uses no wildcard in any action of any policy', () => {
    const wildcards = statements().flatMap(({ policy, statement }) =>
      list(statement.Action)
        .filter((action) => String(action).includes('*'))
        .map((action) => `${policy}: ${String(action)}`),
    );
    expect(statements().length).toBeGreaterThan(5);
    expect(wildcards).toEqual([]);
  });

  it('grants Resource "*" only for actions that cannot be scoped to a resource', () => {
    const unscoped = statements()
      .filter(({ statement }) => list(statement.Resource).includes('*'))
      .flatMap(({ statement }) => list(statement.Action).map(String));
    expect(unscoped.filter((action) => !UNSCOPABLE.has(action))).toEqual([]);
  });

  it('attaches no managed policy to any role', () => {
    for (const [, role] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role')) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('gives the function exactly its item actions on the table and Query on the three indexes', () => {
    const table = arnOf('AWS::DynamoDB::Table', '/State/');
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref('AWS::IAM::Role', '/Monitor/Role/')],
      PolicyDocument: {
        // In the order the grants are made.
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: arnOf('AWS::Logs::LogGroup', '/Monitor/'),
          }),
          Match.objectLike({ Action: [...TABLE_ITEM_ACTIONS].sort(), Resource: table }),
          Match.objectLike({
            Action: 'dynamodb:Query',
            Resource: ['gsi1', 'gsi2', 'owed'].map((index) => ({
              'Fn::Join': ['', [table, `/index/${index}`]],
            })),
          }),
          Match.objectLike({ Action: 'sns:Publish', Resource: ref('AWS::SNS::Topic', '/Alerts/') }),
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: arnOf('AWS::KMS::Key', '/NotificationKey/'),
          }),
          Match.objectLike({
            Action: 'secretsmanager:GetSecretValue',
            Resource: ref('AWS::SecretsManager::Secret', '/Credentials/'),
          }),
        ]),
      },
    });
  });

  it('lets the schedule invoke only the unqualified function and write only to the failure queue', () => {
    const schedule = resources[logicalId('AWS::Scheduler::Schedule', '/Schedule/')];
    const target = schedule?.Properties?.Target as { RoleArn: { 'Fn::GetAtt': string[] } } | undefined;
    const roleId = target?.RoleArn['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: arnOf('AWS::Lambda::Function', '/Monitor/'),
          },
          {
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: arnOf('AWS::SQS::Queue', '/FailureQueue/'),
          },
        ],
      },
    });
  });
});

describe('outputs', () => {
  it('names the table, topics, secret, function and failure queue', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.TableName?.Value).toEqual(ref('AWS::DynamoDB::Table', '/State/'));
    expect(outputs.AlertsTopicArn?.Value).toEqual(ref('AWS::SNS::Topic', '/Alerts/'));
    expect(outputs.OperationsTopicArn?.Value).toEqual(ref('AWS::SNS::Topic', '/Operations/'));
    expect(outputs.CredentialsSecretArn?.Value).toEqual(ref('AWS::SecretsManager::Secret', '/Credentials/'));
    expect(outputs.FunctionName?.Value).toEqual(ref('AWS::Lambda::Function', '/Monitor/'));
    expect(outputs.FailureQueueUrl?.Value).toEqual(ref('AWS::SQS::Queue', '/FailureQueue/'));
  });

  it('gives the CLI command that queries the audit trail, and how to fill the created secret', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.AuditCommand?.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'RESTORE_WATCH_TABLE=',
          ref('AWS::DynamoDB::Table', '/State/'),
          ' AWS_REGION=',
          { Ref: 'AWS::Region' },
          ' node bin/restore-watch.ts audit --since 24h',
        ],
      ],
    });
    expect(JSON.stringify(outputs.CredentialsSetupCommand?.Value)).toContain(
      'aws secretsmanager put-secret-value',
    );
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no finding that is not acknowledged', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.stack);
    expect(
      report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives a reason with every acknowledgement, each narrowed to one finding on one construct', () => {
    const acknowledgements = built.stack.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
      );
    expect(acknowledgements.map(([id]) => id.replace(/^[^:]*::/, '')).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
    for (const [, reason] of acknowledgements) expect(String(reason).length).toBeGreaterThan(40);
  });
});

describe('template snapshot', () => {
  it('matches the reviewed template (asset hashes normalised)', () => {
    expect(normaliseAssetHashes(template.toJSON())).toMatchSnapshot();
  });
});
