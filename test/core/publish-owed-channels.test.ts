/**
 * Publishing to two channels (guarantee P6 of functions/core/publish-owed.ts), with in-memory ports:
 * SNS and PagerDuty each get their own calls, outcomes, counts and parking, and neither holds up the
 * other. Over real peers: test/scenarios/oncall.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { owedChannels } from '../../functions/core/delivery.ts';
import {
  MAX_REJECTIONS,
  OWED_PAGE,
  type PublishInput,
  publishOwed,
} from '../../functions/core/publish-owed.ts';
import type { AuditRecord } from '../../functions/core/types.ts';
import { record } from '../support/alert-records.ts';
import {
  InMemoryStateStore,
  manualClock,
  RecordingPublisher,
  recordingLogger,
} from '../support/in-memory-ports.ts';

/** `count` owed triggers of distinct jobs, to SNS and PagerDuty, oldest first, from second `from`. */
function pages(count: number, from = 0, overrides: Partial<AuditRecord> = {}): AuditRecord[] {
  return Array.from({ length: count }, (_, i) =>
    record({
      eventId: `evt-${String(from + i).padStart(5, '0')}`,
      jobId: `5f3a1b2c${String(from + i).padStart(16, '0')}`,
      detectedAt: new Date(Date.parse('2026-05-01T10:00:00Z') + (from + i) * 1000).toISOString(),
      action: 'trigger',
      pagerduty: { attempts: 0 },
      ...overrides,
    }),
  );
}

async function prepare(records: AuditRecord[]) {
  const store = new InMemoryStateStore();
  await store.recordEvents(records);
  const sns = new RecordingPublisher();
  const pager = new RecordingPublisher();
  const { logger, lines } = recordingLogger();
  const input = (overrides: Partial<PublishInput> = {}): PublishInput => ({
    store,
    publisher: sns,
    pagerduty: pager,
    now: manualClock().now,
    logger,
    holdBack: new Set(),
    checkpoint: async () => {},
    signal: new AbortController().signal,
    ...overrides,
  });
  return { store, sns, pager, lines, input };
}

describe('P6: channels are independent', () => {
  it('delivers to both and leaves nothing owed; each event is marked on both', async () => {
    // Prepare
    const { store, sns, pager, input } = await prepare(pages(3));

    // Act
    const result = await publishOwed(input());

    // Assess
    expect(sns.deliveredIds()).toHaveLength(3);
    expect(pager.deliveredIds()).toHaveLength(3);
    expect(result).toMatchObject({
      kind: 'done',
      published: 3,
      owed: 0,
      pagerduty: { published: 3, owed: 0 },
    });
    expect([...store.events.values()].every((r) => owedChannels(r).length === 0)).toBe(true);
  });

  it('delivers to SNS while PagerDuty is down, and keeps the pages owed to PagerDuty only', async () => {
    // Prepare
    const { store, sns, pager, input } = await prepare(pages(2));
    pager.verdict = () => ({ ok: false, retryable: true, error: 'PagerDuty failed (HTTP 503)' });

    // Act
    const result = await publishOwed(input());

    // Assess
    expect(sns.deliveredIds()).toHaveLength(2);
    expect(result).toMatchObject({ owed: 0, pagerduty: { published: 0, failed: 2, owed: 2 } });
    expect([...store.events.values()].map((r) => owedChannels(r))).toEqual([['pagerduty'], ['pagerduty']]);
  });

  it('pages while SNS throws, and marks the pages', async () => {
    // Prepare
    const { store, pager, input } = await prepare(pages(2));
    const throwing = { publish: async () => Promise.reject(new Error('SNS client exploded')) };

    // Act
    const result = await publishOwed(input({ publisher: throwing }));

    // Assess
    expect(pager.deliveredIds()).toHaveLength(2);
    expect(result).toMatchObject({ failed: 2, owed: 2, pagerduty: { published: 2, owed: 0 } });
    expect([...store.events.values()].every((r) => r.pagerduty?.deliveredAt !== undefined)).toBe(true);
  });

  it('parks a page PagerDuty rejects every time without touching SNS', async () => {
    // Prepare
    const { store, pager, input } = await prepare(pages(1));
    pager.verdict = () => ({ ok: false, retryable: false, error: 'invalid event' });

    // Act
    for (let i = 0; i < MAX_REJECTIONS; i++) await publishOwed(input());

    // Assess
    const [parked] = [...store.events.values()];
    expect(parked?.pagerduty).toMatchObject({ rejections: MAX_REJECTIONS, abandonedAt: expect.any(String) });
    expect(parked?.publishedAt).toBeDefined();
    expect(parked?.rejections).toBeUndefined();
  });

  it('never lets a PagerDuty backlog of more than a page hide what is owed to SNS behind it', async () => {
    // Prepare: a long outage left more than a page of pages owed to PagerDuty only (SNS delivered
    // them), and newer alerts are owed to SNS.
    const backlog = pages(OWED_PAGE + 20).map((r) => ({
      ...r,
      publishedAt: '2026-05-01T09:00:00Z',
      snsMessageId: 'm',
    }));
    const fresh = pages(5, OWED_PAGE + 100, { pagerduty: undefined, action: 'info' });
    const { sns, pager, input } = await prepare([...backlog, ...fresh]);
    pager.verdict = () => ({ ok: false, retryable: true, error: 'PagerDuty failed (HTTP 503)' });

    // Act
    const result = await publishOwed(input());

    // Assess
    expect(sns.deliveredIds()).toEqual(fresh.map((r) => r.eventId));
    expect(result).toMatchObject({ published: 5, owed: 0 });
    expect(pager.delivered).toEqual([]);
  });
});
