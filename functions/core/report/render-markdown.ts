/**
 * The `md` format: GitHub-flavoured Markdown that pastes into a ticket or an audit evidence request.
 * The same sections as `text`, as tables, plus one row per restore in a collapsible block.
 */
import { periodText, precisionText, rangeText, timeText } from './report-format.ts';
import type { RestoreReport } from './report-model.ts';
import {
  alertDeliveryText,
  batchesTable,
  downloadsTable,
  firstSeenText,
  incidentSourceText,
  incidentsTable,
  longestStuckText,
  OVERALL_LABEL,
  summaryTable,
  type TextTable,
} from './report-tables.ts';

/** A table cell: pipes and line breaks would end the cell or the row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function mdTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A shared table as Markdown; the overall row in bold so it reads as the total. */
function shared(source: TextTable): string {
  return mdTable(
    source.headers,
    source.rows.map((row) => (row[0] === OVERALL_LABEL ? [`**${OVERALL_LABEL}**`, ...row.slice(1)] : row)),
  );
}

export function renderMarkdown(report: RestoreReport): string {
  const out: string[] = [
    `## Restore report: ${periodText(report)}`,
    '',
    `Restores requested in the period, from the restore-watch audit trail and job states. Generated ${timeText(report.generatedAt)} (\`${report.schema}\`).`,
    '',
    `> **Precision.** ${report.precision.statement} ${precisionText(report)}`,
    '',
    '### Restores and durations',
    '',
    shared(summaryTable(report)),
    '',
    `Durations run from the request to the first poll that saw the restore FINISHED, as ranges. ${firstSeenText(report)}`,
    '',
    '### Downloads',
    '',
    shared(downloadsTable(report)),
  ];
  if (report.batches.length > 0) {
    out.push('', '### Sharded batches', '', shared(batchesTable(report)));
  }
  out.push(
    '',
    '### Longest stuck restore',
    '',
    longestStuckText(report),
    '',
    '### Incidents',
    '',
    incidentSourceText(report),
    '',
    shared(incidentsTable(report)),
    '',
    '### Alerts',
    '',
    mdTable(
      ['Event type', 'Count'],
      Object.entries(report.alerts.byType).map(([type, count]) => [type, String(count)]),
    ),
    '',
    alertDeliveryText(report),
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
