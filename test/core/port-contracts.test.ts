/**
 * The contracts of the `StateStore` and `RunLease` ports, run against both implementations: the
 * DynamoDB adapters over dynalite and the in-memory ports the fast stage tests use. A rule a stage
 * test proves with the in-memory ports holds over DynamoDB only because both pass these.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRunLease } from '../../functions/adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../../functions/adapters/dynamo/dynamo-state-store.ts';
import type { RunLease, StateStore } from '../../functions/core/ports.ts';
import type { AuditRecord } from '../../functions/core/types.ts';
import { record } from '../support/alert-records.ts';
import { createTestTable, startDynalite, type TestDynamo } from '../support/dynalite.ts';
import { InMemoryRunLease, InMemoryStateStore } from '../support/in-memory-ports.ts';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.stop());

const implementations: Array<[string, () => Promise<{ store: StateStore; lease: RunLease }>]> = [
  ['in memory', async () => ({ store: new InMemoryStateStore(), lease: new InMemoryRunLease() })],
  [
    'DynamoDB (dynalite)',
    async () => {
      const tableName = await createTestTable(dynamo.client);
      return {
        store: new DynamoStateStore({ client: dynamo.client, tableName, sleep: async () => {} }),
        lease: new DynamoRunLease({ client: dynamo.client, tableName }),
      };
    },
  ],
];

const at = (second: number) => new Date(Date.parse('2026-05-01T10:00:00Z') + second * 1000).toISOString();
const event = (n: number, overrides: Partial<AuditRecord> = {}) =>
  record({
    eventId: `evt-${n}`,
    jobId: `5f3a1b2c${String(n).padStart(16, '0')}`,
    detectedAt: at(n),
    ...overrides,
  });

describe.each(implementations)('StateStore contract: %s', (_name, make) => {
  it('records an event once: a second record of the same id is reported existing and changes nothing', async () => {
    const { store } = await make();
    const first = await store.recordEvents([event(1), event(2)]);
    await store.markPublished([{ eventId: 'evt-1', publishedAt: at(10), messageId: 'm-1' }]);

    const again = await store.recordEvents([event(1), event(3)]);

    expect(first).toEqual({ recorded: ['evt-1', 'evt-2'], existing: [] });
    expect(again).toEqual({ recorded: ['evt-3'], existing: ['evt-1'] });
    expect((await store.listOwedEvents()).map((r) => r.eventId)).toEqual(['evt-2', 'evt-3']);
  });

  it('lists owed events oldest first, up to the limit, never suppressed ones', async () => {
    const { store } = await make();
    await store.recordEvents([event(3), event(1), event(2, { suppressed: true }), event(4)]);

    expect((await store.listOwedEvents()).map((r) => r.eventId)).toEqual(['evt-1', 'evt-3', 'evt-4']);
    expect((await store.listOwedEvents(2)).map((r) => r.eventId)).toEqual(['evt-1', 'evt-3']);
  });

  it('counts failed attempts and rejections, and parks an abandoned event out of the owed list', async () => {
    const { store } = await make();
    await store.recordEvents([event(1), event(2)]);

    await store.markPublishFailed([
      { eventId: 'evt-1', error: 'SNS 503', at: at(5) },
      { eventId: 'evt-2', error: 'InvalidParameter', at: at(5), rejected: true },
    ]);
    await store.markPublishFailed([
      { eventId: 'evt-2', error: 'InvalidParameter', at: at(6), rejected: true, abandon: true },
    ]);

    const owed = await store.listOwedEvents();
    expect(owed.map((r) => [r.eventId, r.publishAttempts, r.rejections, r.lastPublishError])).toEqual([
      ['evt-1', 1, undefined, 'SNS 503'],
    ]);
    const [parked] = await store.queryAudit({ jobId: event(2).jobId as string });
    expect(parked).toMatchObject({ publishAttempts: 2, rejections: 2, abandonedAt: at(6) });
  });

  it('ignores a failure mark for an event already published', async () => {
    const { store } = await make();
    await store.recordEvents([event(1)]);
    await store.markPublished([{ eventId: 'evt-1', publishedAt: at(10), messageId: 'm-1' }]);

    await store.markPublishFailed([{ eventId: 'evt-1', error: 'late failure', at: at(11) }]);

    const [stored] = await store.queryAudit({ jobId: event(1).jobId as string });
    expect(stored).toMatchObject({ publishedAt: at(10), snsMessageId: 'm-1', publishAttempts: 0 });
    expect(stored?.lastPublishError).toBeUndefined();
  });
});

describe.each(implementations)('RunLease contract: %s', (_name, make) => {
  const t0 = new Date('2026-05-01T10:00:00Z');
  const later = (ms: number) => new Date(t0.getTime() + ms);

  it('is taken when free, refused while another run holds it, and taken again once it expired', async () => {
    const { lease } = await make();

    const first = await lease.acquire('run-1', t0, 60_000);
    const refused = await lease.acquire('run-2', later(30_000), 60_000);
    const takeover = await lease.acquire('run-2', later(61_000), 60_000);

    expect(first).toMatchObject({ acquired: true, owner: 'run-1' });
    expect(refused).toMatchObject({ acquired: false, holder: 'run-1' });
    expect(takeover).toMatchObject({ acquired: true, owner: 'run-2' });
  });

  it('renews only for its owner, even after it expired, and not once another run took it or it was released', async () => {
    const { lease } = await make();
    await lease.acquire('run-1', t0, 60_000);

    const renewedLate = await lease.renew('run-1', later(90_000), 60_000);
    await lease.acquire('run-2', later(200_000), 60_000);
    const renewedAfterTakeover = await lease.renew('run-1', later(201_000), 60_000);
    await lease.release('run-2');
    const renewedAfterRelease = await lease.renew('run-1', later(202_000), 60_000);

    expect([renewedLate, renewedAfterTakeover, renewedAfterRelease]).toEqual([true, false, false]);
  });

  it('releases only its own lease', async () => {
    const { lease } = await make();
    await lease.acquire('run-1', t0, 60_000);

    await lease.release('run-2');
    const stillHeld = await lease.acquire('run-3', later(1_000), 60_000);
    await lease.release('run-1');
    const free = await lease.acquire('run-3', later(2_000), 60_000);

    expect(stillHeld).toMatchObject({ acquired: false, holder: 'run-1' });
    expect(free).toMatchObject({ acquired: true });
  });
});
