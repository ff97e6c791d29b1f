import { ConsolePublisher } from '../../adapters/console/console-publisher.ts';
import {
  type PagerDutyEventOptions,
  redactRoutingKey,
  toPagerDutyEvent,
} from '../../adapters/pagerduty/pagerduty-event.ts';
import { consoleBaseUrlFor } from '../../core/alerts/console-links.ts';
import { ENV } from '../../core/environment.ts';
import { worstSeverity } from '../../core/event-catalogue.ts';
import { type PollPreview, previewPoll, runPoll } from '../../core/poll.ts';
import { apiBaseUrl } from '../../runtime/dependencies.ts';
import { createConsoleLogger, type LogLevel } from '../console-logger.ts';
import type { CliIo } from '../context.ts';
import { describeSummary } from '../render.ts';
import { buildPreviewRuntime, buildRuntime, newRunId, type PollSetup, validatePollInputs } from '../setup.ts';

export interface PollCommandOptions {
  config: string;
  /** `--shard i/N`: one partition of a sharded fleet (functions/core/shard.ts). */
  shard?: string;
  dryRun: boolean;
  json: boolean;
  logLevel: LogLevel;
}

/**
 * `restore-watch poll`: one run over all targets. Exit 0 when every target was polled, 1 when a
 * target failed or another run took the lease over mid-way.
 *
 * With --json, stdout carries only JSON (one document): printed alerts go to stderr, so
 * `restore-watch poll --json | jq` works when there is something to alert.
 */
export async function pollCommand(options: PollCommandOptions, io: CliIo): Promise<number> {
  const setup = await validatePollInputs(options.config, io, options.shard);
  const logger = createConsoleLogger(options.logLevel, io.stderr);
  if (options.dryRun) return dryRun(setup, options, io, logger);
  const { runtime, close } = await buildRuntime(
    setup,
    options.json ? { ...io, stdout: io.stderr } : io,
    logger,
  );
  try {
    const summary = await runPoll(runtime, runOptions(setup, io));
    io.stdout(options.json ? `${JSON.stringify(summary, null, 2)}\n` : describeSummary(summary));
    if (summary.lease === 'lost') {
      if (options.json) io.stderr(`restore-watch: ${describeSummary(summary)}`);
      return 1;
    }
    return summary.targets.failed > 0 ? 1 : 0;
  } finally {
    await close();
  }
}

/** What a live poll and a dry run are both given: the configuration, the shard, a new run id, Ctrl-C. */
function runOptions(setup: PollSetup, io: CliIo) {
  return { config: setup.config, shard: setup.shard, runId: newRunId(io.now()), signal: io.interrupted };
}

/**
 * `poll --dry-run`: the run's observation without a publisher. The alerts a live poll would send are
 * rendered with the console renderer whatever the environment says (a topic set or not): a dry run is
 * what someone types before trusting a configuration against the production topic.
 */
async function dryRun(
  setup: PollSetup,
  options: PollCommandOptions,
  io: CliIo,
  logger: ReturnType<typeof createConsoleLogger>,
): Promise<number> {
  const { runtime, pagerduty, close } = await buildPreviewRuntime(setup, io, logger);
  try {
    const preview = await previewPoll(runtime, {
      ...runOptions(setup, io),
      pagerduty: pagerduty !== undefined,
    });
    const write = options.json ? io.stderr : io.stdout;
    await printPreview(preview, setup, write, io.isTTY && !options.json);
    const pages = pagerduty ? wouldPage(preview, pagerduty) : [];
    if (!options.json) printPages(pages, setup, write);
    if (options.json) {
      io.stdout(
        `${JSON.stringify(
          {
            ...preview.summary,
            wouldPublish: wouldPublish(preview),
            ...(pagerduty ? { wouldPage: pages } : {}),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      io.stdout(describeSummary(preview.summary));
      io.stdout(`${describeDestination(preview, setup)}\n`);
    }
    return preview.summary.targets.failed > 0 ? 1 : 0;
  } finally {
    await close();
  }
}

/** The preview's alerts, rendered as email and Slack would show them. Nothing is delivered. */
async function printPreview(
  preview: PollPreview,
  setup: PollSetup,
  write: (text: string) => void,
  color: boolean,
): Promise<void> {
  if (preview.alerts.length === 0) return;
  const renderer = new ConsolePublisher({
    write,
    consoleBaseUrl: consoleBaseUrlFor(apiBaseUrl(setup)),
    includeDownloadUrl: setup.config.alerts.includeDownloadUrl,
    color,
  });
  await renderer.publish(preview.alerts, preview.downloadUrls ? { downloadUrls: preview.downloadUrls } : {});
}

/** The Events API v2 bodies a live run would POST now, the routing key redacted. */
function wouldPage(preview: PollPreview, options: PagerDutyEventOptions) {
  return preview.pagerduty.map((record) => redactRoutingKey(toPagerDutyEvent(record, options)));
}

/** What PagerDuty would receive, as JSON, for people. Nothing is sent. */
function printPages(
  pages: ReturnType<typeof wouldPage>,
  setup: PollSetup,
  write: (text: string) => void,
): void {
  if (pages.length === 0) return;
  write(
    `PagerDuty would receive ${pages.length} event${pages.length === 1 ? '' : 's'} at ${setup.pagerduty?.eventsUrl} (routing key redacted):\n`,
  );
  for (const page of pages) write(`${JSON.stringify(page, null, 2)}\n`);
}

/** One entry per message a live run would send now, for `--json`. */
function wouldPublish(preview: PollPreview) {
  return preview.alerts.map((group) => ({
    eventIds: group.events.map((e) => e.eventId),
    eventTypes: group.events.map((e) => e.eventType),
    severity: worstSeverity(group.events.map((e) => e.severity)),
    target: group.events[0]?.targetName,
    summary: group.events[0]?.summary,
  }));
}

function describeDestination(preview: PollPreview, setup: PollSetup): string {
  const count = `${preview.alerts.length} alert${preview.alerts.length === 1 ? '' : 's'}`;
  const sns = setup.topicArn
    ? `A live poll would publish ${count} to ${setup.topicArn}; this dry run sent nothing.`
    : `A live poll would print ${count} (${ENV.topicArn} is not set); this dry run wrote nothing.`;
  if (!setup.pagerduty) return sns;
  const pages = preview.pagerduty.length;
  return `${sns}\nIt would send ${pages} event${pages === 1 ? '' : 's'} to PagerDuty; this dry run sent none.`;
}
