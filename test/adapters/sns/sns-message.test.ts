import { describe, expect, it } from 'vitest';
import { MAX_SNS_MESSAGE_BYTES } from '../../../functions/adapters/sns/sns-limits.ts';
import { type SnsMessage, toSnsMessage } from '../../../functions/adapters/sns/sns-message.ts';
import type { ChatbotNotification } from '../../../functions/core/alerts/chat-card.ts';
import { EVENT_SCHEMA } from '../../../functions/core/alerts/event-json.ts';
import { groupForPublishing } from '../../../functions/core/alerts/grouping.ts';
import { EVENT_CATALOGUE, EVENT_TYPES } from '../../../functions/core/event-catalogue.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import {
  AUTH_SECRET,
  BATCH,
  batchCompleted,
  batchMembers,
  CONSOLE,
  DOWNLOAD_URLS,
  JOB,
  messageFields,
  OTHER_URL_SECRET,
  record,
  sampleOf,
  URL_SECRET,
} from '../../support/alert-records.ts';
import { expectValidChatbotPayload } from '../../support/chatbot-payload.ts';

const OPTIONS = { consoleBaseUrl: CONSOLE, includeDownloadUrl: false };

function pack(events: AuditRecord[], options: Partial<Parameters<typeof toSnsMessage>[1]> = {}): SnsMessage {
  return toSnsMessage({ events }, { ...OPTIONS, ...options });
}

function chatbot(message: SnsMessage): ChatbotNotification {
  return JSON.parse(message.parts.https) as ChatbotNotification;
}

/** What SNS counts, computed independently of the packing. */
function snsBytes(message: SnsMessage): number {
  let total = Buffer.byteLength(message.message) + Buffer.byteLength(message.subject);
  for (const [name, value] of Object.entries(message.attributes)) {
    total += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    total += Buffer.byteLength(value.StringValue ?? '');
  }
  return total;
}

function everything(message: SnsMessage): string {
  return JSON.stringify(message);
}

describe('toSnsMessage: every event type', () => {
  it.each(EVENT_TYPES)('packs %s for email, Slack and machines', (type) => {
    // Prepare
    const event = sampleOf(type);

    // Act
    const message = pack([event]);

    // Assess
    const info = EVENT_CATALOGUE[type];
    expect(message.subject.length).toBeLessThanOrEqual(99);
    expect(message.subject).toMatch(/^\[(INFO|WARNING|CRITICAL)\] [\x20-\x7e]+$/);
    expect(message.parts.email).toContain(info.title);
    expect(message.parts.email).toContain(event.eventId);
    expect(message.parts.email).toContain('What to do next');
    expect(JSON.parse(message.parts.default)).toEqual({ schema: EVENT_SCHEMA, ...messageFields(event) });
    const card = chatbot(message);
    expectValidChatbotPayload(card);
    expect(card.content.title).toContain(info.title);
    expect(card.content.nextSteps.length).toBeGreaterThan(0);
    expect(card.metadata.eventType).toBe(type);
    expect(JSON.parse(message.message)).toEqual(message.parts);
    expect(Object.keys(JSON.parse(message.message))).toEqual(['default', 'email', 'https']);
  });

  it('caps the subject at the 99 characters SNS allows', () => {
    // Act
    const message = pack([record({ targetName: 'n'.repeat(200), summary: `restore ${'x'.repeat(300)}` })]);

    // Assess
    expect(message.subject).toHaveLength(99);
  });

  it('tells email readers which attributes they could filter on', () => {
    // Act
    const message = pack([record()]);

    // Assess
    expect(message.parts.email).toMatch(
      /\n-- \nSent by restore-watch\. Filter on the message attributes eventTypes, severity, action, team, projectId, clusterId\.$/,
    );
  });
});

describe('toSnsMessage: size', () => {
  it('fits a 2,000-member batch into one SNS message by shortening prose, never the JSON', () => {
    // Prepare
    const completed = batchCompleted(2_000);
    const shards = Array.from({ length: 20 }, (_, i) =>
      record({ eventId: `shard-${i}`, batchId: BATCH, jobId: `5fee${String(i).padStart(20, '0')}` }),
    );

    // Act
    const message = pack([completed, ...shards]);

    // Assess
    expect(message.sizeBytes).toBe(snsBytes(message));
    expect(message.sizeBytes).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
    const parsed = JSON.parse(message.parts.default);
    expect(parsed.events[0].details.members).toEqual(completed.details?.members);
    expect(parsed.events).toHaveLength(21);
    expect(message.parts.email).toContain('more (see the machine-readable message)');
    expect(message.parts.email).not.toContain(batchMembers(2_000)[1_999]?.jobId);
    expect(message.parts.email).toContain('What to do next');
    expectValidChatbotPayload(chatbot(message));
  });

  it('keeps a small alert whole', () => {
    // Act
    const message = pack([batchCompleted(30)]);

    // Assess
    expect(message.sizeBytes).toBe(snsBytes(message));
    expect(message.parts.email).not.toContain('more (see the machine-readable message)');
    expect(message.parts.email).toContain(batchMembers(30)[29]?.jobId);
  });

  it('cuts the email at a line boundary when even the shortest one does not fit', () => {
    // Prepare: JSON just small enough to fit on its own.
    const event = record({ details: { blob: 'y'.repeat(257_800) } });

    // Act
    const message = pack([event]);

    // Assess
    expect(message.sizeBytes).toBe(snsBytes(message));
    expect(message.sizeBytes).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
    expect(message.parts.email).toMatch(/\n\[Shortened to fit the 256 KiB SNS message limit\. .*\]$/);
    expect(JSON.parse(message.parts.default).details.blob).toHaveLength(257_800);
  });

  it('reports a size over the limit instead of cutting an event whose JSON alone is too large', () => {
    // Prepare
    const event = record({ details: { blob: 'x'.repeat(300_000) } });

    // Act
    const message = pack([event]);

    // Assess
    expect(message.sizeBytes).toBeGreaterThan(MAX_SNS_MESSAGE_BYTES);
    expect(JSON.parse(message.parts.default).details.blob).toHaveLength(300_000);
  });

  it('fits every group groupForPublishing makes of a batch too large for one message', () => {
    // Prepare
    const shards = Array.from({ length: 1_500 }, (_, i) =>
      record({ eventId: `shard-${i}`, batchId: BATCH, jobId: `5fdd${String(i).padStart(20, '0')}` }),
    );

    // Act
    const groups = groupForPublishing([...shards, batchCompleted(50)]);

    // Assess
    expect(groups.length).toBeGreaterThan(1);
    for (const group of groups)
      expect(toSnsMessage(group, OPTIONS).sizeBytes).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
  });
});

describe('toSnsMessage: secrets', () => {
  it('never includes download URLs unless includeDownloadUrl is on', () => {
    // Act
    const message = pack([sampleOf('DELIVERY_STATUS_CHANGED')], { downloadUrls: DOWNLOAD_URLS });

    // Assess
    expect(everything(message)).not.toContain('SENTINEL-URL');
    expect(JSON.parse(message.parts.default).downloadUrl).toBeUndefined();
  });

  it('includes the URL of the event’s own job, and only that one, when opted in', () => {
    // Act
    const message = pack([sampleOf('DELIVERY_STATUS_CHANGED')], {
      includeDownloadUrl: true,
      downloadUrls: DOWNLOAD_URLS,
    });

    // Assess
    expect(message.parts.email).toContain(URL_SECRET);
    expect(chatbot(message).content.description).toContain(URL_SECRET);
    expect(JSON.parse(message.parts.default).downloadUrl).toBe(URL_SECRET);
    expect(everything(message)).not.toContain('SENTINEL-URL-B');
  });

  it('redacts secret fields smuggled into an event and scrubs download links from free text', () => {
    // Prepare
    const event = record({
      summary: `restore failed, see ${URL_SECRET}`,
      details: {
        delivery: { url: URL_SECRET, authValue: AUTH_SECRET },
        error: `GET ${OTHER_URL_SECRET} failed`,
      },
    });

    // Act
    const message = pack([event]);

    // Assess
    expect(everything(message)).not.toContain('SENTINEL');
  });
});

describe('toSnsMessage: retries', () => {
  it('packs a retried group byte for byte as first tried: the bookkeeping of every channel and the stored order left out', () => {
    // Prepare: one job's events of one poll, then the same records after failed attempts on both
    // channels, read back from the store with their attributes in another order.
    const first = [
      record({ eventId: 'a', severity: 'info', after: { jobId: JOB, statusName: 'FINISHED' } }),
      record({
        eventId: 'b',
        eventType: 'DELIVERY_EXPIRING',
        severity: 'warning',
        pagerduty: { attempts: 0 },
      }),
    ];
    const retried = first.map(
      (r) =>
        Object.fromEntries(
          Object.entries({
            ...r,
            publishAttempts: 2,
            lastPublishError: 'SNS could not take the message (InternalError)',
            ...(r.pagerduty ? { pagerduty: { attempts: 3, lastError: 'HTTP 503' } } : {}),
          }).reverse(),
        ) as unknown as AuditRecord,
    );

    // Act
    const before = pack(first);
    const after = pack([...retried].reverse());

    // Assess
    expect(after.message).toBe(before.message);
    expect(after.subject).toBe(before.subject);
    expect(after.attributes).toEqual(before.attributes);
  });
});
