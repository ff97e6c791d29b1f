/**
 * The benchmark's verdicts and its table: each target of the issue checked against one measured
 * poll (or the cold start), with the margin, and one plain-text table of every scenario.
 */
import type { ReportRecord } from './report-bench.ts';
import type { PollRecord } from './scenarios.ts';

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
export const RSS_LIMIT_MB = 200;

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
    String(Math.round(r.bound.ms)) + (r.bound.binding === 'rate-limit' ? ' (rate)' : ''),
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
