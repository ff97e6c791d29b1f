/**
 * The order a run starts its targets in (functions/core/target-order.ts, guarantees O1-O4), and the
 * pool using it: targets of a project held up by its rate limit do not keep other projects waiting.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.ts';
import { runPoll } from '../../functions/core/poll.ts';
import type { RestoreJobQuery, RestoreJobSource } from '../../functions/core/ports.ts';
import { pollOrder } from '../../functions/core/target-order.ts';
import type { RestoreJob, Target } from '../../functions/core/types.ts';
import { targetKey } from '../../functions/core/types.ts';
import {
  InMemoryRunLease,
  InMemoryStateStore,
  manualClock,
  RecordingPublisher,
  recordingLogger,
} from '../support/in-memory-ports.ts';

const project = (n: number) => `${String(n).padStart(2, '0')}aaaaaaaaaaaaaaaaaaaaaa`;
const cluster = (p: number, c: number) =>
  `${String(p).padStart(2, '0')}${String(c).padStart(2, '0')}bbbbbbbbbbbbbbbbbbbb`;
const target = (p: number, c: number): Target => ({
  projectId: project(p),
  clusterId: cluster(p, c),
  name: `p${p}-c${c}`,
});
const never = () => '';

describe('pollOrder', () => {
  it('interleaves projects: every project gets its first target in before any gets its second (O1)', () => {
    // Prepare: project 0 has four targets listed first, projects 1 and 2 one each after them.
    const targets = [target(0, 0), target(0, 1), target(0, 2), target(0, 3), target(1, 0), target(2, 0)];

    // Act
    const order = pollOrder(targets, never).map((t) => t.name);

    // Assess
    expect(order).toEqual(['p0-c0', 'p1-c0', 'p2-c0', 'p0-c1', 'p0-c2', 'p0-c3']);
  });

  it('puts the target polled longest ago first within its project, never polled before all (O2)', () => {
    // Prepare
    const polled: Record<string, string> = {
      'p0-c0': '2026-11-28T10:05:00.000Z',
      'p0-c1': '2026-11-28T10:00:00.000Z',
      'p0-c2': '',
    };
    const targets = [target(0, 0), target(0, 1), target(0, 2)];

    // Act
    const order = pollOrder(targets, (t) => polled[t.name] ?? '').map((t) => t.name);

    // Assess
    expect(order).toEqual(['p0-c2', 'p0-c1', 'p0-c0']);
  });

  it('starts each round with the project whose target was polled longest ago (O3)', () => {
    // Prepare
    const polled: Record<string, string> = {
      'p0-c0': '2026-11-28T10:05:00.000Z',
      'p1-c0': '2026-11-28T10:00:00.000Z',
    };

    // Act
    const order = pollOrder([target(0, 0), target(1, 0)], (t) => polled[t.name] ?? '').map((t) => t.name);

    // Assess
    expect(order).toEqual(['p1-c0', 'p0-c0']);
  });

  it('is a permutation of its input, interleaved, the same on every run, ties in input order (O1, O4)', () => {
    const fleet = fc.uniqueArray(
      fc.record({
        p: fc.integer({ min: 0, max: 5 }),
        c: fc.integer({ min: 0, max: 20 }),
        polled: fc.constantFrom('', '2026-11-28T10:00:00.000Z', '2026-11-28T10:05:00.000Z'),
      }),
      { selector: (t) => `${t.p}:${t.c}`, maxLength: 40 },
    );
    fc.assert(
      fc.property(fleet, (entries) => {
        const targets = entries.map((e) => target(e.p, e.c));
        const polled = new Map(entries.map((e) => [targetKey(target(e.p, e.c)), e.polled]));
        const at = (t: Target) => polled.get(targetKey(t)) ?? '';

        const order = pollOrder(targets, at);

        expect(order.map(targetKey).sort()).toEqual(targets.map(targetKey).sort());
        expect(
          pollOrder(
            targets.map((t) => ({ ...t })),
            at,
          ).map(targetKey),
        ).toEqual(order.map(targetKey));
        // O1: the rank of a target within its project never decreases along the order.
        const seen = new Map<string, number>();
        let round = 0;
        for (const t of order) {
          const rank = seen.get(t.projectId) ?? 0;
          seen.set(t.projectId, rank + 1);
          expect(rank).toBeGreaterThanOrEqual(round);
          round = rank;
        }
        // O4: among targets of one round polled at the same instant, the input order is kept.
        for (let i = 1; i < order.length; i++) {
          const [a, b] = [order[i - 1] as Target, order[i] as Target];
          const sameRound = seenRank(order, i - 1) === seenRank(order, i);
          if (sameRound && at(a) === at(b)) expect(targets.indexOf(a)).toBeLessThan(targets.indexOf(b));
        }
      }),
    );
  });
});

/** The rank within its project of the target at `index` of `order`. */
function seenRank(order: readonly Target[], index: number): number {
  const projectId = order[index]?.projectId;
  return order.slice(0, index).filter((t) => t.projectId === projectId).length;
}

describe('many targets in flight', () => {
  it('keeps polling other projects while one project waits for its rate window', async () => {
    // Prepare: project 0 has ten targets, listed first in the configuration, whose listings wait
    // until released (its rate window is full); projects 1-3 answer at once. Two targets in flight.
    const held: Array<() => void> = [];
    const listed: string[] = [];
    const source: RestoreJobSource = {
      listClusters: async () => [],
      async *restoreJobs(query: RestoreJobQuery): AsyncGenerator<RestoreJob> {
        listed.push(query.projectId);
        if (query.projectId === project(0)) await new Promise<void>((resolve) => held.push(resolve));
      },
    };
    const targets = [
      ...Array.from({ length: 10 }, (_, c) => target(0, c)),
      target(1, 0),
      target(2, 0),
      target(3, 0),
    ];
    const config = parseConfig(
      {
        cloudManager: { concurrency: 2 },
        targets: targets.map(({ projectId, clusterId, name }) => ({ projectId, clusterId, name })),
      },
      'test',
    );
    const run = runPoll(
      {
        source,
        store: new InMemoryStateStore(),
        lease: new InMemoryRunLease(),
        publisher: new RecordingPublisher(),
        now: manualClock().now,
        logger: recordingLogger().logger,
      },
      { config, runId: 'run-1' },
    );

    // Act: wait until both slots hold a waiting project-0 target.
    await until(() => held.length === 2, 200);
    const listedWhileWaiting = new Set(listed);
    while (held.length > 0 || listed.length < targets.length) {
      held.shift()?.();
      await until(() => held.length > 0, 50);
    }
    const summary = await run;

    // Assess: the other projects were served while project 0 waited, and every target completed.
    expect([...listedWhileWaiting].sort()).toEqual([project(0), project(1), project(2), project(3)]);
    expect(summary.targets).toMatchObject({ total: 13, ok: 13, failed: 0 });
  });
});

/** Lets pending promises settle until `done()` or `turns` event-loop turns have passed. */
async function until(done: () => boolean, turns: number): Promise<void> {
  for (let i = 0; i < turns && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
}
