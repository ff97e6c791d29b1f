/**
 * The contracts of the `StateStore` and `RunLease` ports, run against both implementations: the
 * DynamoDB adapters over dynalite and the in-memory ports the fast stage tests use. A rule a stage
 * test proves with the in-memory ports holds over DynamoDB only because both pass these.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRunLease } from '../../functions/adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../../functions/adapters/dynamo/dynamo-state-store.ts';
import { firstSight } from '../../functions/core/detect/job-state.ts';
import type { RunLease, StateStore } from '../../functions/core/ports.ts';
import type { AuditRecord, JobState } from '../../functions/core/types.ts';
import { CLUSTER, PROJECT, record } from '../support/alert-records.ts';
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

const jobState = (jobId: string): JobState => ({
  snapshot: {
    jobId,
    projectId: '5f0000000000000000000001',
    clusterId: '5f0000000000000000000002',
    statusName: 'FINISHED',
    hasDownloadUrl: false,
    downloaded: true,
  },
  firstSeenAt: '2026-05-01T10:00:00.000Z',
  lastChangedAt: '2026-05-01T10:00:00.000Z',
  expiryAlerted: [],
  stuckAlerted: false,
  batchCompletedAlerted: false,
});
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

  it('lists only the owed events a filter keeps, the limit counting kept ones only (a shard’s own)', async () => {
    const { store } = await make();
    const other = { projectId: '5f00000000000000000000ff' };
    await store.recordEvents([
      ...Array.from({ length: 150 }, (_, i) => event(i + 1, other)),
      event(200),
      event(201),
      event(202),
    ]);
    const mine = (r: AuditRecord) => r.projectId !== other.projectId;

    const kept = await store.listOwedEvents(2, undefined, mine);
    const all = await store.listOwedEvents(undefined, undefined, mine);

    expect(kept.map((r) => r.eventId)).toEqual(['evt-200', 'evt-201']);
    expect(all.map((r) => r.eventId)).toEqual(['evt-200', 'evt-201', 'evt-202']);
  });

  it('keeps a target’s digest with its job states, and reads job states by id', async () => {
    const { store } = await make();
    const target = { projectId: '5f0000000000000000000001', clusterId: '5f0000000000000000000002' };
    const states = [1, 2, 3].map((n) => jobState(`5f3a1b2c${String(n).padStart(16, '0')}`));
    const digest = new Map(states.map((s, i) => [s.snapshot.jobId, 2 ** 52 + i] as const));

    await store.saveJobStates(target, states, digest);
    const some = await store.loadJobStates(target, [
      states[0]?.snapshot.jobId ?? '',
      'ffffffffffffffffffffffff',
    ]);
    const none = await store.loadJobStates(target, []);

    expect(await store.loadJobDigest(target)).toEqual(digest);
    expect([...some.keys()]).toEqual([states[0]?.snapshot.jobId]);
    expect(none.size).toBe(0);
    expect((await store.loadJobStates(target)).size).toBe(3);
    expect(await store.loadJobDigest({ ...target, clusterId: '5f00000000000000000000ff' })).toBeUndefined();
  });

  it('leaves out a digest it cannot hold, keeping the one stored', async () => {
    const { store } = await make();
    const target = { projectId: '5f0000000000000000000001', clusterId: '5f0000000000000000000002' };
    const stored = new Map([['5f3a1b2c0000000000000001', 1]]);
    await store.saveJobStates(target, [], stored);

    await store.saveJobStates(target, [], new Map([['not-an-object-id', 2]]));

    expect(await store.loadJobDigest(target)).toEqual(stored);
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

  it("reads a target's period: events detected and jobs requested in [since, until), oldest first", async () => {
    // Prepare: events at seconds 1-4 of this target and one of another cluster; three jobs requested
    // at seconds 2, 3 and 5, the one without `created` dated by when it was first seen.
    const { store } = await make();
    const target = { projectId: PROJECT, clusterId: CLUSTER };
    const otherCluster = '5f0000000000000000000009';
    await store.recordEvents([event(4), event(1), event(2), event(3), event(5, { clusterId: otherCluster })]);
    const jobId = (n: number) => `5f3a1b2c${String(n).padStart(16, '0')}`;
    const job = (n: number, created: string | undefined, firstSeenAt: string): JobState =>
      firstSight(
        {
          projectId: PROJECT,
          clusterId: CLUSTER,
          jobId: jobId(n),
          statusName: 'FINISHED',
          hasDownloadUrl: false,
          downloaded: false,
          ...(created === undefined ? {} : { created }),
        },
        firstSeenAt,
      );
    await store.saveJobStates(target, [job(7, at(3), at(9)), job(8, undefined, at(2)), job(9, at(5), at(9))]);

    // Act: [second 2, second 5)
    const period = await store.readPeriod(target, { since: at(2), until: at(5) });

    // Assess
    expect(period.events.map((r) => r.eventId)).toEqual(['evt-2', 'evt-3', 'evt-4']);
    expect(period.jobs.map((s) => s.snapshot.jobId)).toEqual([jobId(8), jobId(7)]);
  });
});

/** A silence of project `p` for an hour from `at(0)`. */
const silence = (silenceId: string) => ({
  silenceId,
  matcher: { projectId: 'p' },
  target: 't',
  startsAt: at(0),
  endsAt: at(3600),
  createdAt: at(0),
  createdBy: 'ana',
  reason: 'drill',
});

describe.each(implementations)('StateStore contract, channels, incidents, silences: %s', (_name, make) => {
  const paging = (n: number, overrides: Partial<AuditRecord> = {}) =>
    event(n, { action: 'trigger', pagerduty: { attempts: 0 }, ...overrides });

  it('keeps an event owed while one channel still waits for it, whichever channel is marked first', async () => {
    const { store } = await make();
    await store.recordEvents([paging(1), paging(2)]);
    const owed = await store.listOwedEvents();

    // With the records (the batched path) for one, without (conditional updates) for the other.
    await store.markPublished([
      { eventId: 'evt-1', channel: 'sns', publishedAt: at(5), messageId: 'm-1', record: owed[0] },
      { eventId: 'evt-2', channel: 'pagerduty', publishedAt: at(5), messageId: 'k-2' },
    ]);
    const between = (await store.listOwedEvents()).map((r) => r.eventId);
    const half = (await store.listOwedEvents()).find((r) => r.eventId === 'evt-1');
    await store.markPublished([
      {
        eventId: 'evt-1',
        channel: 'pagerduty',
        publishedAt: at(6),
        messageId: 'k-1',
        ...(half ? { record: half } : {}),
      },
      { eventId: 'evt-2', channel: 'sns', publishedAt: at(6), messageId: 'm-2' },
    ]);

    expect(between).toEqual(['evt-1', 'evt-2']);
    expect(await store.listOwedEvents()).toEqual([]);
    const [stored] = await store.queryAudit({ jobId: paging(1).jobId as string });
    expect(stored).toMatchObject({
      publishedAt: at(5),
      snsMessageId: 'm-1',
      pagerduty: { deliveredAt: at(6), reference: 'k-1', attempts: 0 },
    });
  });

  it('counts PagerDuty failures apart from SNS ones, and parks it on PagerDuty only', async () => {
    const { store } = await make();
    await store.recordEvents([paging(1)]);

    await store.markPublishFailed([
      { eventId: 'evt-1', channel: 'pagerduty', error: 'HTTP 400', at: at(5), rejected: true },
    ]);
    await store.markPublishFailed([
      { eventId: 'evt-1', channel: 'pagerduty', error: 'HTTP 400', at: at(6), rejected: true, abandon: true },
    ]);
    const stillForSns = (await store.listOwedEvents()).map((r) => r.eventId);
    await store.markPublished([{ eventId: 'evt-1', channel: 'sns', publishedAt: at(7), messageId: 'm-1' }]);

    expect(stillForSns).toEqual(['evt-1']);
    expect(await store.listOwedEvents()).toEqual([]);
    const [stored] = await store.queryAudit({ jobId: paging(1).jobId as string });
    expect(stored).toMatchObject({
      publishAttempts: 0,
      pagerduty: { attempts: 2, rejections: 2, abandonedAt: at(6), lastError: 'HTTP 400' },
    });
  });

  it('owes a silenced event to no channel', async () => {
    const { store } = await make();
    const silenced = { silenceId: 's-1', reason: 'drill', createdBy: 'ana', endsAt: at(100) };

    await store.recordEvents([paging(1, { silenced })]);

    expect(await store.listOwedEvents()).toEqual([]);
  });

  it('reads owed events, open incidents and silences in one run state; closed incidents leave it', async () => {
    const { store } = await make();
    await store.recordEvents([event(2), event(1)]);
    const incident = {
      key: 'job/a/stuck',
      kind: 'stuck' as const,
      projectId: 'p',
      clusterId: 'c',
      targetName: 't',
      jobId: 'a',
      severity: 'warning' as const,
      openedAt: at(1),
      openedBy: 'JOB_STUCK' as const,
      lastTriggeredAt: at(1),
      lastTriggerEventId: 'evt-1',
      summary: 'stuck',
      announcedOn: ['sns' as const],
      reminders: 0,
    };
    await store.saveIncidents([incident, { ...incident, key: 'job/b/stuck', jobId: 'b' }]);
    await store.saveSilence(silence('s-00000001'));

    const before = await store.readRunState(1);
    await store.saveIncidents([{ ...incident, resolvedAt: at(9), resolvedByEventId: 'evt-9' }]);
    const after = await store.readRunState(10);

    expect(before.owed.map((r) => r.eventId)).toEqual(['evt-1']);
    expect(before.incidents.map((i) => i.key).sort()).toEqual(['job/a/stuck', 'job/b/stuck']);
    expect(before.silences.map((x) => x.silenceId)).toEqual(['s-00000001']);
    expect(after.incidents.map((i) => i.key)).toEqual(['job/b/stuck']);
    expect(after.owed.map((r) => r.eventId)).toEqual(['evt-1', 'evt-2']);
  });

  it('refuses a silence id that is taken, and ends a silence early once; an unknown id is undefined', async () => {
    const { store } = await make();
    await store.saveSilence(silence('s-00000002'));

    await expect(store.saveSilence(silence('s-00000002'))).rejects.toThrow();
    const ended = await store.expireSilence('s-00000002', at(60), 'bo');
    const unknown = await store.expireSilence('s-ffffffff', at(60), 'bo');

    expect(ended).toMatchObject({ endsAt: at(60), expiredAt: at(60), expiredBy: 'bo' });
    expect(unknown).toBeUndefined();
    expect((await store.readRunState(0)).silences).toMatchObject([
      { silenceId: 's-00000002', endsAt: at(60) },
    ]);
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

  it('keeps leases of different names apart: one shard’s holder never blocks another’s', async () => {
    const { lease } = await make();
    await lease.acquire('run-1', t0, 60_000, 'poll#1/2');

    const otherShard = await lease.acquire('run-2', later(1_000), 60_000, 'poll#2/2');
    const unsharded = await lease.acquire('run-3', later(1_000), 60_000);
    const sameShard = await lease.acquire('run-4', later(1_000), 60_000, 'poll#1/2');
    await lease.release('run-1');
    const renewed = await lease.renew('run-1', later(2_000), 60_000, 'poll#1/2');

    expect(otherShard).toMatchObject({ acquired: true, owner: 'run-2' });
    expect(unsharded).toMatchObject({ acquired: true, owner: 'run-3' });
    expect(sameShard).toMatchObject({ acquired: false, holder: 'run-1' });
    expect(renewed).toBe(true);
  });
});
