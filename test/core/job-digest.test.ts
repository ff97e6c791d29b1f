/**
 * Per-job fingerprints and the digest (functions/core/job-digest.ts, D1-D3), and the poll's use of
 * them (poll-target.ts): a changed target reads only the job states that can produce an event, and
 * reaches exactly the events and states a poll reading every job state reaches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertSettings, parseConfig } from '../../functions/core/config.ts';
import {
  DIGEST_ENTRY_BYTES,
  decodeJobDigest,
  digestFingerprint,
  encodeJobDigest,
  type JobDigest,
  listingFingerprint,
  MAX_DIGEST_JOBS,
  snapshotFingerprint,
} from '../../functions/core/job-digest.ts';
import { readListing } from '../../functions/core/listing.ts';
import { type ObserveContext, observeTarget, recordObservation } from '../../functions/core/poll-target.ts';
import type { TargetRef } from '../../functions/core/ports.ts';
import { fingerprintJobs, SNAPSHOT_FIELDS, toSnapshot } from '../../functions/core/snapshot.ts';
import {
  type AuditRecord,
  type JobSnapshot,
  KNOWN_JOB_STATUSES,
  type RestoreJob,
  targetKey,
} from '../../functions/core/types.ts';
import { InMemoryStateStore, ListSource, manualClock, recordingLogger } from '../support/in-memory-ports.ts';
import { BATCH_ID, CLUSTER_ID, JOB_A, JOB_B, job, PROJECT_ID, readyJob, TARGET } from './fixtures.ts';

const objectId = fc.stringMatching(/^[0-9a-f]{24}$/);
const text = fc.option(fc.string({ maxLength: 6 }), { nil: undefined });
const snapshot: fc.Arbitrary<JobSnapshot> = fc.record(
  {
    jobId: objectId,
    projectId: fc.constant(PROJECT_ID),
    clusterId: fc.constant(CLUSTER_ID),
    batchId: text,
    hostId: text,
    snapshotId: text,
    created: text,
    statusName: fc.constantFrom(...KNOWN_JOB_STATUSES, 'UNKNOWN'),
    pointInTime: fc.option(fc.boolean(), { nil: undefined }),
    deliveryMethod: text,
    deliveryStatus: text,
    expires: text,
    expirationHours: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    maxDownloads: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    hasDownloadUrl: fc.boolean(),
    downloaded: fc.boolean(),
    timestampDate: text,
  },
  { requiredKeys: ['jobId', 'projectId', 'clusterId', 'statusName', 'hasDownloadUrl', 'downloaded'] },
);

describe('snapshotFingerprint (D1)', () => {
  it('is equal for equal snapshots, a field stored as null counting as absent', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const nulled = Object.fromEntries(
          SNAPSHOT_FIELDS.map((field) => [field, s[field] === undefined ? null : s[field]]),
        ) as unknown as JobSnapshot;
        expect(snapshotFingerprint({ ...s })).toBe(snapshotFingerprint(s));
        expect(snapshotFingerprint(nulled)).toBe(snapshotFingerprint(s));
      }),
    );
  });

  it('differs for snapshots that differ', () => {
    fc.assert(
      fc.property(snapshot, snapshot, (a, b) => {
        fc.pre(SNAPSHOT_FIELDS.some((field) => (a[field] ?? undefined) !== (b[field] ?? undefined)));
        expect(snapshotFingerprint(a)).not.toBe(snapshotFingerprint(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('tells apart a value moved to the neighbouring field, and an empty text from an absent one', () => {
    const base = toSnapshot(job(), TARGET);
    expect(snapshotFingerprint({ ...base, hostId: 'ab', snapshotId: 'c' })).not.toBe(
      snapshotFingerprint({ ...base, hostId: 'a', snapshotId: 'bc' }),
    );
    expect(snapshotFingerprint({ ...base, hostId: '' })).not.toBe(
      snapshotFingerprint({ ...base, hostId: undefined }),
    );
    expect(snapshotFingerprint({ ...base, maxDownloads: 1 })).not.toBe(
      snapshotFingerprint({ ...base, maxDownloads: undefined, snapshotId: `${base.snapshotId}1` }),
    );
  });

  it('is a whole number below 2^53', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const value = snapshotFingerprint(s);
        expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
      }),
    );
  });
});

describe('listingFingerprint (D2)', () => {
  it('depends on the jobs, not on their order', () => {
    fc.assert(
      fc.property(fc.array(snapshot, { maxLength: 30 }), fc.integer(), (list, seed) => {
        const shuffled = [...list].sort((a, b) => mixed(a.jobId, seed) - mixed(b.jobId, seed));
        expect(fingerprintJobs(shuffled)).toBe(fingerprintJobs(list));
      }),
    );
  });

  it('changes when a job is added, removed or changed', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(snapshot, { selector: (s) => s.jobId, minLength: 1, maxLength: 30 }),
        (list) => {
          const [first, ...rest] = list as [JobSnapshot, ...JobSnapshot[]];
          const changed = { ...first, downloaded: !first.downloaded };
          expect(fingerprintJobs(rest)).not.toBe(fingerprintJobs(list));
          expect(fingerprintJobs([changed, ...rest])).not.toBe(fingerprintJobs(list));
        },
      ),
    );
  });

  it('is what the digest of the same listing gives', () => {
    const digest = new Map([
      [JOB_A, 7],
      [JOB_B, 2 ** 52 + 3],
    ]);
    expect(digestFingerprint(digest)).toBe(listingFingerprint([2 ** 52 + 3, 7]));
  });
});

describe('encodeJobDigest / decodeJobDigest (D3)', () => {
  const digestOf = fc
    .uniqueArray(fc.tuple(objectId, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), {
      selector: ([id]) => id,
      maxLength: 50,
    })
    .map((entries) => new Map(entries));

  it('round-trips, 20 bytes a job', () => {
    fc.assert(
      fc.property(digestOf, (digest) => {
        const bytes = encodeJobDigest(digest);
        expect(bytes?.length).toBe(digest.size * DIGEST_ENTRY_BYTES);
        expect(decodeJobDigest(bytes as Uint8Array)).toEqual(digest);
      }),
    );
  });

  it(`holds ${MAX_DIGEST_JOBS} jobs in 320,000 bytes, under DynamoDB's 400 KB item limit, and refuses more`, () => {
    const many = (n: number): JobDigest =>
      new Map(Array.from({ length: n }, (_, i) => [i.toString(16).padStart(24, '0'), i]));
    expect(encodeJobDigest(many(MAX_DIGEST_JOBS))?.length).toBe(320_000);
    expect(encodeJobDigest(many(MAX_DIGEST_JOBS + 1))).toBeUndefined();
  });

  it('refuses a job id that is not an ObjectId, and bytes that are not a digest', () => {
    expect(encodeJobDigest(new Map([['job-1', 1]]))).toBeUndefined();
    expect(encodeJobDigest(new Map([[JOB_A.toUpperCase(), 1]]))).toBeUndefined();
    expect(decodeJobDigest(new Uint8Array(19))).toBeUndefined();
  });
});

// ---- the poll's use of the digest -----------------------------------------------------------------

const config = parseConfig({ targets: [{ projectId: PROJECT_ID, clusterId: CLUSTER_ID }] }, 'test');

/** A store that records which job ids each `loadJobStates` asked for (all: `undefined`). */
class WatchedStore extends InMemoryStateStore {
  readonly asked: Array<readonly string[] | undefined> = [];
  /** Pretends no digest is stored: every diff reads every job state, as before digests. */
  ignoreDigests = false;

  override async loadJobStates(target: TargetRef, jobIds?: readonly string[]) {
    this.asked.push(jobIds ? [...jobIds].sort() : undefined);
    return super.loadJobStates(target, jobIds);
  }

  override async loadJobDigest(target: TargetRef) {
    return this.ignoreDigests ? undefined : super.loadJobDigest(target);
  }
}

/**
 * One target polled as a run polls it (observe, record, then the target state), on in-memory ports.
 * `largeListing: 0` makes every listing "long": read against the stored digest (K2).
 */
function world(options: { largeListing?: number } = {}) {
  const store = new WatchedStore();
  const source = new ListSource();
  const clock = manualClock(Date.parse('2026-11-28T10:00:00.000Z'));
  const { logger } = recordingLogger();
  const context: ObserveContext = {
    source,
    state: store,
    now: clock.now,
    runId: 'run',
    settings: alertSettings(config),
    signal: new AbortController().signal,
    logger,
    projectFailures: new Map(),
    ...(options.largeListing !== undefined ? { largeListing: options.largeListing } : {}),
  };
  return {
    source,
    store,
    clock,
    async poll(): Promise<AuditRecord[]> {
      const previous = (await store.getTargetStates([TARGET])).get(targetKey(TARGET));
      const outcome = await recordObservation(await observeTarget(TARGET, previous, context), store, logger);
      if (outcome.kind !== 'skipped' && outcome.next) await store.saveTargetStates([outcome.next]);
      return outcome.kind === 'skipped' ? [] : outcome.records;
    },
    list: (jobs: RestoreJob[]) => source.jobs.set(CLUSTER_ID, jobs),
  };
}

const id = (n: number) => `5f3a1b2c3d4e5f6a7b8c${n.toString(16).padStart(4, '0')}`;
const oldJob = (n: number, overrides: Partial<RestoreJob> = {}) =>
  job({
    id: id(n),
    statusName: 'FINISHED',
    created: '2026-11-20T10:00:00.000Z',
    delivery: { methodName: 'HTTP', statusName: 'EXPIRED', expires: '2026-11-21T10:00:00.000Z' },
    ...overrides,
  });

describe('a changed target with a digest', () => {
  it('reads only the changed, new, gone and time-movable jobs, and the members of their batches', async () => {
    // Prepare: 40 settled jobs, one IN_PROGRESS (time can make it stuck), two of one batch.
    const w = world();
    const settled = Array.from({ length: 40 }, (_, n) => oldJob(n));
    const running = job({ id: id(100), created: '2026-11-28T09:50:00.000Z' });
    const batch = [
      oldJob(200, { batchId: BATCH_ID, statusName: 'IN_PROGRESS', created: '2026-11-28T09:00:00.000Z' }),
      oldJob(201, { batchId: BATCH_ID }),
    ];
    w.list([...settled, running, ...batch]);
    await w.poll();
    w.clock.advance(5 * 60_000);
    // Act: job 3 changes, job 7 is gone, job 300 is new, the batch's running member finishes.
    w.list([
      ...settled
        .filter((_, n) => n !== 7)
        .map((j, n) => (n === 3 ? { ...j, hashes: [{ fileName: 'x' }] } : j)),
      running,
      { ...(batch[0] as RestoreJob), statusName: 'FINISHED' },
      batch[1] as RestoreJob,
      oldJob(300),
    ]);
    const records = await w.poll();

    // Assess
    expect(w.store.asked).toEqual([[id(3), id(7), id(100), id(200), id(201), id(300)].sort()]);
    expect(records.map((e) => [e.eventType, e.jobId])).toEqual(
      expect.arrayContaining([
        ['JOB_STATUS_CHANGED', id(200)],
        ['BATCH_COMPLETED', undefined],
        ['JOB_CREATED', id(300)],
      ]),
    );
    expect(w.store.jobs.get(targetKey(TARGET))?.get(id(7))?.goneSince).toBeDefined();
  });

  it('reads every job state when the stored digest is not the target’s (a run died before saving it)', async () => {
    const w = world();
    w.list([oldJob(1), oldJob(2)]);
    await w.poll();
    // The digest was written for a listing the target state never recorded.
    w.store.digests.set(targetKey(TARGET), new Map([[id(1), 1]]));
    w.list([oldJob(1), oldJob(2, { statusName: 'KILLED' })]);
    w.clock.advance(5 * 60_000);

    const records = await w.poll();

    expect(w.store.asked).toEqual([undefined]);
    expect(records.map((e) => e.eventType)).toEqual(['JOB_STATUS_CHANGED']);
    expect(digestFingerprint(w.store.digests.get(targetKey(TARGET)) ?? new Map())).toBe(
      w.store.targets.get(targetKey(TARGET))?.fingerprint,
    );
  });

  it('is not read at all, nor written, by a quiet poll', async () => {
    const w = world();
    w.list([oldJob(1), readyJob('2026-11-30T10:00:00.000Z')]);
    await w.poll();
    w.store.calls.clear();
    w.clock.advance(5 * 60_000);

    await w.poll();

    expect(w.store.calls.of('loadJobDigest')).toBe(0);
    expect(w.store.calls.of('saveJobStates')).toBe(0);
  });
});

describe('a long listing (K2)', () => {
  const context = (store: InMemoryStateStore, source: ListSource) => ({
    source,
    state: store,
    signal: new AbortController().signal,
    includeDownloadUrls: false,
    largeListing: 10,
  });

  it('keeps only the snapshots of the jobs that differ from the stored digest, every fingerprint still', async () => {
    // Prepare: 30 jobs polled once (a baseline, digest stored), then two of them change.
    const w = world();
    const jobs = Array.from({ length: 30 }, (_, n) => oldJob(n));
    w.list(jobs);
    await w.poll();
    const previous = w.store.targets.get(targetKey(TARGET));
    w.list(jobs.map((j, n) => (n === 4 || n === 9 ? { ...j, statusName: 'KILLED' } : j)));

    // Act
    const listing = await readListing(TARGET, previous, context(w.store, w.source));

    // Assess
    expect([...listing.snapshots.keys()].sort()).toEqual([id(4), id(9)]);
    expect(listing.fingerprints.size).toBe(30);
    expect(listing.against?.digest.size).toBe(30);
  });

  it('keeps every snapshot when the stored digest is not the target’s, or the listing is short', async () => {
    const w = world();
    const jobs = Array.from({ length: 30 }, (_, n) => oldJob(n));
    w.list(jobs);
    await w.poll();
    const previous = w.store.targets.get(targetKey(TARGET));
    w.store.digests.set(targetKey(TARGET), new Map([[id(1), 1]]));

    const stale = await readListing(TARGET, previous, context(w.store, w.source));
    const short = await readListing(TARGET, previous, { ...context(w.store, w.source), largeListing: 30 });

    expect([stale.snapshots.size, stale.against]).toEqual([30, undefined]);
    expect([short.snapshots.size, short.against]).toEqual([30, undefined]);
  });
});

describe('partial diffs reach what full diffs reach', () => {
  // Jobs of one target over a sequence of polls: each poll, any job may appear, vanish or move on.
  const jobIds = [0, 1, 2, 3, 4, 5].map(id);
  const restoreJob = fc.record({
    id: fc.constantFrom(...jobIds),
    statusName: fc.constantFrom(...KNOWN_JOB_STATUSES),
    created: fc
      .integer({ min: -900, max: 60 })
      .map((m) => new Date(Date.UTC(2026, 10, 28, 10, m)).toISOString()),
    batchId: fc.option(fc.constantFrom(BATCH_ID), { nil: undefined }),
    delivery: fc.record({
      methodName: fc.constant('HTTP'),
      statusName: fc.constantFrom('NOT_STARTED', 'READY', 'EXPIRED', 'MAX_DOWNLOADS_EXCEEDED'),
      expires: fc
        .integer({ min: -60, max: 600 })
        .map((m) => new Date(Date.UTC(2026, 10, 28, 10, m)).toISOString()),
    }),
  }) as fc.Arbitrary<RestoreJob>;
  // Each poll changes at most one job and drops at most one, so most jobs stay as they were while
  // time passes: the case where a partial diff reads only some states.
  const step = fc.record({
    change: fc.option(restoreJob, { nil: undefined }),
    drop: fc.option(fc.constantFrom(...jobIds), { nil: undefined }),
    minutes: fc.integer({ min: 1, max: 240 }),
  });
  const history = fc.tuple(
    fc.array(restoreJob, { maxLength: 6 }),
    fc.array(step, { minLength: 1, maxLength: 10 }),
  );

  it('records the same events and leaves the same job and target states, poll after poll', async () => {
    await fc.assert(
      fc.asyncProperty(history, async ([initial, steps]) => {
        const partial = world();
        const long = world({ largeListing: 0 });
        const full = world();
        full.store.ignoreDigests = true;
        const listing = new Map(initial.map((j) => [j.id, j]));
        for (const { change, drop, minutes } of [{ minutes: 5 }, ...steps]) {
          if (change) listing.set(change.id, change);
          if (drop) listing.delete(drop);
          for (const w of [partial, long, full]) {
            w.list([...listing.values()]);
            await w.poll();
            w.clock.advance(minutes * 60_000);
          }
          for (const w of [partial, long]) {
            expect([...w.store.events.keys()].sort()).toEqual([...full.store.events.keys()].sort());
            expect(w.store.jobs).toEqual(full.store.jobs);
            expect(w.store.targets).toEqual(full.store.targets);
          }
        }
        // The partial worlds read only some states whenever they diffed.
        expect(partial.store.asked.every((ids) => ids !== undefined)).toBe(true);
        expect(long.store.asked.every((ids) => ids !== undefined)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

function mixed(text: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
