/**
 * Shards (functions/core/shard.ts, guarantees S1-S5) and the poll over them (guarantee 8 of poll.ts),
 * with in-memory ports. The same over the simulator and dynalite: test/cli/poll-shards.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.ts';
import { type PollDependencies, previewPoll, runPoll } from '../../functions/core/poll.ts';
import {
  formatShard,
  MAX_SHARDS,
  ownsProject,
  parseShard,
  resolveShard,
  type Shard,
  ShardSpecError,
  shardLeaseName,
  shardOfProject,
  shardTargets,
  shardView,
  UNSHARDED,
} from '../../functions/core/shard.ts';
import type { AuditRecord } from '../../functions/core/types.ts';
import { record } from '../support/alert-records.ts';
import {
  InMemoryRunLease,
  InMemoryStateStore,
  ListSource,
  manualClock,
  RecordingPublisher,
  recordingLogger,
} from '../support/in-memory-ports.ts';
import { job } from './fixtures.ts';

const hex24 = (n: number, prefix = '5e') => `${prefix}${n.toString(16).padStart(22, '0')}`;
const projectIds = Array.from({ length: 40 }, (_, n) => hex24(n + 1));
const shardsOf = (count: number): Shard[] =>
  Array.from({ length: count }, (_, i) => ({ index: i + 1, count }));

describe('parseShard and resolveShard (S5)', () => {
  it.each([
    ['1/4', { index: 1, count: 4 }],
    ['4/4', { index: 4, count: 4 }],
    [' 2 / 3 ', { index: 2, count: 3 }],
    ['1/1', { index: 1, count: 1 }],
  ])('reads %j', (text, shard) => {
    expect(parseShard(text)).toEqual(shard);
  });

  it.each([
    ['0/4', 'shards are numbered from 1 to 4, got 0'],
    ['5/4', 'shards are numbered from 1 to 4, got 5'],
    ['x', 'is not i/N'],
    ['2', 'is not i/N'],
    ['1/0', `the number of shards must be from 1 to ${MAX_SHARDS}, got 0`],
    [`1/${MAX_SHARDS + 1}`, `the number of shards must be from 1 to ${MAX_SHARDS}`],
    ['-1/4', 'is not i/N'],
  ])('refuses %j, saying why', (text, why) => {
    expect(() => parseShard(text)).toThrow(ShardSpecError);
    expect(() => parseShard(text)).toThrow(why);
  });

  const config = (shards?: number) =>
    parseConfig(
      { targets: [{ projectId: projectIds[0] }], ...(shards ? { deploy: { shards } } : {}) },
      'test',
    );

  it('polls the whole fleet without a shard when the configuration is not sharded', () => {
    expect(resolveShard(undefined, config())).toEqual(UNSHARDED);
    expect(resolveShard('1/1', config(1))).toEqual(UNSHARDED);
  });

  it('accepts only the configuration’s own partition', () => {
    expect(resolveShard('3/4', config(4))).toEqual({ index: 3, count: 4 });
    expect(() => resolveShard('2/4', config(8))).toThrow(
      'is not a partition of this configuration, which has 8 shards (deploy.shards): use i/8',
    );
    expect(() => resolveShard('2/4', config())).toThrow('which has 1 shard (deploy.shards): use i/1');
  });

  it('refuses to poll a sharded fleet whole, naming the flag to use', () => {
    expect(() => resolveShard(undefined, config(4))).toThrow(
      'the configuration splits the fleet into 4 shards (deploy.shards): poll one of them with --shard i/4',
    );
  });
});

describe('the partition', () => {
  it('puts every project in exactly one shard (S1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 2 ** 40 })),
        (n, ids) => {
          for (const id of ids.map((i) => hex24(i))) {
            const owners = shardsOf(n).filter((shard) => ownsProject(shard, id));
            expect(owners).toHaveLength(1);
            expect(owners[0]?.index).toBe(shardOfProject(id, n));
          }
        },
      ),
    );
  });

  it('is fixed: a project id always lands in the same shard, whatever its case (S2)', () => {
    // These values are part of the stored world (which shard's lease covers which project): a change
    // of the hash would move projects between shards on upgrade.
    const pinned: Array<[string, number[]]> = [
      ['5e2211c17a3e5a48f5497de3', [1, 1, 1, 1, 13]],
      ['5e2211c17a3e5a48f5497de9', [2, 3, 3, 3, 9]],
      ['000000000000000000000001', [2, 2, 2, 8, 8]],
      ['ffffffffffffffffffffffff', [2, 2, 2, 2, 15]],
    ];
    for (const [id, shards] of pinned) {
      expect(
        [2, 3, 4, 8, 16].map((n) => shardOfProject(id, n)),
        id,
      ).toEqual(shards);
      expect(shardOfProject(id.toUpperCase(), 4)).toBe(shardOfProject(id, 4));
    }
  });

  it('does not depend on the order of the configuration or on the other entries (S2)', () => {
    const entries = projectIds.map((projectId, i) =>
      i % 3 === 0 ? { projectId } : { projectId, clusterId: hex24(i, '6a') },
    );
    fc.assert(
      fc.property(
        fc.shuffledSubarray(entries, { minLength: 1 }),
        fc.integer({ min: 1, max: 8 }),
        (some, n) => {
          const config = parseConfig({ targets: some }, 'test');
          for (const shard of shardsOf(n)) {
            const mine = shardTargets(config.targets, shard);
            expect(mine.every((entry) => shardOfProject(entry.projectId, n) === shard.index)).toBe(true);
          }
          const all = shardsOf(n).flatMap((shard) => shardTargets(config.targets, shard));
          expect(all).toHaveLength(config.targets.length);
        },
      ),
    );
  });

  it('moves only the projects that must move when a shard is added, all to the new one (S3)', () => {
    for (const n of [1, 2, 4, 7]) {
      const moved = projectIds.filter((id) => shardOfProject(id, n) !== shardOfProject(id, n + 1));
      expect(
        moved.every((id) => shardOfProject(id, n + 1) === n + 1),
        `${n} → ${n + 1}`,
      ).toBe(true);
    }
  });

  it('spreads projects evenly enough to be useful', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 500; i++) {
      const shard = shardOfProject(hex24(i), 4);
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2, 3, 4]);
    for (const count of counts.values()) expect(count).toBeGreaterThan(100);
  });

  it('gives each shard its own lease and keeps the unsharded one (S4)', () => {
    expect(shardLeaseName(UNSHARDED)).toBe('poll');
    expect(shardsOf(4).map(shardLeaseName)).toEqual(['poll#1/4', 'poll#2/4', 'poll#3/4', 'poll#4/4']);
    expect(formatShard({ index: 2, count: 4 })).toBe('2/4');
  });
});

describe('a shard’s view of the owed alerts', () => {
  it('lists its own projects’ alerts, past a full page of another shard’s', async () => {
    // Prepare: 600 owed alerts of a project in shard 1, older than one alert of a project in shard 2.
    const [mine, theirs] = twoProjectsInDifferentShards(2);
    const store = new InMemoryStateStore();
    const old = Array.from({ length: 600 }, (_, i) =>
      owed(i, { projectId: theirs, detectedAt: new Date(Date.UTC(2026, 4, 1, 9, 0, i)).toISOString() }),
    );
    await store.recordEvents([...old, owed(1000, { projectId: mine })]);
    const view = shardView(store, { index: shardOfProject(mine, 2), count: 2 });

    // Act
    const listed = await view.listOwedEvents(500);

    // Assess
    expect(listed.map((r) => r.eventId)).toEqual(['evt-1000']);
    expect(shardView(store, UNSHARDED)).toBe(store);
  });
});

describe('runPoll over shards (guarantee 8)', () => {
  /** Three projects in different shards of 3 (one project-wide), two clusters each. */
  function fleet() {
    const projects = threeProjectsInDifferentShards();
    const source = new ListSource();
    const targets: Array<Record<string, string>> = [];
    projects.forEach((projectId, p) => {
      const clusters = [hex24(p * 10 + 1, '6b'), hex24(p * 10 + 2, '6b')];
      for (const clusterId of clusters) source.jobs.set(clusterId, [job({ id: hex24(p * 10 + 3, '7c') })]);
      if (p === 0) {
        source.clusters.set(
          projectId,
          clusters.map((id) => ({ id, clusterName: id.slice(-4) })),
        );
        targets.push({ projectId });
      } else {
        for (const clusterId of clusters) targets.push({ projectId, clusterId });
      }
    });
    const config = parseConfig({ targets, deploy: { shards: 3 } }, 'test');
    const store = new InMemoryStateStore();
    const lease = new InMemoryRunLease();
    const clock = manualClock();
    const deps = (): PollDependencies => ({
      source,
      store,
      lease,
      publisher: new RecordingPublisher(),
      now: clock.now,
      logger: recordingLogger().logger,
    });
    return { projects, source, config, store, lease, deps };
  }

  it('polls every target exactly once over the shards, each discovery in its own project’s shard', async () => {
    const w = fleet();
    const listed: string[] = [];
    const list = w.source.restoreJobs.bind(w.source);
    w.source.restoreJobs = (query) => {
      listed.push(query.clusterId);
      return list(query);
    };

    const summaries = [];
    for (const shard of shardsOf(3)) {
      const before = w.source.calls.of('listClusters');
      summaries.push(await runPoll(w.deps(), { config: w.config, shard, runId: `run-${shard.index}` }));
      const discovered = w.source.calls.of('listClusters') - before;
      expect(discovered, formatShard(shard)).toBe(
        shard.index === shardOfProject(w.projects[0] ?? '', 3) ? 1 : 0,
      );
    }

    expect(listed.sort()).toEqual([...w.source.jobs.keys()].sort());
    expect(summaries.map((s) => s.targets.total)).toEqual([2, 2, 2]);
    expect(summaries.map((s) => s.shard)).toEqual(['1/3', '2/3', '3/3']);
    expect(w.store.targets.size).toBe(6);
  });

  it('lets two shards run at the same moment: both hold their own lease and complete', async () => {
    const w = fleet();
    // Both runs are inside their listings at once: each waits until the other has started.
    let started = 0;
    let release: () => void = () => {};
    const both = new Promise<void>((resolve) => {
      release = resolve;
    });
    const list = w.source.restoreJobs.bind(w.source);
    w.source.restoreJobs = async function* (query) {
      if (++started === 2) release();
      await both;
      yield* list(query);
    };
    const [one, two] = shardsOf(3);

    const summaries = await Promise.all([
      runPoll(w.deps(), { config: w.config, shard: one as Shard, runId: 'run-a' }),
      runPoll(w.deps(), { config: w.config, shard: two as Shard, runId: 'run-b' }),
    ]);

    expect(summaries.map((s) => s.lease)).toEqual(['acquired', 'acquired']);
    expect(summaries.map((s) => s.targets.ok)).toEqual([2, 2]);
    expect(w.lease.calls.of('acquire')).toBe(2);
    expect(w.lease.holders.size).toBe(0);
  });

  it('is kept out by a run of the same shard, not by a run of another', async () => {
    const w = fleet();
    await w.lease.acquire('run-of-shard-2', new Date(), 60_000, 'poll#2/3');

    const same = await runPoll(w.deps(), { config: w.config, shard: { index: 2, count: 3 }, runId: 'r1' });
    const other = await runPoll(w.deps(), { config: w.config, shard: { index: 1, count: 3 }, runId: 'r2' });

    expect(same).toMatchObject({ lease: 'held-by-other', leaseHolder: 'run-of-shard-2', shard: '2/3' });
    expect(other).toMatchObject({ lease: 'acquired', shard: '1/3' });
  });

  it('publishes each owed alert from the shard of its project only', async () => {
    const w = fleet();
    const alerts = w.projects.map((projectId, i) => owed(i, { projectId }));
    await w.store.recordEvents(alerts);
    const published = new Map<string, string>();

    for (const shard of shardsOf(3)) {
      const deps = w.deps();
      await runPoll(deps, { config: w.config, shard, runId: `run-${shard.index}` });
      for (const id of (deps.publisher as RecordingPublisher).deliveredIds()) {
        expect(published.has(id), id).toBe(false);
        published.set(id, formatShard(shard));
      }
    }

    expect(published).toEqual(new Map(alerts.map((a) => [a.eventId, `${shardOfProject(a.projectId, 3)}/3`])));
  });

  it('previews one shard: the dry run reads its own targets only', async () => {
    const w = fleet();
    const shard = { index: shardOfProject(w.projects[1] ?? '', 3), count: 3 };

    const preview = await previewPoll(
      { source: w.source, state: w.store, now: manualClock().now, logger: recordingLogger().logger },
      { config: w.config, shard, runId: 'dry' },
    );

    expect(preview.summary).toMatchObject({ shard: formatShard(shard), targets: { total: 2 } });
  });
});

function owed(n: number, overrides: Partial<AuditRecord>): AuditRecord {
  return record({ eventId: `evt-${n}`, jobId: hex24(n, '7d'), ...overrides });
}

/** Two project ids whose shards among `count` differ, the first in the higher shard. */
function twoProjectsInDifferentShards(count: number): [string, string] {
  const first = projectIds.find((id) => shardOfProject(id, count) === count) ?? '';
  const second = projectIds.find((id) => shardOfProject(id, count) !== count) ?? '';
  return [first, second];
}

/** One project id in each of three shards. */
function threeProjectsInDifferentShards(): string[] {
  return [1, 2, 3].map((index) => projectIds.find((id) => shardOfProject(id, 3) === index) ?? '');
}
