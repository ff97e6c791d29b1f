/**
 * Publishes one report (the monthly digest) to the alerts topic: one SNS message, attributes
 * `eventType=REPORT` and `severity=info` so subscription filter policies can take or leave it.
 *
 * `MessageStructure: 'json'`, like the alerts, so each kind of subscriber gets what it can read:
 * `default` and `email` the plain-text report; `https` an Amazon Q Developer (Chatbot) custom
 * notification with the headline figures, since Chatbot silently drops anything else. The report text
 * travels twice, so it is cut (at a line, with a note) to keep the whole message within SNS's limit.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ReportMessage, ReportPublisher } from '../../core/ports.ts';
import { MAX_SNS_MESSAGE_BYTES, utf8Bytes } from './sns-limits.ts';

/** Room left for the subject, the attributes, the JSON envelope and the chat card. */
const ENVELOPE_BYTES = 16_384;
/** The report text appears twice (default, email): each copy gets half of the rest. */
export const MAX_REPORT_TEXT_BYTES = Math.floor((MAX_SNS_MESSAGE_BYTES - ENVELOPE_BYTES) / 2);

export const REPORT_EVENT_TYPE = 'REPORT';

/** The text, whole if it fits in `maxBytes` (UTF-8), else cut at a line boundary with a note. */
export function fitReportText(text: string, maxBytes: number, period: ReportMessage['period']): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const note =
    `\n[The report was cut to fit one message. The whole report: restore-watch report --since ${period.since} ` +
    `--until ${period.until} --format html --output report.html]\n`;
  const budget = maxBytes - utf8Bytes(note);
  const lines = text.split('\n');
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const size = utf8Bytes(line) + 1;
    if (used + size > budget) break;
    kept.push(line);
    used += size;
  }
  return `${kept.join('\n')}${note}`;
}

/** SNS did not take the report. The invocation fails (and is retried, then alarmed). */
export class ReportPublishError extends Error {
  readonly topicArn: string;
  constructor(topicArn: string, detail: string, options?: ErrorOptions) {
    super(
      `Could not publish the report to ${topicArn}: ${detail}. Check that the function may sns:Publish to the topic and use its KMS key (the stack grants both), and that the topic exists.`,
      options,
    );
    this.name = 'ReportPublishError';
    this.topicArn = topicArn;
  }
}

export class SnsReportPublisher implements ReportPublisher {
  private readonly client: SNSClient;
  private readonly topicArn: string;

  constructor(options: { client: SNSClient; topicArn: string }) {
    this.client = options.client;
    this.topicArn = options.topicArn;
  }

  async publishReport(message: ReportMessage): Promise<{ messageId: string }> {
    const text = fitReportText(message.text, MAX_REPORT_TEXT_BYTES, message.period);
    const chat = {
      version: '1.0',
      source: 'custom',
      id: `restore-watch-report-${message.period.since.slice(0, 10)}`,
      content: {
        textType: 'client-markdown',
        title: message.subject,
        description: message.headline,
        nextSteps: [
          `The whole report with charts: restore-watch report --since ${message.period.since} --until ${message.period.until} --format html --output report.html`,
        ],
      },
      metadata: { summary: message.subject, eventType: REPORT_EVENT_TYPE },
    };
    const output = await this.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: message.subject,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: text, email: text, https: JSON.stringify(chat) }),
        MessageAttributes: {
          eventType: { DataType: 'String', StringValue: REPORT_EVENT_TYPE },
          severity: { DataType: 'String', StringValue: 'info' },
        },
      }),
    );
    if (!output.MessageId) throw new ReportPublishError(this.topicArn, 'SNS answered without a MessageId');
    return { messageId: output.MessageId };
  }

  private async send(command: PublishCommand) {
    try {
      return await this.client.send(command);
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const text = error instanceof Error ? error.message : String(error);
      throw new ReportPublishError(this.topicArn, `${name}: ${text}`, { cause: error });
    }
  }
}
