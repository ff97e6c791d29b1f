/**
 * One alert group packed into one SNS message. `SnsNotifier` sends it and `ConsolePublisher` prints
 * it, so a terminal preview and a delivered email are the same text.
 *
 * One message serves every subscriber through `MessageStructure: 'json'`:
 * - `default`: the machine-readable event JSON (`renderEventJson`); SQS, Lambda, email-json and every
 *   protocol without its own key receive it. Never shortened.
 * - `email`: the plain-text email (`renderEmailText`) for people.
 * - `https`: the chat card (`renderChatCard`), so Slack renders it through Amazon Q Developer.
 *
 * SNS counts subject, message and attributes against 256 KiB: the email is shortened step by step
 * (`EMAIL_LEVELS`) until the message fits, and cut at a line boundary as a last resort.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { type AlertViewOptions, type DetailLevel, viewAlert } from '../../core/alerts/alert-view.ts';
import { renderChatCard } from '../../core/alerts/chat-card.ts';
import { FULL_DETAIL, renderEmailText } from '../../core/alerts/email-text.ts';
import { renderEventJson } from '../../core/alerts/event-json.ts';
import { renderSubject } from '../../core/alerts/subject-line.ts';
import type { AlertGroup } from '../../core/ports.ts';
import type { Severity } from '../../core/types.ts';
import { toMessageAttributes } from './message-attributes.ts';
import { attributeBytes, MAX_SNS_MESSAGE_BYTES, MAX_SUBJECT_CHARS, utf8Bytes } from './sns-limits.ts';

export interface SnsMessageOptions extends AlertViewOptions {
  /** Cloud Manager UI origin, e.g. https://cloud.mongodb.com (see `consoleBaseUrlFor`). */
  consoleBaseUrl: string;
}

export interface SnsMessage {
  subject: string;
  /** The `MessageStructure: 'json'` string: `{ default, email, https }`. */
  message: string;
  parts: { default: string; email: string; https: string };
  attributes: Record<string, MessageAttributeValue>;
  /** UTF-8 bytes of message + subject + attributes (names, types, values): what SNS counts. */
  sizeBytes: number;
  /** In message order: the batch summary first. */
  eventIds: string[];
  /** Worst severity of the group (as in the `severity` attribute). */
  severity: Severity;
}

/** The email's closing line: email subscribers cannot see the attributes they could filter on. */
const EMAIL_SIGNATURE =
  'Sent by restore-watch. Filter on the message attributes eventTypes, severity, action, team, projectId, clusterId.';

/** Tried in order until the message fits: less and less of a large batch spelled out. */
const EMAIL_LEVELS: readonly DetailLevel[] = [
  FULL_DETAIL,
  { memberRows: 500, fullEvents: 50, lineEvents: 1_000 },
  { memberRows: 100, fullEvents: 10, lineEvents: 200 },
  { memberRows: 20, fullEvents: 3, lineEvents: 20 },
  { memberRows: 0, fullEvents: 1, lineEvents: 0 },
];

const SHORTENED_NOTE =
  '[Shortened to fit the 256 KiB SNS message limit. The complete data is in the machine-readable (default) message.]';

/**
 * Packs one group as one SNS message. If even the `default` JSON alone does not fit, `sizeBytes`
 * stays above the limit and the publisher reports the group as undeliverable instead of sending a
 * truncated event.
 */
export function toSnsMessage(group: AlertGroup, options: SnsMessageOptions): SnsMessage {
  const view = viewAlert(group, options);
  const { consoleBaseUrl } = options;
  const subject = renderSubject(view, { maxChars: MAX_SUBJECT_CHARS });
  const defaultPart = renderEventJson(view);
  const https = JSON.stringify(renderChatCard(view, { consoleBaseUrl }));
  const attributes = toMessageAttributes(view.routing);
  const fixedBytes = utf8Bytes(subject) + attributeBytes(attributes);

  let email = '';
  let message = '';
  let sizeBytes = Number.POSITIVE_INFINITY;
  for (const level of EMAIL_LEVELS) {
    email = renderEmailText(view, { consoleBaseUrl, level, signature: EMAIL_SIGNATURE });
    message = packMessage(defaultPart, email, https);
    sizeBytes = utf8Bytes(message) + fixedBytes;
    if (sizeBytes <= MAX_SNS_MESSAGE_BYTES) break;
  }
  if (sizeBytes > MAX_SNS_MESSAGE_BYTES) {
    // Last resort for the prose: cut the shortest email at a line boundary to what is left.
    const withoutEmail = utf8Bytes(packMessage(defaultPart, '', https)) + fixedBytes;
    email = cutToBytes(email, MAX_SNS_MESSAGE_BYTES - withoutEmail, SHORTENED_NOTE);
    message = packMessage(defaultPart, email, https);
    sizeBytes = utf8Bytes(message) + fixedBytes;
  }
  return {
    subject,
    message,
    parts: { default: defaultPart, email, https },
    attributes,
    sizeBytes,
    eventIds: view.routing.eventIds,
    severity: view.severity,
  };
}

function packMessage(defaultPart: string, email: string, https: string): string {
  return JSON.stringify({ default: defaultPart, email, https });
}

/**
 * Cuts `text` so that its JSON-escaped form (as it sits inside the message) takes at most `budget`
 * bytes, at a line boundary, ending with `note`.
 */
function cutToBytes(text: string, budget: number, note: string): string {
  const cost = (s: string) => utf8Bytes(JSON.stringify(s)) - 2;
  if (cost(text) <= budget) return text;
  const lines = text.split('\n');
  let low = 0;
  let high = lines.length;
  // Binary search on the number of lines kept.
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (cost(`${lines.slice(0, mid).join('\n')}\n${note}`) <= budget) low = mid;
    else high = mid - 1;
  }
  const kept = `${lines.slice(0, low).join('\n')}\n${note}`;
  return cost(kept) <= budget ? kept : cost(note) <= budget ? note : '';
}
