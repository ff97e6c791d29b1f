import {
  AuthorizationErrorException,
  InvalidParameterException,
  PublishBatchCommand,
  type PublishBatchCommandInput,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { toSnsMessage } from '../../../functions/adapters/sns/sns-message.ts';
import { SnsNotifier, type SnsNotifierOptions } from '../../../functions/adapters/sns/sns-notifier.ts';
import type { AlertGroup } from '../../../functions/core/ports.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import { record as baseRecord, CLUSTER, CONSOLE, JOB, PROJECT } from '../../support/alert-records.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:restore-watch-alerts';
const URL_SECRET =
  'https://api-backup.mongodb.com/backup/restore/v2/pull/JOB/SENTINEL-URL-SNS/electron.tar.gz';

const snsMock = mockClient(SNSClient);

/** A critical JOB_STATUS_CHANGED of `JOB` with event id `evt-<n>`. */
function record(n: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return baseRecord({ eventId: `evt-${n}`, runId: 'run-1', ...overrides });
}

function groups(count: number): AlertGroup[] {
  return Array.from({ length: count }, (_, i) => ({ events: [record(i)] }));
}

interface Harness {
  notifier: SnsNotifier;
  sleeps: number[];
  logs: Array<{ level: string; msg: string; extra?: Record<string, unknown> }>;
}

function harness(overrides: Partial<SnsNotifierOptions> = {}): Harness {
  const sleeps: number[] = [];
  const logs: Harness['logs'] = [];
  const notifier = new SnsNotifier({
    client: new SNSClient({ region: 'eu-west-1' }),
    topicArn: TOPIC,
    consoleBaseUrl: CONSOLE,
    includeDownloadUrl: false,
    maxAttempts: 3,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    logger: {
      debug: () => {},
      info: () => {},
      warn: (msg, extra) => logs.push({ level: 'warn', msg, ...(extra ? { extra } : {}) }),
      error: (msg, extra) => logs.push({ level: 'error', msg, ...(extra ? { extra } : {}) }),
    },
    ...overrides,
  });
  return { notifier, sleeps, logs };
}

/** Input of the n-th PublishBatch call. */
function sent(n: number): PublishBatchCommandInput {
  const call = snsMock.commandCalls(PublishBatchCommand)[n];
  if (!call) throw new Error(`no PublishBatch call #${n}`);
  return call.args[0].input;
}

function entryIds(n: number): string[] {
  return (sent(n).PublishBatchRequestEntries ?? []).map((e) => e.Id ?? '');
}

/** Accepts every entry and answers with a message id derived from the entry id. */
function acceptAll(): void {
  snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => ({
    Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}` })),
    Failed: [],
  }));
}

beforeEach(() => {
  snsMock.reset();
});

describe('SnsNotifier', () => {
  it('sends one PublishBatch entry per group with the rendered subject, JSON structure and attributes', async () => {
    // Prepare
    acceptAll();
    const { notifier } = harness();
    const group: AlertGroup = { events: [record(1)] };
    const expected = toSnsMessage(group, { consoleBaseUrl: CONSOLE, includeDownloadUrl: false });

    // Act
    const outcomes = await notifier.publish([group], {});

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishBatchCommand, 1);
    expect(sent(0)).toEqual({
      TopicArn: TOPIC,
      PublishBatchRequestEntries: [
        {
          Id: '0',
          Subject: '[CRITICAL] orders-prod restore 5f3a1b2c... BROKEN (was IN_PROGRESS)',
          Message: expected.message,
          MessageStructure: 'json',
          MessageAttributes: {
            eventType: { DataType: 'String', StringValue: 'JOB_STATUS_CHANGED' },
            eventTypes: { DataType: 'String.Array', StringValue: '["JOB_STATUS_CHANGED"]' },
            severity: { DataType: 'String', StringValue: 'critical' },
            action: { DataType: 'String', StringValue: 'trigger' },
            incidentKey: { DataType: 'String', StringValue: `job/${JOB}/failed` },
            projectId: { DataType: 'String', StringValue: PROJECT },
            clusterId: { DataType: 'String', StringValue: CLUSTER },
            jobId: { DataType: 'String', StringValue: JOB },
            eventId: { DataType: 'String', StringValue: 'evt-1' },
          },
        },
      ],
    });
    expect(Object.keys(JSON.parse(sent(0).PublishBatchRequestEntries?.[0]?.Message ?? '{}'))).toEqual([
      'default',
      'email',
      'https',
    ]);
    expect(outcomes).toEqual([{ eventIds: ['evt-1'], ok: true, messageId: 'msg-0' }]);
    expect(notifier.stats).toEqual({ publishBatchCalls: 1, messagesAccepted: 1, messagesFailed: 0 });
  });

  it('chunks 23 groups into calls of 10, 10 and 3 entries with unique ids', async () => {
    // Prepare
    acceptAll();
    const { notifier } = harness();

    // Act
    const outcomes = await notifier.publish(groups(23), {});

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishBatchCommand, 3);
    expect(entryIds(0)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(entryIds(1)).toEqual(['10', '11', '12', '13', '14', '15', '16', '17', '18', '19']);
    expect(entryIds(2)).toEqual(['20', '21', '22']);
    for (const id of [...entryIds(0), ...entryIds(1), ...entryIds(2)])
      expect(id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(snsMock).toHaveReceivedCommandWith(PublishBatchCommand, { TopicArn: TOPIC });
    expect(outcomes.map((o) => (o.ok ? o.messageId : 'failed'))).toEqual(
      Array.from({ length: 23 }, (_, i) => `msg-${i}`),
    );
    expect(outcomes.map((o) => o.eventIds)).toEqual(Array.from({ length: 23 }, (_, i) => [`evt-${i}`]));
  });

  it('keeps each call under 256 KiB in total by starting a new call early', async () => {
    // Prepare: three batch summaries of about 100 KiB each.
    acceptAll();
    const { notifier } = harness();
    const big = (n: number): AlertGroup => ({
      events: [
        record(n, {
          eventType: 'BATCH_COMPLETED',
          jobId: undefined,
          batchId: `5fbb${String(n).padStart(20, '0')}`,
          details: {
            members: Array.from({ length: 1_100 }, (_, i) => ({
              jobId: `5fcc${String(i).padStart(20, '0')}`,
              statusName: 'FINISHED',
              deliveryStatus: 'READY',
            })),
          },
        }),
      ],
    });

    // Act
    const outcomes = await notifier.publish([big(1), big(2), big(3)], {});

    // Assess
    const calls = snsMock.commandCalls(PublishBatchCommand);
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) {
      const entries = call.args[0].input.PublishBatchRequestEntries ?? [];
      let bytes = 0;
      for (const entry of entries) {
        bytes += Buffer.byteLength(entry.Message ?? '') + Buffer.byteLength(entry.Subject ?? '');
        for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
          bytes += Buffer.byteLength(name) + Buffer.byteLength(`${value.DataType}${value.StringValue ?? ''}`);
        }
      }
      expect(bytes).toBeLessThanOrEqual(262_144);
    }
    expect(outcomes.every((o) => o.ok)).toBe(true);
  });

  it('retries entries that failed on the service side and reports them delivered', async () => {
    // Prepare
    snsMock
      .on(PublishBatchCommand)
      .resolvesOnce({
        Successful: [
          { Id: '0', MessageId: 'msg-a' },
          { Id: '2', MessageId: 'msg-c' },
        ],
        Failed: [{ Id: '1', Code: 'InternalError', Message: 'Internal error', SenderFault: false }],
      })
      .resolvesOnce({ Successful: [{ Id: '1', MessageId: 'msg-b' }], Failed: [] });
    const { notifier, sleeps } = harness();

    // Act
    const outcomes = await notifier.publish(groups(3), {});

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishBatchCommand, 2);
    expect(entryIds(1)).toEqual(['1']);
    expect(sent(1).PublishBatchRequestEntries?.[0]).toEqual(sent(0).PublishBatchRequestEntries?.[1]);
    expect(sleeps).toEqual([200]);
    expect(outcomes).toEqual([
      { eventIds: ['evt-0'], ok: true, messageId: 'msg-a' },
      { eventIds: ['evt-1'], ok: true, messageId: 'msg-b' },
      { eventIds: ['evt-2'], ok: true, messageId: 'msg-c' },
    ]);
  });

  it('retries an entry missing from the answer', async () => {
    // Prepare
    snsMock
      .on(PublishBatchCommand)
      .resolvesOnce({ Successful: [{ Id: '0', MessageId: 'msg-a' }] })
      .resolvesOnce({ Successful: [{ Id: '1', MessageId: 'msg-b' }] });
    const { notifier } = harness();

    // Act
    const outcomes = await notifier.publish(groups(2), {});

    // Assess
    expect(entryIds(1)).toEqual(['1']);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
  });

  it('reports an entry rejected as invalid as non-retryable without retrying it or blocking the others', async () => {
    // Prepare
    snsMock.on(PublishBatchCommand).resolves({
      Successful: [
        { Id: '0', MessageId: 'msg-a' },
        { Id: '2', MessageId: 'msg-c' },
      ],
      Failed: [
        { Id: '1', Code: 'InvalidParameter', Message: 'Invalid parameter: Subject', SenderFault: true },
      ],
    });
    const { notifier, sleeps } = harness();

    // Act
    const outcomes = await notifier.publish(groups(3), {});

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishBatchCommand, 1);
    expect(sleeps).toEqual([]);
    expect(outcomes[0]).toEqual({ eventIds: ['evt-0'], ok: true, messageId: 'msg-a' });
    expect(outcomes[1]).toMatchObject({ eventIds: ['evt-1'], ok: false, retryable: false });
    expect(outcomes[1]?.ok === false && outcomes[1].error).toContain(
      'InvalidParameter: Invalid parameter: Subject',
    );
    expect(outcomes[2]).toEqual({ eventIds: ['evt-2'], ok: true, messageId: 'msg-c' });
    expect(notifier.stats).toEqual({ publishBatchCalls: 1, messagesAccepted: 2, messagesFailed: 1 });
  });

  it('reports every group of a call retryable after a throttling outage outlasts the attempts', async () => {
    // Prepare
    snsMock
      .on(PublishBatchCommand)
      .rejects(new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const { notifier, sleeps } = harness();

    // Act
    const outcomes = await notifier.publish(groups(2), {});

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishBatchCommand, 3);
    expect(sleeps).toEqual([200, 400]);
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ ok: false, retryable: true });
      expect(outcome.ok === false && outcome.error).toMatch(
        /ThrottledException: Rate exceeded.*after 3 attempts/,
      );
    }
    expect(notifier.stats).toEqual({ publishBatchCalls: 3, messagesAccepted: 0, messagesFailed: 2 });
  });

  it('retries a network failure and succeeds when the network comes back', async () => {
    // Prepare
    snsMock
      .on(PublishBatchCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .resolvesOnce({ Successful: [{ Id: '0', MessageId: 'msg-a' }] });
    const { notifier, sleeps } = harness();

    // Act
    const outcomes = await notifier.publish(groups(1), {});

    // Assess
    expect(sleeps).toEqual([200]);
    expect(outcomes).toEqual([{ eventIds: ['evt-0'], ok: true, messageId: 'msg-a' }]);
  });

  it('does not retry a permission error now but keeps the alerts owed (retryable)', async () => {
    // Prepare
    snsMock.on(PublishBatchCommand).rejects(
      new AuthorizationErrorException({
        message: 'User is not authorized to perform: SNS:Publish',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const { notifier, sleeps } = harness();

    // Act
    const outcomes = await notifier.publish(groups(2), {});

    // Assess
    expect(snsMock).toHaveReceivedCommandTimes(PublishBatchCommand, 1);
    expect(sleeps).toEqual([]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ ok: false, retryable: true });
      expect(outcome.ok === false && outcome.error).toContain('sns:Publish');
    }
  });

  it('isolates a message that makes SNS reject the whole call, so the others still go out', async () => {
    // Prepare: SNS refuses any call that contains entry 1.
    snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      const entries = input.PublishBatchRequestEntries ?? [];
      if (entries.some((e) => e.Id === '1')) {
        throw new InvalidParameterException({
          message: 'Invalid parameter: Message Structure - JSON message body failed to parse',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}` })) };
    });
    const { notifier, sleeps } = harness();

    // Act
    const outcomes = await notifier.publish(groups(3), {});

    // Assess
    expect(entryIds(0)).toEqual(['0', '1', '2']);
    expect([entryIds(1), entryIds(2), entryIds(3)]).toEqual([['0'], ['1'], ['2']]);
    expect(snsMock).toHaveReceivedCommandTimes(PublishBatchCommand, 4);
    expect(sleeps).toEqual([]);
    expect(outcomes[0]).toEqual({ eventIds: ['evt-0'], ok: true, messageId: 'msg-0' });
    expect(outcomes[1]).toMatchObject({ eventIds: ['evt-1'], ok: false, retryable: false });
    expect(outcomes[2]).toEqual({ eventIds: ['evt-2'], ok: true, messageId: 'msg-2' });
  });

  it('refuses a group whose machine-readable JSON alone exceeds the SNS limit and sends the rest', async () => {
    // Prepare
    acceptAll();
    const { notifier } = harness();
    const huge: AlertGroup = { events: [record(9, { details: { blob: 'x'.repeat(300_000) } })] };

    // Act
    const outcomes = await notifier.publish([{ events: [record(1)] }, huge], {});

    // Assess
    expect(entryIds(0)).toEqual(['0']);
    expect(outcomes[0]).toMatchObject({ ok: true });
    expect(outcomes[1]).toMatchObject({ eventIds: ['evt-9'], ok: false, retryable: false });
    expect(outcomes[1]?.ok === false && outcomes[1].error).toMatch(/over the SNS limit of 262144 bytes/);
  });

  it('logs failures with event ids only: no message body, subject or download URL', async () => {
    // Prepare
    snsMock
      .on(PublishBatchCommand)
      .rejects(new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const { notifier, logs } = harness({ includeDownloadUrl: true });
    const event = record(1, {
      eventType: 'DELIVERY_STATUS_CHANGED',
      summary: 'restore 5f3a1b2c… download ready',
    });

    // Act
    await notifier.publish([{ events: [event] }], { downloadUrls: new Map([[JOB, URL_SECRET]]) });

    // Assess
    expect(sent(0).PublishBatchRequestEntries?.[0]?.Message).toContain(URL_SECRET);
    const errors = logs.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.extra).toMatchObject({ eventIds: ['evt-1'], retryable: true });
    const logged = JSON.stringify(logs);
    expect(logged).not.toContain('SENTINEL');
    expect(logged).not.toContain('download ready');
    expect(logged).not.toContain('restore-watch.event/v1');
  });

  it('leaves download URLs out of the message unless the notifier opts in', async () => {
    // Prepare
    acceptAll();
    const { notifier } = harness({ includeDownloadUrl: false });

    // Act
    await notifier.publish(groups(1), { downloadUrls: new Map([[JOB, URL_SECRET]]) });

    // Assess
    expect(JSON.stringify(sent(0))).not.toContain('SENTINEL');
  });

  it('keeps error texts from SNS free of download URLs', async () => {
    // Prepare
    snsMock.on(PublishBatchCommand).resolves({
      Failed: [{ Id: '0', Code: 'InvalidParameter', Message: `bad value ${URL_SECRET}`, SenderFault: true }],
    });
    const { notifier, logs } = harness({ includeDownloadUrl: true });

    // Act
    const outcomes = await notifier.publish(groups(1), { downloadUrls: new Map([[JOB, URL_SECRET]]) });

    // Assess
    expect(JSON.stringify(outcomes)).not.toContain('SENTINEL');
    expect(JSON.stringify(logs)).not.toContain('SENTINEL');
  });

  it('makes no call for an empty list', async () => {
    // Prepare
    const { notifier } = harness();

    // Act
    const outcomes = await notifier.publish([], {});

    // Assess
    expect(outcomes).toEqual([]);
    expect(snsMock).not.toHaveReceivedCommand(PublishBatchCommand);
  });
});
