/**
 * `restore-watch report`: what the audit trail proves about the restores of a period, as text for
 * a terminal, Markdown for a ticket, CSV for a spreadsheet, versioned JSON for programs, or one
 * self-contained HTML file with charts for an auditor (see functions/core/report/).
 *
 * Every argument is checked before the state is opened, and an unwritable --output before anything
 * is read: bad input is exit 2 with nothing written.
 */
import { stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DynamoStateStore } from '../../adapters/dynamo/dynamo-state-store.ts';
import { readRestoreReport } from '../../core/report/read-report.ts';
import { renderCsv } from '../../core/report/render-csv.ts';
import { renderMarkdown } from '../../core/report/render-markdown.ts';
import { renderText } from '../../core/report/render-text.ts';
import type { RestoreReport } from '../../core/report/report-model.ts';
import { type CliIo, openStateTable, UsageError } from '../context.ts';
import { parseSince } from '../durations.ts';
import { loadChartScripts } from '../report/chart-libraries.ts';
import { renderHtml } from '../report/render-html.ts';
import { findTarget } from '../target-match.ts';

export const REPORT_FORMATS = ['text', 'md', 'csv', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportCommandOptions {
  since: string;
  until?: string;
  target?: string;
  format: string;
  output?: string;
}

const RENDERERS: Record<ReportFormat, (report: RestoreReport) => string | Promise<string>> = {
  text: renderText,
  md: renderMarkdown,
  csv: renderCsv,
  json: (report) => `${JSON.stringify(report, null, 2)}\n`,
  html: async (report) => renderHtml(report, await loadChartScripts()),
};

function isFormat(value: string): value is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}

/** The period and format as asked for, every problem at once. */
export function checkReportOptions(
  options: ReportCommandOptions,
  now: Date,
): { since: string; until: string; format: ReportFormat } {
  const problems: string[] = [];
  const since = parseSince(options.since, now);
  if (!since)
    problems.push(
      `--since "${options.since}": use a duration back from now such as 90d or 12h, or an ISO time`,
    );
  const until = options.until === undefined ? now.toISOString() : parseSince(options.until, now);
  if (!until)
    problems.push(
      `--until "${options.until}": use an ISO time such as 2026-11-01T00:00:00Z, or a duration back from now`,
    );
  if (since && until && since >= until) problems.push(`--since (${since}) must be before --until (${until})`);
  if (!isFormat(options.format))
    problems.push(`--format "${options.format}": use one of ${REPORT_FORMATS.join(', ')}`);
  if (problems.length > 0 || !since || !until || !isFormat(options.format)) {
    throw new UsageError(problems.join('; '));
  }
  return { since, until, format: options.format };
}

async function checkOutput(path: string): Promise<void> {
  const folder = dirname(path);
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--output "${path}": the folder ${folder} does not exist`);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new UsageError(`--output "${path}": that is a folder; name a file`);
}

export async function reportCommand(options: ReportCommandOptions, io: CliIo): Promise<number> {
  const now = io.now();
  const { since, until, format } = checkReportOptions(options, now);
  const output = options.output === undefined ? undefined : resolve(io.cwd, options.output);
  if (output) await checkOutput(output);

  const state = await openStateTable(io);
  let report: RestoreReport;
  try {
    const store = new DynamoStateStore({ client: state.client, tableName: state.tableName });
    const known = (await store.listTargetStates()).sort((a, b) => a.name.localeCompare(b.name));
    const targets = options.target === undefined ? known : [findTarget(known, options.target)];
    report = await readRestoreReport(store, {
      period: { since, until },
      generatedAt: now.toISOString(),
      targets,
    });
  } finally {
    await state.close();
  }

  const rendered = await RENDERERS[format](report);
  if (!output) {
    io.stdout(rendered);
    return 0;
  }
  await writeFile(output, rendered);
  const restores = report.overall.restores.requested;
  io.stdout(
    `Wrote the ${format} report of ${restores} restore${restores === 1 ? '' : 's'} requested ${since} to ${until} ` +
      `(${report.targets.length} target${report.targets.length === 1 ? '' : 's'}) to ${output}\n`,
  );
  return 0;
}
