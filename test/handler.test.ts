/**
 * The Lambda handler end to end, as Lambda would run it: a fresh module per test (cold start), a
 * realistic context whose remaining time runs down, the Cloud Manager simulator over loopback HTTP,
 * dynalite as DynamoDB (through AWS_ENDPOINT_URL_DYNAMODB, as the SDK honours it), and SDK mocks for
 * SNS and Secrets Manager (no local peer exists for either).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoRunLease } from '../functions/adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../functions/adapters/dynamo/dynamo-state-store.ts';
import type { ConfigError, ConfigInput } from '../functions/core/config.ts';
import { ENV } from '../functions/core/environment.ts';
import { shardOfProject } from '../functions/core/shard.ts';
import {
  METRIC,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  SHARD_DIMENSION,
} from '../functions/observability/metric-names.ts';
import { POLL_SUMMARY_LOG } from '../functions/observability/poll-summary-log.ts';
import { CloudManagerSimulator } from '../functions/simulator/cloud-manager-simulator.ts';
import { createTestCa, trustInThisProcess } from './support/certificates.ts';
import { type ConnectProxy, startConnectProxy } from './support/connect-proxy.ts';
import { createTestTable, startDynalite, type TestDynamo } from './support/dynalite.ts';
import { lambdaContext } from './support/lambda-context.ts';
import { stubLambdaEnvironment } from './support/lambda-environment.ts';
import { LocalPagerDuty, TEST_ROUTING_KEY } from './support/local-pagerduty/local-pagerduty.ts';
import { useLocalPagerDuty } from './support/local-pagerduty/use-local-pagerduty.ts';
import { captureProcessOutput } from './support/process-output.ts';

const API_KEY = { publicKey: 'handler-public', privateKey: 'SENTINEL-HANDLER-PRIVATE-9c1e' };
const REVOKED_KEY = { publicKey: 'handler-public', privateKey: 'SENTINEL-REVOKED-PRIVATE-4d2b' };
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:restore-watch-alerts';

let sim: CloudManagerSimulator;
let dynamo: TestDynamo;
const snsMock = mockClient(SNSClient);
const secretsMock = mockClient(SecretsManagerClient);
let output: string[];

interface Fixture {
  secretId: string;
  tableName: string;
  projectId: string;
  clusterIds: string[];
  configFile: string;
}

beforeAll(async () => {
  sim = new CloudManagerSimulator({ apiKeys: [API_KEY] });
  await sim.start();
  dynamo = await startDynalite();
});

afterAll(async () => {
  snsMock.restore();
  secretsMock.restore();
  await sim.stop();
  await dynamo.stop();
});

beforeEach(() => {
  snsMock.reset();
  secretsMock.reset();
  let messageId = 0;
  snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => ({
    Successful: (input.PublishBatchRequestEntries ?? []).map((entry) => ({
      Id: entry.Id,
      MessageId: `m-${++messageId}`,
    })),
    Failed: [],
  }));
  // Everything Powertools writes (logs, EMF metrics) goes through process.stdout.
  output = captureProcessOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

/** A project with `clusters` clusters, one FINISHED restore job each, a table and a config file. */
async function prepare(options: { clusters?: number; config?: Partial<ConfigInput> } = {}): Promise<Fixture> {
  const projectId = sim.addProject();
  const clusterIds: string[] = [];
  for (let i = 0; i < (options.clusters ?? 1); i++) {
    const cluster = sim.addCluster({ projectId, clusterName: `cluster-${i}` });
    clusterIds.push(cluster.id);
    const job = sim.addRestoreJob(projectId, cluster.id);
    sim.finishJob(job.id);
  }
  const tableName = await createTestTable(dynamo.client);
  const configFile = join(mkdtempSync(join(tmpdir(), 'restore-watch-handler-')), 'restore-watch.config.json');
  const config: ConfigInput = {
    cloudManager: { baseUrl: sim.baseUrl },
    targets: clusterIds.map((clusterId, i) => ({ projectId, clusterId, name: `cluster-${i}` })),
    ...options.config,
  };
  writeFileSync(configFile, JSON.stringify(config));
  // One secret id per test: middy's credential cache lives as long as the process.
  const secretId = `restore-watch/test/${randomUUID()}`;
  stubLambdaEnvironment(dynamo.endpoint, {
    [ENV.table]: tableName,
    [ENV.topicArn]: TOPIC_ARN,
    [ENV.credentialsSecret]: secretId,
    [ENV.configFile]: configFile,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
  });
  return { secretId, tableName, projectId, clusterIds, configFile };
}

function storeSecret(secretId: string, ...values: string[]): void {
  const stub = secretsMock.on(GetSecretValueCommand, { SecretId: secretId });
  for (const value of values) stub.resolvesOnce({ SecretString: value, Name: secretId });
}

/** A cold start: the handler module imported afresh, with the environment as it is now. */
async function coldStart() {
  vi.resetModules();
  return import('../functions/handler.ts');
}

/** What Lambda passes: remaining time counts down from the moment the invocation starts. */
const scheduleEvent = () => ({
  scheduledTime: new Date().toISOString(),
  scheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/RestoreWatch-Schedule',
});

function jsonLines(): Array<Record<string, unknown>> {
  return output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The EMF documents written so far, as metric name → value. */
function emittedMetrics(): Array<Record<string, unknown>> {
  return jsonLines().filter((line) => line._aws !== undefined);
}

describe('a scheduled run', () => {
  it('polls every target and returns the summary', async () => {
    const fixture = await prepare({ clusters: 2 });
    storeSecret(fixture.secretId, JSON.stringify(API_KEY));
    const { handler } = await coldStart();

    const summary = await handler(scheduleEvent(), lambdaContext(240_000));

    expect(summary).toMatchObject({
      lease: 'acquired',
      targets: { total: 2, ok: 2, failed: 0, skipped: 0 },
      skippedTargets: [],
      failedTargets: [],
      jobsSeen: 2,
    });
    expect(summary.eventsDetected).toBeGreaterThan(0);
    expect(summary.alertsPublished).toBe(
      summary.eventsDetected - summary.events.filter((e) => e.suppressed).length,
    );
    expect(snsMock).toHaveReceivedCommandWith(PublishBatchCommand, { TopicArn: TOPIC_ARN });
  });

  it('reads the credentials with exactly one GetSecretValue for the configured secret', async () => {
    const fixture = await prepare();
    storeSecret(fixture.secretId, JSON.stringify(API_KEY));
    const { handler } = await coldStart();

    await handler(scheduleEvent(), lambdaContext(240_000));
    await handler(scheduleEvent(), lambdaContext(240_000));

    expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, {
      SecretId: fixture.secretId,
    });
    expect(secretsMock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: fixture.secretId,
    });
  });

  it('emits the run as EMF metrics in the RestoreWatch namespace', async () => {
    const fixture = await prepare({ clusters: 2 });
    storeSecret(fixture.secretId, JSON.stringify(API_KEY));
    const { handler } = await coldStart();

    const summary = await handler(scheduleEvent(), lambdaContext(240_000));

    const emfs = emittedMetrics();
    expect(emfs).toHaveLength(1);
    const emf = emfs[0] ?? {};
    const directive = (
      emf._aws as {
        CloudWatchMetrics: Array<{
          Namespace: string;
          Dimensions: string[][];
          Metrics: Array<{ Name: string; Unit: string }>;
        }>;
      }
    ).CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive?.Dimensions).toEqual([['service']]);
    // Without PagerDuty its two metrics are not emitted (no data: its alarm stays quiet, costs nothing).
    const pagerDutyMetrics: string[] = [METRIC.pagerDutyEventsSent, METRIC.pagerDutyEventsFailed];
    expect(directive?.Metrics.map((m) => m.Name).sort()).toEqual(
      Object.values(METRIC)
        .filter((name) => !pagerDutyMetrics.includes(name))
        .sort(),
    );
    expect(directive?.Metrics.find((m) => m.Name === METRIC.pollDuration)?.Unit).toBe('Milliseconds');
    expect(emf).toMatchObject({
      service: SERVICE_NAME,
      [METRIC.pollsSucceeded]: 1,
      [METRIC.targetsFailed]: 0,
      [METRIC.targetsSkipped]: 0,
      [METRIC.jobsSeen]: 2,
      [METRIC.eventsDetected]: summary.eventsDetected,
      [METRIC.alertsPublished]: summary.alertsPublished,
      [METRIC.alertsFailed]: 0,
      [METRIC.pollDuration]: summary.durationMs,
    });
    // Two clusters, one page each, plus the digest challenge of the first request.
    expect(emf[METRIC.apiRequests]).toBeGreaterThanOrEqual(2);
  });

  it("logs the run's events by type on the summary line, where the dashboard reads them", async () => {
    // Prepare: a baseline run, then a new restore job.
    const fixture = await prepare();
    storeSecret(fixture.secretId, JSON.stringify(API_KEY));
    const { handler } = await coldStart();
    await handler(scheduleEvent(), lambdaContext(240_000));
    sim.addRestoreJob(fixture.projectId, fixture.clusterIds[0] as string);

    // Act
    await handler(scheduleEvent(), lambdaContext(240_000));

    // Assess
    const finished = jsonLines().filter((line) => line.message === POLL_SUMMARY_LOG.message);
    // The baseline's finished job has a link that expires within the hour: a warning at once.
    expect(finished.map((line) => line[POLL_SUMMARY_LOG.eventsByType])).toEqual([
      { DELIVERY_EXPIRING: 1 },
      { JOB_CREATED: 1 },
    ]);
  });

  it('logs one summary line carrying the run id and the Lambda context', async () => {
    const fixture = await prepare();
    storeSecret(fixture.secretId, JSON.stringify(API_KEY));
    const { handler } = await coldStart();
    const context = lambdaContext(240_000);

    await handler(scheduleEvent(), context);

    const finished = jsonLines().filter((line) => line.message === 'Poll finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({
      level: 'INFO',
      service: SERVICE_NAME,
      runId: context.awsRequestId,
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
      targets: { total: 1, ok: 1, failed: 0, skipped: 0 },
    });
  });

  it('returns normally, as a run that did not succeed, when another run holds the lease', async () => {
    const fixture = await prepare();
    storeSecret(fixture.secretId, JSON.stringify(API_KEY));
    const lease = new DynamoRunLease({ client: dynamo.client, tableName: fixture.tableName });
    await lease.acquire('cli-run-on-a-laptop', new Date(), 60_000);
    const { handler } = await coldStart();

    const summary = await handler(scheduleEvent(), lambdaContext(240_000));

    expect(summary).toMatchObject({ lease: 'held-by-other', targets: { total: 0 } });
    expect(emittedMetrics()[0]).toMatchObject({ [METRIC.pollsSucceeded]: 0 });
  });

  it('fails the invocation, having written nothing, when another run took the lease over mid-run', async () => {
    // Prepare: every Cloud Manager answer takes a second, so the run is still listing when the clock
    // jumps past its lease (a frozen Lambda) and a CLI run takes the lease over.
    const fixture = await prepare();
    storeSecret(fixture.secretId, JSON.stringify(API_KEY));
    const { handler } = await coldStart();
    const lease = new DynamoRunLease({ client: dynamo.client, tableName: fixture.tableName });
    const requestsBefore = sim.requests.length;
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    sim.latencyMs = 1_000;
    try {
      // Act
      const run = handler(scheduleEvent(), lambdaContext(240_000)).then(
        () => undefined,
        (error: unknown) => error,
      );
      await vi.waitFor(
        () =>
          expect(sim.requests.slice(requestsBefore).some((r) => r.path.endsWith('/restoreJobs'))).toBe(true),
        { timeout: 10_000, interval: 20 },
      );
      vi.setSystemTime(Date.now() + 120_000);
      const takeover = await lease.acquire('cli-run-on-a-laptop', new Date(), 60_000);
      const error = await run;

      // Assess: thrown, said so in the summary line, a failed heartbeat, and no state written
      expect(takeover.acquired).toBe(true);
      expect(error).toMatchObject({ name: 'LeaseLostError' });
      expect((error as Error).message).toContain('another run took over');
      expect(jsonLines()).toContainEqual(
        expect.objectContaining({ message: 'Poll stopped: another run took the lease over', lease: 'lost' }),
      );
      expect(emittedMetrics()[0]).toMatchObject({ [METRIC.pollsSucceeded]: 0 });
      const target = { projectId: fixture.projectId, clusterId: fixture.clusterIds[0] ?? '' };
      const store = new DynamoStateStore({ client: dynamo.client, tableName: fixture.tableName });
      expect(await store.getTargetStates([target])).toEqual(new Map());
      expect(await store.loadJobStates(target)).toEqual(new Map());
      expect(await lease.current()).toMatchObject({ owner: 'cli-run-on-a-laptop' });
    } finally {
      sim.latencyMs = 0;
    }
  });
});

describe('a sharded stack', () => {
  /** A fixture of two projects in different shards of 2, two clusters each. */
  async function prepareSharded() {
    const fixture = await prepare({ config: { deploy: { shards: 2 } } });
    let other = sim.addProject();
    while (shardOfProject(other, 2) === shardOfProject(fixture.projectId, 2)) other = sim.addProject();
    const otherClusters = [0, 1].map(
      (i) => sim.addCluster({ projectId: other, clusterName: `other-${i}` }).id,
    );
    const config: ConfigInput = {
      cloudManager: { baseUrl: sim.baseUrl },
      targets: [
        ...fixture.clusterIds.map((clusterId) => ({ projectId: fixture.projectId, clusterId })),
        ...otherClusters.map((clusterId) => ({ projectId: other, clusterId })),
      ],
      deploy: { shards: 2 },
    };
    writeFileSync(fixture.configFile, JSON.stringify(config));
    storeSecret(fixture.secretId, JSON.stringify(API_KEY));
    return { ...fixture, mine: `${shardOfProject(fixture.projectId, 2)}/2` };
  }

  it('polls the shard its schedule names, under that shard’s lease, and says which in the summary', async () => {
    const fixture = await prepareSharded();
    const lease = new DynamoRunLease({ client: dynamo.client, tableName: fixture.tableName });
    const other = fixture.mine === '1/2' ? '2/2' : '1/2';
    await lease.acquire('the-other-shard', new Date(), 60_000, `poll#${other}`);
    const { handler } = await coldStart();

    const summary = await handler({ ...scheduleEvent(), shard: fixture.mine }, lambdaContext(240_000));

    expect(summary).toMatchObject({ lease: 'acquired', shard: fixture.mine, targets: { total: 1, ok: 1 } });
    const finished = jsonLines().find((line) => line.message === 'Poll finished');
    expect(finished).toMatchObject({ shard: fixture.mine });
  });

  it('emits the heartbeat also with the shard as a dimension, for that shard’s alarm', async () => {
    const fixture = await prepareSharded();
    const { handler } = await coldStart();

    await handler({ ...scheduleEvent(), shard: fixture.mine }, lambdaContext(240_000));

    const documents = emittedMetrics().map((emf) => ({
      dimensions: (emf._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> }).CloudWatchMetrics[0]
        ?.Dimensions,
      shard: emf[SHARD_DIMENSION],
      heartbeat: emf[METRIC.pollsSucceeded],
    }));
    expect(documents).toContainEqual({
      dimensions: [['service', SHARD_DIMENSION]],
      shard: fixture.mine,
      heartbeat: 1,
    });
    expect(documents).toContainEqual({ dimensions: [['service']], shard: undefined, heartbeat: 1 });
  });

  it('fails the invocation, with a zero heartbeat and nothing polled, for a shard that is not this stack’s', async () => {
    const fixture = await prepareSharded();
    const { handler } = await coldStart();
    const before = sim.requests.length;

    await expect(handler({ ...scheduleEvent(), shard: '2/4' }, lambdaContext(240_000))).rejects.toThrow(
      'is not a partition of this configuration, which has 2 shards',
    );
    await expect(handler(scheduleEvent(), lambdaContext(240_000))).rejects.toThrow(
      'poll one of them with --shard i/2',
    );

    expect(sim.requests.length).toBe(before);
    expect(emittedMetrics().map((emf) => emf[METRIC.pollsSucceeded])).toEqual([0, 0]);
    const store = new DynamoStateStore({ client: dynamo.client, tableName: fixture.tableName });
    expect(await store.listTargetStates()).toEqual([]);
  });
});

describe('the time budget', () => {
  it('starts no target when less than the margin is left, and reports every one as skipped', async () => {
    const fixture = await prepare({ clusters: 3 });
    storeSecret(fixture.secretId, JSON.stringify(API_KEY));
    const { handler, POLL_TIME_MARGIN_MS } = await coldStart();
    const requestsBefore = sim.requests.length;

    const summary = await handler(scheduleEvent(), lambdaContext(POLL_TIME_MARGIN_MS - 10_000));

    expect(summary.targets).toEqual({ total: 3, ok: 0, failed: 0, skipped: 3 });
    expect([...summary.skippedTargets].sort()).toEqual(['cluster-0', 'cluster-1', 'cluster-2']);
    expect(sim.requests.length).toBe(requestsBefore);
    expect(emittedMetrics()[0]).toMatchObject({ [METRIC.pollsSucceeded]: 0, [METRIC.targetsSkipped]: 3 });
  });

  it('polls the skipped targets on the next run that has time', async () => {
    const fixture = await prepare({ clusters: 2 });
    storeSecret(fixture.secretId, JSON.stringify(API_KEY));
    const { handler, POLL_TIME_MARGIN_MS } = await coldStart();
    await handler(scheduleEvent(), lambdaContext(POLL_TIME_MARGIN_MS - 10_000));

    const summary = await handler(scheduleEvent(), lambdaContext(240_000));

    expect(summary.targets).toEqual({ total: 2, ok: 2, failed: 0, skipped: 0 });
  });
});

describe('cold start', () => {
  it('fails with every configuration problem listed when the bundled configuration is invalid', async () => {
    const fixture = await prepare();
    writeFileSync(
      fixture.configFile,
      JSON.stringify({ targets: [{ projectId: 'nope' }], alerts: { minSeverity: 'loud' }, extra: true }),
    );
    vi.stubEnv(ENV.topicArn, '');

    const failure = await coldStart().then(
      () => undefined,
      (error: unknown) => error,
    );

    // A fresh module graph has its own ConfigError class: compare by name.
    expect(failure).toMatchObject({ name: 'ConfigError' });
    const problems = (failure as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^RESTORE_WATCH_TOPIC_ARN is not set/),
        expect.stringMatching(/^targets\[0\]\.projectId: /),
        expect.stringMatching(/^alerts\.minSeverity: /),
        expect.stringMatching(/^\(root\): unknown key "extra"/),
      ]),
    );
    expect(problems).toHaveLength(4);
    expect((failure as ConfigError).message).toContain(`Invalid ${fixture.configFile}:`);
  });

  it('names a caFile missing from the bundle with the other problems of the cold start', async () => {
    const fixture = await prepare({
      config: { cloudManager: { baseUrl: sim.baseUrl, caFile: 'restore-watch.ca.pem' } },
    });
    vi.stubEnv(ENV.table, '');

    const failure = await coldStart().then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toMatchObject({ name: 'ConfigError' });
    expect((failure as ConfigError).problems).toEqual([
      expect.stringMatching(/^RESTORE_WATCH_TABLE is not set/),
      `cloudManager.caFile: restore-watch.ca.pem (${join(dirname(fixture.configFile), 'restore-watch.ca.pem')}) does not exist; the path is relative to the configuration file's folder (${dirname(fixture.configFile)})`,
    ]);
  });

  it('fails when the configuration file is missing from the bundle', async () => {
    await prepare();
    vi.stubEnv(ENV.configFile, '/var/task/not-there.json');

    await expect(coldStart()).rejects.toThrow(
      /RESTORE_WATCH_CONFIG_FILE: cannot read \/var\/task\/not-there\.json: ENOENT/,
    );
  });
});

describe('credentials', () => {
  it('picks up a rotated key once the cache expires, and not before', async () => {
    const fixture = await prepare();
    storeSecret(fixture.secretId, JSON.stringify(REVOKED_KEY), JSON.stringify(API_KEY));
    const { handler, CREDENTIALS_CACHE_MS } = await coldStart();
    vi.useFakeTimers({ toFake: ['Date'] });

    const withOldKey = await handler(scheduleEvent(), lambdaContext(240_000));
    vi.setSystemTime(Date.now() + CREDENTIALS_CACHE_MS / 2);
    const stillCached = await handler(scheduleEvent(), lambdaContext(240_000));
    vi.setSystemTime(Date.now() + CREDENTIALS_CACHE_MS);
    const afterExpiry = await handler(scheduleEvent(), lambdaContext(240_000));

    expect(withOldKey.targets).toMatchObject({ ok: 0, failed: 1 });
    expect(stillCached.targets).toMatchObject({ ok: 0, failed: 1 });
    expect(afterExpiry.targets).toMatchObject({ ok: 1, failed: 0 });
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(emittedMetrics().map((emf) => emf[METRIC.pollsSucceeded])).toEqual([0, 0, 1]);
  });

  it('fails the invocation, without echoing the value, when the secret is not JSON', async () => {
    const fixture = await prepare();
    storeSecret(fixture.secretId, API_KEY.privateKey);
    const { handler } = await coldStart();

    const failure = await handler(scheduleEvent(), lambdaContext(240_000)).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toMatchObject({ name: 'ConfigError' });
    expect((failure as Error).message).toContain(`Secrets Manager secret ${fixture.secretId}`);
    expect((failure as Error).message).toContain('not a JSON object');
    expect((failure as Error).message).not.toContain(API_KEY.privateKey);
    expect(emittedMetrics()[0]).toMatchObject({ [METRIC.pollsSucceeded]: 0 });
    expect(jsonLines().some((line) => line.level === 'ERROR' && line.message === 'Poll failed')).toBe(true);
  });

  it('fails the invocation when the created secret was never filled in', async () => {
    const fixture = await prepare();
    storeSecret(fixture.secretId, '{}');
    const { handler } = await coldStart();

    await expect(handler(scheduleEvent(), lambdaContext(240_000))).rejects.toThrow(
      /no Cloud Manager credentials/,
    );
  });

  it('never writes a private key to the logs, whether it works or is refused', async () => {
    const fixture = await prepare();
    storeSecret(fixture.secretId, JSON.stringify(REVOKED_KEY), JSON.stringify(API_KEY), API_KEY.privateKey);
    const { handler, CREDENTIALS_CACHE_MS } = await coldStart();
    vi.useFakeTimers({ toFake: ['Date'] });

    await handler(scheduleEvent(), lambdaContext(240_000));
    vi.setSystemTime(Date.now() + CREDENTIALS_CACHE_MS + 1);
    await handler(scheduleEvent(), lambdaContext(240_000));
    vi.setSystemTime(Date.now() + CREDENTIALS_CACHE_MS + 1);
    await handler(scheduleEvent(), lambdaContext(240_000)).catch(() => undefined);

    const everything = output.join('');
    expect(everything).toContain('Poll finished');
    expect(everything).toContain('Poll failed');
    expect(everything).not.toContain(API_KEY.privateKey);
    expect(everything).not.toContain(REVOKED_KEY.privateKey);
  });
});

describe('PagerDuty from the credentials secret', () => {
  const pd = useLocalPagerDuty();

  /** A baselined fixture, then a restore that broke between two polls. */
  async function brokenRestore(secret: Record<string, string>) {
    const fixture = await prepare();
    vi.stubEnv(ENV.pagerdutyEventsUrl, pd.eventsUrl);
    storeSecret(fixture.secretId, JSON.stringify(secret));
    const { handler } = await coldStart();
    await handler(scheduleEvent(), lambdaContext(240_000));
    const job = sim.addRestoreJob(fixture.projectId, fixture.clusterIds[0] ?? '');
    sim.breakJob(job.id);
    return { fixture, handler, job };
  }

  it('pages the broken restore through PagerDuty when the secret carries pagerdutyRoutingKey', async () => {
    // Prepare
    const { handler, job } = await brokenRestore({ ...API_KEY, pagerdutyRoutingKey: TEST_ROUTING_KEY });

    // Act
    const summary = await handler(scheduleEvent(), lambdaContext(240_000));

    // Assess: the job broke and its delivery failed: two triggers of one incident, one PagerDuty alert.
    const sent = summary.pagerduty?.published ?? 0;
    expect(summary.pagerduty).toMatchObject({ failed: 0, owed: 0 });
    expect(sent).toBeGreaterThan(0);
    const broken = pd.alerts().filter((alert) => alert.dedupKey.endsWith(`/job/${job.id}/failed`));
    expect(broken).toMatchObject([{ status: 'triggered', severity: 'critical' }]);
    const emf = emittedMetrics().at(-1) ?? {};
    expect(emf).toMatchObject({ [METRIC.pagerDutyEventsSent]: sent, [METRIC.pagerDutyEventsFailed]: 0 });
    expect(output.join('')).not.toContain(TEST_ROUTING_KEY);
  });

  it('keeps alerting through SNS with a routing key that cannot be one, and keeps the pages owed', async () => {
    // Prepare
    const { handler } = await brokenRestore({ ...API_KEY, pagerdutyRoutingKey: 'not-a-routing-key' });

    // Act
    const summary = await handler(scheduleEvent(), lambdaContext(240_000));

    // Assess
    expect(summary.alertsPublished).toBeGreaterThan(0);
    expect(summary.alertsOwed).toBe(0);
    expect(summary.pagerduty?.published).toBe(0);
    expect(summary.pagerduty?.failed).toBeGreaterThan(0);
    expect(summary.pagerduty?.owed).toBe(summary.pagerduty?.failed);
    expect(pd.calls).toBe(0);
    const logged = jsonLines().find((line) => line.message === 'PagerDuty is configured but unusable');
    expect(String(logged?.problem)).toMatch(
      /pagerdutyRoutingKey in Secrets Manager secret .* is not a PagerDuty routing key/,
    );
    expect(output.join('')).not.toContain('not-a-routing-key');
  });
});

describe('PagerDuty through alerts.pagerduty.proxyUrl (a VPC whose only way out is a proxy)', () => {
  // PagerDuty over HTTPS, as the real one: its test CA trusted in this process for this describe only.
  let pd: LocalPagerDuty;
  let untrust: () => void;
  let proxy: ConnectProxy;

  beforeAll(async () => {
    const ca = await createTestCa('PagerDuty Test CA');
    const leaf = await ca.issue();
    untrust = trustInThisProcess(ca);
    pd = new LocalPagerDuty({ tls: { key: leaf.keyPem, cert: leaf.certPem } });
    await pd.start();
  });
  afterAll(async () => {
    await pd.stop();
    untrust();
  });
  beforeEach(async () => {
    pd.reset();
    proxy = await startConnectProxy();
  });
  afterEach(() => proxy.stop());

  /** A baselined fixture whose configuration names the proxy, then a restore that broke. */
  async function brokenRestore() {
    const fixture = await prepare({ config: { alerts: { pagerduty: { proxyUrl: proxy.url } } } });
    vi.stubEnv(ENV.pagerdutyEventsUrl, pd.eventsUrl);
    storeSecret(fixture.secretId, JSON.stringify({ ...API_KEY, pagerdutyRoutingKey: TEST_ROUTING_KEY }));
    const { handler } = await coldStart();
    await handler(scheduleEvent(), lambdaContext(240_000));
    const job = sim.addRestoreJob(fixture.projectId, fixture.clusterIds[0] ?? '');
    sim.breakJob(job.id);
    return { handler, job };
  }

  it('pages the broken restore through the proxy, TLS to PagerDuty inside the tunnel', async () => {
    // Prepare
    const { handler, job } = await brokenRestore();

    // Act
    const summary = await handler(scheduleEvent(), lambdaContext(240_000));

    // Assess
    expect(summary.pagerduty).toMatchObject({ failed: 0, owed: 0 });
    const broken = pd.alerts().filter((alert) => alert.dedupKey.endsWith(`/job/${job.id}/failed`));
    expect(broken).toMatchObject([{ status: 'triggered', severity: 'critical' }]);
    expect(proxy.tunnels.length).toBe(pd.calls);
    expect(new Set(proxy.tunnels)).toEqual(new Set([new URL(pd.eventsUrl).host]));
  });

  it('keeps alerting through SNS while the proxy refuses the tunnel; the pages stay owed and the log names the proxy and the fix', async () => {
    // Prepare
    const { handler } = await brokenRestore();
    proxy.refuseWith = 403;
    const callsBefore = pd.calls;

    // Act
    const summary = await handler(scheduleEvent(), lambdaContext(240_000));

    // Assess
    expect(summary.alertsPublished).toBeGreaterThan(0);
    expect(summary.alertsOwed).toBe(0);
    expect(summary.pagerduty?.published).toBe(0);
    expect(summary.pagerduty?.owed).toBeGreaterThan(0);
    expect(pd.calls).toBe(callsBefore);
    const refusal = jsonLines().find((line) => line.message === 'Alert could not be sent to PagerDuty');
    expect(String(refusal?.error)).toContain(
      `The proxy ${proxy.url} (alerts.pagerduty.proxyUrl) refused to open a tunnel to PagerDuty (${new URL(pd.eventsUrl).host}) (HTTP 403): allow CONNECT to`,
    );
    expect(emittedMetrics().at(-1)).toMatchObject({
      [METRIC.pagerDutyEventsFailed]: summary.pagerduty?.failed,
    });
    expect(output.join('')).not.toContain(TEST_ROUTING_KEY);
  });
});
