/**
 * The tables every people-facing format shows (text, Markdown, HTML), as plain-text cells: one
 * definition of their columns and values. Each renderer only lays them out (and escapes for its
 * medium); the text format prints the wide summary as two tables to fit a terminal.
 */
import { shortId } from '../event-summary.ts';
import { percentText, rangeText, timeText, trendText } from './report-format.ts';
import { INCIDENT_KINDS, type RestoreReport, type TargetSummary } from './report-model.ts';

export interface TextTable {
  headers: string[];
  rows: string[][];
  /** Column indexes holding numbers (right-aligned where the medium can). */
  numeric: number[];
}

/** The per-target rows, then `overall` under `overallLabel`. */
function summaries(report: RestoreReport): TargetSummary[] {
  return [...report.targets, report.overall];
}

export const OVERALL_LABEL = 'all targets';

function label(summary: TargetSummary): string {
  return summary.target?.name ?? OVERALL_LABEL;
}

/** Restores by outcome, success rate, and durations (request to finish of FINISHED restores). */
export function summaryTable(report: RestoreReport): TextTable {
  return {
    headers: [
      'Target',
      'Requested',
      'Finished',
      'Broken',
      'Killed',
      'Running',
      'Other',
      'Success',
      'Measured',
      'Median',
      'p90',
      'Max',
      'Trend',
    ],
    rows: summaries(report).map((s) => [
      label(s),
      String(s.restores.requested),
      String(s.restores.finished),
      String(s.restores.broken),
      String(s.restores.killed),
      String(s.restores.running),
      String(s.restores.other),
      percentText(s.successRatePercent),
      String(s.duration?.count ?? 0),
      rangeText(s.duration?.median),
      rangeText(s.duration?.p90),
      rangeText(s.duration?.max),
      trendText(s.durationTrend),
    ]),
    numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  };
}

/** The columns of `table` at `columns`, in that order. */
export function pickColumns(table: TextTable, columns: readonly number[]): TextTable {
  return {
    headers: columns.map((i) => table.headers[i] ?? ''),
    rows: table.rows.map((row) => columns.map((i) => row[i] ?? '')),
    numeric: columns.flatMap((i, at) => (table.numeric.includes(i) ? [at] : [])),
  };
}

export function downloadsTable(report: RestoreReport): TextTable {
  return {
    headers: ['Target', 'Downloaded', 'Expired unused', 'Ready to downloaded (median)', 'p90'],
    rows: summaries(report).map((s) => [
      label(s),
      String(s.downloads.downloaded),
      String(s.downloads.expiredUnused),
      rangeText(s.readyToDownloaded?.median),
      rangeText(s.readyToDownloaded?.p90),
    ]),
    numeric: [1, 2, 3, 4],
  };
}

/** Where the period's incidents were read from, in words (the JSON says it as `incidents.source`). */
export function incidentSourceText(report: RestoreReport): string {
  switch (report.incidents.source) {
    case 'incident-keys':
      return 'Followed by incident key, from trigger to resolve, as restore-watch incidents and PagerDuty see them.';
    case 'condition-alerts':
      return 'Read from the condition alerts: this trail was recorded before incident keys existed.';
    default:
      return 'Followed by incident key where the events carry one; read from the condition alerts for events recorded before incident keys existed.';
  }
}

export function incidentsTable(report: RestoreReport): TextTable {
  return {
    headers: ['Kind', 'Count', 'Resolved in the period'],
    rows: INCIDENT_KINDS.map((kind) => {
      const items = report.incidents.items.filter((item) => item.kind === kind);
      return [kind, String(items.length), String(items.filter((item) => item.resolvedAt !== null).length)];
    }),
    numeric: [1, 2],
  };
}

/** One line: what happened to the events of the period once detected. */
export function alertDeliveryText(report: RestoreReport): string {
  const a = report.alerts;
  const sns = `Published ${a.published}, below minSeverity ${a.suppressed}, silenced ${a.silenced}, still owed ${a.owed}, refused by SNS ${a.rejected}.`;
  const page = a.pagerduty;
  return page
    ? `${sns} PagerDuty: sent ${page.delivered}, still owed ${page.owed}, refused ${page.rejected}.`
    : sns;
}

/** One sentence about the restores that have no duration. */
export function firstSeenText(report: RestoreReport): string {
  const n = report.overall.restores.firstSeenFinished;
  return `${n} restore${n === 1 ? ' was' : 's were'} first seen already finished: counted, without a duration.`;
}

/** Sharded batches; ids shortened to the part that differs between jobs requested together. */
export function batchesTable(report: RestoreReport): TextTable {
  return {
    headers: ['Batch', 'Target', 'Requested', 'Shards', 'Outcome', 'Duration', 'Slowest shard'],
    rows: report.batches.map((batch) => [
      shortId(batch.batchId),
      batch.target,
      timeText(batch.requestedAt),
      String(batch.members),
      batch.outcome,
      rangeText(batch.duration),
      batch.slowestShard
        ? `${shortId(batch.slowestShard.jobId)} ${rangeText(batch.slowestShard.duration)}`
        : '-',
    ]),
    numeric: [3],
  };
}

/** One sentence on the restore that was in progress longest among those that raised JOB_STUCK. */
export function longestStuckText(report: RestoreReport): string {
  const stuck = report.overall.longestStuck;
  if (!stuck) return 'No restore raised JOB_STUCK.';
  const end =
    stuck.outcome === 'IN_PROGRESS' ? 'still running at the end of the period' : `ended ${stuck.outcome}`;
  return `${stuck.jobId}, requested ${timeText(stuck.requestedAt)}: in progress ${rangeText(stuck.inProgress)}, ${end}.`;
}
