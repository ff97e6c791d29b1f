/**
 * What changes with the configuration: Slack, an existing secret, other schedules. These stacks are
 * synthesised without bundling (the template is all they assert on).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../functions/core/config.ts';
import { parseConfig } from '../../functions/core/config.ts';
import { ENV } from '../../functions/core/environment.ts';
import { SHARD_DIMENSION } from '../../functions/observability/metric-names.ts';
import { MonitorFunction } from '../../lib/monitor-function.ts';
import { PollSchedule } from '../../lib/poll-schedule.ts';
import { retentionDays } from '../../lib/restore-watch-stack.ts';
import { BASE_CONFIG, buildStack, normaliseAssetHashes } from './stack-fixture.ts';

const withDeploy = (deploy: NonNullable<ConfigInput['deploy']>): ConfigInput => ({ ...BASE_CONFIG, deploy });
const emails = { emails: ['dba-oncall@example.com'] };

describe('email subscriptions with filters', () => {
  const { template } = buildStack(
    withDeploy({
      subscriptions: {
        emails: [
          'everything@example.com',
          { address: 'payments-oncall@example.com', teams: ['payments', 'ledger'], minSeverity: 'warning' },
          { address: 'pager-watch@example.com', minSeverity: 'critical' },
        ],
      },
    }),
  );
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const subscriptionsTo = (topicPrefix: string) =>
    Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::SNS::Subscription' &&
        String((r.Properties.TopicArn as { Ref?: string }).Ref).startsWith(topicPrefix),
    );

  it('turns teams and a minimum severity into a filter policy on the alerts topic', () => {
    // Assess
    const alerts = subscriptionsTo('AlertsTopic').map((r) => [
      r.Properties.Endpoint,
      r.Properties.FilterPolicy,
    ]);
    expect(alerts).toEqual([
      ['everything@example.com', undefined],
      ['payments-oncall@example.com', { team: ['payments', 'ledger'], severity: ['warning', 'critical'] }],
      ['pager-watch@example.com', { severity: ['critical'] }],
    ]);
  });

  it('subscribes every address to the operations topic without a filter (alarms carry no alert attributes)', () => {
    // Assess
    const operations = subscriptionsTo('OperationsTopic').map((r) => [
      r.Properties.Endpoint,
      r.Properties.FilterPolicy,
    ]);
    expect(operations).toEqual([
      ['everything@example.com', undefined],
      ['payments-oncall@example.com', undefined],
      ['pager-watch@example.com', undefined],
    ]);
  });
});

describe('Slack channel', () => {
  const { stack, template } = buildStack(
    withDeploy({ subscriptions: { ...emails, slack: { workspaceId: 'T012ABCDE', channelId: 'C012ABCDE' } } }),
  );
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const idOf = (type: string, prefix: string) =>
    Object.keys(resources).find((id) => resources[id]?.Type === type && id.startsWith(prefix)) ?? '(none)';

  it('posts both topics to the configured channel', () => {
    template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 1);
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T012ABCDE',
      SlackChannelId: 'C012ABCDE',
      SnsTopicArns: [
        { Ref: idOf('AWS::SNS::Topic', 'AlertsTopic') },
        { Ref: idOf('AWS::SNS::Topic', 'OperationsTopic') },
      ],
      UserRoleRequired: false,
    });
  });

  it('caps the channel with an explicit read-only guardrail instead of the AdministratorAccess default', () => {
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      GuardrailPolicies: [
        {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/CloudWatchReadOnlyAccess']],
        },
      ],
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('AdministratorAccess');
  });

  it('gives the channel role no permissions at all', () => {
    const roleId = idOf('AWS::IAM::Role', 'SlackRole');
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      IamRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
    });
    expect(resources[roleId]?.Properties.ManagedPolicyArns).toBeUndefined();
    const policiesOfRole = Object.values(resources).filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId),
    );
    expect(policiesOfRole).toEqual([]);
  });

  it('passes cdk-nag without further acknowledgements', () => {
    expect(new AwsSolutionsChecks(undefined).validateScope(stack).violations).toEqual([]);
  });
});

describe('existing credentials secret', () => {
  it('is imported by name: nothing created, the name passed to the function, GetSecretValue on its ARN pattern', () => {
    const { stack, template } = buildStack(
      withDeploy({ subscriptions: emails, credentialsSecret: 'prod/restore-watch/cloud-manager' }),
    );
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [ENV.credentialsSecret]: 'prod/restore-watch/cloud-manager' }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'secretsmanager:GetSecretValue',
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':secretsmanager:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':secret:prod/restore-watch/cloud-manager-??????',
                ],
              ],
            },
          }),
        ]),
      },
    });
    expect(template.toJSON().Outputs.CredentialsSetupCommand).toBeUndefined();
    expect(new AwsSolutionsChecks(undefined).validateScope(stack).violations).toEqual([]);
  });

  it('is imported by complete ARN: GetSecretValue on exactly that ARN', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:restore-watch-AbC123';
    const { template } = buildStack(withDeploy({ subscriptions: emails, credentialsSecret: arn }));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.credentialsSecret]: arn }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'secretsmanager:GetSecretValue', Resource: arn }),
        ]),
      },
    });
  });
});

describe('schedules other than every 5 minutes', () => {
  const policyOf = (schedule: string) => {
    const { template } = buildStack(withDeploy({ subscriptions: emails, schedule }));
    const json = template.toJSON() as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const of = (type: string) => Object.values(json.Resources).find((r) => r.Type === type)?.Properties ?? {};
    const heartbeat = Object.entries(json.Resources).find(([id]) => id.startsWith('AlarmsHeartbeat'))?.[1]
      .Properties;
    return {
      eventAge: (of('AWS::Lambda::EventInvokeConfig') as { MaximumEventAgeInSeconds: number })
        .MaximumEventAgeInSeconds,
      schedulerAge: (
        of('AWS::Scheduler::Schedule') as { Target: { RetryPolicy: { MaximumEventAgeInSeconds: number } } }
      ).Target.RetryPolicy.MaximumEventAgeInSeconds,
      expression: (of('AWS::Scheduler::Schedule') as { ScheduleExpression: string }).ScheduleExpression,
      timeout: (of('AWS::Lambda::Function') as { Timeout: number }).Timeout,
      heartbeat: { period: heartbeat?.Period, evaluations: heartbeat?.EvaluationPeriods },
    };
  };

  it('keeps events one period when it is hourly, and watches three hours for the heartbeat', () => {
    expect(policyOf('rate(1 hour)')).toEqual({
      eventAge: 3600,
      schedulerAge: 3600,
      expression: 'rate(1 hour)',
      timeout: 300,
      heartbeat: { period: 3600, evaluations: 3 },
    });
  });

  it('shortens the timeout to the period when polling every minute', () => {
    expect(policyOf('cron(* * * * ? *)')).toMatchObject({ eventAge: 60, schedulerAge: 60, timeout: 60 });
  });

  it('falls back to the one-minute event age and a one-day heartbeat for a cron it cannot measure', () => {
    expect(policyOf('cron(0 8-18 ? * MON-FRI *)')).toMatchObject({
      eventAge: 60,
      schedulerAge: 60,
      heartbeat: { period: 86_400, evaluations: 1 },
    });
  });

  it('watches a daily schedule over one day (CloudWatch evaluates at most a day)', () => {
    expect(policyOf('rate(1 day)')).toMatchObject({
      eventAge: 21_600,
      heartbeat: { period: 86_400, evaluations: 1 },
    });
  });
});

describe('a sharded fleet (deploy.shards)', () => {
  const unsharded = buildStack(withDeploy({ subscriptions: emails }));
  const { stack, template } = buildStack(withDeploy({ subscriptions: emails, shards: 4 }));
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const ofType = (type: string) =>
    Object.entries(resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => ({ id, ...r.Properties }));
  const typeCounts = (t: Template) => {
    const counts: Record<string, number> = {};
    for (const r of Object.values(t.toJSON().Resources as Record<string, { Type: string }>)) {
      counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    }
    return counts;
  };

  it('runs one schedule per shard, same expression, each naming its shard in the event', () => {
    const schedules = ofType('AWS::Scheduler::Schedule') as unknown as Array<{
      ScheduleExpression: string;
      Target: { Input: string; DeadLetterConfig: unknown; RetryPolicy: unknown };
    }>;
    expect(schedules).toHaveLength(4);
    expect(schedules.map((s) => (JSON.parse(s.Target.Input) as { shard: string }).shard).sort()).toEqual([
      '1/4',
      '2/4',
      '3/4',
      '4/4',
    ]);
    expect(new Set(schedules.map((s) => s.ScheduleExpression))).toEqual(new Set(['rate(5 minutes)']));
    expect(new Set(schedules.map((s) => JSON.stringify(s.Target.DeadLetterConfig))).size).toBe(1);
    expect(new Set(schedules.map((s) => JSON.stringify(s.Target.RetryPolicy))).size).toBe(1);
    expect(stack.schedule.schedules).toHaveLength(4);
  });

  it('watches each shard with its own heartbeat on the shard dimension, besides the stack-wide one', () => {
    const heartbeats = (
      ofType('AWS::CloudWatch::Alarm') as unknown as Array<{
        MetricName?: string;
        Dimensions?: Array<{ Name: string; Value: string }>;
        TreatMissingData?: string;
        AlarmActions?: unknown[];
      }>
    ).filter((alarm) => alarm.MetricName === 'PollsSucceeded');
    const shardsWatched = heartbeats.map(
      (alarm) => alarm.Dimensions?.find((d) => d.Name === SHARD_DIMENSION)?.Value ?? 'all',
    );
    expect(shardsWatched.sort()).toEqual(['1/4', '2/4', '3/4', '4/4', 'all']);
    expect(heartbeats.every((alarm) => alarm.TreatMissingData === 'breaching')).toBe(true);
    expect(heartbeats.every((alarm) => (alarm.AlarmActions ?? []).length === 1)).toBe(true);
  });

  it('adds only the schedules and the heartbeats: one table, one lease layout, one function', () => {
    const before = typeCounts(unsharded.template);
    const after = typeCounts(template);
    const changed = Object.keys({ ...before, ...after }).filter((type) => before[type] !== after[type]);
    expect(changed.sort()).toEqual(['AWS::CloudWatch::Alarm', 'AWS::Scheduler::Schedule']);
    expect((after['AWS::Scheduler::Schedule'] ?? 0) - (before['AWS::Scheduler::Schedule'] ?? 0)).toBe(3);
    expect((after['AWS::CloudWatch::Alarm'] ?? 0) - (before['AWS::CloudWatch::Alarm'] ?? 0)).toBe(4);
  });

  it('passes cdk-nag without further acknowledgements', () => {
    expect(new AwsSolutionsChecks(undefined).validateScope(stack).violations).toEqual([]);
  });

  it('sends no shard from the one schedule of an unsharded fleet (deploy.shards: 1)', () => {
    const one = buildStack(withDeploy({ subscriptions: emails, shards: 1 }));
    expect(normaliseAssetHashes(one.template.toJSON())).toEqual(
      normaliseAssetHashes(unsharded.template.toJSON()),
    );
    const [schedule] = Object.values(
      unsharded.template.toJSON().Resources as Record<
        string,
        { Type: string; Properties: { Target: { Input: string } } }
      >,
    ).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
    expect(JSON.parse(schedule?.Properties.Target.Input ?? '{}')).not.toHaveProperty('shard');
  });
});

describe('construct guards', () => {
  it('refuses environment variables that the grant helpers own', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Guard');
    expect(
      () =>
        new MonitorFunction(stack, 'Monitor', {
          config: parseConfig(BASE_CONFIG),
          environment: { [ENV.table]: 'elsewhere', [ENV.topicArn]: 'arn', LOG_LEVEL: 'debug' },
        }),
    ).toThrow(/RESTORE_WATCH_TABLE, RESTORE_WATCH_TOPIC_ARN are set by the stack/);
  });

  it('merges extra environment variables with its own', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Merge');
    const monitor = new MonitorFunction(stack, 'Monitor', {
      config: parseConfig(BASE_CONFIG),
      environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG' },
    });
    const resolved = stack.resolve(
      (monitor.function.node.defaultChild as unknown as { environment: unknown }).environment,
    );
    expect(resolved).toMatchObject({
      variables: { POWERTOOLS_LOG_LEVEL: 'DEBUG', [ENV.configFile]: '/var/task/restore-watch.config.json' },
    });
  });

  it.each([
    ['rate(5 minutes)', 300],
    ['rate(1 minute)', 60],
    ['cron(0/10 * * * ? *)', 600],
    ['rate(1 day)', 6 * 3600],
    ['cron(15 10 ? * MON-FRI *)', 60],
  ])(
    'keeps an undelivered %s tick for one period, within what Lambda accepts (%i s)',
    (expression, seconds) => {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Age');
      const monitor = new MonitorFunction(stack, 'Monitor', { config: parseConfig(BASE_CONFIG) });

      const schedule = new PollSchedule(stack, 'Schedule', { function: monitor.function, expression });

      expect(schedule.maxEventAge.toSeconds()).toBe(seconds);
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: seconds });
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Target: Match.objectLike({
          RetryPolicy: { MaximumEventAgeInSeconds: seconds, MaximumRetryAttempts: 0 },
        }),
      });
    },
  );

  it('rounds a log retention up to the next value CloudWatch Logs accepts', () => {
    expect(retentionDays(30)).toBe(logs.RetentionDays.ONE_MONTH);
    expect(retentionDays(31)).toBe(logs.RetentionDays.TWO_MONTHS);
    expect(retentionDays(100_000)).toBe(logs.RetentionDays.INFINITE);
  });
});

describe('monthly report (deploy.report)', () => {
  const { stack, template } = buildStack(
    withDeploy({ subscriptions: emails, report: { schedule: 'cron(0 7 1 * ? *)' } }),
  );
  const json = template.toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const idOf = (type: string, prefix: string) =>
    Object.keys(json.Resources).find((id) => json.Resources[id]?.Type === type && id.startsWith(prefix)) ??
    '(none)';
  const reportFunction = idOf('AWS::Lambda::Function', 'ReportFunction');

  it('adds a report function invoked monthly with the scheduled time, retried, next to the poll', () => {
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 7 1 * ? *)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [reportFunction, 'Arn'] },
        Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600 },
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          [ENV.table]: { Ref: idOf('AWS::DynamoDB::Table', 'StateTable') },
          [ENV.topicArn]: { Ref: idOf('AWS::SNS::Topic', 'AlertsTopic') },
        }),
      },
      Description: 'restore-watch: publishes the monthly restore report to the alerts topic',
    });
  });

  it('lets the report function query the by-target index and publish, and nothing else', () => {
    const role = idOf('AWS::IAM::Role', 'ReportRole');
    const statements = Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(role))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Array<{ Action: unknown }> }).Statement)
      .map((statement) => statement.Action);
    expect(statements).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
      'dynamodb:Query',
      'sns:Publish',
      ['kms:Decrypt', 'kms:GenerateDataKey'],
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'QueryStateByTarget',
            Resource: {
              'Fn::Join': [
                '',
                [{ 'Fn::GetAtt': [idOf('AWS::DynamoDB::Table', 'StateTable'), 'Arn'] }, '/index/gsi1'],
              ],
            },
          }),
        ]),
      },
    });
  });

  it('alarms the operations topic when a report fails', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: reportFunction } }],
      Period: 86_400,
      AlarmActions: [{ Ref: idOf('AWS::SNS::Topic', 'OperationsTopic') }],
    });
  });

  it('passes cdk-nag without further acknowledgements', () => {
    expect(new AwsSolutionsChecks(undefined).validateScope(stack).violations).toEqual([]);
  });

  it('adds nothing without deploy.report', () => {
    const { template: plain } = buildStack(withDeploy({ subscriptions: emails }));
    plain.resourceCountIs('AWS::Lambda::Function', 1);
    plain.resourceCountIs('AWS::Scheduler::Schedule', 1);
  });
});

describe('a private CA (cloudManager.caFile)', () => {
  it('refuses a configuration naming a caFile whose certificates were not loaded with it', () => {
    expect(() => buildStack({ ...BASE_CONFIG, cloudManager: { caFile: 'corp-ca.pem' } })).toThrow(
      'the configuration names cloudManager.caFile: pass its certificates as caCertificates (loadDeployConfig reads them)',
    );
  });
});
