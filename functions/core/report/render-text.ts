/**
 * The `text` format: a terminal-wide (100 columns) plain-text report, also the body of the monthly
 * digest email. Sections: precision, restores and durations per target, downloads, sharded batches,
 * the longest stuck restore, incidents and alerts. Per-restore rows are in `csv` and `json`, not here.
 */
import { table } from '../text-table.ts';
import { periodText, precisionText, timeText } from './report-format.ts';
import type { RestoreReport } from './report-model.ts';
import {
  alertDeliveryText,
  batchesTable,
  downloadsTable,
  firstSeenText,
  incidentSourceText,
  incidentsTable,
  longestStuckText,
  pickColumns,
  summaryTable,
  type TextTable,
} from './report-tables.ts';

const WIDTH = 100;

/** Breaks `text` into lines of at most `width` characters at spaces. */
export function wrap(text: string, width = WIDTH): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** A shared table in terminal style: upper-case headers. */
function plain(source: TextTable): string {
  return table(
    source.headers.map((header) => header.toUpperCase()),
    source.rows,
  );
}

export function renderText(report: RestoreReport): string {
  const summary = summaryTable(report);
  const out: string[] = [
    `restore-watch report: restores requested ${periodText(report)}`,
    `Generated ${timeText(report.generatedAt)} from the audit trail and job states (${report.schema}).`,
    '',
    wrap(`Precision: ${report.precision.statement} ${precisionText(report)}`),
    '',
    'RESTORES REQUESTED IN THE PERIOD (outcome at its end)',
    // The summary is too wide for a terminal: counts, then durations.
    plain(pickColumns(summary, [0, 1, 2, 3, 4, 5, 6, 7])),
    '',
    'DURATION FROM REQUEST TO FINISH (FINISHED restores whose finish was seen)',
    plain(pickColumns(summary, [0, 8, 9, 10, 11, 12])),
  ];
  if (report.overall.restores.firstSeenFinished > 0) out.push(firstSeenText(report));
  out.push('', 'DOWNLOADS', plain(downloadsTable(report)));
  if (report.batches.length > 0) {
    out.push('', 'SHARDED BATCHES', plain(batchesTable(report)));
  }
  out.push(
    '',
    wrap(`LONGEST STUCK RESTORE: ${longestStuckText(report)}`),
    '',
    'INCIDENTS',
    wrap(incidentSourceText(report)),
    plain(incidentsTable(report)),
    '',
    'ALERTS',
    wrap(
      Object.entries(report.alerts.byType)
        .filter(([, count]) => count > 0)
        .map(([type, count]) => `${type} ${count}`)
        .join(', ') || 'No events in the period.',
    ),
    alertDeliveryText(report),
  );
  return `${out.join('\n')}\n`;
}
