/**
 * The `md` format: GitHub-flavoured Markdown that pastes into a ticket or an audit evidence request.
 * The same sections as `text`, as tables, plus one row per restore in a collapsible block.
 */
import { shortId } from '../event-summary.ts';
import { percentText, periodText, precisionText, rangeText, timeText, trendText } from './report-format.ts';
import { INCIDENT_KINDS, type RestoreReport, type TargetSummary } from './report-model.ts';

/** A table cell: pipes and line breaks would end the cell or the row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function mdTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

function label(summary: TargetSummary): string {
  return summary.target ? summary.target.name : '**all targets**';
}

export function renderMarkdown(report: RestoreReport): string {
  const rows = [...report.targets, report.overall];
  const out: string[] = [
    `## Restore report: ${periodText(report)}`,
    '',
    `Restores requested in the period, from the restore-watch audit trail and job states. Generated ${timeText(report.generatedAt)} (\`${report.schema}\`).`,
    '',
    `> **Precision.** ${report.precision.statement} ${precisionText(report)}`,
    '',
    '### Restores and durations',
    '',
    mdTable(
      [
        'Target',
        'Requested',
        'Finished',
        'Broken',
        'Killed',
        'Running',
        'Success',
        'Median',
        'p90',
        'Max',
        'Trend',
      ],
      rows.map((s) => [
        label(s),
        String(s.restores.requested),
        String(s.restores.finished),
        String(s.restores.broken),
        String(s.restores.killed),
        String(s.restores.running),
        percentText(s.successRatePercent),
        rangeText(s.duration?.median),
        rangeText(s.duration?.p90),
        rangeText(s.duration?.max),
        trendText(s.durationTrend),
      ]),
    ),
    '',
    `Durations run from the request to the first poll that saw the restore FINISHED, as ranges. Restores first seen already finished (${report.overall.restores.firstSeenFinished}) have no duration.`,
    '',
    '### Downloads',
    '',
    mdTable(
      ['Target', 'Downloaded', 'Expired unused', 'Ready to downloaded (median)', 'p90'],
      rows.map((s) => [
        label(s),
        String(s.downloads.downloaded),
        String(s.downloads.expiredUnused),
        rangeText(s.readyToDownloaded?.median),
        rangeText(s.readyToDownloaded?.p90),
      ]),
    ),
  ];
  if (report.batches.length > 0) {
    out.push(
      '',
      '### Sharded batches',
      '',
      mdTable(
        ['Batch', 'Target', 'Requested', 'Shards', 'Outcome', 'Duration', 'Slowest shard'],
        report.batches.map((batch) => [
          `\`${batch.batchId}\``,
          batch.target,
          timeText(batch.requestedAt),
          String(batch.members),
          batch.outcome,
          rangeText(batch.duration),
          batch.slowestShard
            ? `\`${shortId(batch.slowestShard.jobId)}\` ${rangeText(batch.slowestShard.duration)}`
            : '-',
        ]),
      ),
    );
  }
  const stuck = report.overall.longestStuck;
  out.push(
    '',
    '### Longest stuck restore',
    '',
    stuck
      ? `\`${stuck.jobId}\`, requested ${timeText(stuck.requestedAt)}: in progress ${rangeText(stuck.inProgress)}, ${stuck.outcome === 'IN_PROGRESS' ? 'still running at the end of the period' : `ended ${stuck.outcome}`}.`
      : 'No restore raised JOB_STUCK.',
    '',
    '### Incidents',
    '',
    'Derived from condition alerts until on-call incidents exist.',
    '',
    mdTable(
      ['Kind', 'Count', 'Resolved in period'],
      INCIDENT_KINDS.map((kind) => {
        const items = report.incidents.items.filter((item) => item.kind === kind);
        return [kind, String(items.length), String(items.filter((item) => item.resolvedAt !== null).length)];
      }),
    ),
    '',
    '### Alerts',
    '',
    mdTable(
      ['Event type', 'Count'],
      Object.entries(report.alerts.byType).map(([type, count]) => [type, String(count)]),
    ),
    '',
    `Published ${report.alerts.published}, below minSeverity ${report.alerts.suppressed}, still owed ${report.alerts.owed}, refused by SNS ${report.alerts.rejected}.`,
    '',
    `<details><summary>${report.restores.length} restore${report.restores.length === 1 ? '' : 's'}</summary>`,
    '',
    mdTable(
      ['Target', 'Job', 'Requested', 'Outcome', 'Duration', 'Delivery', 'Downloaded'],
      report.restores.map((row) => [
        row.target,
        `\`${row.jobId}\``,
        timeText(row.requestedAt),
        row.outcome,
        row.duration ? rangeText(row.duration) : (row.noDurationReason ?? '-'),
        row.deliveryStatus ?? '-',
        row.downloaded ? 'yes' : row.expiredUnused ? 'expired unused' : 'no',
      ]),
    ),
    '',
    '</details>',
  );
  return `${out.join('\n')}\n`;
}
