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
}

/** The sizes of the issue. Long history spreads its 20 targets over 4 projects (see README). */
export const FULL_SIZES: BenchSizes = {
  fleet: { projects: 10, targetsPerProject: 50, jobsPerTarget: 200, inProgressPerTarget: 2 },
  stormJobs: 1000,
  history: { projects: 4, targetsPerProject: 5, jobsPerTarget: 5000, inProgressPerTarget: 2 },
};

/** `--quick`: the same shapes scaled down, for a smoke run in seconds. */
export const QUICK_SIZES: BenchSizes = {
  fleet: { projects: 4, targetsPerProject: 10, jobsPerTarget: 200, inProgressPerTarget: 2 },
  stormJobs: 80,
  history: { projects: 2, targetsPerProject: 2, jobsPerTarget: 1200, inProgressPerTarget: 2 },
};

// ---- peers --------------------------------------------------------------------------------------

export interface BenchEnvironment {
  sim: CloudManagerSimulator;
  dynamo: EmbeddedDynamo;
  proxy: CountingProxy;
  tableName: string;
  stop(): Promise<void>;
}

/** Simulator (real clock, one API key) + in-memory dynalite with a fresh table + the counting proxy. */
export async function startBenchEnvironment(options: { latencyMs: number }): Promise<BenchEnvironment> {
  const sim = new CloudManagerSimulator({ apiKeys: [BENCH_API_KEY], latencyMs: options.latencyMs });
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
  const perTarget = Math.max(1, Math.ceil(fleet.spec.jobsPerTarget / PAGE_SIZE));
  for (const target of fleet.targets) {
    pages.set(target.projectId, (pages.get(target.projectId) ?? 0) + perTarget);
  }
  return pages;
}

// ---- lower bound --------------------------------------------------------------------------------

export interface LowerBound {
  ms: number;
  pages: number;
  /** pages × latency ÷ concurrency: the network time no implementation at that concurrency avoids. */
  networkMs: number;
  /**
   * The per-project limit: the n-th request of a project cannot start before ⌊(n−1)/limit⌋ minutes
   * have passed (sliding window), then takes one latency. 0 while every project fits in one window.
   */
  rateLimitMs: number;
  binding: 'network' | 'rate-limit';
}

export function lowerBound(input: {
  pagesByProject: ReadonlyMap<string, number>;
  latencyMs: number;
  concurrency: number;
  requestsPerMinute: number;
}): LowerBound {
  const pages = [...input.pagesByProject.values()].reduce((sum, n) => sum + n, 0);
  const networkMs = (pages * input.latencyMs) / Math.max(1, input.concurrency);
  let rateLimitMs = 0;
  for (const n of input.pagesByProject.values()) {
    if (n > input.requestsPerMinute) {
      rateLimitMs = Math.max(
        rateLimitMs,
        Math.floor((n - 1) / input.requestsPerMinute) * 60_000 + input.latencyMs,
      );
    }
  }
  return {
    ms: Math.max(networkMs, rateLimitMs),
    pages,
    networkMs,
    rateLimitMs,
    binding: rateLimitMs > networkMs ? 'rate-limit' : 'network',
  };
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
  const measurement = await options.runner(
    {
      runId: `bench-${options.scenario}-${randomUUID().slice(0, 8)}`,
      baseUrl: env.sim.baseUrl,
      apiKey: BENCH_API_KEY,
      dynamoEndpoint: env.proxy.endpoint,
      tableName: env.tableName,
      targets: fleet.targets.map(({ projectId, clusterId, name }) => ({ projectId, clusterId, name })),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      requestsPerMinute: options.requestsPerMinute,
    },
    { warmups: options.warmups, beforeMeasured },
  );
  const peerCpu = process.cpuUsage(peerCpuBefore);
  const simStats = env.sim.stats();
  const proxy = env.proxy.counts();
  const bound = lowerBound({
    pagesByProject: pagesByProject(fleet),
    latencyMs: options.latencyMs,
    concurrency: measurement.concurrency,
    requestsPerMinute: options.requestsPerMinute,
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
    bound: { ...bound, ms: round1(bound.ms), networkMs: round1(bound.networkMs) },
    ratio: bound.ms > 0 ? Math.round((measurement.wallMs / bound.ms) * 100) / 100 : 0,
    pages: measurement.client.apiCalls,
    http: {
      requests: simStats.requests,
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
