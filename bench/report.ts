/**
 * The benchmark's verdicts and its table: each target of the issue checked against one measured
 * poll (or the cold start), with the margin, and one plain-text table of every scenario.
 */
import type { ReportRecord } from './report-bench.ts';
import type { PollRecord, ShardsRecord } from './scenarios.ts';

export interface ColdStart {
  entry: string;
  /** Bundle as the stack builds it (AWS SDK bundled: `bundleAwsSdk` defaults to true). */
  bundleBytes: number;
  /** The same with `@aws-sdk/*` external (`bundleAwsSdk: false`: the runtime's SDK is used). */
  bundleBytesExternalSdk: number;
  importMsMedian: number;
  importMsRuns: number[];
  /** Spawn to exit, Node's own start-up included. */
  processMsMedian: number;
  importMsMedianExternalSdk: number;
  largest: Array<{ module: string; bytes: number }>;
}

export interface TargetCheck {
  scenario: string;
  target: string;
  actual: string;
  met: boolean;
  /** How far inside (or outside) the limit, in words. */
  margin: string;
}

/** 1 MB as Lambda quotes package sizes (MiB). */
export const BUNDLE_LIMIT_BYTES = 1024 * 1024;
export const IMPORT_LIMIT_MS = 150;
export const RATIO_LIMIT = 1.5;
/** Issue 13: the long history under 256 MB with the heap limits of the function's memory setting. */
export const RSS_LIMIT_MB = 256;
/** A period of the default schedule; "well inside" it: half. */
export const PERIOD_MS = 5 * 60_000;
export const SLOW_WALL_LIMIT_MS = PERIOD_MS / 2;
/** Each of N shards polled at once should take about 1/N of the whole fleet's wall: at most 1.5/N. */
export const SHARD_SHARE_SLACK = 1.5;

const BINDING_LABEL: Readonly<Record<PollRecord['bound']['binding'], string>> = {
  network: 'network',
  chain: 'chain',
  'rate-limit': 'rate',
  parse: 'parse',
};

function overUnder(actual: number, limit: number, unit = ''): string {
  const diff = actual - limit;
  const pct = limit === 0 ? 0 : Math.round((Math.abs(diff) / limit) * 100);
  const amount = `${round(Math.abs(diff))}${unit}`;
  return diff <= 0 ? `${amount} (${pct}%) inside` : `${amount} (${pct}%) over`;
}

function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
}

function ratioCheck(record: PollRecord): TargetCheck {
  return {
    scenario: record.scenario,
    target: `wall ≤ ${RATIO_LIMIT} × lower bound`,
    actual: `${record.wallMs} ms ÷ ${record.bound.ms} ms = ${record.ratio}`,
    met: record.ratio <= RATIO_LIMIT,
    margin: overUnder(record.ratio, RATIO_LIMIT, '×'),
  };
}

export function checkPoll(record: PollRecord): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const scenario = record.scenario;
  const ddb = record.dynamodb;
  if (scenario === 'steady') {
    checks.push(ratioCheck(record));
    const apiRequests = record.http.requests - record.http.challenges;
    checks.push({
      scenario,
      target: 'HTTP requests = pages + at most one challenge per credential',
      actual: `${record.http.requests} = ${apiRequests} pages (${record.bound.pages} needed) + ${record.http.challenges} challenge`,
      met: apiRequests === record.bound.pages && record.http.challenges <= 1,
      margin:
        apiRequests === record.bound.pages ? 'exact' : `${apiRequests - record.bound.pages} extra request(s)`,
    });
    const allowed = record.fleet.targets / 10;
    checks.push({
      scenario,
      target: 'DynamoDB ≤ 1 request per 10 targets',
      actual: `${ddb.total} requests for ${record.fleet.targets} targets (${round(ddb.total / record.fleet.targets)} per target)`,
      met: ddb.total <= allowed,
      margin: overUnder(ddb.total, allowed, ' requests'),
    });
    const jobWrites = (ddb.writtenItems.job ?? 0) + (ddb.writtenItems.event ?? 0);
    checks.push({
      scenario,
      target: 'no DynamoDB writes for unchanged jobs',
      actual: `${ddb.writtenItems.job ?? 0} job items, ${ddb.writtenItems.event ?? 0} events written (${ddb.writtenItems.target ?? 0} target items: bookkeeping)`,
      met: jobWrites === 0,
      margin: jobWrites === 0 ? 'none written' : `${jobWrites} written`,
    });
    checks.push({
      scenario,
      target: 'zero SNS calls',
      actual: `${record.sns.calls}`,
      met: record.sns.calls === 0,
      margin: record.sns.calls === 0 ? 'exact' : `${record.sns.calls} calls`,
    });
  }
  if (scenario === 'storm') {
    const allowed = Math.ceil(record.sns.messages / 10);
    checks.push({
      scenario,
      target: 'SNS calls ≤ ceil(messages ÷ 10)',
      actual: `${record.sns.calls} calls for ${record.sns.messages} messages (${record.sns.events} events)`,
      met: record.sns.calls <= allowed && record.sns.messages > 0,
      margin: overUnder(record.sns.calls, allowed, ' calls'),
    });
    const store = record.dynamodb.storeByOperation;
    const singlePuts = (store.PutItem ?? 0) + (store.DeleteItem ?? 0);
    const written =
      (ddb.writtenItems.job ?? 0) + (ddb.writtenItems.event ?? 0) + (ddb.writtenItems.target ?? 0);
    checks.push({
      scenario,
      target: 'DynamoDB writes batched where the API allows',
      actual: `${written} items put in ${store.BatchWriteItem ?? 0} BatchWriteItem, ${singlePuts} single puts; ${store.UpdateItem ?? 0} UpdateItem`,
      met: singlePuts === 0,
      margin: `${round(written / Math.max(1, store.BatchWriteItem ?? 0))} items per batch (25 max)`,
    });
  }
  if (scenario === 'long-history') {
    checks.push({
      scenario,
      target: `peak RSS < ${RSS_LIMIT_MB} MB`,
      actual: `${record.memory.peakRssMb} MB`,
      met: record.memory.peakRssMb < RSS_LIMIT_MB,
      margin: overUnder(record.memory.peakRssMb, RSS_LIMIT_MB, ' MB'),
    });
    checks.push(ratioCheck(record));
  }
  return checks;
}

/** `fleet-latency`: the slow poll against the 0 ms poll of the same fleet, and against the period. */
export function checkFleetLatency(records: readonly PollRecord[]): TargetCheck[] {
  const fast = records.find((r) => r.scenario === 'fleet-latency-0ms');
  const slow = records.find((r) => r.scenario === 'fleet-latency-slow');
  if (!fast || !slow) return [];
  const ratio = Math.round((slow.wallMs / fast.wallMs) * 100) / 100;
  return [
    {
      scenario: 'fleet-latency',
      target: `wall(${slow.latencyMs} ms) ÷ wall(0 ms) ≤ ${RATIO_LIMIT} (latency hidden)`,
      actual: `${slow.wallMs} ms ÷ ${fast.wallMs} ms = ${ratio}`,
      met: ratio <= RATIO_LIMIT,
      margin: overUnder(ratio, RATIO_LIMIT, '×'),
    },
    {
      scenario: 'fleet-latency',
      target: `wall(${slow.latencyMs} ms) well inside one 5-minute period (≤ ${SLOW_WALL_LIMIT_MS / 1000} s)`,
      actual: `${Math.round(slow.wallMs / 100) / 10} s for ${slow.fleet.targets} targets`,
      met: slow.wallMs <= SLOW_WALL_LIMIT_MS,
      margin: overUnder(slow.wallMs / 1000, SLOW_WALL_LIMIT_MS / 1000, ' s'),
    },
    {
      scenario: 'fleet-latency',
      target: 'every target polled, none failed or skipped, no 429',
      actual: `${slow.summary.targets.ok} of ${slow.fleet.targets} ok; ${slow.client.rateLimited} × 429`,
      met:
        slow.summary.targets.ok === slow.fleet.targets &&
        fast.summary.targets.ok === fast.fleet.targets &&
        slow.client.rateLimited + fast.client.rateLimited === 0,
      margin: 'exact',
    },
  ];
}

/** `shards`: every target once over the shards, no 429, each shard about 1/N of the whole fleet's wall. */
export function checkShards(shards: ShardsRecord, records: readonly PollRecord[]): TargetCheck[] {
  const whole = records.find((r) => r.scenario === 'fleet-latency-slow');
  const limit = SHARD_SHARE_SLACK / shards.shards;
  const tooMany = shards.perShard.reduce((sum, r) => sum + r.rateLimited, 0) + shards.http.rateLimited;
  const checks: TargetCheck[] = [
    {
      scenario: 'shards',
      target: 'every target polled exactly once over the shards',
      actual: `${shards.listings.once} of ${shards.listings.clusters} clusters listed once (${shards.listings.more} more than once, ${shards.listings.never} never); ${shards.perShard.map((r) => r.targets.ok).join(' + ')} targets ok`,
      met:
        shards.listings.once === shards.listings.clusters &&
        shards.perShard.reduce((sum, r) => sum + r.targets.ok, 0) === shards.listings.clusters,
      margin: 'exact',
    },
    {
      scenario: 'shards',
      target: 'no 429 (Cloud Manager’s per-project limit on), every shard held its own lease',
      actual: `${tooMany} × 429; leases ${shards.perShard.map((r) => r.lease).join(', ')}`,
      met: tooMany === 0 && shards.perShard.every((r) => r.lease === 'acquired'),
      margin: 'exact',
    },
  ];
  if (whole) {
    // The work each shard does, whatever the machine: its CPU against the whole fleet's.
    const cpuShare =
      Math.round((Math.max(...shards.perShard.map((r) => r.pollCpuMs)) / whole.pollCpuMs) * 100) / 100;
    checks.push({
      scenario: 'shards',
      target: `each shard's CPU ≈ 1/${shards.shards} of the whole fleet's (largest ≤ ${Math.round(limit * 100) / 100})`,
      actual: `largest ${Math.max(...shards.perShard.map((r) => r.pollCpuMs))} ms ÷ ${whole.pollCpuMs} ms = ${cpuShare}`,
      met: cpuShare <= limit,
      margin: overUnder(cpuShare, limit),
    });
    const share = Math.round((shards.wallMs / whole.wallMs) * 100) / 100;
    checks.push({
      scenario: 'shards',
      target: `each shard's wall ≈ 1/${shards.shards} of the whole fleet's (slowest ≤ ${Math.round(limit * 100) / 100})`,
      actual: `slowest ${shards.wallMs} ms ÷ ${whole.wallMs} ms = ${share} (shards: ${shards.perShard.map((r) => Math.round(r.wallMs)).join(', ')} ms)`,
      met: share <= limit,
      margin: overUnder(share, limit),
    });
  }
  return checks;
}

export function formatShards(shards: ShardsRecord): string {
  const lines = [
    markdownRow([
      'shard',
      'targets ok',
      'conc',
      'lat ms',
      'wall ms',
      'pages',
      '429',
      'limiter waits',
      'poll CPU ms',
      'peak RSS MB',
    ]),
    markdownRow(['---', '---', '---', '---', '---', '---', '---', '---', '---', '---']),
  ];
  for (const run of shards.perShard) {
    lines.push(
      markdownRow([
        run.shard,
        String(run.targets.ok),
        String(shards.concurrency),
        String(shards.latencyMs),
        String(Math.round(run.wallMs)),
        String(run.pages),
        String(run.rateLimited),
        String(run.limiterWaits),
        String(run.pollCpuMs),
        run.peakRssMb.toFixed(1),
      ]),
    );
  }
  lines.push(
    '',
    `Over the ${shards.shards} shards: ${shards.http.requests} HTTP requests (${shards.http.challenges} challenges, ${shards.http.rateLimited} × 429), DynamoDB ${shards.dynamodb.total}: ${formatOperations(shards.dynamodb.byOperation)}; peer CPU ${shards.peerCpuMs} ms.`,
  );
  return lines.join('\n');
}

/**
 * The report scenario: its wall against reading only the period's items, and on the wire exactly the
 * bound's Queries (no Scan, nothing outside the period).
 */
export function checkReport(record: ReportRecord): TargetCheck[] {
  const scans = record.dynamodb.report.byOperation.Scan ?? 0;
  return [
    {
      scenario: 'report',
      target: `wall ≤ ${RATIO_LIMIT} × reading only the period's items`,
      actual: `${record.wallMs} ms ÷ ${record.bound.ms} ms = ${record.ratio}`,
      met: record.ratio <= RATIO_LIMIT,
      margin: overUnder(record.ratio, RATIO_LIMIT, '×'),
    },
    {
      scenario: 'report',
      target: "DynamoDB: the bound's Queries and nothing else (no Scan)",
      actual: `${record.dynamodb.report.total} requests (${formatOperations(record.dynamodb.report.byOperation)}) vs the bound's ${record.dynamodb.bound.total}; ${scans} Scan`,
      met: scans === 0 && record.dynamodb.report.total === record.dynamodb.bound.total,
      margin: `${record.periodItems.events + record.periodItems.jobStates} of ${record.trail.tableItems} items read`,
    },
  ];
}

export function formatReportTable(record: ReportRecord): string {
  const header = [
    'scenario',
    'trail',
    'period',
    'items read',
    'wall ms',
    'bound ms',
    'wall/bound',
    'DynamoDB requests (report / bound)',
    'read / build / text / html ms',
    'restores',
  ];
  const row = [
    record.scenario,
    `${record.trail.events} events + ${record.trail.jobStates} jobs, ${record.trail.targets} targets, ${record.trail.days} d`,
    `${record.periodDays} d`,
    `${record.periodItems.events} events + ${record.periodItems.jobStates} jobs`,
    String(Math.round(record.wallMs)),
    String(Math.round(record.bound.ms)),
    record.ratio.toFixed(2),
    `${record.dynamodb.report.total}: ${formatOperations(record.dynamodb.report.byOperation)} / ${record.dynamodb.bound.total}`,
    [
      record.breakdown.readMs,
      record.breakdown.buildMs,
      record.breakdown.renderTextMs,
      record.breakdown.renderHtmlMs,
    ]
      .map((ms) => String(Math.round(ms)))
      .join(' / '),
    String(record.restoresReported),
  ];
  return [markdownRow(header), markdownRow(header.map(() => '---')), markdownRow(row)].join('\n');
}

export function checkColdStart(cold: ColdStart): TargetCheck[] {
  return [
    {
      scenario: 'cold-start',
      target: 'bundle < 1 MB (1 MiB)',
      actual: `${cold.bundleBytes} bytes (${kib(cold.bundleBytes)} KiB); ${kib(cold.bundleBytesExternalSdk)} KiB with the runtime's AWS SDK`,
      met: cold.bundleBytes < BUNDLE_LIMIT_BYTES,
      margin: overUnder(cold.bundleBytes / 1024, BUNDLE_LIMIT_BYTES / 1024, ' KiB'),
    },
    {
      scenario: 'cold-start',
      target: `import < ${IMPORT_LIMIT_MS} ms (median of ${cold.importMsRuns.length})`,
      actual: `${cold.importMsMedian} ms (process start to exit ${cold.processMsMedian} ms)`,
      met: cold.importMsMedian < IMPORT_LIMIT_MS,
      margin: overUnder(cold.importMsMedian, IMPORT_LIMIT_MS, ' ms'),
    },
  ];
}

function kib(bytes: number): number {
  return Math.round(bytes / 1024);
}

const OPERATION_SHORT: Record<string, string> = {
  BatchGetItem: 'BG',
  BatchWriteItem: 'BW',
  Query: 'Q',
  PutItem: 'P',
  UpdateItem: 'U',
  DeleteItem: 'D',
  GetItem: 'G',
};

export function formatOperations(byOperation: Record<string, number>): string {
  return Object.entries(byOperation)
    .sort((a, b) => b[1] - a[1])
    .map(([operation, count]) => `${OPERATION_SHORT[operation] ?? operation} ${count}`)
    .join(' ');
}

export function formatTable(records: readonly PollRecord[], cold: ColdStart | undefined): string {
  const header = [
    'scenario',
    'targets×jobs',
    'conc',
    'lat ms',
    'wall ms',
    'bound ms',
    'wall/bound',
    'pages',
    'HTTP (chall.)',
    'DynamoDB requests by operation',
    'SNS calls/msgs',
    'peak RSS MB',
    'poll CPU ms',
    'peer CPU ms',
    'DDB busy ms',
  ];
  const rows = records.map((r) => [
    r.scenario,
    `${r.fleet.targets}×${r.fleet.jobsPerTarget}`,
    String(r.concurrency),
    String(r.latencyMs),
    String(Math.round(r.wallMs)),
    String(Math.round(r.bound.ms)) +
      (r.bound.binding === 'network' ? '' : ` (${BINDING_LABEL[r.bound.binding]})`),
    r.ratio.toFixed(2),
    String(r.pages),
    `${r.http.requests} (${r.http.challenges})`,
    `${r.dynamodb.total}: ${formatOperations(r.dynamodb.byOperation)}`,
    `${r.sns.calls}/${r.sns.messages}`,
    r.memory.peakRssMb.toFixed(1),
    String(r.pollCpuMs),
    String(r.peerCpuMs),
    String(Math.round(r.dynamodb.busyMs)),
  ]);
  const lines = [markdownRow(header), markdownRow(header.map(() => '---')), ...rows.map(markdownRow)];
  if (cold) {
    lines.push(
      '',
      markdownRow([
        'cold start',
        'entry',
        'bundle bytes',
        'bundle (SDK external)',
        'import ms (median)',
        'process ms (median)',
      ]),
      markdownRow(['---', '---', '---', '---', '---', '---']),
      markdownRow([
        'cold-start',
        cold.entry,
        String(cold.bundleBytes),
        String(cold.bundleBytesExternalSdk),
        String(cold.importMsMedian),
        String(cold.processMsMedian),
      ]),
    );
  }
  return lines.join('\n');
}

export function formatChecks(checks: readonly TargetCheck[]): string {
  const lines = [
    markdownRow(['scenario', 'target', 'measured', 'met', 'margin']),
    markdownRow(['---', '---', '---', '---', '---']),
  ];
  for (const check of checks) {
    lines.push(
      markdownRow([check.scenario, check.target, check.actual, check.met ? 'yes' : 'NO', check.margin]),
    );
  }
  return lines.join('\n');
}

function markdownRow(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}
