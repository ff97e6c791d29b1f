/**
 * Characterisation of what subscribers receive: for a fixed set of representative alerts, the exact
 * PublishBatch calls SNS gets (entries per call, subject, message bytes, structure, attributes) and
 * the exact console preview. Recorded from the renderer as it was before it was split into core
 * renderers and SNS packing (issue 9); a change to any byte a subscriber sees shows up here as a diff
 * and must be deliberate (`vitest -u` rewrites the golden files).
 *
 * Small messages are kept whole (parts decoded, email as lines) so a diff is readable; every message
 * is also pinned by its SHA-256, so byte identity does not depend on how the parts are shown.
 */
import { createHash } from 'node:crypto';
import { PublishBatchCommand, type PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConsolePublisher } from '../../../functions/adapters/console/console-publisher.ts';
import { SnsNotifier } from '../../../functions/adapters/sns/sns-notifier.ts';
import { groupForPublishing } from '../../../functions/core/alerts/grouping.ts';
import { EVENT_TYPES } from '../../../functions/core/event-catalogue.ts';
import type { AuditRecord, BatchMember } from '../../../functions/core/types.ts';
import {
  AUTH_SECRET,
  BATCH,
  batchCompleted,
  CONSOLE,
  DOWNLOAD_URLS,
  JOB,
  OTHER_JOB,
  OTHER_URL_SECRET,
  record,
  sampleOf,
  URL_SECRET,
} from '../../support/alert-records.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:restore-watch-alerts';
/** Messages and previews up to this size are kept whole in the golden file; larger ones by hash. */
const INLINE_MAX_BYTES = 16 * 1024;

const snsMock = mockClient(SNSClient);

interface GoldenCase {
  name: string;
  records: AuditRecord[];
  includeDownloadUrl?: boolean;
}

function members(statuses: string[]): BatchMember[] {
  return statuses.map((statusName, i) => ({
    jobId: `5fcd${String(i).padStart(20, '0')}`,
    statusName,
    deliveryStatus: statusName === 'FINISHED' ? 'READY' : 'NOT_STARTED',
    hostId: `shard-${i}.example.net:27017`,
  }));
}

function jobStatus(status: string): AuditRecord {
  return record({
    eventId: `evt-job-${status}`,
    severity: status === 'BROKEN' ? 'critical' : status === 'FINISHED' ? 'info' : 'warning',
    summary: `restore 5f3a1b2c… ${status} (was IN_PROGRESS)`,
    after: { jobId: JOB, statusName: status, hasDownloadUrl: false, downloaded: false },
  });
}

function deliveryStatus(status: string, downloaded = false): AuditRecord {
  return record({
    eventId: `evt-delivery-${status}-${downloaded}`,
    eventType: 'DELIVERY_STATUS_CHANGED',
    severity: status === 'FAILED' || status === 'INTERRUPTED' ? 'critical' : 'info',
    summary: `restore 5f3a1b2c… delivery ${status}`,
    before: { jobId: JOB, statusName: 'FINISHED', deliveryStatus: 'IN_PROGRESS', hasDownloadUrl: false },
    after: {
      jobId: JOB,
      statusName: 'FINISHED',
      deliveryStatus: status,
      deliveryMethod: 'HTTP',
      hasDownloadUrl: status === 'READY',
      downloaded,
    },
  });
}

function shard(n: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  const jobId = `5fee${String(n).padStart(20, '0')}`;
  return record({
    eventId: `evt-shard-${n}`,
    batchId: BATCH,
    jobId,
    severity: 'info',
    summary: `restore ${jobId.slice(0, 8)}… FINISHED (was IN_PROGRESS)`,
    before: { jobId, statusName: 'IN_PROGRESS', hasDownloadUrl: false, downloaded: false },
    after: { jobId, statusName: 'FINISHED', hasDownloadUrl: false, downloaded: false },
    ...overrides,
  });
}

/**
 * Each record as detected by a poll of its own: one job's events of ONE poll are one message (issue
 * 10), so cases that show one message per event give each its own run.
 */
function apart(records: AuditRecord[]): AuditRecord[] {
  return records.map((r, i) => ({ ...r, runId: `${r.runId}#${i + 1}` }));
}

const CASES: GoldenCase[] = [
  { name: 'one event of each type', records: apart(EVENT_TYPES.map(sampleOf)) },
  {
    name: 'one job in one poll: finished, download ready, link expiring: one message',
    records: [
      record({
        eventId: 'evt-one-job-expiring',
        eventType: 'DELIVERY_EXPIRING',
        severity: 'warning',
        summary: 'restore 5f3a1b2c… download link expires in 49 min, not downloaded yet',
        after: {
          jobId: JOB,
          statusName: 'FINISHED',
          deliveryStatus: 'READY',
          expires: '2026-05-01T10:49:00Z',
          hasDownloadUrl: true,
          downloaded: false,
        },
        details: { thresholdMinutes: 60, expires: '2026-05-01T10:49:00Z', minutesLeft: 49 },
        team: 'orders-oncall',
      }),
      record({
        eventId: 'evt-one-job-finished',
        severity: 'info',
        summary: 'restore 5f3a1b2c… FINISHED (was IN_PROGRESS)',
        after: { jobId: JOB, statusName: 'FINISHED', hasDownloadUrl: true, downloaded: false },
        team: 'orders-oncall',
      }),
      record({
        eventId: 'evt-one-job-ready',
        eventType: 'DELIVERY_STATUS_CHANGED',
        severity: 'info',
        summary: 'restore 5f3a1b2c… download ready until 2026-05-01 10:49 UTC',
        before: { jobId: JOB, statusName: 'FINISHED', deliveryStatus: 'IN_PROGRESS', hasDownloadUrl: false },
        after: {
          jobId: JOB,
          statusName: 'FINISHED',
          deliveryStatus: 'READY',
          expires: '2026-05-01T10:49:00Z',
          hasDownloadUrl: true,
          downloaded: false,
        },
        details: { expires: '2026-05-01T10:49:00Z' },
        team: 'orders-oncall',
      }),
    ],
  },
  {
    name: 'every job and delivery status, catalogued or not (next steps chosen by status)',
    records: apart([
      ...['IN_PROGRESS', 'FINISHED', 'KILLED', 'BROKEN', 'PAUSED_FOR_MAINTENANCE'].map(jobStatus),
      ...['NOT_STARTED', 'IN_PROGRESS', 'READY', 'FAILED', 'INTERRUPTED', 'MAX_DOWNLOADS_EXCEEDED'].map((s) =>
        deliveryStatus(s),
      ),
      deliveryStatus('EXPIRED', false),
      deliveryStatus('EXPIRED', true),
      deliveryStatus('SOMETHING_NEW'),
    ]),
  },
  {
    name: 'sharded batch in one poll, next to a single event',
    records: [
      shard(1),
      sampleOf('JOB_STUCK'),
      batchCompleted(3, {
        severity: 'info',
        summary: 'batch 5fbbbbbb… completed: 3 FINISHED',
        details: { members: members(['FINISHED', 'FINISHED', 'FINISHED']) },
      }),
      shard(2),
      shard(3, { eventType: 'DELIVERY_STATUS_CHANGED', eventId: 'evt-shard-3-delivery' }),
    ],
  },
  {
    name: 'completed batches: all FINISHED, a KILLED shard, a BROKEN shard, no members',
    records: [
      batchCompleted(3, {
        eventId: 'evt-batch-finished',
        batchId: '5fbb00000000000000000001',
        severity: 'info',
        details: { members: members(['FINISHED', 'FINISHED', 'FINISHED']) },
      }),
      batchCompleted(3, {
        eventId: 'evt-batch-killed',
        batchId: '5fbb00000000000000000002',
        severity: 'warning',
        details: { members: members(['FINISHED', 'KILLED', 'FINISHED']) },
      }),
      batchCompleted(3, {
        eventId: 'evt-batch-broken',
        batchId: '5fbb00000000000000000003',
        details: { members: members(['BROKEN', 'KILLED', 'FINISHED']) },
      }),
      batchCompleted(0, { eventId: 'evt-batch-empty', batchId: '5fbb00000000000000000004', details: {} }),
    ],
  },
  {
    name: 'huge batch shortened step by step to fit 256 KiB',
    records: [batchCompleted(2_000), ...Array.from({ length: 20 }, (_, i) => shard(i))],
  },
  {
    name: 'email cut at a line boundary as the last resort',
    records: [record({ eventId: 'evt-cut', details: { blob: 'y'.repeat(257_800) } })],
  },
  {
    name: 'unicode, control characters and long names',
    records: apart([
      record({
        eventId: 'evt-unicode',
        targetName: 'Bestellungen Müller–Ærø “Straße” 東京 🚀',
        summary: 'restore 5f3a1b2c… BROKEN — „kaputt“ ✗',
      }),
      record({ eventId: 'evt-control', targetName: 'orders\r\nBcc: evil@example.com\t\u0007prod' }),
      record({ eventId: 'evt-long', targetName: 'n'.repeat(200), summary: `restore ${'x'.repeat(300)}` }),
      record({ eventId: 'evt-cjk', targetName: '東京' }),
    ]),
  },
  {
    name: 'download URLs opted in',
    includeDownloadUrl: true,
    records: [
      sampleOf('DELIVERY_STATUS_CHANGED'),
      shard(1, { jobId: JOB, eventId: 'evt-url-a' }),
      shard(2, { jobId: OTHER_JOB, eventId: 'evt-url-b' }),
    ],
  },
  {
    name: 'download URLs available but not opted in',
    records: [sampleOf('DELIVERY_STATUS_CHANGED'), shard(1, { jobId: JOB, eventId: 'evt-url-a' })],
  },
  {
    name: 'secrets smuggled into free text and details',
    records: [
      record({
        eventId: 'evt-secrets',
        summary: `restore failed, see ${URL_SECRET}`,
        details: {
          delivery: { url: URL_SECRET, authValue: AUTH_SECRET },
          error: `GET ${OTHER_URL_SECRET} failed`,
          note: 'Authorization: Bearer abc.def.ghi',
        },
      }),
    ],
  },
  {
    name: 'batch too large for one message, split into groups',
    records: [...Array.from({ length: 1_500 }, (_, i) => shard(i)), batchCompleted(50)],
  },
  {
    name: 'three large batch summaries chunked into calls by bytes',
    records: [1, 2, 3].map((n) =>
      batchCompleted(1_100, { eventId: `evt-big-${n}`, batchId: `5fbb${String(n).padStart(20, '0')}` }),
    ),
  },
  {
    name: 'a batch of 400 shard events: ids in the JSON, at most 10 attributes',
    records: Array.from({ length: 400 }, (_, i) =>
      shard(i, { eventId: `shard-event-${String(i).padStart(30, '0')}` }),
    ),
  },
  {
    name: 'machine-readable JSON alone over the limit is refused, the rest is sent',
    records: apart([
      record({ eventId: 'evt-huge', details: { blob: 'x'.repeat(300_000) } }),
      sampleOf('JOB_CREATED'),
    ]),
  },
  {
    name: 'event type and severity the catalogue does not know',
    records: [
      record({
        eventId: 'evt-unknown',
        eventType: 'SOMETHING_NEW' as AuditRecord['eventType'],
        severity: 'bogus' as AuditRecord['severity'],
        details: { custom: { a: 1 }, error: 'plain text error' },
      }),
    ],
  },
  {
    name: 'delivery bookkeeping left out: a retried message equals the first one',
    records: [
      record({
        eventId: 'evt-retried',
        publishAttempts: 2,
        lastPublishError: 'SNS could not take the message (InternalError)',
        rejections: 1,
      }),
    ],
  },
];

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function goldenEntry(entry: PublishBatchRequestEntry) {
  const message = entry.Message ?? '';
  const bytes = Buffer.byteLength(message, 'utf8');
  const parts = JSON.parse(message) as { default: string; email: string; https: string };
  return {
    Id: entry.Id,
    Subject: entry.Subject,
    MessageStructure: entry.MessageStructure,
    MessageAttributes: entry.MessageAttributes,
    messageBytes: bytes,
    messageSha256: sha256(message),
    ...(bytes <= INLINE_MAX_BYTES
      ? {
          default: JSON.parse(parts.default),
          email: parts.email.split('\n'),
          https: JSON.parse(parts.https),
        }
      : {}),
  };
}

function goldenText(text: string) {
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes <= INLINE_MAX_BYTES ? text.split('\n') : { bytes, sha256: sha256(text) };
}

async function snsGolden(c: GoldenCase) {
  snsMock.reset();
  snsMock.on(PublishBatchCommand).callsFake((input) => ({
    Successful: (input.PublishBatchRequestEntries ?? []).map((e: PublishBatchRequestEntry) => ({
      Id: e.Id,
      MessageId: `msg-${e.Id}`,
    })),
    Failed: [],
  }));
  const notifier = new SnsNotifier({
    client: new SNSClient({ region: 'eu-west-1' }),
    topicArn: TOPIC,
    consoleBaseUrl: CONSOLE,
    includeDownloadUrl: c.includeDownloadUrl ?? false,
    sleep: async () => {},
  });
  const outcomes = await notifier.publish(groupForPublishing(c.records), { downloadUrls: DOWNLOAD_URLS });
  const calls = snsMock
    .commandCalls(PublishBatchCommand)
    .map((call) => (call.args[0].input.PublishBatchRequestEntries ?? []).map(goldenEntry));
  return { case: c.name, calls, outcomes };
}

async function consoleGolden(c: GoldenCase) {
  const out: Record<string, unknown> = { case: c.name };
  for (const format of ['both', 'json'] as const) {
    const chunks: string[] = [];
    const publisher = new ConsolePublisher({
      write: (text) => chunks.push(text),
      consoleBaseUrl: CONSOLE,
      includeDownloadUrl: c.includeDownloadUrl ?? false,
      format,
    });
    const outcomes = await publisher.publish(groupForPublishing(c.records), { downloadUrls: DOWNLOAD_URLS });
    out[format] = { blocks: chunks.map(goldenText), outcomes };
  }
  return out;
}

beforeEach(() => {
  snsMock.reset();
});

describe('what subscribers receive (golden)', () => {
  it('sends exactly the recorded PublishBatch calls for every representative case', async () => {
    // Act
    const golden = [];
    for (const c of CASES) golden.push(await snsGolden(c));

    // Assess
    await expect(`${JSON.stringify(golden, null, 1)}\n`).toMatchFileSnapshot(
      './__snapshots__/sns-entries.golden.json',
    );
  });

  it('prints exactly the recorded console preview for every representative case', async () => {
    // Act
    const golden = [];
    for (const c of CASES) golden.push(await consoleGolden(c));

    // Assess
    await expect(`${JSON.stringify(golden, null, 1)}\n`).toMatchFileSnapshot(
      './__snapshots__/console-preview.golden.json',
    );
  });

  it('keeps each case doing what it is named for', async () => {
    // The golden files pin bytes; these pin why each case is in the set, so a fixture change cannot
    // quietly turn a shortening case into an ordinary one.
    const byName = new Map(CASES.map((c) => [c.name, c]));
    const run = async (name: string) => {
      const { outcomes } = await snsGolden(byName.get(name) as GoldenCase);
      const entries = snsMock
        .commandCalls(PublishBatchCommand)
        .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
      const emails = entries.map((e) => (JSON.parse(e.Message ?? '{}') as { email: string }).email);
      return { outcomes, entries, emails, calls: snsMock.commandCalls(PublishBatchCommand).length };
    };

    const huge = await run('huge batch shortened step by step to fit 256 KiB');
    expect(huge.emails[0]).toContain('more (see the machine-readable message)');

    const cut = await run('email cut at a line boundary as the last resort');
    expect(cut.emails[0]).toContain('[Shortened to fit the 256 KiB SNS message limit.');

    const split = await run('batch too large for one message, split into groups');
    expect(split.entries.length).toBeGreaterThan(1);
    expect(split.emails[0]).toContain('Further events');

    const chunked = await run('three large batch summaries chunked into calls by bytes');
    expect(chunked.calls).toBeGreaterThan(1);

    const refused = await run('machine-readable JSON alone over the limit is refused, the rest is sent');
    expect(refused.outcomes.map((o) => o.ok)).toEqual([false, true]);

    const ids = await run('a batch of 400 shard events: ids in the JSON, at most 10 attributes');
    expect(ids.entries[0]?.MessageAttributes?.eventIds).toBeUndefined();
    expect(Object.keys(ids.entries[0]?.MessageAttributes ?? {}).length).toBeLessThanOrEqual(10);

    const oneJob = await run('one job in one poll: finished, download ready, link expiring: one message');
    expect(oneJob.entries).toHaveLength(1);
    expect(oneJob.entries[0]?.Subject).toBe(
      '[WARNING] orders-prod restore ...00000003 expires in 49 min, not downloaded yet; FINISHED, downl...',
    );
    expect(oneJob.entries[0]?.MessageAttributes?.eventTypes?.StringValue).toBe(
      JSON.stringify(['JOB_STATUS_CHANGED', 'DELIVERY_STATUS_CHANGED', 'DELIVERY_EXPIRING']),
    );

    for (const sent of [huge, cut, split]) {
      for (const entry of sent.entries)
        expect(Buffer.byteLength(entry.Message ?? '')).toBeLessThanOrEqual(262_144);
    }
  });
});
