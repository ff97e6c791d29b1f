/**
 * Memory bounded while many targets are in flight: the pool's budget (concurrency.ts) and the poll's
 * use of it (`JOBS_IN_FLIGHT`: the jobs the targets in flight hold at once, counted from their last
 * listing). Accounting only: nothing here measures time or bytes.
 */
import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../functions/core/concurrency.ts';
import { parseConfig } from '../../functions/core/config.ts';
import { runPoll } from '../../functions/core/poll.ts';
import { JOBS_IN_FLIGHT } from '../../functions/core/poll-fleet.ts';
import type { RestoreJobQuery, RestoreJobSource } from '../../functions/core/ports.ts';
import type { RestoreJob } from '../../functions/core/types.ts';
import {
  InMemoryRunLease,
  InMemoryStateStore,
  manualClock,
  RecordingPublisher,
  recordingLogger,
} from '../support/in-memory-ports.ts';

/** Lets the pending work of every running item advance one step. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the pool’s budget', () => {
  it('never lets the weights of the running items pass the limit, and keeps their start order', async () => {
    // Prepare
    const weights = [3, 3, 5, 1, 1, 6, 2, 4];
    let used = 0;
    let peak = 0;
    const started: number[] = [];

    // Act
    const results = await mapWithConcurrency(
      weights,
      8,
      async (weight, index) => {
        started.push(index);
        used += weight;
        peak = Math.max(peak, used);
        await tick();
        await tick();
        used -= weight;
        return weight * 10;
      },
      { budget: { limit: 7, weight: (w) => w } },
    );

    // Assess
    expect(peak).toBeLessThanOrEqual(7);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(results).toEqual(weights.map((w) => w * 10));
  });

  it('runs an item heavier than the whole budget, alone', async () => {
    let running = 0;
    const alongside: number[] = [];

    await mapWithConcurrency(
      [1, 50, 1],
      3,
      async (weight) => {
        running++;
        if (weight === 50) alongside.push(running);
        await tick();
        running--;
      },
      { budget: { limit: 10, weight: (w) => w } },
    );

    expect(alongside).toEqual([1]);
  });
});

describe('a poll of many long histories', () => {
  it(`keeps at most ${JOBS_IN_FLIGHT} jobs' worth of targets in flight, however high the concurrency`, async () => {
    // Prepare: 60 targets whose last listing had 5,000 jobs each, 256 allowed at once. (Each lists one
    // job now: what counts is what the run expects them to hold.)
    const perTarget = 5_000;
    const projectId = '5e2211c17a3e5a48f5497de3';
    const clusters = Array.from({ length: 60 }, (_, i) => `5f00000000000000000${String(i).padStart(5, '0')}`);
    const store = new InMemoryStateStore();
    for (const clusterId of clusters) {
      store.targets.set(`${projectId}:${clusterId}`, {
        projectId,
        clusterId,
        name: clusterId,
        baselined: false,
        failureStreak: 0,
        failingAlerted: false,
        jobCount: perTarget,
      });
    }
    let inFlight = 0;
    let peak = 0;
    const source: RestoreJobSource = {
      listClusters: async () => [],
      async *restoreJobs(query: RestoreJobQuery): AsyncGenerator<RestoreJob> {
        inFlight++;
        peak = Math.max(peak, inFlight);
        try {
          await tick();
          yield { id: `${query.clusterId.slice(0, 14)}0000000001`, statusName: 'FINISHED' };
        } finally {
          inFlight--;
        }
      },
    };
    const config = parseConfig(
      {
        cloudManager: { concurrency: 256 },
        targets: clusters.map((clusterId) => ({ projectId, clusterId })),
      },
      'test',
    );
    const deps = {
      source,
      store,
      lease: new InMemoryRunLease(),
      publisher: new RecordingPublisher(),
      now: manualClock().now,
      logger: recordingLogger().logger,
    };

    // Act
    const summary = await runPoll(deps, { config, runId: 'run-1' });

    // Assess
    expect(summary.targets.ok).toBe(60);
    expect(peak).toBe(JOBS_IN_FLIGHT / perTarget);
  });
});
