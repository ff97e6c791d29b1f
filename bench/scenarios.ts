/**
 * The benchmark's scenario builder: the peers (the Cloud Manager simulator with a per-request
 * latency, dynalite behind the counting proxy), a fleet of targets seeded into the simulator, the
 * change storm, the lower bound, and one measured poll that puts the polling process's counters next
 * to the peers' counters.
 *
 * The peers live in the benchmark's own process; each poll runs in a fresh child process
 * (`poll-child.ts`), so a poll's peak RSS is its own and not the simulator's or dynalite's data.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ensureTable } from '../functions/adapters/dynamo/create-table.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../functions/adapters/dynamo/embedded-dynalite.ts';
import { JOBS_IN_FLIGHT, UNKNOWN_JOB_COUNT } from '../functions/core/poll-fleet.ts';
import type { RestoreJob } from '../functions/core/types.ts';
import { CloudManagerSimulator } from '../functions/simulator/cloud-manager-simulator.ts';
import { apiTime } from '../functions/simulator/restore-job-life-cycle.ts';
import { type CountingProxy, type ProxyCounts, startCountingProxy } from './counting-proxy.ts';
import { type PollInput, type PollMeasurement, pollOnce } from './poll-once.ts';

/** The client's page size (`ITEMS_PER_PAGE`): the bound counts pages of this many jobs. */
export const PAGE_SIZE = 500;
export const BENCH_API_KEY = { publicKey: 'bench-public', privateKey: 'bench-private-key-not-secret' };

export interface FleetSpec {
  projects: number;
  targetsPerProject: number;
  jobsPerTarget: number;
  /** The newest jobs of each target are IN_PROGRESS (what a change storm finishes); the rest are old and done. */
  inProgressPerTarget: number;
  /**
   * Configure whole projects (their clusters discovered by every poll, one request per project)
   * rather than each cluster: how a shop with thousands of deployments configures its fleet.
   */
  projectWide?: boolean;
}

export interface FleetTarget {
  projectId: string;
  clusterId: string;
  name: string;
  /** Ids of the jobs still IN_PROGRESS, newest first. */
  inProgress: string[];
}

export interface Fleet {
  spec: FleetSpec;
  targets: FleetTarget[];
}

export interface BenchSizes {
  fleet: FleetSpec;
  /** Jobs finished between the steady poll and the storm poll. */
  stormJobs: number;
  history: FleetSpec;
  /** `fleet-latency` and `shards`: a large fleet of short histories, polled at two latencies. */
  large: FleetSpec;
  /** Latency of the slow half of `fleet-latency` and of `shards` (ms per request). */
  slowLatencyMs: number;
  /** Shards polled at once by `shards`. */
  shards: number;
}

/** The sizes of the issue. Long history spreads its 20 targets over 4 projects (see README). */
export const FULL_SIZES: BenchSizes = {
  fleet: { projects: 10, targetsPerProject: 50, jobsPerTarget: 200, inProgressPerTarget: 2 },
  stormJobs: 1000,
  history: { projects: 4, targetsPerProject: 5, jobsPerTarget: 5000, inProgressPerTarget: 2 },
  large: {
    projects: 500,
    targetsPerProject: 20,
    jobsPerTarget: 50,
    inProgressPerTarget: 1,
    projectWide: true,
  },
  slowLatencyMs: 300,
  shards: 4,
};

/** `--quick`: the same shapes scaled down, for a smoke run in seconds. */
export const QUICK_SIZES: BenchSizes = {
  fleet: { projects: 4, targetsPerProject: 10, jobsPerTarget: 200, inProgressPerTarget: 2 },
  stormJobs: 80,
  history: { projects: 2, targetsPerProject: 2, jobsPerTarget: 1200, inProgressPerTarget: 2 },
  large: {
    projects: 20,
    targetsPerProject: 10,
    jobsPerTarget: 50,
    inProgressPerTarget: 1,
    projectWide: true,
  },
  slowLatencyMs: 100,
  shards: 4,
};

// ---- peers --------------------------------------------------------------------------------------

export interface BenchEnvironment {
  sim: CloudManagerSimulator;
  dynamo: EmbeddedDynamo;
  proxy: CountingProxy;
  tableName: string;
  /** Moves the simulator's clock on (a schedule period between two polls of the same projects). */
  advanceClock(ms: number): void;
  stop(): Promise<void>;
}

/** Simulator (real clock, one API key) + in-memory dynalite with a fresh table + the counting proxy. */
export async function startBenchEnvironment(options: {
  latencyMs: number;
  /** Cloud Manager's own per-project limit, answered with 429 (off unless given). */
  requestsPerMinutePerProject?: number;
}): Promise<BenchEnvironment> {
  // The simulator's clock runs ahead by what `advanceClock` added: its per-project rate window then
  // sees polls a schedule period apart, as the client's own limiter does (see poll-once.ts).
  let clockOffsetMs = 0;
  const sim = new CloudManagerSimulator({
    apiKeys: [BENCH_API_KEY],
    now: () => new Date(Date.now() + clockOffsetMs),
    latencyMs: options.latencyMs,
    ...(options.requestsPerMinutePerProject !== undefined
      ? { requestsPerMinutePerProject: options.requestsPerMinutePerProject }
      : {}),
  });
  await sim.start();
  const dynamo = await startEmbeddedDynamo({});
  const tableName = `bench-${randomUUID()}`;
  // Created directly, not through the proxy: setup is not part of any poll.
  await ensureTable(dynamo.client, tableName, { pollIntervalMs: 5 });
  const proxy = await startCountingProxy(dynamo.endpoint);
  return {
    sim,
    dynamo,
    proxy,
    tableName,
    advanceClock(ms) {
      clockOffsetMs += ms;
    },
    async stop() {
      await proxy.stop();
      await sim.stop();
      await dynamo.stop();
    },
  };
}

// ---- fleet --------------------------------------------------------------------------------------

const HOUR_MS = 3_600_000;

/**
 * Seeds `spec` into the simulator. Per target: `inProgressPerTarget` jobs started in the last half
 * hour, then a long tail of old terminal jobs (mostly FINISHED with a used-up or expired link, some
 * BROKEN or KILLED), one every two hours back in time, as a real cluster's history looks.
 */
export function seedFleet(sim: CloudManagerSimulator, spec: FleetSpec, now = new Date()): Fleet {
  const targets: FleetTarget[] = [];
  for (let p = 0; p < spec.projects; p++) {
    const projectId = sim.addProject();
    for (let c = 0; c < spec.targetsPerProject; c++) {
      const name = `bench-p${p}-c${c}`;
      const cluster = sim.addCluster({ projectId, clusterName: name });
      const inProgress: string[] = [];
      for (let j = 0; j < spec.jobsPerTarget; j++) {
        const job =
          j < spec.inProgressPerTarget
            ? sim.addRestoreJob(projectId, cluster.id, {
                created: apiTime(new Date(now.getTime() - (j + 1) * 60_000)),
              })
            : sim.addRestoreJob(projectId, cluster.id, oldJob(j, now));
        if (j < spec.inProgressPerTarget) inProgress.push(job.id);
      }
      targets.push({ projectId, clusterId: cluster.id, name, inProgress });
    }
  }
  return { spec, targets };
}

function oldJob(index: number, now: Date): Partial<RestoreJob> {
  const created = new Date(now.getTime() - (index + 1) * 2 * HOUR_MS);
  const base = {
    created: apiTime(created),
    timestamp: { date: apiTime(new Date(created.getTime() - HOUR_MS)), increment: 1 },
  };
  if (index % 10 === 3) {
    return { ...base, statusName: 'BROKEN', delivery: { methodName: 'HTTP', statusName: 'FAILED' } };
  }
  if (index % 10 === 7) {
    return { ...base, statusName: 'KILLED', delivery: { methodName: 'HTTP', statusName: 'NOT_STARTED' } };
  }
  const expires = apiTime(new Date(created.getTime() + 2 * HOUR_MS));
  const downloaded = index % 2 === 0;
  return {
    ...base,
    statusName: 'FINISHED',
    delivery: {
      methodName: 'HTTP',
      statusName: downloaded ? 'MAX_DOWNLOADS_EXCEEDED' : 'EXPIRED',
      expires,
      expirationHours: 1,
      maxDownloads: 1,
    },
    ...(downloaded
      ? {
          hashes: [
            {
              fileName: `restore-${index}.tar.gz`,
              hash: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
              typeName: 'SHA1',
            },
          ],
        }
      : {}),
  };
}

/**
 * The change storm: finishes `count` IN_PROGRESS jobs, round-robin over the targets so every target
 * changes (the expensive case for per-target work). Each finish yields two events: JOB_STATUS_CHANGED
 * (FINISHED) and DELIVERY_STATUS_CHANGED (READY). Links last 24 h, so no expiry warning joins in.
 */
export function finishJobs(sim: CloudManagerSimulator, fleet: Fleet, count: number): number {
  let finished = 0;
  for (let round = 0; finished < count; round++) {
    let any = false;
    for (const target of fleet.targets) {
      const jobId = target.inProgress[round];
      if (jobId === undefined) continue;
      any = true;
      sim.finishJob(jobId, { expirationHours: 24 });
      if (++finished >= count) break;
    }
    if (!any) break;
  }
  return finished;
}

/** List pages the poll must fetch per project (a target with no jobs still costs one page). */
export function pagesByProject(fleet: Fleet): Map<string, number> {
  const pages = new Map<string, number>();
  const perTarget = pagesPerTarget(fleet.spec);
  for (const target of fleet.targets) {
    pages.set(target.projectId, (pages.get(target.projectId) ?? 0) + perTarget);
  }
  return pages;
}

// ---- lower bound --------------------------------------------------------------------------------

export interface LowerBound {
  ms: number;
  pages: number;
  /** Requests that must precede the pages: one cluster listing per project-wide entry. */
  discoveries: number;
  /**
   * Targets in flight at most: the concurrency, or fewer when the jobs-in-flight budget
   * (`JOBS_IN_FLIGHT` of poll-fleet.ts) admits fewer targets of this size at once.
   */
  inFlight: number;
  /** (discoveries + pages) × latency ÷ in flight: the network time no implementation avoids. */
  networkMs: number;
  /**
   * The longest chain of requests that must follow one another: a project's discovery, then the
   * targets one slot polls in turn (⌈targets ÷ in flight⌉), each target's pages one after another.
   */
  chainMs: number;
  /**
   * The per-project limit: the n-th request of a project cannot start before ⌊(n−1)/limit⌋ minutes
   * have passed (sliding window), then takes one latency. 0 while every project fits in one window.
   */
  rateLimitMs: number;
  /** Decoding and parsing every response body, measured in the poll process (`PollMeasurement.parse`). */
  parseMs: number;
  binding: 'network' | 'chain' | 'rate-limit' | 'parse';
}

export function lowerBound(input: {
  pagesByProject: ReadonlyMap<string, number>;
  /** Targets of the fleet (default: 1 per page). */
  targets?: number;
  /** Pages of the target with the most (its chain); default 0. */
  pagesPerTarget?: number;
  /** Project-wide entries (each one listing before its targets' pages); default 0. */
  discoveries?: number;
  latencyMs: number;
  /** Targets in flight at most (the concurrency, or what the jobs budget admits). */
  concurrency: number;
  requestsPerMinute: number;
  /** The parse floor; default 0. */
  parseMs?: number;
}): LowerBound {
  const pages = [...input.pagesByProject.values()].reduce((sum, n) => sum + n, 0);
  const discoveries = input.discoveries ?? 0;
  const inFlight = Math.max(1, input.concurrency);
  const networkMs = ((pages + discoveries) * input.latencyMs) / inFlight;
  const turns = input.targets === undefined ? 1 : Math.ceil(input.targets / inFlight);
  const chainMs = ((discoveries > 0 ? 1 : 0) + turns * (input.pagesPerTarget ?? 0)) * input.latencyMs;
  let rateLimitMs = 0;
  for (const n of input.pagesByProject.values()) {
    const requests = n + (discoveries > 0 ? 1 : 0);
    if (requests > input.requestsPerMinute) {
      rateLimitMs = Math.max(
        rateLimitMs,
        Math.floor((requests - 1) / input.requestsPerMinute) * 60_000 + input.latencyMs,
      );
    }
  }
  const parseMs = input.parseMs ?? 0;
  const terms = { network: networkMs, chain: chainMs, 'rate-limit': rateLimitMs, parse: parseMs } as const;
  const [binding, ms] = (Object.entries(terms) as Array<[LowerBound['binding'], number]>).reduce((a, b) =>
    b[1] > a[1] ? b : a,
  );
  return { ms, pages, discoveries, inFlight, networkMs, chainMs, rateLimitMs, parseMs, binding };
}

/** Targets a poll of this fleet keeps in flight: its concurrency, within the jobs budget. */
export function targetsInFlight(spec: FleetSpec, concurrency: number, firstPoll: boolean): number {
  const weight = firstPoll ? UNKNOWN_JOB_COUNT : Math.max(1, spec.jobsPerTarget);
  return Math.max(1, Math.min(concurrency, Math.floor(JOBS_IN_FLIGHT / weight)));
}

/** Pages of one target of the fleet (a target with no jobs still costs one page). */
export function pagesPerTarget(spec: FleetSpec): number {
  return Math.max(1, Math.ceil(spec.jobsPerTarget / PAGE_SIZE));
}

/** The configured targets of a fleet: each cluster, or each project once (`projectWide`). */
export function configuredTargets(fleet: Fleet): PollInput['targets'] {
  if (!fleet.spec.projectWide) {
    return fleet.targets.map(({ projectId, clusterId, name }) => ({ projectId, clusterId, name }));
  }
  return [...new Set(fleet.targets.map((t) => t.projectId))].map((projectId) => ({ projectId }));
}

/**
 * The V8 limits Lambda's Node.js bootstrap sets for a function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`):
 * a young generation of a tenth of it (semi-spaces of half that) and the rest as old space. The poll
 * processes run with them, so their peak RSS is what that function's would be.
 */
export function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

// ---- one measured poll --------------------------------------------------------------------------

export interface RunnerOptions {
  /** Unmeasured polls first, in the same process (a warm Lambda container). */
  warmups: number;
  /** Called after the warm-ups, right before the measured poll starts. */
  beforeMeasured: () => Promise<void>;
}

export type PollRunner = (input: PollInput, options: RunnerOptions) => Promise<PollMeasurement>;

/** In this process (the accounting test): no isolation of memory, same counters. */
export const inProcessPoll: PollRunner = (input, options) => pollOnce(input, options);

type ChildMessage =
  | { type: 'ready' }
  | { type: 'result'; measurement: PollMeasurement }
  | { type: 'error'; error: string };

/**
 * Runs each poll in a fresh Node process (same binary) started from `childFile`: the bundled
 * `poll-child.ts` (see `bundlePollChild`), or the TypeScript file itself.
 */
export const forkedPoll =
  (
    childFile: string | URL = new URL('./poll-child.ts', import.meta.url),
    execArgv: string[] = [],
  ): PollRunner =>
  (input, options) =>
    new Promise((resolve, reject) => {
      const child = fork(childFile, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        child.kill();
        reject(error);
      };
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') {
          options.beforeMeasured().then(
            () => child.send({ type: 'go' }),
            (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
          );
        } else if (message.type === 'result') {
          settled = true;
          resolve(message.measurement);
        } else {
          fail(new Error(`The poll process failed: ${message.error}`));
        }
      });
      child.once('error', fail);
      child.once('exit', (code) =>
        fail(new Error(`The poll process exited with code ${code} before reporting`)),
      );
      child.send({ type: 'start', input, warmups: options.warmups });
    });

export interface PollRecord {
  scenario: string;
  title: string;
  /** Scenarios with targets in the issue; the others are reported for context. */
  hasTargets: boolean;
  /** Polls the same process ran before the measured one (0: a cold process). */
  warmups: number;
  fleet: FleetSpec & { targets: number };
  latencyMs: number;
  concurrency: number;
  requestsPerMinute: number;
  wallMs: number;
  /** CPU the polling process spent in the poll. */
  pollCpuMs: number;
  /**
   * CPU the peers (simulator, dynalite, counting proxy: one thread in the benchmark process) spent
   * while the poll ran. They serve requests one at a time, so the poll cannot finish before this.
   */
  peerCpuMs: number;
  bound: LowerBound;
  /** wall ÷ bound. */
  ratio: number;
  /** Pages the poll fetched (the client's logical API calls); `bound.pages` is what the data needs. */
  pages: number;
  http: {
    /** Requests the simulator received, challenges included. */
    requests: number;
    /** 401 digest challenges among them. */
    challenges: number;
    /** The client's own count, to cross-check. */
    clientRequests: number;
  };
  dynamodb: ProxyCounts & {
    /** What the store counted (by operation), plus the run lease's requests: must equal the proxy. */
    storeByOperation: Record<string, number>;
    leaseByOperation: Record<string, number>;
    /** Proxy count = store + lease for every operation. */
    consistent: boolean;
  };
  sns: PollMeasurement['sns'] & { events: number };
  parse: PollMeasurement['parse'];
  summary: PollMeasurement['summary'];
  client: PollMeasurement['client'];
  memory: PollMeasurement['memory'];
}

export interface MeasureOptions {
  scenario: string;
  title: string;
  hasTargets: boolean;
  /** Unmeasured polls in the same process first: 0 measures a cold process. */
  warmups: number;
  /** Changes to make after the warm-ups, before the measured poll (the storm). */
  before?: () => void;
  latencyMs: number;
  concurrency?: number;
  requestsPerMinute: number;
  runner: PollRunner;
}

/** What a poll process needs to poll `fleet` through the peers of `env`. */
function pollInput(
  env: BenchEnvironment,
  fleet: Fleet,
  options: Pick<MeasureOptions, 'scenario' | 'concurrency' | 'requestsPerMinute'>,
): PollInput {
  return {
    runId: `bench-${options.scenario}-${randomUUID().slice(0, 8)}`,
    baseUrl: env.sim.baseUrl,
    apiKey: BENCH_API_KEY,
    dynamoEndpoint: env.proxy.endpoint,
    tableName: env.tableName,
    targets: configuredTargets(fleet),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    requestsPerMinute: options.requestsPerMinute,
  };
}

/** One poll of `fleet`, measured from both sides: the polling process and the peers. */
export async function measurePoll(
  env: BenchEnvironment,
  fleet: Fleet,
  options: MeasureOptions,
): Promise<PollRecord> {
  let peerCpuBefore = process.cpuUsage();
  const beforeMeasured = async () => {
    options.before?.();
    env.sim.resetStats();
    env.proxy.reset();
    peerCpuBefore = process.cpuUsage();
  };
  const measurement = await options.runner(pollInput(env, fleet, options), {
    warmups: options.warmups,
    beforeMeasured,
  });
  const peerCpu = process.cpuUsage(peerCpuBefore);
  const simStats = env.sim.stats();
  const proxy = env.proxy.counts();
  const bound = lowerBound({
    pagesByProject: pagesByProject(fleet),
    targets: fleet.targets.length,
    pagesPerTarget: pagesPerTarget(fleet.spec),
    discoveries: fleet.spec.projectWide ? new Set(fleet.targets.map((t) => t.projectId)).size : 0,
    latencyMs: options.latencyMs,
    // A poll with no warm-up and no targets to compare is a fleet's first: its targets weigh a page.
    concurrency: targetsInFlight(
      fleet.spec,
      measurement.concurrency,
      options.warmups === 0 && !options.hasTargets,
    ),
    requestsPerMinute: options.requestsPerMinute,
    parseMs: measurement.parse.floorMs,
  });
  const expected = sumByKey(measurement.store.requests, measurement.lease);
  return {
    scenario: options.scenario,
    title: options.title,
    hasTargets: options.hasTargets,
    warmups: options.warmups,
    fleet: { ...fleet.spec, targets: fleet.targets.length },
    latencyMs: options.latencyMs,
    concurrency: measurement.concurrency,
    requestsPerMinute: options.requestsPerMinute,
    wallMs: round1(measurement.wallMs),
    pollCpuMs: measurement.cpuMs,
    peerCpuMs: Math.round((peerCpu.user + peerCpu.system) / 1000),
    bound: {
      ...bound,
      ms: round1(bound.ms),
      networkMs: round1(bound.networkMs),
      parseMs: round1(bound.parseMs),
    },
    parse: measurement.parse,
    ratio: bound.ms > 0 ? Math.round((measurement.wallMs / bound.ms) * 100) / 100 : 0,
    pages: measurement.client.apiCalls,
    http: {
      // Without the parse floor's sampling, which the poll process sent after the poll.
      requests: simStats.requests - measurement.parse.requests,
      challenges: simStats.challenges,
      clientRequests: measurement.client.requests,
    },
    dynamodb: {
      ...proxy,
      busyMs: round1(proxy.busyMs),
      requestMs: round1(proxy.requestMs),
      storeByOperation: measurement.store.requests,
      leaseByOperation: measurement.lease,
      consistent: sameCounts(expected, proxy.byOperation),
    },
    sns: { ...measurement.sns, events: measurement.summary.eventsDetected },
    summary: measurement.summary,
    client: measurement.client,
    memory: measurement.memory,
  };
}

export function sumByKey(...records: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => (a[key] ?? 0) === (b[key] ?? 0));
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

// ---- shards at once -----------------------------------------------------------------------------

export interface ShardRun {
  shard: string;
  wallMs: number;
  pollCpuMs: number;
  targets: PollMeasurement['summary']['targets'];
  lease: string;
  /** Pages this shard's client fetched. */
  pages: number;
  /** 429 answers this shard's client met, and how often its limiter made a request wait. */
  rateLimited: number;
  limiterWaits: number;
  peakRssMb: number;
}

export interface ShardsRecord {
  scenario: string;
  title: string;
  fleet: FleetSpec & { targets: number };
  latencyMs: number;
  concurrency: number;
  shards: number;
  /** The slowest shard's wall: when the whole fleet has been polled. */
  wallMs: number;
  perShard: ShardRun[];
  http: { requests: number; challenges: number; rateLimited: number };
  /** Restore-job listings answered per cluster, over every shard: each must be exactly 1. */
  listings: { clusters: number; once: number; more: number; never: number };
  dynamodb: ProxyCounts;
  peerCpuMs: number;
}

/**
 * `count` shards of `fleet` polled at the same moment, each in its own process (as N invocations of
 * a tick): each warms up, then all start their measured poll together.
 */
export async function measureShards(
  env: BenchEnvironment,
  fleet: Fleet,
  options: Omit<MeasureOptions, 'before' | 'hasTargets'> & { shards: number },
): Promise<ShardsRecord> {
  let arrived = 0;
  let release: () => void = () => {};
  const allReady = new Promise<void>((resolve) => {
    release = resolve;
  });
  let peerCpuBefore = process.cpuUsage();
  const beforeMeasured = async () => {
    if (++arrived === options.shards) {
      env.sim.resetStats();
      env.proxy.reset();
      peerCpuBefore = process.cpuUsage();
      release();
    }
    await allReady;
  };
  const runs = await Promise.all(
    Array.from({ length: options.shards }, (_, i) =>
      options.runner(
        {
          ...pollInput(env, fleet, { ...options, scenario: `${options.scenario}-${i + 1}` }),
          shards: options.shards,
          shard: `${i + 1}/${options.shards}`,
          // Its sampling would list clusters a second time after the poll.
          parseFloor: false,
        },
        { warmups: options.warmups, beforeMeasured },
      ),
    ),
  );
  const peerCpu = process.cpuUsage(peerCpuBefore);
  const listed = new Map<string, number>();
  for (const request of env.sim.requests) {
    const match = /\/clusters\/([0-9a-f]{24})\/restoreJobs$/.exec(request.path);
    if (request.status === 200 && match?.[1]) listed.set(match[1], (listed.get(match[1]) ?? 0) + 1);
  }
  const counts = fleet.targets.map((t) => listed.get(t.clusterId) ?? 0);
  const stats = env.sim.stats();
  const proxy = env.proxy.counts();
  return {
    scenario: options.scenario,
    title: options.title,
    fleet: { ...fleet.spec, targets: fleet.targets.length },
    latencyMs: options.latencyMs,
    concurrency: runs[0]?.concurrency ?? 0,
    shards: options.shards,
    wallMs: round1(Math.max(...runs.map((run) => run.wallMs))),
    perShard: runs.map((run, i) => ({
      shard: `${i + 1}/${options.shards}`,
      wallMs: round1(run.wallMs),
      pollCpuMs: run.cpuMs,
      targets: run.summary.targets,
      lease: run.summary.lease,
      pages: run.client.apiCalls,
      rateLimited: run.client.rateLimited,
      limiterWaits: run.client.limiterWaits,
      peakRssMb: run.memory.peakRssMb,
    })),
    http: { requests: stats.requests, challenges: stats.challenges, rateLimited: stats.rateLimited },
    listings: {
      clusters: counts.length,
      once: counts.filter((n) => n === 1).length,
      more: counts.filter((n) => n > 1).length,
      never: counts.filter((n) => n === 0).length,
    },
    dynamodb: { ...proxy, busyMs: round1(proxy.busyMs), requestMs: round1(proxy.requestMs) },
    peerCpuMs: Math.round((peerCpu.user + peerCpu.system) / 1000),
  };
}
