/**
 * `restore-watch demo`: the whole product with nothing to set up. A Cloud Manager simulator on
 * loopback moves restore jobs through their life cycle, an in-memory DynamoDB keeps state and audit,
 * and every alert is rendered in the terminal as email and Slack would show it. A virtual clock jumps
 * forward between steps so expiry warnings and a stuck job appear in seconds, not hours. Incidents
 * open and resolve along the way (a stuck restore, a key that lost access), and a silence keeps a DR
 * drill quiet.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConsolePublisher } from '../../adapters/console/console-publisher.ts';
import { ensureTable } from '../../adapters/dynamo/create-table.ts';
import { DynamoStateStore } from '../../adapters/dynamo/dynamo-state-store.ts';
import { startEmbeddedDynamo } from '../../adapters/dynamo/embedded-dynalite.ts';
import { consoleBaseUrlFor } from '../../core/alerts/console-links.ts';
import { parseConfig } from '../../core/config.ts';
import { runPoll } from '../../core/poll.ts';
import { readRestoreReport } from '../../core/report/read-report.ts';
import { createPollDependencies } from '../../runtime/dependencies.ts';
import { CloudManagerSimulator } from '../../simulator/cloud-manager-simulator.ts';
import { createConsoleLogger } from '../console-logger.ts';
import type { CliIo } from '../context.ts';
import { describeSummary, shortTime, table } from '../render.ts';
import { loadChartScripts } from '../report/chart-libraries.ts';
import { renderHtml } from '../report/render-html.ts';
import { incidentsTable } from './incidents.ts';

const PROJECT = '5f1a2b3c4d5e6f7081920a1b';
const MINUTE = 60_000;
/** Where the demo leaves its HTML report, in the folder it was started from. */
export const DEMO_REPORT_FILE = 'restore-watch-demo-report.html';

export async function demoCommand(options: { fast: boolean }, io: CliIo): Promise<number> {
  let virtualNow = io.now().getTime();
  const startedAt = virtualNow;
  const now = () => new Date(virtualNow);
  const advance = (minutes: number) => {
    virtualNow += minutes * MINUTE;
  };
  const apiKey = { publicKey: 'demo-public-key', privateKey: crypto.randomUUID() };
  const sim = new CloudManagerSimulator({ apiKeys: [apiKey], now });
  await sim.start();
  const dynamo = await startEmbeddedDynamo({});
  try {
    await ensureTable(dynamo.client, 'restore-watch-demo');
    const orders = sim.addCluster({
      projectId: PROJECT,
      clusterName: 'orders-prod',
      typeName: 'REPLICA_SET',
    });
    const payments = sim.addCluster({
      projectId: PROJECT,
      clusterName: 'payments',
      typeName: 'SHARDED_REPLICA_SET',
    });
    // Yesterday's restore: downloadable, link expires in 50 minutes and nobody has fetched it.
    const forgotten = sim.addRestoreJob(PROJECT, orders.id, {
      created: new Date(virtualNow - 3 * 60 * MINUTE).toISOString(),
    });
    sim.finishJob(forgotten.id, { expirationHours: 1 });
    sim.updateRestoreJob(forgotten.id, (job) => ({
      ...job,
      delivery: { ...job.delivery, expires: new Date(virtualNow + 50 * MINUTE).toISOString() },
    }));
    const config = parseConfig(
      {
        cloudManager: { baseUrl: sim.baseUrl },
        targets: [
          { projectId: PROJECT, clusterId: orders.id, name: 'orders-prod' },
          { projectId: PROJECT, clusterId: payments.id, name: 'payments' },
        ],
        alerts: { expiryWarningMinutes: [60, 15], stuckAfterMinutes: 90, failingAfterPolls: 2 },
      },
      'demo configuration',
    );
    const runtime = createPollDependencies({
      config,
      credentials: { kind: 'apiKey', ...apiKey },
      tableName: 'restore-watch-demo',
      dynamoClient: dynamo.client,
      logger: createConsoleLogger('error', io.stderr),
      alerts: { kind: 'console', write: io.stdout, format: 'both', color: io.isTTY },
      now,
    });
    // The first alert is shown as both email and Slack render it; later ones in the compact Slack form.
    const full = runtime.publisher;
    const compact = new ConsolePublisher({
      write: io.stdout,
      consoleBaseUrl: consoleBaseUrlFor(sim.baseUrl),
      includeDownloadUrl: false,
      format: 'slack',
      color: io.isTTY,
    });
    let shownFull = false;
    runtime.publisher = {
      publish: (groups, context) => {
        const publisher = shownFull ? compact : full;
        shownFull = shownFull || groups.length > 0;
        return publisher.publish(groups, context);
      },
    };
    let run = 0;
    const step = async (title: string, change: () => void) => {
      change();
      run++;
      io.stdout(`\n=== Step ${run} · ${shortTime(now().toISOString())} · ${title}\n`);
      const summary = await runPoll(runtime, { config, runId: `demo-run-${run}` });
      io.stdout(`--- ${describeSummary(summary)}`);
      if (!options.fast) await sleep(1_500, undefined, { signal: io.interrupted }).catch(() => undefined);
    };

    io.stdout(
      'restore-watch demo: a simulated Cloud Manager project with two clusters, polled by the real monitor.\n' +
        'Alerts are rendered as the subscribers of the SNS topic would see them: the first as email and Slack,\n' +
        'the rest as Slack cards. A virtual clock jumps ahead between steps.\n',
    );
    await step(
      'First poll: existing jobs become the baseline (no storm), but the unfetched link expiring within 60 min is news',
      () => {},
    );
    let orderRestore = '';
    let stuckRestore = '';
    await step('Someone requests two restores of orders-prod', () => {
      orderRestore = sim.addRestoreJob(PROJECT, orders.id).id;
      stuckRestore = sim.addRestoreJob(PROJECT, orders.id).id; // stays IN_PROGRESS: stuck later
    });
    await step(
      '40 minutes later: one restore finished and is downloadable; the old link is now inside 15 minutes',
      () => {
        advance(40);
        sim.finishJob(orderRestore, { expirationHours: 4, maxDownloads: 1 });
      },
    );
    let batch: string[] = [];
    await step('A sharded restore of payments starts: one job per shard plus the config server', () => {
      batch = sim.createBatch(PROJECT, payments.id, 3).map((job) => job.id);
    });
    const store = new DynamoStateStore({ client: dynamo.client, tableName: 'restore-watch-demo' });
    await step(
      '30 minutes later: two shards finished, the config server broke (an incident opens); the old link ran out (its incident resolves)',
      () => {
        advance(30);
        const [first, second, third] = batch;
        if (first) sim.finishJob(first, { expirationHours: 6 });
        if (second) sim.finishJob(second, { expirationHours: 6 });
        if (third) sim.breakJob(third);
      },
    );
    await step('The API key loses access to the project (someone rotated it): an incident opens', () => {
      sim.revokeAccess(PROJECT, 401);
    });
    await step('Access restored: TARGET_RECOVERED resolves the incident (PagerDuty would close it)', () => {
      sim.restoreAccess(PROJECT);
    });
    const drill = `s-${PROJECT.slice(-8)}`;
    io.stdout(
      `\n$ restore-watch silence add --target payments --for 2h --reason "DR drill: restores expected to fail"\n` +
        `Silence ${drill} added: payments until ${shortTime(new Date(virtualNow + 120 * MINUTE).toISOString())}.\n`,
    );
    await store.saveSilence({
      silenceId: drill,
      matcher: { projectId: PROJECT, clusterId: payments.id },
      target: 'payments',
      startsAt: now().toISOString(),
      endsAt: new Date(virtualNow + 120 * MINUTE).toISOString(),
      createdAt: now().toISOString(),
      createdBy: 'demo',
      reason: 'DR drill: restores expected to fail',
    });
    await step(
      'During the silenced DR drill a payments restore breaks: recorded as silenced, sent nowhere',
      () => {
        sim.breakJob(sim.addRestoreJob(PROJECT, payments.id).id);
      },
    );
    await step(
      'An hour later: the old link is reported EXPIRED, never downloaded; the second restore is stuck: an incident opens',
      () => {
        advance(60);
        sim.expireDelivery(forgotten.id);
        sim.markDownloaded(orderRestore);
      },
    );
    io.stdout('\n=== What `restore-watch incidents` shows now (the on-call handover view)\n');
    const { incidents } = await store.readRunState(0);
    io.stdout(`${incidents.length > 0 ? incidentsTable(incidents) : 'No open incidents.'}\n`);
    await step('The stuck restore finally finishes: INCIDENT_RESOLVED closes its incident', () => {
      advance(10);
      sim.finishJob(stuckRestore, { expirationHours: 24 });
    });
    await step('Nothing changed since the last poll: nothing is published', () => {});

    io.stdout('\n=== What `restore-watch status` shows now\n');
    const rows: string[][] = [];
    for (const target of await store.listTargetStates()) {
      for (const job of (await store.loadJobStates(target)).values()) {
        rows.push([
          target.name,
          job.snapshot.jobId,
          job.snapshot.statusName,
          `${job.snapshot.deliveryStatus ?? '-'}${job.snapshot.downloaded ? ' (downloaded)' : ''}`,
          shortTime(job.snapshot.expires),
        ]);
      }
    }
    io.stdout(`${table(['TARGET', 'JOB', 'STATUS', 'DELIVERY', 'EXPIRES'], rows)}\n`);
    io.stdout('\n=== What `restore-watch audit` shows now (newest first)\n');
    const audit = await store.queryAudit({ limit: 100 });
    io.stdout(
      `${table(
        ['DETECTED', 'SEVERITY', 'EVENT', 'TARGET', 'SUMMARY', 'ALERT'],
        audit.map((r) => [
          shortTime(r.detectedAt),
          r.severity,
          r.action && r.action !== 'info' ? `${r.eventType} (${r.action})` : r.eventType,
          r.targetName,
          r.summary,
          r.silenced ? `silenced by ${r.silenced.silenceId}` : r.publishedAt ? 'sent' : 'owed',
        ]),
      )}\n`,
    );
    // The report of what just happened: from a day before (the oldest job was requested before the
    // demo began) to the virtual clock's end.
    const report = await readRestoreReport(store, {
      period: {
        since: new Date(startedAt - 24 * 60 * MINUTE).toISOString(),
        until: new Date(virtualNow + MINUTE).toISOString(),
      },
      generatedAt: now().toISOString(),
      targets: await store.listTargetStates(),
    });
    const reportPath = join(io.cwd, DEMO_REPORT_FILE);
    io.stdout('\n=== What `restore-watch report --format html` makes of it\n');
    try {
      await writeFile(reportPath, renderHtml(report, await loadChartScripts()));
      io.stdout(
        `${report.overall.restores.requested} restores, their outcomes, durations (as ranges: finishes are known to within a poll) and incidents,\n` +
          `with charts, in one file that needs no network: ${reportPath}\nOpen it in a browser; it prints to PDF.\n`,
      );
    } catch (error) {
      io.stdout(`Could not write the report to ${reportPath}: ${(error as Error).message}\n`);
    }
    io.stdout(
      `\nThat was ${audit.length} audit events from ${run} polls. Next: copy docs/restore-watch.config.example.json to restore-watch.config.json,\n` +
        'set CLOUD_MANAGER_PUBLIC_KEY / CLOUD_MANAGER_PRIVATE_KEY, and `npm start` polls your real clusters.\n',
    );
    return 0;
  } finally {
    await dynamo.stop();
    await sim.stop();
  }
}
