/**
 * Keeps the benchmark from rotting: its scenario builder at a tiny size, with the counters of both
 * sides (the polling process, and the peers: simulator, counting proxy) accounting for each other.
 * No timing is asserted: timing is what `npm run bench` reports, not what tests check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPoll } from '../../bench/report.ts';
import {
  type BenchEnvironment,
  type Fleet,
  finishJobs,
  forkedPoll,
  inProcessPoll,
  lowerBound,
  type MeasureOptions,
  measurePoll,
  measureShards,
  pagesByProject,
  seedFleet,
  startBenchEnvironment,
  sumByKey,
  targetsInFlight,
} from '../../bench/scenarios.ts';
import { JOBS_IN_FLIGHT } from '../../functions/core/poll-fleet.ts';

const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

describe('benchmark accounting on a tiny fleet', () => {
  let env: BenchEnvironment;
  let fleet: Fleet;
  const options = (scenario: string, extra: Partial<MeasureOptions> = {}): MeasureOptions => ({
    scenario,
    title: scenario,
    hasTargets: true,
    warmups: 0,
    latencyMs: 0,
    requestsPerMinute: 100,
    runner: inProcessPoll,
    ...extra,
  });

  beforeAll(async () => {
    env = await startBenchEnvironment({ latencyMs: 0 });
    fleet = seedFleet(env.sim, {
      projects: 2,
      targetsPerProject: 2,
      jobsPerTarget: 3,
      inProgressPerTarget: 1,
    });
  });
  afterAll(() => env.stop());

  it('counts the first poll the same on the wire as in the adapters, and writes every job once', async () => {
    // Act
    const first = await measurePoll(env, fleet, options('first-poll'));

    // Assess
    const ddb = first.dynamodb;
    expect(ddb.consistent).toBe(true);
    expect(ddb.byOperation).toEqual(sumByKey(ddb.storeByOperation, ddb.leaseByOperation));
    expect(ddb.total).toBe(total(ddb.storeByOperation) + total(ddb.leaseByOperation));
    expect(ddb.writtenItems).toMatchObject({ job: 12, target: 4 });
    expect(first.pages).toBe(first.bound.pages);
    expect(first.bound.pages).toBe(4);
    expect(first.http).toEqual({ requests: 5, challenges: 1, clientRequests: 5 });
    expect(first.summary.targets).toMatchObject({ total: 4, ok: 4, failed: 0 });
  });

  it('sees a warm steady poll fetch only pages, write no job, and call SNS never', async () => {
    // Act
    const steady = await measurePoll(env, fleet, options('steady', { warmups: 1 }));

    // Assess
    expect(steady.http).toEqual({ requests: 4, challenges: 0, clientRequests: 4 });
    expect(steady.dynamodb.consistent).toBe(true);
    expect(steady.dynamodb.writtenItems.job ?? 0).toBe(0);
    expect(steady.dynamodb.writtenItems.event ?? 0).toBe(0);
    expect(steady.sns).toMatchObject({ calls: 0, messages: 0, events: 0 });
    const verdicts = Object.fromEntries(checkPoll(steady).map((check) => [check.target, check.met]));
    expect(verdicts).toMatchObject({ 'zero SNS calls': true, 'no DynamoDB writes for unchanged jobs': true });
  });

  it('accounts for a storm: two events per finished job, one SNS message per job, batched by ten', async () => {
    // Act
    const storm = await measurePoll(
      env,
      fleet,
      options('storm', { warmups: 1, before: () => finishJobs(env.sim, fleet, 3) }),
    );

    // Assess
    expect(storm.sns).toEqual({ calls: 1, notifierCalls: 1, messages: 3, events: 6 });
    expect(storm.summary.alertsPublished).toBe(6);
    expect(storm.dynamodb.consistent).toBe(true);
    // Each event is written twice, both batched: recorded (owed), then written back as published.
    expect(storm.dynamodb.writtenItems).toMatchObject({ job: 3, event: 12 });
    expect(storm.dynamodb.storeByOperation.UpdateItem ?? 0).toBe(0);
  });

  it('measures the same numbers when the poll runs in its own process', async () => {
    // Act
    const forked = await measurePoll(env, fleet, options('steady', { warmups: 1, runner: forkedPoll() }));

    // Assess
    expect(forked.http).toEqual({ requests: 4, challenges: 0, clientRequests: 4 });
    expect(forked.dynamodb.consistent).toBe(true);
    expect(forked.memory.peakRssMb).toBeGreaterThan(0);
  });
});

describe('a large fleet in shards, on a tiny scale', () => {
  let env: BenchEnvironment;
  let fleet: Fleet;
  beforeAll(async () => {
    env = await startBenchEnvironment({ latencyMs: 0, requestsPerMinutePerProject: 100 });
    fleet = seedFleet(env.sim, {
      projects: 6,
      targetsPerProject: 3,
      jobsPerTarget: 2,
      inProgressPerTarget: 0,
      projectWide: true,
    });
  });
  afterAll(() => env.stop());

  it('discovers each project once, polls each cluster once over the shards, and counts every shard', async () => {
    // Prepare: the baseline, unsharded.
    const first = await measurePoll(env, fleet, {
      scenario: 'fleet-latency-first',
      title: 'first',
      hasTargets: false,
      warmups: 0,
      latencyMs: 0,
      requestsPerMinute: 100,
      runner: inProcessPoll,
    });

    // Act
    const shards = await measureShards(env, fleet, {
      scenario: 'shards',
      title: 'shards',
      warmups: 0,
      latencyMs: 0,
      requestsPerMinute: 100,
      runner: inProcessPoll,
      shards: 3,
    });

    // Assess
    expect(first.bound.discoveries).toBe(6);
    expect(first.http.requests - first.http.challenges).toBe(6 + 18);
    expect(shards.listings).toEqual({ clusters: 18, once: 18, more: 0, never: 0 });
    expect(shards.perShard.map((r) => r.lease)).toEqual(['acquired', 'acquired', 'acquired']);
    expect(shards.perShard.reduce((sum, r) => sum + r.targets.ok, 0)).toBe(18);
    expect(shards.perShard.reduce((sum, r) => sum + r.pages, 0)).toBe(6 + 18);
    expect(shards.http.rateLimited).toBe(0);
  });
});

describe('the lower bound', () => {
  it('counts the chain of a slot: discovery, then the targets it polls in turn, page after page', () => {
    const pages = new Map([['p', 40]]);

    const bound = lowerBound({
      pagesByProject: pages,
      targets: 4,
      pagesPerTarget: 10,
      discoveries: 1,
      latencyMs: 100,
      concurrency: 2,
      requestsPerMinute: 1000,
    });

    expect(bound).toMatchObject({ networkMs: 2050, chainMs: 2100, binding: 'chain', ms: 2100, inFlight: 2 });
  });

  it('is the parse floor when decoding and parsing take longer than any wait', () => {
    const bound = lowerBound({
      pagesByProject: new Map([['p', 10]]),
      latencyMs: 1,
      concurrency: 10,
      requestsPerMinute: 100,
      parseMs: 250,
    });

    expect(bound).toMatchObject({ ms: 250, binding: 'parse' });
  });

  it('keeps as many targets in flight as the jobs budget admits', () => {
    const spec = { projects: 4, targetsPerProject: 5, jobsPerTarget: 5000, inProgressPerTarget: 0 };

    expect(targetsInFlight(spec, 384, false)).toBe(JOBS_IN_FLIGHT / 5000);
    expect(targetsInFlight({ ...spec, jobsPerTarget: 50 }, 384, false)).toBe(384);
    expect(targetsInFlight(spec, 384, true)).toBe(Math.min(384, JOBS_IN_FLIGHT / 500));
  });

  it('is pages × latency ÷ concurrency while every project fits in one rate window', () => {
    // Prepare
    const pages = new Map(Array.from({ length: 10 }, (_, i) => [`p${i}`, 50] as const));

    // Act
    const bound = lowerBound({
      pagesByProject: pages,
      latencyMs: 25,
      concurrency: 8,
      requestsPerMinute: 100,
    });

    // Assess
    expect(bound).toMatchObject({ ms: 1562.5, pages: 500, rateLimitMs: 0, binding: 'network' });
  });

  it('is the per-project rate limit when one project needs more than a window', () => {
    // Prepare
    const fleet: Fleet = {
      spec: { projects: 1, targetsPerProject: 20, jobsPerTarget: 5000, inProgressPerTarget: 0 },
      targets: Array.from({ length: 20 }, (_, i) => ({
        projectId: 'p',
        clusterId: `c${i}`,
        name: `c${i}`,
        inProgress: [],
      })),
    };

    // Act
    const bound = lowerBound({
      pagesByProject: pagesByProject(fleet),
      latencyMs: 25,
      concurrency: 8,
      requestsPerMinute: 100,
    });

    // Assess
    expect(bound).toMatchObject({ pages: 200, networkMs: 625, rateLimitMs: 60_025, binding: 'rate-limit' });
  });
});
