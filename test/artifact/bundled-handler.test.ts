/**
 * The artifact `cdk deploy` uploads, run the way Lambda runs it. The stack is synthesised once (real
 * esbuild bundling, a configuration with `cloudManager.caFile`) into a temporary cloud assembly; the
 * function's asset folder is the task root; the template's handler, timeout, memory and environment
 * are what the child process gets, with local stand-ins for the resources (table, topic, secret, the
 * `/var/task` path) and the SDK pointed at them through `AWS_ENDPOINT_URL_*`. Each `LambdaContainer`
 * is one execution environment (a separate Node 24 process): three invocations in one (warm), then
 * fresh ones (cold). Peers: the Cloud Manager simulator over HTTPS with a private CA, dynalite,
 * LocalSns, LocalSecretsManager. The event is the schedule's own input from the template.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../functions/core/config.ts';
import { ENV } from '../../functions/core/environment.ts';
import type { PollSummary } from '../../functions/core/run-summary.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { loadDeployConfig } from '../../lib/deploy-config.ts';
import { BUNDLED_CA_NAME, BUNDLED_CONFIG_NAME } from '../../lib/monitor-function.ts';
import { RestoreWatchStack } from '../../lib/restore-watch-stack.ts';
import { cdkApp } from '../lib/stack-fixture.ts';
import { createTestCa } from '../support/certificates.ts';
import { createTestTable, startDynalite, type TestDynamo } from '../support/dynalite.ts';
import {
  type LocalSecretsManager,
  startLocalSecretsManager,
} from '../support/local-aws/local-secrets-manager.ts';
import { type LocalSns, startLocalSns } from '../support/local-aws/local-sns.ts';
import { type InvocationOutcome, LambdaContainer } from './lambda-container.ts';

const API_KEY = { publicKey: 'artifact-public', privateKey: 'SENTINEL-ARTIFACT-PRIVATE-KEY-51c0' };
const WRONG_KEY = { publicKey: 'artifact-public', privateKey: 'SENTINEL-WRONG-PRIVATE-KEY-9e2a' };
const SECRET_NAME = 'restore-watch/cloud-manager';

type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> };

interface Artifact {
  /** The function's asset folder in the cloud assembly: what Lambda unpacks to /var/task. */
  taskRoot: string;
  handler: string;
  timeoutMs: number;
  memoryMb: number;
  /** The template's environment for the function, intrinsics unresolved. */
  variables: Record<string, unknown>;
  /** The template's resources, to tell what a `Ref` names. */
  resources: Record<string, Resource>;
  /** The schedule's input (with the Scheduler's placeholders). */
  scheduleInput: string;
}

let sim: CloudManagerSimulator;
let dynamo: TestDynamo;
let sns: LocalSns;
let secrets: LocalSecretsManager;
let xrayDaemon: Socket;
let artifact: Artifact;
let tableName: string;
let topicArn: string;
let jobId: string;
let inlineConfigWithoutCa: string;

/** Synthesises the stack like `cdk synth` and reads the function and the schedule off the assembly. */
function synthesise(configFile: string, outdir: string): Artifact {
  const loaded = loadDeployConfig(configFile);
  const app = cdkApp({ bundle: true, outdir });
  new RestoreWatchStack(app, 'RestoreWatch', {
    config: loaded.config,
    ...(loaded.caCertificates ? { caCertificates: loaded.caCertificates } : {}),
  });
  const assembly = app.synth();
  const template = assembly.getStackByName('RestoreWatch').template as {
    Resources: Record<string, Resource>;
  };
  const functions = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:is-bundled'] === true,
  );
  expect(functions).toHaveLength(1);
  const fn = functions[0] as Resource;
  const schedule = Object.values(template.Resources).find((r) => r.Type === 'AWS::Scheduler::Schedule');
  if (!schedule) throw new Error('the template has no schedule');
  return {
    taskRoot: join(assembly.directory, String(fn.Metadata?.['aws:asset:path'])),
    handler: String(fn.Properties.Handler),
    timeoutMs: Number(fn.Properties.Timeout) * 1000,
    memoryMb: Number(fn.Properties.MemorySize),
    variables: (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
    resources: template.Resources,
    scheduleInput: String((schedule.Properties.Target as { Input: string }).Input),
  };
}

/** The template's value of a variable, with a local stand-in for each resource it names. */
function standIn(name: string, value: unknown): string {
  if (typeof value === 'string') return value.replaceAll('/var/task', artifact.taskRoot);
  const ref = (value as { Ref?: string } | undefined)?.Ref;
  switch (ref ? artifact.resources[ref]?.Type : undefined) {
    case 'AWS::DynamoDB::Table':
      return tableName;
    case 'AWS::SNS::Topic':
      return topicArn;
    case 'AWS::SecretsManager::Secret':
      return secrets.arnOf(SECRET_NAME);
    default:
      throw new Error(`The artifact test has no local stand-in for ${name} = ${JSON.stringify(value)}`);
  }
}

/** What the Lambda service puts in the environment, then the template's variables, then the peers. */
function lambdaEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  const functionName = 'RestoreWatch-MonitorFunction-artifact';
  const fromTemplate = Object.fromEntries(
    Object.entries(artifact.variables).map(([name, value]) => [name, standIn(name, value)]),
  );
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(artifact.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/02/[$LATEST]0123456789abcdef0123456789abcdef',
    _HANDLER: artifact.handler,
    LAMBDA_TASK_ROOT: artifact.taskRoot,
    // Segments go to a UDP socket on loopback that swallows them (Lambda's daemon address is link-local).
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${xrayDaemon.address().port}`,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    ...fromTemplate,
    ...sns.env(),
    ...secrets.env(),
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_SESSION_TOKEN: 'artifact-test-session',
    ...overrides,
  };
}

const coldStart = (overrides: Record<string, string> = {}) =>
  LambdaContainer.start({
    env: lambdaEnvironment(overrides),
    cwd: artifact.taskRoot,
    timeoutMs: artifact.timeoutMs,
  });

/** The schedule's input as Scheduler fills it in. */
function scheduledEvent(): unknown {
  return JSON.parse(
    artifact.scheduleInput
      .replace('<aws.scheduler.scheduled-time>', new Date().toISOString())
      .replace(
        '<aws.scheduler.schedule-arn>',
        'arn:aws:scheduler:us-east-1:123456789012:schedule/default/poll',
      ),
  );
}

function summaryOf(outcome: InvocationOutcome): PollSummary {
  if (outcome.kind !== 'result')
    throw new Error(`the invocation failed: ${outcome.error.name}: ${outcome.error.message}`);
  return outcome.result as PollSummary;
}

/** Every event type of every message: a message carries them all in its `eventTypes` String.Array. */
const eventTypes = () =>
  sns
    .messagesFor(topicArn)
    .flatMap((m) => JSON.parse(m.messageAttributes.eventTypes?.StringValue ?? '[]') as string[]);

beforeAll(async () => {
  const ca = await createTestCa('Artifact Test CA');
  const leaf = await ca.issue();
  sim = new CloudManagerSimulator({ apiKeys: [API_KEY], tls: { key: leaf.keyPem, cert: leaf.certPem } });
  await sim.start();
  const cluster = sim.addCluster({ clusterName: 'orders-prod', typeName: 'REPLICA_SET' });
  jobId = sim.addRestoreJob(cluster.groupId as string, cluster.id).id;

  const dir = mkdtempSync(join(tmpdir(), 'restore-watch-artifact-'));
  const config: ConfigInput = {
    cloudManager: { baseUrl: sim.baseUrl, caFile: 'ops-ca.pem' },
    targets: [{ projectId: cluster.groupId as string, clusterId: cluster.id, name: 'orders-prod' }],
  };
  writeFileSync(join(dir, 'ops-ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'restore-watch.config.json'), JSON.stringify(config));
  inlineConfigWithoutCa = JSON.stringify({ ...config, cloudManager: { baseUrl: sim.baseUrl } });

  artifact = synthesise(join(dir, 'restore-watch.config.json'), join(dir, 'cdk.out'));

  dynamo = await startDynalite();
  sns = await startLocalSns();
  topicArn = sns.createTopic('restore-watch-alerts');
  secrets = await startLocalSecretsManager({ secrets: { [SECRET_NAME]: JSON.stringify(API_KEY) } });
  tableName = await createTestTable(dynamo.client);
  xrayDaemon = createSocket('udp4');
  await new Promise<void>((resolve) => xrayDaemon.bind(0, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  xrayDaemon?.close();
  await Promise.all([sim?.stop(), dynamo?.stop(), sns?.stop(), secrets?.stop()]);
});

describe('the bundle', () => {
  it('carries the configuration and the CA file, the configuration naming the bundled copy', () => {
    const bundled = JSON.parse(readFileSync(join(artifact.taskRoot, BUNDLED_CONFIG_NAME), 'utf8'));
    expect(bundled.cloudManager.caFile).toBe(BUNDLED_CA_NAME);
    expect(readFileSync(join(artifact.taskRoot, BUNDLED_CA_NAME), 'utf8')).toContain(
      '-----BEGIN CERTIFICATE-----',
    );
    expect(artifact.handler).toBe('index.handler');
    expect(artifact.variables[ENV.configFile]).toBe(`/var/task/${BUNDLED_CONFIG_NAME}`);
  });
});

describe('one warm container, three scheduled invocations', () => {
  let container: LambdaContainer;
  const runs: PollSummary[] = [];
  const messagesAfter: number[] = [];

  beforeAll(async () => {
    container = await coldStart();
    // 1: the first poll records the baseline; 2: the job finished meanwhile; 3: nothing changed.
    runs.push(summaryOf(await container.invoke(scheduledEvent())));
    messagesAfter.push(sns.messagesFor(topicArn).length);
    sim.finishJob(jobId, { expirationHours: 48 });
    runs.push(summaryOf(await container.invoke(scheduledEvent())));
    messagesAfter.push(sns.messagesFor(topicArn).length);
    runs.push(summaryOf(await container.invoke(scheduledEvent())));
    messagesAfter.push(sns.messagesFor(topicArn).length);
  }, 30_000);

  afterAll(() => container?.stop());

  it('polls through HTTPS with the bundled private CA, holding the lease each time', () => {
    expect(runs.map((run) => run.lease)).toEqual(['acquired', 'acquired', 'acquired']);
    expect(runs.map((run) => run.targets)).toEqual(
      Array.from({ length: 3 }, () => ({ total: 1, ok: 1, failed: 0, skipped: 0 })),
    );
    expect(sim.requests.length).toBeGreaterThanOrEqual(3);
  });

  it('publishes the finished restore to the topic', () => {
    // Two events (status, delivery) of one job in one poll: one message (issue 10).
    expect(runs[1]?.alertsPublished).toBe(2);
    expect(messagesAfter[1]).toBe(1);
    expect(eventTypes()).toEqual(expect.arrayContaining(['JOB_STATUS_CHANGED', 'DELIVERY_STATUS_CHANGED']));
    expect(
      sns
        .messagesFor(topicArn)
        .map((m) => m.message)
        .join('\n'),
    ).toContain(jobId);
  });

  it('publishes nothing on the baseline run or on the quiet run after it', () => {
    expect([runs[0]?.alertsPublished, runs[2]?.alertsPublished]).toEqual([0, 0]);
    expect([messagesAfter[0], messagesAfter[2]]).toEqual([0, messagesAfter[1]]);
  });

  it('reads the credentials once for the three invocations', () => {
    expect(secrets.getSecretValueCount(SECRET_NAME)).toBe(1);
  });

  it('logs one "Poll finished" line and one EMF document with the heartbeat per invocation', () => {
    const lines = container.jsonLines();
    expect(lines.filter((line) => line.message === 'Poll finished')).toHaveLength(3);
    expect(lines.filter((line) => '_aws' in line).map((emf) => emf.PollsSucceeded)).toEqual([1, 1, 1]);
  });
});

describe('fresh containers', () => {
  it('reports a TLS failure naming caFile when the configuration lacks it', async () => {
    // Prepare: the same bundle with an inline configuration (which wins) that has no caFile
    const readsBefore = secrets.getSecretValueCount(SECRET_NAME);
    const alertsBefore = sns.messagesFor(topicArn).length;
    const container = await coldStart({ [ENV.config]: inlineConfigWithoutCa });

    // Act
    const summary = await container
      .invoke(scheduledEvent())
      .then(summaryOf)
      .finally(() => container.stop());

    // Assess
    expect(summary.targets).toMatchObject({ ok: 0, failed: 1 });
    expect(summary.failedTargets[0]?.error).toContain('"Artifact Test CA", a CA this monitor does not trust');
    expect(summary.failedTargets[0]?.error).toContain('set cloudManager.caFile');
    expect(secrets.getSecretValueCount(SECRET_NAME)).toBe(readsBefore + 1);
    // An untrusted certificate never heals by itself: alerted at the first failure.
    const newAlerts = sns.messagesFor(topicArn).slice(alertsBefore);
    expect(newAlerts.map((m) => m.messageAttributes.eventType?.StringValue)).toEqual(['TARGET_FAILING']);
    expect(newAlerts[0]?.message).toContain("the API's TLS certificate is not trusted");
  });

  it('reports a wrong private key as docs/deploy.md says: returned, logged, alerted at once', async () => {
    // Prepare: a healthy run first (the target recovers from the TLS case above), then the secret
    // rotated to a key Cloud Manager refuses
    const healthy = await coldStart();
    await healthy.invoke(scheduledEvent()).finally(() => healthy.stop());
    secrets.putSecret(SECRET_NAME, JSON.stringify(WRONG_KEY));
    const container = await coldStart();
    const alertsBefore = sns.messagesFor(topicArn).length;

    // Act
    const outcome = await container.invoke(scheduledEvent()).finally(() => container.stop());

    // Assess: a target failure is returned, not thrown ("Throw or return")
    const summary = summaryOf(outcome);
    expect(summary.targets).toMatchObject({ ok: 0, failed: 1 });
    expect(summary.failedTargets[0]?.error).toMatch(/401/);
    const failed = container.jsonLines().filter((line) => line.message === 'Target poll failed');
    expect(failed).toHaveLength(1);
    expect(String(failed[0]?.error)).toMatch(/401/);
    expect(
      container
        .jsonLines()
        .filter((line) => '_aws' in line)
        .map((emf) => emf.PollsSucceeded),
    ).toEqual([0]);
    const newAlerts = sns.messagesFor(topicArn).slice(alertsBefore);
    expect(newAlerts.map((m) => m.messageAttributes.eventType?.StringValue)).toEqual(['TARGET_FAILING']);
    expect(newAlerts[0]?.message).toContain('credentials rejected');
    const everything = [...container.output, ...sns.messagesFor(topicArn).map((m) => m.message)].join('\n');
    for (const secret of [API_KEY.privateKey, WRONG_KEY.privateKey]) expect(everything).not.toContain(secret);
  });
});
