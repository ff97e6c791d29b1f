/**
 * The digest's SNS publisher over a real SNS wire (LocalSns): the message it builds is one SNS
 * accepts (subject, JSON structure, attributes, 256 KiB), and what subscribers would get is exactly it.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  fitReportText,
  MAX_REPORT_TEXT_BYTES,
  ReportPublishError,
  SnsReportPublisher,
} from '../../../functions/adapters/sns/sns-report-publisher.ts';
import type { ReportMessage } from '../../../functions/core/ports.ts';
import { type LocalSns, SNS_FAULTS, startLocalSns } from '../../support/local-aws/local-sns.ts';

let sns: LocalSns;
let client: SNSClient;
let topicArn: string;
let publisher: SnsReportPublisher;

beforeAll(async () => {
  sns = await startLocalSns({ topics: ['restore-watch-alerts'] });
  topicArn = sns.topicArns[0] ?? '';
  // One attempt: a refusal is seen as SNS gave it, not after the SDK's retries.
  client = new SNSClient({ ...sns.clientConfig(), maxAttempts: 1 });
  publisher = new SnsReportPublisher({ client, topicArn });
});
afterAll(async () => {
  client.destroy();
  await sns.stop();
});
beforeEach(() => sns.reset());

const message = (text: string): ReportMessage => ({
  subject: '[INFO] restore-watch report 2026-11: 10 restores, 88.9% succeeded, median 50-55 min',
  text,
  headline: '10 restores requested in 2026-11',
  period: { since: '2026-11-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' },
});

function delivered() {
  const messages = sns.messagesFor(topicArn);
  expect(messages).toHaveLength(1);
  const [only] = messages;
  return { ...only, parts: JSON.parse(only?.message ?? '{}') as Record<string, string> };
}

describe('SnsReportPublisher', () => {
  it('publishes one message: text for email and default, a chat card for https, REPORT/info attributes', async () => {
    // Act
    const result = await publisher.publishReport(message('restore-watch report\nPrecision: ...\n'));

    // Assess
    const sent = delivered();
    expect(result).toEqual({ messageId: sent.messageId });
    expect(sns.callCount('Publish')).toBe(1);
    expect(sent).toMatchObject({
      action: 'Publish',
      subject: message('').subject,
      messageStructure: 'json',
      messageAttributes: {
        eventType: { DataType: 'String', StringValue: 'REPORT' },
        severity: { DataType: 'String', StringValue: 'info' },
      },
    });
    expect(sent.parts.default).toBe('restore-watch report\nPrecision: ...\n');
    expect(sent.parts.email).toBe(sent.parts.default);
    expect(JSON.parse(sent.parts.https as string)).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: message('').subject,
        description: '10 restores requested in 2026-11',
      },
    });
  });

  it('keeps the whole message within the SNS limit, cutting the text at a line with a note', async () => {
    // Prepare: a report far larger than a message may be (LocalSns refuses over 256 KiB, as SNS does).
    const line = `${'x'.repeat(99)}\n`;

    // Act
    await publisher.publishReport(message(line.repeat(5_000)));

    // Assess: accepted, and what was cut says so and how to get the rest
    const text = delivered().parts.email as string;
    expect(text).toMatch(
      /\n\[The report was cut to fit one message\. The whole report: restore-watch report --since 2026-11-01T00:00:00\.000Z/,
    );
    expect(
      text
        .split('\n')
        .slice(0, -2)
        .every((kept) => kept === 'x'.repeat(99)),
    ).toBe(true);
  });

  it('leaves a text that fits untouched', () => {
    expect(fitReportText('short\n', MAX_REPORT_TEXT_BYTES, message('').period)).toBe('short\n');
  });

  it('fails with the topic and what to check when SNS refuses', async () => {
    // Prepare: the function's role may not publish.
    sns.failNext(SNS_FAULTS.authorizationError, { action: 'Publish' });

    // Act
    const failure = await publisher.publishReport(message('text')).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ReportPublishError);
    expect((failure as Error).message).toContain(
      `Could not publish the report to ${topicArn}: AuthorizationErrorException`,
    );
    expect((failure as Error).message).toContain('sns:Publish');
    expect(sns.messagesFor(topicArn)).toEqual([]);
  });
});
