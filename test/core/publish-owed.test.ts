/**
 * Publishing what is owed (functions/core/publish-owed.ts), guarantee by guarantee, with in-memory
 * ports (P6, two channels: SNS and PagerDuty). Over real peers (dynalite, SNS through the notifier): test/reliability/sns-faults.test.ts and
 * test/scenarios/guarantees.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { owedChannels } from '../../functions/core/delivery.ts';
import { LeaseLostError } from '../../functions/core/errors.ts';
import {
  MAX_REJECTIONS,
  OWED_PAGE,
  type PublishInput,
  publishOwed,
} from '../../functions/core/publish-owed.ts';
import type { AuditRecord } from '../../functions/core/types.ts';
import { targetKey } from '../../functions/core/types.ts';
import { record } from '../support/alert-records.ts';
import {
  InMemoryStateStore,
  manualClock,
  RecordingPublisher,
  recordingLogger,
} from '../support/in-memory-ports.ts';

/** `count` owed JOB_CREATED records of distinct jobs, oldest first. */
function owedRecords(count: number, overrides: Partial<AuditRecord> = {}): AuditRecord[] {
  return Array.from({ length: count }, (_, i) =>
    record({
      eventId: `evt-${String(i).padStart(5, '0')}`,
      eventType: 'JOB_CREATED',
      severity: 'info',
      jobId: `5f3a1b2c${String(i).padStart(16, '0')}`,
      detectedAt: new Date(Date.parse('2026-05-01T10:00:00Z') + i * 1000).toISOString(),
      ...overrides,
    }),
  );
}

async function prepare(records: AuditRecord[]) {
  const store = new InMemoryStateStore();
  await store.recordEvents(records);
  store.calls.clear();
  const publisher = new RecordingPublisher();
  const clock = manualClock();
  const { logger, lines } = recordingLogger();
  const input = (overrides: Partial<PublishInput> = {}): PublishInput => ({
    store,
    publisher,
    now: clock.now,
    logger,
    holdBack: new Set(),
    checkpoint: async () => {},
    signal: new AbortController().signal,
    ...overrides,
  });
  return { store, publisher, clock, lines, input };
}

describe('P1: no alert is lost', () => {
  it('marks published exactly what the channel accepted, and leaves the rest owed', async () => {
    const records = owedRecords(4);
    const { store, publisher, input } = await prepare(records);
    publisher.verdict = (group) =>
      group.events[0]?.eventId === 'evt-00001'
        ? { ok: false, retryable: true, error: 'SNS 500' }
        : { ok: true };

    const result = await publishOwed(input());

    expect(result).toMatchObject({ kind: 'done', published: 3, failed: 1, abandoned: 0, owed: 1 });
    expect((await store.listOwedEvents()).map((r) => r.eventId)).toEqual(['evt-00001']);
    expect(store.events.get('evt-00001')).toMatchObject({ publishAttempts: 1, lastPublishError: 'SNS 500' });
  });

  it('keeps everything owed when the publisher throws instead of reporting outcomes', async () => {
    const { store, publisher, input } = await prepare(owedRecords(2));
    publisher.publish = async () => {
      throw new Error('socket hang up');
    };

    const result = await publishOwed(input());

    expect(result).toMatchObject({ kind: 'done', published: 0, failed: 2, owed: 2 });
    expect([...store.events.values()].every((r) => r.lastPublishError === 'socket hang up')).toBe(true);
  });

  it('costs one owed read on a quiet run when handed the read the run started with', async () => {
    const { store, publisher, input } = await prepare([]);

    const result = await publishOwed(input({ firstRead: [] }));

    expect(result).toMatchObject({ kind: 'done', published: 0, owed: 0 });
    expect(store.calls.of('listOwedEvents')).toBe(0);
    expect(publisher.calls.of('publish')).toBe(0);
  });
});

describe('P2: a message rejected as invalid is parked after MAX_REJECTIONS rejections', () => {
  it('counts rejections, keeps it owed until the last one, then parks it and says so', async () => {
    const { store, publisher, lines, input } = await prepare(owedRecords(1));
    publisher.verdict = () => ({ ok: false, retryable: false, error: 'InvalidParameter' });
    const results = [];

    for (let run = 0; run < MAX_REJECTIONS; run++) results.push(await publishOwed(input()));

    expect(results.map((r) => [r.abandoned, r.kind === 'done' ? r.owed : -1])).toEqual([
      ...Array.from({ length: MAX_REJECTIONS - 1 }, () => [0, 1]),
      [1, 0],
    ]);
    expect(store.events.get('evt-00000')).toMatchObject({
      rejections: MAX_REJECTIONS,
      abandonedAt: expect.any(String),
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'Alert rejected by SNS on every attempt; no longer retried',
      }),
    );
  });

  it('does not count outages as rejections', async () => {
    const { store, publisher, input } = await prepare(owedRecords(1));
    publisher.verdict = () => ({ ok: false, retryable: true, error: 'SNS 503' });

    for (let run = 0; run < MAX_REJECTIONS + 1; run++) await publishOwed(input());

    expect(store.events.get('evt-00000')).toMatchObject({ publishAttempts: MAX_REJECTIONS + 1 });
    expect(store.events.get('evt-00000')?.rejections).toBeUndefined();
    expect(await store.listOwedEvents()).toHaveLength(1);
  });
});

describe('P3: held-back and suppressed events are not published', () => {
  it('holds back the events of a target whose state could not be saved, and never sends suppressed ones', async () => {
    const other = { projectId: '5f0000000000000000000009', clusterId: '5f000000000000000000000a' };
    const records = [
      ...owedRecords(2),
      ...owedRecords(1, { eventId: 'evt-held', ...other }),
      ...owedRecords(1, { eventId: 'evt-suppressed', suppressed: true }),
    ];
    const { publisher, input } = await prepare(records);

    const result = await publishOwed(input({ holdBack: new Set([targetKey(other)]) }));

    expect(publisher.deliveredIds().sort()).toEqual(['evt-00000', 'evt-00001']);
    expect(result).toMatchObject({ kind: 'done', published: 2, owed: 1 });
  });
});

describe('P4: after the lease is lost nothing more is sent or marked', () => {
  it('stops the publisher at its next call and marks nothing, not even what was sent before', async () => {
    const { store, publisher, input } = await prepare(owedRecords(3));
    const lost = new LeaseLostError('run-1');
    let held = true;
    publisher.beforeEach = async () => {
      if (publisher.delivered.length === 1) held = false;
    };

    const result = await publishOwed(
      input({
        checkpoint: async () => {
          if (!held) throw lost;
        },
      }),
    );

    expect(result).toMatchObject({ kind: 'stopped', reason: lost });
    expect(publisher.deliveredIds()).toEqual(['evt-00000']);
    expect(store.calls.of('markPublished')).toBe(0);
    expect(store.calls.of('markPublishFailed')).toBe(0);
    expect(await store.listOwedEvents()).toHaveLength(3);
  });
});

describe('P5: bounded work', () => {
  it('drains a storm in rounds of OWED_PAGE, and starts no round after the deadline', async () => {
    const { publisher, clock, input } = await prepare(owedRecords(OWED_PAGE * 2 + 10));
    const deadline = new Date(clock.now().getTime() + 1);
    publisher.beforeEach = async () => {
      if (publisher.delivered.length === OWED_PAGE - 1) clock.advance(10);
    };

    const result = await publishOwed(input({ deadline }));

    expect(publisher.calls.of('publish')).toBe(1);
    expect(result).toMatchObject({ kind: 'done', published: OWED_PAGE });
  });

  it('publishes every owed event over several rounds when there is time', async () => {
    const { publisher, input } = await prepare(owedRecords(OWED_PAGE * 2 + 10));

    const result = await publishOwed(input());

    expect(publisher.calls.of('publish')).toBe(3);
    expect(result).toMatchObject({ kind: 'done', published: OWED_PAGE * 2 + 10, owed: 0 });
  });
});

describe('P6: channels are independent', () => {
  /** Owed to SNS and PagerDuty (triggers at warning and above page). */
  const paging = (count: number) => owedRecords(count, { action: 'trigger', pagerduty: { attempts: 0 } });

  async function withPager(records: AuditRecord[]) {
    const prepared = await prepare(records);
    const pager = new RecordingPublisher();
    return {
      ...prepared,
      pager,
      both: (overrides: Partial<PublishInput> = {}) => prepared.input({ pagerduty: pager, ...overrides }),
    };
  }

  it('delivers to both and leaves nothing owed; each event is marked on both', async () => {
    const { store, publisher, pager, both } = await withPager(paging(3));

    const result = await publishOwed(both());

    expect(publisher.deliveredIds()).toHaveLength(3);
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
    const { store, publisher, pager, both } = await withPager(paging(2));
    pager.verdict = () => ({ ok: false, retryable: true, error: 'PagerDuty failed (HTTP 503)' });

    const result = await publishOwed(both());

    expect(publisher.deliveredIds()).toHaveLength(2);
    expect(result).toMatchObject({ owed: 0, pagerduty: { published: 0, failed: 2, owed: 2 } });
    expect([...store.events.values()].map((r) => owedChannels(r))).toEqual([['pagerduty'], ['pagerduty']]);
  });

  it('pages while SNS throws, and marks the pages', async () => {
    const { store, pager, both } = await withPager(paging(2));
    const throwing = { publish: async () => Promise.reject(new Error('SNS client exploded')) };

    const result = await publishOwed(both({ publisher: throwing }));

    expect(pager.deliveredIds()).toHaveLength(2);
    expect(result).toMatchObject({ failed: 2, owed: 2, pagerduty: { published: 2, owed: 0 } });
    expect([...store.events.values()].every((r) => r.pagerduty?.deliveredAt !== undefined)).toBe(true);
  });

  it('parks a page PagerDuty rejects every time without touching SNS', async () => {
    const { store, pager, both } = await withPager(paging(1));
    pager.verdict = () => ({ ok: false, retryable: false, error: 'invalid event' });

    for (let i = 0; i < MAX_REJECTIONS; i++) await publishOwed(both());

    const [parked] = [...store.events.values()];
    expect(parked?.pagerduty).toMatchObject({ rejections: MAX_REJECTIONS, abandonedAt: expect.any(String) });
    expect(parked?.publishedAt).toBeDefined();
    expect(parked?.rejections).toBeUndefined();
  });

  it('never lets a PagerDuty backlog of more than a page hide what is owed to SNS behind it', async () => {
    // A long outage left more than a page owed to PagerDuty only (SNS delivered them); newer alerts
    // are owed to SNS.
    const backlog = paging(OWED_PAGE + 20).map((r) => ({
      ...r,
      publishedAt: '2026-05-01T09:00:00Z',
      snsMessageId: 'm',
    }));
    const fresh = owedRecords(5).map((r, i) => ({
      ...r,
      eventId: `fresh-${i}`,
      detectedAt: `2026-05-02T00:00:0${i}.000Z`,
    }));
    const { publisher, pager, both } = await withPager([...backlog, ...fresh]);
    pager.verdict = () => ({ ok: false, retryable: true, error: 'PagerDuty failed (HTTP 503)' });

    const result = await publishOwed(both());

    expect(publisher.deliveredIds()).toEqual(fresh.map((r) => r.eventId));
    expect(result).toMatchObject({ published: 5, owed: 0 });
    expect(pager.delivered).toEqual([]);
  });
});
