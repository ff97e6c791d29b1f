/**
 * The `report` scenario: `restore-watch report` over a long trail (issue 12: 100,000 audit events
 * over 400 days, a report for the last 90), against a lower bound measured in the same run on the
 * same table: reading only that period's items, i.e. the same key-range Queries sent raw through a
 * DocumentClient (plus the one Query that lists the targets), with nothing done to what comes back.
 * The report does those reads and then maps, reconstructs, computes and renders; the ratio says what
 * all that costs on top of the reading no implementation can avoid.
 *
 * Both run in this process against dynalite behind the counting proxy, in turns, `runs` times each
 * (medians reported): a shared machine's noise hits both the same way. dynalite serves the Queries
 * on this process's thread, so its time is in both measurements, as DynamoDB's would be.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ensureTable } from '../functions/adapters/dynamo/create-table.ts';
import { DynamoStateStore } from '../functions/adapters/dynamo/dynamo-state-store.ts';
import { startEmbeddedDynamo } from '../functions/adapters/dynamo/embedded-dynalite.ts';
import {
  jobsByRequestPartition,
  TARGETS_PARTITION,
  targetPartition,
} from '../functions/adapters/dynamo/table-items.ts';
import { loadChartScripts } from '../functions/cli/report/chart-libraries.ts';
import { renderHtml } from '../functions/cli/report/render-html.ts';
import { buildRestoreReport } from '../functions/core/report/build-report.ts';
import { readRestoreReport } from '../functions/core/report/read-report.ts';
import { renderText } from '../functions/core/report/render-text.ts';
import { TABLE_SCHEMA } from '../functions/core/table-schema.ts';
import type { TargetState } from '../functions/core/types.ts';
import { median } from './bundle.ts';
import { startCountingProxy } from './counting-proxy.ts';
import { generateTrail, type TrailSpec } from './report-trail.ts';

const DAY_MS = 86_400_000;

export interface ReportBenchSizes {
  trail: Omit<TrailSpec, 'endMs'>;
  periodDays: number;
  runs: number;
}

export const REPORT_FULL: ReportBenchSizes = {
  trail: { targets: 10, days: 400, events: 100_000 },
  periodDays: 90,
  runs: 5,
};
export const REPORT_QUICK: ReportBenchSizes = {
  trail: { targets: 4, days: 400, events: 8_000 },
  periodDays: 90,
  runs: 2,
};

export interface ReportRecord {
  scenario: 'report';
  title: string;
  trail: {
    targets: number;
    days: number;
    events: number;
    restores: number;
    jobStates: number;
    tableItems: number;
  };
  periodDays: number;
  /** Items of the period, which both the report and the bound read. */
  periodItems: { events: number; jobStates: number; targets: number };
  /** Median wall of the report: read, build, render text. */
  wallMs: number;
  wallRuns: number[];
  bound: { ms: number; runs: number[]; what: string };
  ratio: number;
  /** DynamoDB requests on the wire (proxy) of one report, and of one bound read. */
  dynamodb: {
    report: { total: number; byOperation: Record<string, number> };
    bound: { total: number; byOperation: Record<string, number> };
    /** The store's own count of the report's requests: must equal the proxy's. */
    consistent: boolean;
  };
  /** Restores the report found requested in the period. */
  restoresReported: number;
  /**
   * One more report, timed by step (same code path as `readRestoreReport`, split): how much of the
   * wall is reading, and how much is the report's own work.
   */
  breakdown: {
    readMs: number;
    buildMs: number;
    renderTextMs: number;
    renderHtmlMs: number;
    htmlBytes: number;
  };
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/** The bound: exactly the period's key ranges, read and dropped. */
async function readPeriodRaw(
  doc: DynamoDBDocumentClient,
  tableName: string,
  period: { since: string; until: string },
): Promise<{ events: number; jobStates: number; targets: number }> {
  const index = TABLE_SCHEMA.indexes.byTarget;
  const count = async (input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> => {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({ ...input, TableName: tableName, ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  };
  const targets = await count({
    IndexName: index.name,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': index.partitionKey },
    ExpressionAttributeValues: { ':pk': TARGETS_PARTITION },
  });
  let events = 0;
  let jobStates = 0;
  for (const target of targets as unknown as TargetState[]) {
    const range = (partition: string): Omit<QueryCommandInput, 'TableName'> => ({
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :since AND :until',
      ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
      ExpressionAttributeValues: { ':pk': partition, ':since': period.since, ':until': period.until },
    });
    const [e, j] = await Promise.all([
      count(range(targetPartition(target))),
      count(range(jobsByRequestPartition(target))),
    ]);
    events += e.length;
    jobStates += j.length;
  }
  return { events, jobStates, targets: targets.length };
}

async function timeSteps(
  store: DynamoStateStore,
  period: { since: string; until: string },
): Promise<ReportRecord['breakdown']> {
  const round = (ms: number) => Math.round(ms * 10) / 10;
  let started = performance.now();
  const targets = (await store.listTargetStates()).sort((a, b) => a.name.localeCompare(b.name));
  const periods = [];
  for (const target of targets) periods.push({ target, ...(await store.readPeriod(target, period)) });
  const readMs = performance.now() - started;
  started = performance.now();
  const report = buildRestoreReport({ period, generatedAt: period.until, targets: periods });
  const buildMs = performance.now() - started;
  started = performance.now();
  renderText(report);
  const renderTextMs = performance.now() - started;
  const charts = await loadChartScripts();
  started = performance.now();
  const html = renderHtml(report, charts);
  const renderHtmlMs = performance.now() - started;
  return {
    readMs: round(readMs),
    buildMs: round(buildMs),
    renderTextMs: round(renderTextMs),
    renderHtmlMs: round(renderHtmlMs),
    htmlBytes: Buffer.byteLength(html),
  };
}

export async function measureReport(sizes: ReportBenchSizes): Promise<ReportRecord> {
  const dynamo = await startEmbeddedDynamo({});
  const tableName = `bench-report-${randomUUID()}`;
  await ensureTable(dynamo.client, tableName, { pollIntervalMs: 5 });
  const proxy = await startCountingProxy(dynamo.endpoint);
  const proxied = clientFor(proxy.endpoint);
  try {
    const endMs = Math.floor(Date.now() / 300_000) * 300_000;
    const seeded = performance.now();
    const trail = generateTrail({ ...sizes.trail, endMs });
    // Loaded directly, not through the proxy: setup is not part of the report.
    const loader = new DynamoStateStore({ client: dynamo.client, tableName });
    await loader.saveTargetStates(trail.targets);
    for (let i = 0; i < trail.events.length; i += 5_000)
      await loader.recordEvents(trail.events.slice(i, i + 5_000));
    for (const target of trail.targets) {
      await loader.saveJobStates(
        target,
        trail.jobs.filter((job) => job.target.clusterId === target.clusterId).map((job) => job.state),
      );
    }
    const tableItems = trail.targets.length + trail.events.length + trail.jobs.length;
    log(
      `report: loaded ${trail.events.length} events, ${trail.jobs.length} job states of ${trail.targets.length} targets over ${sizes.trail.days} days (${Math.round(performance.now() - seeded)} ms)`,
    );

    const period = {
      since: new Date(endMs - sizes.periodDays * DAY_MS).toISOString(),
      until: new Date(endMs).toISOString(),
    };
    const doc = DynamoDBDocumentClient.from(proxied);
    const boundRuns: number[] = [];
    const reportRuns: number[] = [];
    let periodItems = { events: 0, jobStates: 0, targets: 0 };
    let boundCounts = { total: 0, byOperation: {} as Record<string, number> };
    let reportCounts = { total: 0, byOperation: {} as Record<string, number> };
    let consistent = true;
    let restoresReported = 0;
    const measureBound = async () => {
      proxy.reset();
      const started = performance.now();
      periodItems = await readPeriodRaw(doc, tableName, period);
      const ms = performance.now() - started;
      boundCounts = { total: proxy.counts().total, byOperation: proxy.counts().byOperation };
      return ms;
    };
    const measureReport = async () => {
      proxy.reset();
      const store = new DynamoStateStore({ client: proxied, tableName });
      const started = performance.now();
      const targets = (await store.listTargetStates()).sort((a, b) => a.name.localeCompare(b.name));
      const report = await readRestoreReport(store, { period, generatedAt: period.until, targets });
      const text = renderText(report);
      const ms = performance.now() - started;
      reportCounts = { total: proxy.counts().total, byOperation: proxy.counts().byOperation };
      consistent =
        consistent &&
        Object.entries(store.stats.requests).every(
          ([operation, n]) => reportCounts.byOperation[operation] === n,
        ) &&
        Object.values(store.stats.requests).reduce((sum, n) => sum + n, 0) === reportCounts.total;
      restoresReported = report.overall.restores.requested;
      if (text.length === 0) throw new Error('the report rendered nothing');
      return ms;
    };
    // One unmeasured round first (JIT and dynalite's caches warm for both), then the two in turns,
    // each going first every other run, so that neither always inherits the other's garbage.
    for (let run = 0; run <= sizes.runs; run++) {
      let boundMs: number;
      let reportMs: number;
      if (run % 2 === 0) {
        boundMs = await measureBound();
        reportMs = await measureReport();
      } else {
        reportMs = await measureReport();
        boundMs = await measureBound();
      }
      if (run > 0) {
        boundRuns.push(Math.round(boundMs * 10) / 10);
        reportRuns.push(Math.round(reportMs * 10) / 10);
      }
      log(
        `report: run ${run}${run === 0 ? ' (warm-up)' : ''}: report ${Math.round(reportMs)} ms, bound ${Math.round(boundMs)} ms`,
      );
    }
    const breakdown = await timeSteps(new DynamoStateStore({ client: proxied, tableName }), period);
    log(
      `report: read ${breakdown.readMs} ms, build ${breakdown.buildMs} ms, text ${breakdown.renderTextMs} ms, html ${breakdown.renderHtmlMs} ms`,
    );
    const wallMs = median(reportRuns);
    const boundMs = median(boundRuns);
    return {
      scenario: 'report',
      title: `report for ${sizes.periodDays} days of a ${sizes.trail.days}-day trail`,
      trail: {
        targets: trail.targets.length,
        days: sizes.trail.days,
        events: trail.events.length,
        restores: trail.restores,
        jobStates: trail.jobs.length,
        tableItems,
      },
      periodDays: sizes.periodDays,
      periodItems,
      wallMs: Math.round(wallMs * 10) / 10,
      wallRuns: reportRuns,
      bound: {
        ms: Math.round(boundMs * 10) / 10,
        runs: boundRuns,
        what: "the same key-range Queries (targets, then each target's events and job states of the period), raw through a DocumentClient, results dropped",
      },
      ratio: Math.round((wallMs / boundMs) * 100) / 100,
      dynamodb: { report: reportCounts, bound: boundCounts, consistent },
      restoresReported,
      breakdown,
    };
  } finally {
    proxied.destroy();
    await proxy.stop();
    await dynamo.stop();
  }
}
