/**
 * `restore-watch poll` with RESTORE_WATCH_TOPIC_ARN: alerts go to SNS (mocked on the SNSClient
 * prototype, since there is no local SNS peer) instead of the terminal.
 */
import {
  AuthorizationErrorException,
  PublishBatchCommand,
  type PublishBatchCommandInput,
  SNSClient,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { VirtualClock } from '../support/harness.ts';
import {
  API_KEY,
  addProject,
  CREDENTIALS_ENV,
  configFor,
  runCli,
  workDirs,
  writeConfig,
} from './cli-harness.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:restore-watch-alerts';
const ENV = { ...CREDENTIALS_ENV, RESTORE_WATCH_TOPIC_ARN: TOPIC };

const snsMock = mockClient(SNSClient);
const clock = new VirtualClock();
let sim: CloudManagerSimulator;
beforeAll(async () => {
  sim = new CloudManagerSimulator({ apiKeys: [{ ...API_KEY }], now: clock.now });
  await sim.start();
});
afterAll(async () => {
  snsMock.restore();
  await sim.stop();
});
/** SNS accepts every entry. */
const acceptAll = (input: PublishBatchCommandInput) => ({
  Successful: (input.PublishBatchRequestEntries ?? []).map((entry) => ({
    Id: entry.Id,
    MessageId: `msg-${entry.Id}`,
  })),
  Failed: [],
});
beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishBatchCommand).callsFake(acceptAll);
});
const dirs = workDirs();
afterEach(() => dirs.removeAll());

async function prepare() {
  const cwd = await dirs.make();
  const project = addProject(sim, 'orders-prod');
  await writeConfig(cwd, configFor(sim, project));
  const poll = (...args: string[]) => runCli(['poll', ...args], { cwd, env: ENV, now: clock.now });
  return { project, clusterId: project.clusters[0]?.id ?? '', poll };
}

describe('restore-watch poll with an SNS topic', () => {
  it('publishes a new job as one PublishBatch entry to the topic and prints no alert', async () => {
    // Prepare
    const { project, clusterId, poll } = await prepare();
    await poll();
    const job = sim.addRestoreJob(project.projectId, clusterId);

    // Act
    const result = await poll();

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^polled 1 target .* 1 event detected, 1 alert published, 0 still owed\n$/);
    expect(snsMock).toHaveReceivedCommandTimes(PublishBatchCommand, 1);
    const input = snsMock.commandCalls(PublishBatchCommand)[0]?.args[0].input;
    const entry = input?.PublishBatchRequestEntries?.[0];
    const eventId = (JSON.parse(JSON.parse(entry?.Message ?? '{}').default) as { eventId: string }).eventId;
    expect(input).toEqual({
      TopicArn: TOPIC,
      PublishBatchRequestEntries: [
        {
          Id: '0',
          Subject: `[INFO] orders-prod restore ...${job.id.slice(-8)} requested (IN_PROGRESS)`,
          Message: expect.any(String),
          MessageStructure: 'json',
          MessageAttributes: {
            eventType: { DataType: 'String', StringValue: 'JOB_CREATED' },
            eventTypes: { DataType: 'String.Array', StringValue: '["JOB_CREATED"]' },
            severity: { DataType: 'String', StringValue: 'info' },
            action: { DataType: 'String', StringValue: 'info' },
            incidentKey: { DataType: 'String', StringValue: `job/${job.id}` },
            projectId: { DataType: 'String', StringValue: project.projectId },
            clusterId: { DataType: 'String', StringValue: clusterId },
            jobId: { DataType: 'String', StringValue: job.id },
            eventId: { DataType: 'String', StringValue: eventId },
          },
        },
      ],
    });
    const message = JSON.parse(entry?.Message ?? '{}') as Record<string, string>;
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'https']);
    expect(JSON.parse(message.default ?? '{}')).toMatchObject({
      eventType: 'JOB_CREATED',
      jobId: job.id,
      projectId: project.projectId,
      clusterId,
    });
  });

  it('publishes nothing to SNS on the baseline poll', async () => {
    const { project, clusterId, poll } = await prepare();
    sim.addRestoreJob(project.projectId, clusterId);

    const result = await poll();

    expect(result.code).toBe(0);
    expect(snsMock).not.toHaveReceivedCommand(PublishBatchCommand);
  });

  it('keeps an alert SNS refused as owed and publishes it on the next poll', async () => {
    // Prepare: SNS refuses the first call (a permissions problem an operator then fixes).
    const { project, clusterId, poll } = await prepare();
    await poll();
    sim.addRestoreJob(project.projectId, clusterId);
    snsMock
      .on(PublishBatchCommand)
      .rejectsOnce(new AuthorizationErrorException({ message: 'not authorized', $metadata: {} }))
      .callsFake(acceptAll);

    // Act
    const refused = await poll();
    const next = await poll();

    // Assess
    expect(refused.code).toBe(0);
    expect(refused.stdout).toContain('0 alerts published, 1 still owed');
    expect(refused.stdout).toContain('1 alert(s) could not be delivered; they stay owed');
    expect(next.code).toBe(0);
    expect(next.stdout).toContain('0 events detected, 1 alert published, 0 still owed');
    const calls = snsMock.commandCalls(PublishBatchCommand);
    expect(calls).toHaveLength(2);
    const eventIdOf = (call: (typeof calls)[number] | undefined) =>
      call?.args[0].input.PublishBatchRequestEntries?.[0]?.MessageAttributes?.eventId?.StringValue;
    expect(eventIdOf(calls[1])).toBe(eventIdOf(calls[0]));
    expect(eventIdOf(calls[1])).toMatch(/^[0-9a-f]{32}$/);
  });
});
