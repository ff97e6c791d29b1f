import { describe, expect, it } from 'vitest';
import {
  type ChatbotNotification,
  consoleBaseUrlFor,
  EVENT_SCHEMA,
  EVENTS_SCHEMA,
  groupForPublishing,
  InvalidApiBaseUrlError,
  MAX_SNS_MESSAGE_BYTES,
  type RenderedAlert,
  type RenderOptions,
  renderAlert,
  toAsciiLine,
} from '../../functions/core/alert-message.ts';
import { EVENT_CATALOGUE, EVENT_TYPES } from '../../functions/core/event-catalogue.ts';
import type { AuditRecord, BatchMember, EventType } from '../../functions/core/types.ts';

const PROJECT = '5f0000000000000000000001';
const CLUSTER = '5f0000000000000000000002';
const JOB = '5f3a1b2c0000000000000003';
const OTHER_JOB = '5f3a1b2c0000000000000004';
const BATCH = '5fbbbbbb0000000000000005';
const RUN = 'run-2026-05-01T10:00:00Z';
const CONSOLE = 'https://cloud.mongodb.com';

// Sentinel secrets: none of them may appear in any output unless explicitly opted in.
const URL_SECRET = 'https://api-backup.mongodb.com/backup/restore/v2/pull/JOB/SENTINEL-URL-A/electron.tar.gz';
const OTHER_URL_SECRET =
  'https://api-backup.mongodb.com/backup/restore/v2/pull/JOB/SENTINEL-URL-B/electron.tar.gz';
const AUTH_SECRET = 'SENTINEL-AUTH-VALUE-42';

const OPTIONS: RenderOptions = { consoleBaseUrl: CONSOLE, includeDownloadUrl: false };

function record(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    eventId: `evt-${overrides.eventType ?? 'JOB_STATUS_CHANGED'}-${overrides.jobId ?? JOB}`,
    eventType: 'JOB_STATUS_CHANGED',
    severity: 'critical',
    projectId: PROJECT,
    clusterId: CLUSTER,
    targetName: 'orders-prod',
    jobId: JOB,
    detectedAt: '2026-05-01T10:00:00.000Z',
    summary: 'restore 5f3a1b2c… BROKEN (was IN_PROGRESS)',
    before: { jobId: JOB, statusName: 'IN_PROGRESS', hasDownloadUrl: false, downloaded: false },
    after: { jobId: JOB, statusName: 'BROKEN', hasDownloadUrl: false, downloaded: false },
    runId: RUN,
    publishAttempts: 0,
    ...overrides,
  };
}

function batchMembers(count: number): BatchMember[] {
  return Array.from({ length: count }, (_, i) => ({
    jobId: `5fcc${String(i).padStart(20, '0')}`,
    statusName: i % 97 === 0 ? 'BROKEN' : 'FINISHED',
    deliveryStatus: i % 97 === 0 ? 'FAILED' : 'READY',
  }));
}

function batchCompleted(memberCount: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return record({
    eventId: `evt-batch-${BATCH}`,
    eventType: 'BATCH_COMPLETED',
    severity: 'critical',
    jobId: undefined,
    batchId: BATCH,
    summary: `batch 5fbbbbbb… completed: 1 BROKEN, ${memberCount - 1} FINISHED`,
    before: undefined,
    after: undefined,
    details: { members: batchMembers(memberCount) },
    ...overrides,
  });
}

/** One realistic record per event type, with the details the detector writes. */
function sampleOf(type: EventType): AuditRecord {
  const base = { eventType: type, eventId: `evt-${type}` };
  switch (type) {
    case 'JOB_CREATED':
      return record({
        ...base,
        severity: 'info',
        summary: 'restore 5f3a1b2c… requested (IN_PROGRESS)',
        before: null,
        after: { jobId: JOB, statusName: 'IN_PROGRESS', hasDownloadUrl: false, downloaded: false },
      });
    case 'JOB_STATUS_CHANGED':
      return record(base);
    case 'DELIVERY_STATUS_CHANGED':
      return record({
        ...base,
        severity: 'info',
        summary: 'restore 5f3a1b2c… download ready until 2026-05-01 11:00 UTC',
        before: { jobId: JOB, statusName: 'FINISHED', deliveryStatus: 'IN_PROGRESS', hasDownloadUrl: false },
        after: {
          jobId: JOB,
          statusName: 'FINISHED',
          deliveryStatus: 'READY',
          deliveryMethod: 'HTTP',
          expires: '2026-05-01T11:00:00Z',
          hasDownloadUrl: true,
          downloaded: false,
        },
        details: { expires: '2026-05-01T11:00:00Z' },
      });
    case 'DELIVERY_EXPIRING':
      return record({
        ...base,
        severity: 'warning',
        summary: 'restore 5f3a1b2c… download link expires in 14 min, not downloaded yet',
        details: { thresholdMinutes: 15, expires: '2026-05-01T10:14:00Z', minutesLeft: 14 },
      });
    case 'JOB_STUCK':
      return record({
        ...base,
        severity: 'warning',
        summary: 'restore 5f3a1b2c… still IN_PROGRESS after 6 h 5 min',
        details: { inProgressMinutes: 365, stuckAfterMinutes: 360 },
      });
    case 'BATCH_COMPLETED':
      return batchCompleted(4, base);
    case 'TARGET_FAILING':
      return record({
        ...base,
        jobId: undefined,
        before: undefined,
        after: undefined,
        summary: 'cannot list restore jobs: 401 USER_UNAUTHORIZED (3 polls)',
        details: {
          failureStreak: 3,
          error: {
            name: 'CloudManagerAuthError',
            message: 'Unauthorized',
            status: 401,
            errorCode: 'USER_UNAUTHORIZED',
          },
        },
      });
    case 'TARGET_RECOVERED':
      return record({
        ...base,
        severity: 'info',
        jobId: undefined,
        before: undefined,
        after: undefined,
        summary: 'restore jobs can be listed again after 3 failed polls',
      });
  }
}

function chatbot(rendered: RenderedAlert): ChatbotNotification {
  return JSON.parse(rendered.parts.https) as ChatbotNotification;
}

const isStringArray = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * Amazon Q Developer (Chatbot) drops custom notifications that do not fit its schema without a trace:
 * only known keys, version "1.0", source "custom", strings and arrays of strings.
 */
function expectValidChatbotPayload(payload: unknown): void {
  const p = payload as Record<string, unknown>;
  expect(Object.keys(p).sort()).toEqual(['content', 'id', 'metadata', 'source', 'version']);
  expect(p.version).toBe('1.0');
  expect(p.source).toBe('custom');
  expect(typeof p.id).toBe('string');
  const content = p.content as Record<string, unknown>;
  expect(Object.keys(content).sort()).toEqual(['description', 'keywords', 'nextSteps', 'textType', 'title']);
  expect(content.textType).toBe('client-markdown');
  expect(typeof content.title).toBe('string');
  expect((content.title as string).length).toBeGreaterThan(0);
  expect(typeof content.description).toBe('string');
  expect((content.description as string).length).toBeLessThanOrEqual(3_000);
  expect(isStringArray(content.nextSteps)).toBe(true);
  expect(isStringArray(content.keywords)).toBe(true);
  const metadata = p.metadata as Record<string, unknown>;
  expect(Object.keys(metadata).sort()).toEqual([
    'additionalContext',
    'eventType',
    'relatedResources',
    'summary',
    'threadId',
  ]);
  for (const key of ['threadId', 'summary', 'eventType']) expect(typeof metadata[key]).toBe('string');
  expect(isStringArray(metadata.relatedResources)).toBe(true);
  const context = metadata.additionalContext as Record<string, unknown>;
  expect(Object.values(context).every((value) => typeof value === 'string')).toBe(true);
}

/** What SNS counts, computed independently of the renderer. */
function snsBytes(rendered: RenderedAlert): number {
  let total = Buffer.byteLength(rendered.message) + Buffer.byteLength(rendered.subject);
  for (const [name, value] of Object.entries(rendered.attributes)) {
    total += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    total += Buffer.byteLength(value.StringValue ?? '');
  }
  return total;
}

function everything(rendered: RenderedAlert): string {
  return JSON.stringify(rendered);
}

describe('groupForPublishing', () => {
  it('puts the events of one batch in one poll into one group, BATCH_COMPLETED first', () => {
    // Prepare
    const shard = record({ eventId: 'shard-1', batchId: BATCH });
    const other = record({ eventId: 'single', batchId: undefined });
    const completed = batchCompleted(3);
    const shard2 = record({ eventId: 'shard-2', batchId: BATCH, jobId: OTHER_JOB });

    // Act
    const groups = groupForPublishing([shard, other, completed, shard2]);

    // Assess
    expect(groups.map((g) => g.events.map((e) => e.eventId))).toEqual([
      [completed.eventId, 'shard-1', 'shard-2'],
      ['single'],
    ]);
  });

  it('keeps events of the same batch from different runs apart', () => {
    // Prepare
    const first = record({ eventId: 'a', batchId: BATCH, runId: 'run-1' });
    const second = record({ eventId: 'b', batchId: BATCH, runId: 'run-2' });

    // Act
    const groups = groupForPublishing([first, second]);

    // Assess
    expect(groups.map((g) => g.events.map((e) => e.eventId))).toEqual([['a'], ['b']]);
  });

  it('publishes every event without a batch on its own, in input order', () => {
    // Prepare
    const records = ['x', 'y', 'z'].map((id) => record({ eventId: id }));

    // Act
    const groups = groupForPublishing(records);

    // Assess
    expect(groups.map((g) => g.events.map((e) => e.eventId))).toEqual([['x'], ['y'], ['z']]);
  });

  it('splits a batch too large for one message into groups that each fit, BATCH_COMPLETED in the first', () => {
    // Prepare: 1,500 shard events of one batch (far over 256 KiB together) plus the completion.
    const shards = Array.from({ length: 1_500 }, (_, i) =>
      record({ eventId: `shard-${i}`, batchId: BATCH, jobId: `5fdd${String(i).padStart(20, '0')}` }),
    );
    const completed = batchCompleted(50);

    // Act
    const groups = groupForPublishing([...shards, completed]);

    // Assess
    expect(groups.length).toBeGreaterThan(1);
    expect(groups[0]?.events[0]?.eventId).toBe(completed.eventId);
    expect(groups.flatMap((g) => g.events.map((e) => e.eventId)).sort()).toEqual(
      [completed.eventId, ...shards.map((s) => s.eventId)].sort(),
    );
    for (const group of groups)
      expect(renderAlert(group, OPTIONS).sizeBytes).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
  });
});

describe('renderAlert: subject', () => {
  it('names severity, target and what happened in ASCII', () => {
    // Act
    const { subject } = renderAlert({ events: [record()] }, OPTIONS);

    // Assess
    expect(subject).toBe('[CRITICAL] orders-prod restore 5f3a1b2c... BROKEN (was IN_PROGRESS)');
  });

  it('transliterates or strips non-ASCII target names', () => {
    // Prepare
    const event = record({ targetName: 'Bestellungen Müller–Ærø “Straße” 東京' });

    // Act
    const { subject } = renderAlert({ events: [event] }, OPTIONS);

    // Assess
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.startsWith('[CRITICAL] Bestellungen Muller-AEro "Strasse" restore')).toBe(true);
  });

  it('stays within 99 characters with a 200-character target name and keeps the summary visible', () => {
    // Prepare
    const event = record({ targetName: 'n'.repeat(200) });

    // Act
    const { subject } = renderAlert({ events: [event] }, OPTIONS);

    // Assess
    expect(subject.length).toBeLessThanOrEqual(99);
    expect(subject).toContain('nnn...');
    expect(subject).toContain('BROKEN');
  });

  it('truncates a long summary with "..." at 99 characters', () => {
    // Prepare
    const event = record({ summary: `restore ${'x'.repeat(300)}` });

    // Act
    const { subject } = renderAlert({ events: [event] }, OPTIONS);

    // Assess
    expect(subject).toHaveLength(99);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('has no line breaks or control characters even when the name has them', () => {
    // Prepare
    const event = record({ targetName: 'orders\r\nBcc: evil@example.com\t\u0007prod' });

    // Act
    const { subject } = renderAlert({ events: [event] }, OPTIONS);

    // Assess
    expect(subject).not.toMatch(/[\p{Cc}]/u);
    expect(subject).toMatch(/^\[CRITICAL\] orders Bcc: evil@example.com prod/);
  });

  it('falls back to the cluster id when nothing of the name is ASCII', () => {
    // Act
    const { subject } = renderAlert({ events: [record({ targetName: '東京' })] }, OPTIONS);

    // Assess
    expect(subject).toBe(`[CRITICAL] ${CLUSTER} restore 5f3a1b2c... BROKEN (was IN_PROGRESS)`);
  });

  it('gives a batch group the worst severity and counts the other events', () => {
    // Prepare
    const completed = batchCompleted(3, { severity: 'warning' });
    const shard = record({ eventId: 'shard', batchId: BATCH, severity: 'critical' });
    const info = record({ eventId: 'info', batchId: BATCH, severity: 'info' });

    // Act
    const { subject } = renderAlert({ events: [shard, completed, info] }, OPTIONS);

    // Assess
    expect(subject).toBe(
      '[CRITICAL] orders-prod batch 5fbbbbbb... completed: 1 BROKEN, 2 FINISHED (+2 more)',
    );
  });

  it('toAsciiLine collapses whitespace and spells out common letters', () => {
    expect(toAsciiLine('  Ørsted   łódź\nœuvre …  ')).toBe('orsted lodz oeuvre ...');
  });
});

describe('renderAlert: every event type', () => {
  it.each(EVENT_TYPES)('renders %s for email, Slack and machines', (type) => {
    // Prepare
    const event = sampleOf(type);

    // Act
    const rendered = renderAlert({ events: [event] }, OPTIONS);

    // Assess
    const info = EVENT_CATALOGUE[type];
    expect(rendered.subject.length).toBeLessThanOrEqual(99);
    expect(rendered.subject).toMatch(/^\[(INFO|WARNING|CRITICAL)\] [\x20-\x7e]+$/);
    expect(rendered.parts.email).toContain(info.title);
    expect(rendered.parts.email).toContain(event.eventId);
    expect(rendered.parts.email).toContain('What to do next');
    expect(JSON.parse(rendered.parts.default)).toEqual({ schema: EVENT_SCHEMA, ...messageFields(event) });
    const card = chatbot(rendered);
    expectValidChatbotPayload(card);
    expect(card.content.title).toContain(info.title);
    expect(card.content.nextSteps.length).toBeGreaterThan(0);
    expect(card.metadata.eventType).toBe(type);
    expect(JSON.parse(rendered.message)).toEqual(rendered.parts);
  });

  it('shows expiry facts of a DELIVERY_EXPIRING event', () => {
    // Act
    const { parts } = renderAlert({ events: [sampleOf('DELIVERY_EXPIRING')] }, OPTIONS);

    // Assess
    expect(parts.email).toMatch(/Download link expires: +2026-05-01T10:14:00Z \(14 minutes left\)/);
    expect(parts.email).toMatch(/Warning threshold: +15 minutes before expiry/);
  });

  it('shows how long a stuck job has run', () => {
    // Act
    const { parts } = renderAlert({ events: [sampleOf('JOB_STUCK')] }, OPTIONS);

    // Assess
    expect(parts.email).toMatch(/In progress for: +365 minutes \(alert after 360 minutes\)/);
  });

  it('describes the error of a failing target without dumping it', () => {
    // Act
    const { parts } = renderAlert({ events: [sampleOf('TARGET_FAILING')] }, OPTIONS);

    // Assess
    expect(parts.email).toMatch(
      /Last error: +CloudManagerAuthError: Unauthorized \(HTTP 401, USER_UNAUTHORIZED\)/,
    );
    expect(parts.email).toMatch(/Failed polls in a row: +3/);
  });

  it('shows the per-shard table of a completed batch', () => {
    // Act
    const { parts } = renderAlert({ events: [batchCompleted(4)] }, OPTIONS);

    // Assess
    expect(parts.email).toContain('Jobs of the batch (4: 1 BROKEN/FAILED, 3 FINISHED/READY)');
    for (const member of batchMembers(4)) expect(parts.email).toContain(member.jobId);
    expect(chatbot(renderAlert({ events: [batchCompleted(4)] }, OPTIONS)).content.description).toContain(
      '```',
    );
  });

  it('shows only the next steps that match the new status', () => {
    // Act
    const { parts } = renderAlert({ events: [record()] }, OPTIONS);

    // Assess
    expect(parts.email).toContain('BROKEN: open the job in Cloud Manager');
    expect(parts.email).not.toContain('KILLED: ask the requester');
  });

  it('links to the Cloud Manager UI of the project', () => {
    // Act
    const { parts } = renderAlert({ events: [record()] }, OPTIONS);

    // Assess
    expect(parts.email).toContain(`https://cloud.mongodb.com/v2/${PROJECT}#/clusters`);
    expect(chatbot(renderAlert({ events: [record()] }, OPTIONS)).content.description).toContain(
      `https://cloud.mongodb.com/v2/${PROJECT}#/clusters`,
    );
  });
});

/** What a message carries of a record: everything but the delivery bookkeeping. */
function messageFields(r: AuditRecord) {
  const {
    publishAttempts: _a,
    lastPublishError: _e,
    publishedAt: _p,
    snsMessageId: _m,
    rejections: _r,
    abandonedAt: _d,
    ...rest
  } = r;
  return rest;
}

describe('renderAlert: machine-readable default part', () => {
  it('round-trips every field of a single event, snapshots included', () => {
    // Prepare
    const event = record({
      publishAttempts: 2,
      lastPublishError: 'SNS could not take the message (InternalError)',
      details: { nested: { deep: [1, 2, { three: true }] } },
    });

    // Act
    const rendered = renderAlert({ events: [event] }, OPTIONS);

    // Assess
    expect(JSON.parse(rendered.parts.default)).toEqual({
      schema: 'restore-watch.event/v1',
      ...messageFields(event),
    });
    expect(rendered.parts.default).not.toMatch(/publishAttempts|lastPublishError/);
  });

  it('wraps a batch group as restore-watch.events/v1 with each event in full', () => {
    // Prepare
    const completed = batchCompleted(3);
    const shard = record({ eventId: 'shard', batchId: BATCH });

    // Act
    const rendered = renderAlert({ events: [shard, completed] }, OPTIONS);

    // Assess
    expect(JSON.parse(rendered.parts.default)).toEqual({
      schema: EVENTS_SCHEMA,
      batchId: BATCH,
      runId: RUN,
      projectId: PROJECT,
      clusterId: CLUSTER,
      targetName: 'orders-prod',
      severity: 'critical',
      eventIds: [completed.eventId, 'shard'],
      events: [
        { schema: EVENT_SCHEMA, ...messageFields(completed) },
        { schema: EVENT_SCHEMA, ...messageFields(shard) },
      ],
    });
  });
});

describe('renderAlert: message attributes', () => {
  it('carries String attributes for filter policies on a single event', () => {
    // Act
    const { attributes } = renderAlert({ events: [record()] }, OPTIONS);

    // Assess
    expect(attributes).toEqual({
      eventType: { DataType: 'String', StringValue: 'JOB_STATUS_CHANGED' },
      severity: { DataType: 'String', StringValue: 'critical' },
      projectId: { DataType: 'String', StringValue: PROJECT },
      clusterId: { DataType: 'String', StringValue: CLUSTER },
      jobId: { DataType: 'String', StringValue: JOB },
      eventId: { DataType: 'String', StringValue: `evt-JOB_STATUS_CHANGED-${JOB}` },
    });
  });

  it('gives a batch group the BATCH_COMPLETED values plus eventIds and jobIds arrays', () => {
    // Prepare
    const completed = batchCompleted(3, { severity: 'info' });
    const shard = record({ eventId: 'shard', batchId: BATCH, severity: 'warning' });

    // Act
    const { attributes } = renderAlert({ events: [shard, completed] }, OPTIONS);

    // Assess
    expect(attributes).toEqual({
      eventType: { DataType: 'String', StringValue: 'BATCH_COMPLETED' },
      severity: { DataType: 'String', StringValue: 'warning' },
      projectId: { DataType: 'String', StringValue: PROJECT },
      clusterId: { DataType: 'String', StringValue: CLUSTER },
      batchId: { DataType: 'String', StringValue: BATCH },
      eventId: { DataType: 'String', StringValue: completed.eventId },
      eventIds: { DataType: 'String.Array', StringValue: JSON.stringify([completed.eventId, 'shard']) },
      jobIds: { DataType: 'String.Array', StringValue: JSON.stringify([JOB]) },
    });
    expect(Object.keys(attributes).length).toBeLessThanOrEqual(10);
  });

  it('leaves out the id arrays when they would be too large for an attribute', () => {
    // Prepare
    const shards = Array.from({ length: 400 }, (_, i) =>
      record({ eventId: `shard-event-${String(i).padStart(30, '0')}`, batchId: BATCH }),
    );

    // Act
    const { attributes } = renderAlert({ events: shards }, OPTIONS);

    // Assess
    expect(attributes.eventIds).toBeUndefined();
    expect(attributes.jobIds).toBeDefined();
    expect(attributes.eventId?.StringValue).toBe(shards[0]?.eventId);
  });
});

describe('renderAlert: size', () => {
  it('fits a 2,000-member batch into one SNS message by shortening prose, never the JSON', () => {
    // Prepare
    const completed = batchCompleted(2_000);
    const shards = Array.from({ length: 20 }, (_, i) =>
      record({ eventId: `shard-${i}`, batchId: BATCH, jobId: `5fee${String(i).padStart(20, '0')}` }),
    );

    // Act
    const rendered = renderAlert({ events: [completed, ...shards] }, OPTIONS);

    // Assess
    expect(rendered.sizeBytes).toBe(snsBytes(rendered));
    expect(rendered.sizeBytes).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
    const parsed = JSON.parse(rendered.parts.default);
    expect(parsed.events[0].details.members).toEqual(completed.details?.members);
    expect(parsed.events).toHaveLength(21);
    expect(rendered.parts.email).toContain('more (see the machine-readable message)');
    expect(rendered.parts.email).not.toContain(batchMembers(2_000)[1_999]?.jobId);
    expect(rendered.parts.email).toContain('What to do next');
    expectValidChatbotPayload(chatbot(rendered));
  });

  it('keeps a small alert whole', () => {
    // Act
    const rendered = renderAlert({ events: [batchCompleted(30)] }, OPTIONS);

    // Assess
    expect(rendered.sizeBytes).toBe(snsBytes(rendered));
    expect(rendered.parts.email).not.toContain('more (see the machine-readable message)');
    expect(rendered.parts.email).toContain(batchMembers(30)[29]?.jobId);
  });

  it('reports a size over the limit instead of cutting an event whose JSON alone is too large', () => {
    // Prepare
    const event = record({ details: { blob: 'x'.repeat(300_000) } });

    // Act
    const rendered = renderAlert({ events: [event] }, OPTIONS);

    // Assess
    expect(rendered.sizeBytes).toBeGreaterThan(MAX_SNS_MESSAGE_BYTES);
    expect(JSON.parse(rendered.parts.default).details.blob).toHaveLength(300_000);
  });
});

describe('renderAlert: secrets', () => {
  const urls = new Map([
    [JOB, URL_SECRET],
    [OTHER_JOB, OTHER_URL_SECRET],
  ]);

  it('never includes download URLs unless includeDownloadUrl is on', () => {
    // Act
    const rendered = renderAlert(
      { events: [sampleOf('DELIVERY_STATUS_CHANGED')] },
      {
        ...OPTIONS,
        downloadUrls: urls,
      },
    );

    // Assess
    expect(everything(rendered)).not.toContain('SENTINEL-URL');
    expect(JSON.parse(rendered.parts.default).downloadUrl).toBeUndefined();
  });

  it('includes the URL of the event’s own job, and only that one, when opted in', () => {
    // Act
    const rendered = renderAlert(
      { events: [sampleOf('DELIVERY_STATUS_CHANGED')] },
      { ...OPTIONS, includeDownloadUrl: true, downloadUrls: urls },
    );

    // Assess
    expect(rendered.parts.email).toContain(URL_SECRET);
    expect(chatbot(rendered).content.description).toContain(URL_SECRET);
    expect(JSON.parse(rendered.parts.default).downloadUrl).toBe(URL_SECRET);
    expect(everything(rendered)).not.toContain('SENTINEL-URL-B');
  });

  it('attaches each URL to its own job inside a batch group', () => {
    // Prepare
    const a = record({ eventId: 'a', batchId: BATCH, jobId: JOB });
    const b = record({ eventId: 'b', batchId: BATCH, jobId: OTHER_JOB });

    // Act
    const rendered = renderAlert(
      { events: [a, b] },
      { ...OPTIONS, includeDownloadUrl: true, downloadUrls: urls },
    );

    // Assess
    const events = JSON.parse(rendered.parts.default).events;
    expect(events.map((e: { downloadUrl?: string }) => e.downloadUrl)).toEqual([
      URL_SECRET,
      OTHER_URL_SECRET,
    ]);
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
    const rendered = renderAlert({ events: [event] }, OPTIONS);

    // Assess
    expect(everything(rendered)).not.toContain('SENTINEL');
  });
});

describe('consoleBaseUrlFor', () => {
  it.each([
    ['https://cloud.mongodb.com/api/public/v1.0', 'https://cloud.mongodb.com'],
    ['https://cloud.mongodb.com/api/public/v1.0/', 'https://cloud.mongodb.com'],
    ['https://ops.example.com:8443/api/public/v1.0', 'https://ops.example.com:8443'],
    ['https://example.com/opsmanager/api/public/v1.0', 'https://example.com/opsmanager'],
    ['http://127.0.0.1:4010/api/public/v1.0', 'http://127.0.0.1:4010'],
  ])('derives the UI address from %s', (api, ui) => {
    expect(consoleBaseUrlFor(api)).toBe(ui);
  });

  it('explains an API base URL it cannot use', () => {
    expect(() => consoleBaseUrlFor('cloud.mongodb.com')).toThrow(InvalidApiBaseUrlError);
  });
});
