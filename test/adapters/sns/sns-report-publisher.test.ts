/** The digest's SNS publisher, on the SDK mock (there is no local SNS peer; see sns-notifier tests). */
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  fitReportText,
  MAX_REPORT_TEXT_BYTES,
  ReportPublishError,
  SnsReportPublisher,
} from '../../../functions/adapters/sns/sns-report-publisher.ts';
import type { ReportMessage } from '../../../functions/core/ports.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:restore-watch-alerts';
const sns = mockClient(SNSClient);
afterAll(() => sns.restore());
beforeEach(() => sns.reset());

const message = (text: string): ReportMessage => ({
  subject: '[INFO] restore-watch report 2026-11: 10 restores, 88.9% succeeded, median 50-55 min',
  text,
  headline: '10 restores requested in 2026-11',
  period: { since: '2026-11-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' },
});

function sentInput(): PublishCommandInput {
  const calls = sns.commandCalls(PublishCommand);
  expect(calls).toHaveLength(1);
  return calls[0]?.args[0].input as PublishCommandInput;
}

describe('SnsReportPublisher', () => {
  it('publishes one message: text for email and default, a chat card for https, REPORT/info attributes', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-7' });
    const publisher = new SnsReportPublisher({
      client: new SNSClient({ region: 'eu-west-1' }),
      topicArn: TOPIC,
    });

    // Act
    const result = await publisher.publishReport(message('restore-watch report\nPrecision: ...\n'));

    // Assess
    expect(result).toEqual({ messageId: 'm-7' });
    const input = sentInput();
    expect(input).toMatchObject({
      TopicArn: TOPIC,
      Subject: message('').subject,
      MessageStructure: 'json',
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: 'REPORT' },
        severity: { DataType: 'String', StringValue: 'info' },
      },
    });
    const parts = JSON.parse(input.Message as string) as Record<string, string>;
    expect(parts.default).toBe('restore-watch report\nPrecision: ...\n');
    expect(parts.email).toBe(parts.default);
    expect(JSON.parse(parts.https as string)).toMatchObject({
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
    // Prepare: a report far larger than a message may be.
    sns.on(PublishCommand).resolves({ MessageId: 'm-8' });
    const publisher = new SnsReportPublisher({
      client: new SNSClient({ region: 'eu-west-1' }),
      topicArn: TOPIC,
    });
    const line = `${'x'.repeat(99)}\n`;

    // Act
    await publisher.publishReport(message(line.repeat(5_000)));

    // Assess
    const input = sentInput();
    expect(
      Buffer.byteLength(input.Message as string) + Buffer.byteLength(input.Subject as string),
    ).toBeLessThan(262_144);
    const text = (JSON.parse(input.Message as string) as Record<string, string>).email as string;
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
    // Prepare
    sns.on(PublishCommand).rejects(
      Object.assign(new Error('User is not authorized to perform SNS:Publish'), {
        name: 'AuthorizationErrorException',
      }),
    );
    const publisher = new SnsReportPublisher({
      client: new SNSClient({ region: 'eu-west-1' }),
      topicArn: TOPIC,
    });

    // Act
    const failure = await publisher.publishReport(message('text')).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ReportPublishError);
    expect((failure as Error).message).toContain(
      `Could not publish the report to ${TOPIC}: AuthorizationErrorException`,
    );
    expect((failure as Error).message).toContain('sns:Publish');
  });
});
