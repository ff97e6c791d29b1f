/**
 * SnsNotifier over a real SNS wire (LocalSns) instead of the SDK mock: the batches it builds are ones
 * SNS accepts, and what subscribers would get is exactly what it rendered.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toSnsMessage } from '../../../functions/adapters/sns/sns-message.ts';
import { SnsNotifier } from '../../../functions/adapters/sns/sns-notifier.ts';
import type { AlertGroup } from '../../../functions/core/ports.ts';
import { type LocalSns, startLocalSns } from '../../support/local-aws/local-sns.ts';
import { auditRecord } from '../dynamo/fixtures.ts';

const CONSOLE = 'https://cloud.mongodb.com';

let sns: LocalSns;
let client: SNSClient;

beforeAll(async () => {
  sns = await startLocalSns({ topics: ['restore-watch-alerts'] });
  client = new SNSClient({ ...sns.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await sns.stop();
});

describe('SnsNotifier through LocalSns', () => {
  it('delivers 12 alerts in batches of 10 and 2, re-sending the entry SNS failed, each exactly once as rendered', async () => {
    // Prepare: twelve groups; SNS fails entry 4 of the first batch on its side (SenderFault false)
    const topicArn = sns.topicArns[0] ?? '';
    const groups: AlertGroup[] = Array.from({ length: 12 }, (_, i) => ({
      events: [auditRecord(`evt-${i}`, { severity: 'critical', jobId: `job-${i}` })],
    }));
    sns.failEntries({ code: 'InternalFailure', senderFault: false }, { where: (entry) => entry.id === '4' });
    const notifier = new SnsNotifier({
      client,
      topicArn,
      consoleBaseUrl: CONSOLE,
      includeDownloadUrl: false,
      sleep: async () => {},
    });

    // Act
    const outcomes = await notifier.publish(groups, {});

    // Assess: every alert accepted once, with the message id SNS gave it
    const delivered = sns.messagesFor(topicArn);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(delivered.map((m) => m.messageId).sort()).toEqual(
      outcomes.map((o) => (o.ok ? o.messageId : 'failed')).sort(),
    );
    expect(sns.callCount('PublishBatch')).toBe(3);
    expect(notifier.stats).toEqual({ publishBatchCalls: 3, messagesAccepted: 12, messagesFailed: 0 });

    // Assess: each message is the rendered alert, JSON-structured with its attributes
    const byEventId = new Map(delivered.map((m) => [m.messageAttributes.eventId?.StringValue, m]));
    expect(byEventId.size).toBe(12);
    for (const group of groups) {
      const rendered = toSnsMessage(group, { consoleBaseUrl: CONSOLE, includeDownloadUrl: false });
      const message = byEventId.get(group.events[0]?.eventId);
      expect({
        subject: message?.subject,
        message: message?.message,
        messageStructure: message?.messageStructure,
        messageAttributes: message?.messageAttributes,
      }).toEqual({
        subject: rendered.subject,
        message: rendered.message,
        messageStructure: 'json',
        messageAttributes: rendered.attributes,
      });
    }
  });
});
