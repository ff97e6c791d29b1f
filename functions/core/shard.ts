/**
 * Shards: a fleet too large for one invocation is split into `deploy.shards` partitions, each polled
 * by its own run (its own schedule on AWS, `--shard i/N` on the command line) under its own lease.
 *
 * The partition is by project, because the per-project rate limit is counted by the client of one
 * run: two runs polling one project at once would each allow it the full limit and together trip
 * Cloud Manager's 429. Everything the monitor keeps about a target or a project (its state, its
 * discovery, its owed alerts) belongs to the shard of its project.
 *
 * Guarantees (test/core/shard.test.ts):
 *
 * S1. Every project belongs to exactly one of N shards, and so does every target, every project-wide
 *     discovery and every owed alert (through its project).
 * S2. Stable: a project's shard depends only on its id (case-insensitive) and N, not on the order of
 *     the configuration, on the other projects or on the run. The hash is fixed: changing it would
 *     move projects between shards on upgrade.
 * S3. Changing N moves only the projects that must move (rendezvous hashing): going from N to N + 1
 *     shards moves about one project in N + 1, each to the new shard.
 * S4. Each shard has its own lease, so shards never wait for each other; the unsharded run (N = 1)
 *     keeps the lease it always had (`poll`).
 * S5. A run's shard must be the configuration's partition: `i/N` with N = `deploy.shards`, and no
 *     shard at all only when the fleet is not sharded. Anything else is refused before anything is
 *     read or written, since a run on another partition would poll projects a shard also polls.
 */
import type { Config, ConfiguredTarget } from './config.ts';
import type { OwedFilter, StateReader } from './ports.ts';
import type { AuditRecord } from './types.ts';

/** One partition of the fleet: the `index`-th (from 1) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The whole fleet as one partition. */
export const UNSHARDED: Shard = { index: 1, count: 1 };

/** Most shards a fleet can be split into (`deploy.shards`): one schedule and one alarm each. */
export const MAX_SHARDS = 100;

/** Lease name of the unsharded run (the one item `LEASE#poll` the table has always had). */
export const POLL_LEASE = 'poll';

/** A shard given as text (`--shard`, the schedule's input) that is not `i/N`, or not this fleet's. */
export class ShardSpecError extends Error {
  readonly spec: string | undefined;
  constructor(message: string, spec: string | undefined) {
    super(message);
    this.name = 'ShardSpecError';
    this.spec = spec;
  }
}

/** `"2/4"` as a shard; throws `ShardSpecError` saying what is wrong and what to write instead. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text);
  if (!match) {
    throw new ShardSpecError(
      `shard "${text}" is not i/N: write the shard's number and the number of shards, e.g. 2/4 for the second of four`,
      text,
    );
  }
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARDS) {
    throw new ShardSpecError(
      `shard "${text}": the number of shards must be from 1 to ${MAX_SHARDS}, got ${count}`,
      text,
    );
  }
  if (index < 1 || index > count) {
    throw new ShardSpecError(
      `shard "${text}": shards are numbered from 1 to ${count}, got ${index} (e.g. 1/${count} … ${count}/${count})`,
      text,
    );
  }
  return { index, count };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * The shard a run polls: the requested one, checked against `deploy.shards` (S5). Without a request,
 * the whole fleet, which only an unsharded configuration allows.
 */
export function resolveShard(requested: string | undefined, config: Config): Shard {
  const count = config.deploy.shards;
  if (requested === undefined) {
    if (count === 1) return UNSHARDED;
    throw new ShardSpecError(
      `the configuration splits the fleet into ${count} shards (deploy.shards): poll one of them with --shard i/${count} (1 ≤ i ≤ ${count}); each has its own schedule and lease`,
      undefined,
    );
  }
  const shard = parseShard(requested);
  if (shard.count !== count) {
    throw new ShardSpecError(
      `shard "${requested}" is not a partition of this configuration, which has ${count} shard${count === 1 ? '' : 's'} (deploy.shards): use i/${count}, or change deploy.shards (a run on another partition would poll projects a shard also polls)`,
      requested,
    );
  }
  return shard;
}

/** The run lease of a shard (S4): `poll` when unsharded, `poll#2/4` for the second of four. */
export function shardLeaseName(shard: Shard): string {
  return shard.count === 1 ? POLL_LEASE : `${POLL_LEASE}#${formatShard(shard)}`;
}

/** The shard (1-based) a project belongs to among `count` (S1-S3). */
export function shardOfProject(projectId: string, count: number): number {
  if (count <= 1) return 1;
  const id = projectId.toLowerCase();
  let best = 1;
  let bestScore = -1;
  for (let index = 1; index <= count; index++) {
    const score = mix32(`${id}#${index}`);
    if (score > bestScore) {
      best = index;
      bestScore = score;
    }
  }
  return best;
}

/** Whether a project (or anything keyed by one) is this shard's. */
export function ownsProject(shard: Shard, projectId: string): boolean {
  return shard.count === 1 || shardOfProject(projectId, shard.count) === shard.index;
}

/** The configured entries of this shard: its projects' clusters and project-wide entries (S1). */
export function shardTargets(configured: readonly ConfiguredTarget[], shard: Shard): ConfiguredTarget[] {
  return configured.filter((entry) => ownsProject(shard, entry.projectId));
}

/** The owed alerts this shard publishes (S1): those of its projects. Memoised per project id. */
export function ownsRecord(shard: Shard): (record: Pick<AuditRecord, 'projectId'>) => boolean {
  if (shard.count === 1) return () => true;
  const owned = new Map<string, boolean>();
  return (record) => {
    let answer = owned.get(record.projectId);
    if (answer === undefined) {
      answer = ownsProject(shard, record.projectId);
      owned.set(record.projectId, answer);
    }
    return answer;
  };
}

/**
 * The state as a shard sees it: the same reads and writes, except that the owed alerts it lists
 * (`listOwedEvents`, and those `readRunState` returns) are only its own projects' (S1), so two shards
 * never publish one alert. Incidents are per target and silences global: both are read whole, and
 * a run touches only the incidents of its own projects' targets (track-target.ts, unwatched.ts).
 * Unsharded: `state` itself.
 */
export function shardView<T extends StateReader>(state: T, shard: Shard): T {
  if (shard.count === 1) return state;
  const owns = ownsRecord(shard);
  const both = (keep: OwedFilter | undefined): OwedFilter =>
    keep ? (record) => owns(record) && keep(record) : owns;
  const listOwedEvents: StateReader['listOwedEvents'] = (limit, channel, keep) =>
    state.listOwedEvents(limit, channel, both(keep));
  const readRunState: StateReader['readRunState'] = (owedLimit, keep) =>
    state.readRunState(owedLimit, both(keep));
  return new Proxy(state, {
    get: (target, property, receiver) => {
      if (property === 'listOwedEvents') return listOwedEvents;
      if (property === 'readRunState') return readRunState;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * MurmurHash3's 32-bit finaliser over FNV-1a: a well-spread unsigned 32-bit hash of a string. Part of
 * the partition (S2): never change it.
 */
function mix32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
