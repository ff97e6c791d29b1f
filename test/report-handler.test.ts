/**
 * The monthly digest's Lambda handler end to end: a fresh module per test (cold start), the known
 * history in dynalite (through AWS_ENDPOINT_URL_DYNAMODB), SNS a LocalSns (through AWS_ENDPOINT_URL_SNS).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoStateStore } from '../functions/adapters/dynamo/dynamo-state-store.ts';
import type { ConfigError } from '../functions/core/config.ts';
import { ENV } from '../functions/core/environment.ts';
import { runScenario, TARGET } from './core/report/report-scenario.ts';
import { createTestTable, startDynalite, type TestDynamo } from './support/dynalite.ts';
import { lambdaContext } from './support/lambda-context.ts';
import { stubLambdaEnvironment } from './support/lambda-environment.ts';
import { type LocalSns, SNS_FAULTS, startLocalSns } from './support/local-aws/local-sns.ts';
import { captureProcessOutput } from './support/process-output.ts';

let sns: LocalSns;
let topicArn: string;
let dynamo: TestDynamo;
let tableName: string;
let logs: string[];

beforeAll(async () => {
  // The region stubLambdaEnvironment gives the function.
  sns = await startLocalSns({ region: 'eu-west-1' });
  topicArn = sns.createTopic('restore-watch-alerts');
  dynamo = await startDynalite();
  tableName = await createTestTable(dynamo.client);
  const history = runScenario();
  const store = new DynamoStateStore({ client: dynamo.client, tableName });
  await store.saveTargetStates([history.target]);
  await store.recordEvents(history.events);
  await store.saveJobStates(TARGET, history.jobs);
});
afterAll(async () => {
  await sns.stop();
  await dynamo.stop();
});
beforeEach(() => {
  sns.reset();
  logs = captureProcessOutput();
  vi.resetModules();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function environment(overrides: Record<string, string> = {}): void {
  stubLambdaEnvironment(dynamo.endpoint, {
    AWS_ENDPOINT_URL_SNS: sns.url,
    [ENV.table]: tableName,
    [ENV.topicArn]: topicArn,
    ...overrides,
  });
}

describe('report handler (monthly digest)', () => {
  it('publishes the month before the scheduled time as one REPORT message', async () => {
    // Prepare
    environment();
    const { handler } = await import('../functions/report-handler.ts');

    // Act
    const result = await handler(
      { scheduledTime: '2026-12-01T08:00:00Z' },
      lambdaContext(60_000, 'RestoreWatch-ReportFunction'),
    );

    // Assess
    const delivered = sns.messagesFor(topicArn);
    expect(delivered).toHaveLength(1);
    const [sent] = delivered;
    expect(result).toEqual({
      period: { since: '2026-11-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' },
      targets: 1,
      restores: 10,
      messageId: sent?.messageId,
    });
    expect(sent?.subject).toMatch(/^\[INFO\] restore-watch report 2026-11: 10 restores/);
    expect(sent?.messageAttributes.eventType?.StringValue).toBe('REPORT');
    expect(sent?.messageAttributes.severity?.StringValue).toBe('info');
    const email = (JSON.parse(sent?.message ?? '{}') as { email: string }).email;
    expect(email).toMatch(
      /^restore-watch report: restores requested 2026-11-01 00:00 UTC to 2026-12-01 00:00 UTC/,
    );
    expect(email).toContain('Precision: Cloud Manager does not record when a restore finished');
  });

  it('fails at cold start naming every missing variable', async () => {
    // Prepare
    environment({ [ENV.table]: '', [ENV.topicArn]: 'not-an-arn' });

    // Act
    const failure = await import('../functions/report-handler.ts').catch((error: unknown) => error);

    // Assess
    expect((failure as ConfigError).name).toBe('ConfigError');
    expect((failure as ConfigError).problems).toEqual([
      `${ENV.table} is not set: it must name the DynamoDB state table (the stack sets it)`,
      `${ENV.topicArn} is not an SNS topic ARN (arn:aws:sns:region:account:name)`,
    ]);
  });

  it('fails the invocation, so that it is retried and alarmed, when SNS refuses the report', async () => {
    // Prepare
    environment();
    // A disabled key is a client error: the SDK does not retry it, so one refusal is the whole story.
    sns.failNext(SNS_FAULTS.kmsDisabled, { action: 'Publish' });
    const { handler } = await import('../functions/report-handler.ts');

    // Act
    const failure = await handler({ scheduledTime: '2026-12-01T08:00:00Z' }, lambdaContext(60_000)).catch(
      (error: unknown) => error,
    );

    // Assess
    expect((failure as Error).name).toBe('ReportPublishError');
    expect((failure as Error).message).toContain(`KMSDisabledException: ${SNS_FAULTS.kmsDisabled.message}`);
    expect(sns.messagesFor(topicArn)).toEqual([]);
    expect(sns.pendingFaults()).toBe(0);
    expect(logs.join('')).toMatch(/"level":"ERROR","message":"Report failed"/);
  });
});
