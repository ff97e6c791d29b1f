/**
 * One measured poll: the real `runPoll` with the real Cloud Manager client, DynamoDB store, run lease
 * and SNS notifier, assembled like `functions/runtime/dependencies.ts` does it, against the
 * simulator and the counting DynamoDB proxy whose addresses the parent passes in. Only SNS is a mock
 * (there is no local SNS peer): it accepts every entry and counts the calls.
 *
 * The benchmark runs this in a fresh child process per poll (`poll-child.ts`) so that the peak RSS is
 * the poll's alone and a fresh client pays its one digest challenge, as a Lambda cold start would;
 * the accounting test runs it in-process.
 */
import { readFileSync } from 'node:fs';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudManagerClient, ITEMS_PER_PAGE } from '../functions/adapters/cloud-manager/client.ts';
import { DynamoRunLease } from '../functions/adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../functions/adapters/dynamo/dynamo-state-store.ts';
import { SnsNotifier } from '../functions/adapters/sns/sns-notifier.ts';
import { parseConfig } from '../functions/core/config.ts';
import { SILENT_LOGGER } from '../functions/core/logger.ts';
import { runPoll } from '../functions/core/poll.ts';
import { resolveShard } from '../functions/core/shard.ts';

export const BENCH_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:restore-watch-bench';

/** Everything a poll needs to find its peers; plain JSON, so it crosses the IPC channel. */
export interface PollInput {
  runId: string;
  /** The simulator's API base URL. */
  baseUrl: string;
  apiKey: { publicKey: string; privateKey: string };
  /** The counting proxy in front of dynalite. */
  dynamoEndpoint: string;
  tableName: string;
  /** Configured targets: clusters, or whole projects (`clusterId` absent: discovered each poll). */
  targets: Array<{ projectId: string; clusterId?: string; name?: string }>;
  /** Targets polled at once (`cloudManager.concurrency`); omitted = the configuration's default. */
  concurrency?: number;
  requestsPerMinute: number;
  /** `deploy.shards` of the configuration, and the shard this poll runs (`i/N`). */
  shards?: number;
  shard?: string;
  /** Time the parse floor after the measured poll (it lists a few targets again). @default true */
  parseFloor?: boolean;
}

export interface PollMeasurement {
  /** `performance.now()` around `runPoll`, in the polling process. */
  wallMs: number;
  /** CPU time (user + system) the polling process spent inside `runPoll`. */
  cpuMs: number;
  concurrency: number;
  summary: {
    durationMs: number;
    lease: string;
    targets: { total: number; ok: number; failed: number; skipped: number };
    jobsSeen: number;
    eventsDetected: number;
    alertsPublished: number;
    alertsFailed: number;
    alertsOwed: number;
    failedTargets: Array<{ target: string; error: string }>;
  };
  /** The client's own counters (`CloudManagerClient.stats`). */
  client: {
    requests: number;
    apiCalls: number;
    challenges: number;
    staleRetries: number;
    retries: number;
    rateLimited: number;
    limiterWaits: number;
    limiterWaitMs: number;
    latency: Record<string, number>;
  };
  /** The store's own counters, by DynamoDB operation. */
  store: { requests: Record<string, number>; unprocessedRetries: number };
  /** DynamoDB requests of the run lease (its own client), by operation. */
  lease: Record<string, number>;
  sns: {
    /** PublishBatch calls the mocked SNS received. */
    calls: number;
    /** Entries in them: one per alert message. */
    messages: number;
    /** The notifier's own count, to cross-check. */
    notifierCalls: number;
  };
  /**
   * The CPU no implementation avoids: decoding and `JSON.parse` of every response body the poll
   * received. Timed after the poll, in the same process, on the pages of a sample of its targets
   * listed again, and scaled to the characters the poll parsed.
   */
  parse: {
    /** Characters of the API bodies the measured poll parsed (`ClientStats.bodyCharacters`). */
    bytes: number;
    /** Bytes of the sample timed. */
    sampleBytes: number;
    /** Decode + parse time of the sample (best of 3), scaled to `bytes`. */
    floorMs: number;
    /** HTTP requests the sampling sent after the poll (the benchmark takes them off its counts). */
    requests: number;
  };
  memory: {
    /** RSS right before the poll started (modules loaded, clients built). */
    rssBeforeMb: number;
    /** Peak RSS of the poll process (`VmHWM`, see `peakRssBytes`), warm-up polls included. */
    peakRssMb: number;
    /** V8 heap in use right after the poll (no sampler: `memoryUsage()` itself costs CPU). */
    heapUsedAfterMb: number;
    /** Garbage collection during the measured poll: pause time and count, young and full. */
    gc: GcMeasurement;
  };
}

export interface GcMeasurement {
  /** Main-thread pause time of every collection (`PerformanceEntry.duration`), ms. */
  pauseMs: number;
  /** Young-generation collections (scavenges). */
  minor: number;
  /** Full collections (mark-compact) and incremental marking steps. */
  major: number;
}

/** Records the garbage collections from now until `stop()`. */
function gcRecorder(): { stop(): GcMeasurement } {
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      entries.push(...observer.takeRecords());
      observer.disconnect();
      const kind = (entry: PerformanceEntry) => (entry as { detail?: { kind?: number } }).detail?.kind;
      const major = new Set([constants.NODE_PERFORMANCE_GC_MAJOR, constants.NODE_PERFORMANCE_GC_INCREMENTAL]);
      return {
        pauseMs: Math.round(entries.reduce((sum, entry) => sum + entry.duration, 0)),
        minor: entries.filter((entry) => kind(entry) === constants.NODE_PERFORMANCE_GC_MINOR).length,
        major: entries.filter((entry) => major.has(kind(entry) ?? -1)).length,
      };
    },
  };
}

/** The stack's default schedule, `rate(5 minutes)`. */
const SCHEDULE_PERIOD_MS = 5 * 60_000;
const MB = 1024 * 1024;

/** A DynamoDB client that counts every command it sends, by operation, before it leaves. */
function countingDynamoClient(endpoint: string, counts: Record<string, number>): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    // As the embedded DynamoDB does: local failures are bugs, not throttling.
    maxAttempts: 2,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCommands' },
  );
  return client;
}

/**
 * One polling "container": the clients and adapters built once, as the Lambda handler keeps them
 * between invocations (warm digest nonce, JIT-compiled code), polled any number of times.
 */
export interface PollSession {
  /** One poll; every counter starts from zero for it. */
  poll(runId: string): Promise<Omit<PollMeasurement, 'parse'>>;
  /** The parse floor of the last poll (see `PollMeasurement.parse`); lists a few targets again. */
  parseFloor(): Promise<PollMeasurement['parse']>;
  close(): void;
}

export function openPollSession(input: PollInput): PollSession {
  const config = parseConfig(
    {
      cloudManager: {
        baseUrl: input.baseUrl,
        requestsPerMinute: input.requestsPerMinute,
        ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
      },
      targets: input.targets,
      ...(input.shards !== undefined ? { deploy: { shards: input.shards } } : {}),
    },
    'benchmark',
  );
  const shard = resolveShard(input.shard, config);
  // The client's clock (its rate limiter's) moves one schedule period on between polls: in a warm
  // container the previous poll was 5 minutes ago, so its requests no longer count against the
  // per-project limit. Without this, a warm-up poll would make the measured one wait a minute.
  let clockOffsetMs = 0;
  const client = new CloudManagerClient({
    baseUrl: config.cloudManager.baseUrl,
    credentials: { kind: 'apiKey', ...input.apiKey },
    requestsPerMinute: config.cloudManager.requestsPerMinute,
    requestTimeoutMs: config.cloudManager.requestTimeoutMs,
    now: () => Date.now() + clockOffsetMs,
  });
  const storeClient = countingDynamoClient(input.dynamoEndpoint, {});
  const leaseCounts: Record<string, number> = {};
  const leaseClient = countingDynamoClient(input.dynamoEndpoint, leaseCounts);
  const store = new DynamoStateStore({
    client: storeClient,
    tableName: input.tableName,
    retentionDays: config.state.retentionDays,
  });
  const lease = new DynamoRunLease({ client: leaseClient, tableName: input.tableName });

  const sns = new SNSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const snsMock = mockClient(sns);
  let messageId = 0;
  snsMock.on(PublishBatchCommand).callsFake((request: PublishBatchCommandInput) => ({
    Successful: (request.PublishBatchRequestEntries ?? []).map((entry) => ({
      Id: entry.Id,
      MessageId: `bench-${++messageId}`,
    })),
    Failed: [],
  }));
  const notifier = new SnsNotifier({
    client: sns,
    topicArn: BENCH_TOPIC_ARN,
    consoleBaseUrl: new URL(input.baseUrl).origin,
    includeDownloadUrl: config.alerts.includeDownloadUrl,
  });
  const concurrency = config.cloudManager.concurrency;
  let polls = 0;

  return {
    async poll(runId) {
      if (polls++ > 0) clockOffsetMs += SCHEDULE_PERIOD_MS;
      client.resetStats();
      store.stats.requests = {};
      store.stats.unprocessedRetries = 0;
      for (const key of Object.keys(leaseCounts)) delete leaseCounts[key];
      snsMock.resetHistory();
      notifier.stats.publishBatchCalls = 0;

      const gc = gcRecorder();
      const rssBefore = process.memoryUsage.rss();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const summary = await runPoll(
        { source: client, store, lease, publisher: notifier, now: () => new Date(), logger: SILENT_LOGGER },
        { config, runId, shard },
      );
      const wallMs = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const gcDuring = gc.stop();
      const calls = snsMock.commandCalls(PublishBatchCommand);
      return {
        wallMs,
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        concurrency,
        summary: {
          durationMs: summary.durationMs,
          lease: summary.lease,
          targets: summary.targets,
          jobsSeen: summary.jobsSeen,
          eventsDetected: summary.eventsDetected,
          alertsPublished: summary.alertsPublished,
          alertsFailed: summary.alertsFailed,
          alertsOwed: summary.alertsOwed,
          failedTargets: summary.failedTargets.map(({ target, error }) => ({ target, error })),
        },
        client: {
          requests: client.stats.requests,
          apiCalls: client.stats.apiCalls,
          challenges: client.stats.challenges,
          staleRetries: client.stats.staleRetries,
          retries: client.stats.retries,
          rateLimited: client.stats.rateLimited,
          limiterWaits: client.stats.limiterWaits,
          limiterWaitMs: Math.round(client.stats.limiterWaitMs),
          latency: client.stats.latency.toJSON(),
        },
        store: { requests: { ...store.stats.requests }, unprocessedRetries: store.stats.unprocessedRetries },
        lease: { ...leaseCounts },
        sns: {
          calls: calls.length,
          messages: calls.reduce(
            (sum, call) => sum + (call.args[0].input.PublishBatchRequestEntries?.length ?? 0),
            0,
          ),
          notifierCalls: notifier.stats.publishBatchCalls,
        },
        memory: {
          rssBeforeMb: round1(rssBefore / MB),
          peakRssMb: round1(peakRssBytes() / MB),
          heapUsedAfterMb: round1(process.memoryUsage().heapUsed / MB),
          gc: gcDuring,
        },
      };
    },
    async parseFloor() {
      const bytes = client.stats.bodyCharacters;
      // A few targets listed again after the poll, their pages rebuilt as the API sends them (the
      // same jobs, in pages of 500) and timed: decoding and parsing scale with the characters.
      const requestsBefore = client.stats.requests;
      const sample = await sampleTargets(client, input.targets);
      const pages: Buffer[] = [];
      for (const target of sample) {
        const jobs = await client.listRestoreJobs(target);
        for (let i = 0; i < Math.max(1, jobs.length); i += ITEMS_PER_PAGE) {
          const results = jobs.slice(i, i + ITEMS_PER_PAGE);
          pages.push(Buffer.from(JSON.stringify({ links: [], results, totalCount: jobs.length }), 'utf8'));
        }
      }
      const requests = client.stats.requests - requestsBefore;
      const sampleBytes = pages.reduce((sum, page) => sum + page.length, 0);
      let best = Number.POSITIVE_INFINITY;
      for (let round = 0; round < 3; round++) {
        const started = performance.now();
        const decoder = new TextDecoder();
        for (const page of pages) JSON.parse(decoder.decode(page));
        best = Math.min(best, performance.now() - started);
      }
      return {
        bytes,
        sampleBytes,
        floorMs: sampleBytes > 0 ? round1((best * bytes) / sampleBytes) : 0,
        requests,
      };
    },
    close() {
      snsMock.restore();
      sns.destroy();
      storeClient.destroy();
      leaseClient.destroy();
    },
  };
}

/**
 * Runs `warmups` polls (unmeasured: they warm the digest nonce and the JIT, as earlier invocations
 * of a warm Lambda container do), then `beforeMeasured`, then the measured poll.
 */
export async function pollOnce(
  input: PollInput,
  options: { warmups?: number; beforeMeasured?: () => Promise<void> } = {},
): Promise<PollMeasurement> {
  const session = openPollSession(input);
  try {
    for (let i = 0; i < (options.warmups ?? 0); i++) {
      const warm = await session.poll(`${input.runId}-warmup-${i + 1}`);
      if (warm.summary.targets.failed > 0) {
        throw new Error(`the warm-up poll failed for ${warm.summary.targets.failed} target(s)`);
      }
    }
    await options.beforeMeasured?.();
    const measured = await session.poll(input.runId);
    const parse =
      input.parseFloor === false
        ? { bytes: 0, sampleBytes: 0, floorMs: 0, requests: 0 }
        : await session.parseFloor();
    return { ...measured, parse };
  } finally {
    session.close();
  }
}

/** Up to 8 configured clusters (a project-wide entry's listed first) to time parsing on. */
async function sampleTargets(
  client: CloudManagerClient,
  targets: PollInput['targets'],
): Promise<Array<{ projectId: string; clusterId: string }>> {
  const explicit = targets.flatMap((t) =>
    t.clusterId ? [{ projectId: t.projectId, clusterId: t.clusterId }] : [],
  );
  if (explicit.length > 0) {
    const step = Math.max(1, Math.floor(explicit.length / 8));
    return explicit.filter((_, i) => i % step === 0).slice(0, 8);
  }
  const project = targets[0]?.projectId;
  if (!project) return [];
  const clusters = await client.listClusters(project);
  return clusters.slice(0, 8).map((cluster) => ({ projectId: project, clusterId: cluster.id }));
}

/**
 * The highest RSS of this process so far, warm-up polls included: `VmHWM` of /proc/self/status on
 * Linux. Not `process.resourceUsage().maxRSS`: Linux carries the parent's high-water mark into a
 * forked child across exec, so a poll process forked from the benchmark (which holds the simulator's
 * jobs and dynalite's items) would report the benchmark's RSS, not its own.
 */
function peakRssBytes(): number {
  try {
    const kib = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib !== undefined) return Number(kib) * 1024;
  } catch {
    // Not Linux: fall back to maxRSS (KiB), which elsewhere is this process's own.
  }
  return process.resourceUsage().maxRSS * 1024;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
