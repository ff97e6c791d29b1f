/**
 * Properties of change detection over arbitrary listings and poll sequences. Sequences start from an
 * empty state at T0 and feed each detection's output into the next, as the poll orchestrator does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canSkipDiff, detectChanges } from '../../functions/core/detect-changes.ts';
import { fingerprintListing, toSnapshot } from '../../functions/core/snapshot.ts';
import {
  type AlertSettings,
  KNOWN_DELIVERY_STATUSES,
  KNOWN_JOB_STATUSES,
  type MonitorEvent,
  type RestoreJob,
} from '../../functions/core/types.ts';
import {
  at,
  BATCH_ID,
  EMPTY,
  iso,
  JOB_A,
  JOB_B,
  JOB_C,
  type PollState,
  poll,
  SECRET_AUTH,
  SECRET_URL,
  SETTINGS,
  TARGET,
} from './fixtures.ts';

const RUNS = { numRuns: 150 };
const JOB_IDS = [JOB_A, JOB_B, JOB_C, '5f3a1b2c3d4e5f6a7b8c9d04'];
const BATCH_IDS = [BATCH_ID, '6a1b2c3d4e5f6a7b8c9d0e2f'];

/** Instants within a few days of T0, where every threshold and stuck limit can be crossed. */
const instantText = fc.integer({ min: -3000, max: 3000 }).map(iso);
const jobStatus = fc.oneof(fc.constantFrom(...KNOWN_JOB_STATUSES), fc.string({ maxLength: 12 }));
const deliveryStatus = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_DELIVERY_STATUSES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const delivery = fc.record(
  {
    methodName: fc.constant('HTTP'),
    statusName: deliveryStatus,
    expires: instantText,
    url: fc.constant(SECRET_URL),
    urlV2: fc.constant(SECRET_URL),
    authValue: fc.constant(SECRET_AUTH),
    maxDownloads: fc.integer({ min: 1, max: 3 }),
  },
  { requiredKeys: ['statusName', 'url', 'authValue'] },
);

/** Well-formed jobs with the secret fields always filled with sentinels. */
const restoreJob: fc.Arbitrary<RestoreJob> = fc.record(
  {
    id: fc.constantFrom(...JOB_IDS),
    statusName: jobStatus,
    created: instantText,
    batchId: fc.constantFrom(...BATCH_IDS),
    hostId: fc.constantFrom('cfg-1', 'cfg-2'),
    delivery,
    hashes: fc.array(
      fc.record({
        fileName: fc.constant('a.tar.gz'),
        hash: fc.string({ unit: 'binary-ascii', maxLength: 8 }),
      }),
      {
        maxLength: 1,
      },
    ),
  },
  { requiredKeys: ['id', 'delivery'] },
);

/** Jobs of any shape: every field may hold any value, and unknown fields come along. */
const anyShapedJob: fc.Arbitrary<RestoreJob> = fc
  .tuple(
    fc.record(
      {
        id: fc.oneof(fc.constantFrom(...JOB_IDS), fc.anything()),
        statusName: fc.oneof(jobStatus, fc.anything()),
        created: fc.oneof(instantText, fc.anything()),
        batchId: fc.oneof(fc.constantFrom(...BATCH_IDS), fc.anything()),
        delivery: fc.oneof(
          fc.anything(),
          fc.record({
            statusName: fc.oneof(deliveryStatus, fc.anything()),
            expires: fc.oneof(instantText, fc.anything()),
            url: fc.oneof(fc.constant(SECRET_URL), fc.anything()),
            authValue: fc.constant(SECRET_AUTH),
            maxDownloads: fc.anything(),
            expirationHours: fc.anything(),
          }),
        ),
        hashes: fc.anything(),
        timestamp: fc.anything(),
        pointInTime: fc.anything(),
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.anything(), { maxKeys: 3 }),
  )
  .map(([known, unknown]) => ({ ...unknown, ...known }) as RestoreJob);

const listing = (job: fc.Arbitrary<RestoreJob>) => fc.array(job, { maxLength: 5 });

const settings: fc.Arbitrary<AlertSettings> = fc.record({
  expiryWarningMinutes: fc
    .uniqueArray(fc.integer({ min: 1, max: 1440 }), { maxLength: 3 })
    .map((list) => list.sort((a, b) => b - a)),
  stuckAfterMinutes: fc.integer({ min: 1, max: 2000 }),
  failingAfterPolls: fc.constant(3),
  minSeverity: fc.constant('info' as const),
  includeDownloadUrl: fc.constant(false),
  repeatEveryMinutes: fc.constant(240),
  pagerduty: fc.constant({ minSeverity: 'warning' as const }),
});

interface Step {
  fetched: RestoreJob[];
  /** Minutes since the previous poll; at least 1, so every poll has its own `now`. */
  advance: number;
}

const steps = (job: fc.Arbitrary<RestoreJob>, maxLength = 6) =>
  fc.array(fc.record({ fetched: listing(job), advance: fc.integer({ min: 1, max: 600 }) }), {
    minLength: 1,
    maxLength,
  });

/** Runs the polls of `sequence` from an empty state; returns every output and the final state. */
function run(sequence: readonly Step[], alertSettings: AlertSettings = SETTINGS) {
  let state: PollState = EMPTY;
  let minutes = 0;
  const outputs = [];
  for (const step of sequence) {
    minutes += step.advance;
    const output = poll(state, step.fetched, at(minutes), alertSettings);
    outputs.push(output);
    state = output.next;
  }
  return { outputs, state, minutes };
}

/**
 * Real deliveries only ever get a later `expires` (a new delivery) and keep it once set; a random
 * sequence would otherwise make one delivery's `expires` come back after another's.
 */
function realisticExpires(sequence: readonly Step[]): Step[] {
  const latest = new Map<string, string>();
  return sequence.map((step) => ({
    ...step,
    fetched: step.fetched.map((job) => {
      const current = job.delivery?.expires;
      const known = latest.get(job.id);
      const expires =
        current === undefined ? known : known === undefined || known < current ? current : known;
      if (expires === undefined) return job;
      latest.set(job.id, expires);
      return { ...job, delivery: { ...job.delivery, expires } };
    }),
  }));
}

const TIME_INDEPENDENT: ReadonlySet<string> = new Set([
  'JOB_CREATED',
  'JOB_STATUS_CHANGED',
  'DELIVERY_STATUS_CHANGED',
  'BATCH_COMPLETED',
]);

describe('detectChanges properties', () => {
  it('is idempotent: detecting again from its own output, same listing, same now, yields nothing', () => {
    fc.assert(
      fc.property(steps(restoreJob), listing(restoreJob), settings, (history, fetched, alertSettings) => {
        // Prepare
        const { state, minutes } = run(history, alertSettings);
        const now = at(minutes + 1);
        const first = poll(state, fetched, now, alertSettings);

        // Act
        const second = poll(first.next, fetched, now, alertSettings);

        // Assess
        expect(second.events).toEqual([]);
        expect(second.changedJobs).toEqual([]);
        expect(second.target).toEqual(first.target);
      }),
      RUNS,
    );
  });

  it('never lets a download URL or auth value reach an event or the state', () => {
    fc.assert(
      fc.property(steps(restoreJob), settings, (history, alertSettings) => {
        // Act
        const { outputs } = run(history, alertSettings);

        // Assess
        const text = JSON.stringify(outputs.map(({ events, jobs, target }) => ({ events, jobs, target })));
        expect(text).not.toContain(SECRET_URL);
        expect(text).not.toContain('SENTINEL');
      }),
      RUNS,
    );
  });

  it('never throws, whatever shape the jobs have, and still keeps secrets out', () => {
    fc.assert(
      fc.property(steps(anyShapedJob, 4), settings, (history, alertSettings) => {
        // Act
        const { outputs } = run(history, alertSettings);

        // Assess
        const text = JSON.stringify(outputs.map(({ events, jobs, target }) => ({ events, jobs, target })));
        expect(text).not.toContain('SENTINEL');
      }),
      { numRuns: 200 },
    );
  });

  it('raises at most one event per job and type in one poll', () => {
    fc.assert(
      fc.property(steps(restoreJob), settings, (history, alertSettings) => {
        // Act
        const { outputs } = run(history, alertSettings);

        // Assess
        for (const { events } of outputs) {
          const keys = events.map((event) => `${event.eventType}:${event.jobId ?? event.batchId}`);
          expect(new Set(keys).size).toBe(keys.length);
        }
      }),
      RUNS,
    );
  });

  it('canSkipDiff is only true when a full detection would raise nothing and write nothing', () => {
    let skipped = 0;
    fc.assert(
      fc.property(
        steps(restoreJob, 4),
        fc.option(listing(restoreJob), { freq: 3 }),
        fc.integer({ min: 0, max: 3000 }),
        settings,
        (history, otherListing, advance, alertSettings) => {
          // Prepare: mostly the same listing again (the common quiet poll), sometimes a different one
          const { state, minutes } = run(history, alertSettings);
          const fetched = otherListing ?? (history.at(-1) as Step).fetched;
          const now = at(minutes + advance);

          // Act
          const skip = canSkipDiff(state.target, fingerprintListing(fetched, TARGET), now);
          const full = poll(state, fetched, now, alertSettings);

          // Assess
          if (skip) {
            skipped++;
            expect(full.events).toEqual([]);
            expect(full.changedJobs).toEqual([]);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(skipped).toBeGreaterThan(0);
  });

  it('gives a change detected again from the same state, even later, the same event id', () => {
    fc.assert(
      fc.property(
        steps(restoreJob),
        listing(restoreJob),
        fc.integer({ min: 1, max: 3000 }),
        settings,
        (history, fetched, delay, alertSettings) => {
          // Prepare
          const { state, minutes } = run(history, alertSettings);

          // Act: the first detection's state was never saved (a crash); the next run re-detects
          const first = poll(state, fetched, at(minutes + 1), alertSettings);
          const again = poll(state, fetched, at(minutes + 1 + delay), alertSettings);

          // Assess
          const ids = (events: readonly MonitorEvent[]) =>
            events.filter((event) => TIME_INDEPENDENT.has(event.eventType)).map((event) => event.eventId);
          expect(ids(again.events)).toEqual(ids(first.events));
          for (const event of first.events.filter((e) => e.eventType === 'JOB_STUCK')) {
            expect(again.events.map((e) => e.eventId)).toContain(event.eventId);
          }
        },
      ),
      RUNS,
    );
  });

  it('detects the same from the snapshots of a listing as from the listing itself', () => {
    fc.assert(
      fc.property(
        steps(anyShapedJob, 4),
        listing(anyShapedJob),
        settings,
        (history, fetched, alertSettings) => {
          // Prepare: the poll snapshots jobs as their pages arrive and hands detection the snapshots
          const { state, minutes } = run(history, alertSettings);
          const input = {
            target: TARGET,
            previousTarget: state.target,
            previousJobs: state.jobs,
            now: at(minutes + 1),
            settings: alertSettings,
          };

          // Act
          const fromJobs = detectChanges({ ...input, fetched });
          const fromSnapshots = detectChanges({
            ...input,
            snapshots: fetched.map((j) => toSnapshot(j, TARGET)),
          });

          // Assess
          expect(fromSnapshots).toEqual(fromJobs);
        },
      ),
      RUNS,
    );
  });

  it('gives distinct changes distinct event ids over a whole history', () => {
    fc.assert(
      fc.property(steps(restoreJob, 8), settings, (history, alertSettings) => {
        // Act
        const { outputs } = run(realisticExpires(history), alertSettings);

        // Assess
        const ids = outputs.flatMap(({ events }) => events.map((event) => event.eventId));
        expect(new Set(ids).size).toBe(ids.length);
      }),
      RUNS,
    );
  });
});
