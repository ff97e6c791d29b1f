/**
 * The `csv` format: RFC 4180 (CRLF, quotes doubled), a header, then one row per restore, for a
 * spreadsheet. Every duration is two columns, low and high, plus the width of its finish window: the
 * precision travels with each number. Text that a spreadsheet would run as a formula is defused.
 */
import type { RestoreReport, RestoreRow } from './report-model.ts';

type Column = [header: string, value: (row: RestoreRow) => string | number | boolean | null];

const COLUMNS: readonly Column[] = [
  ['target', (row) => row.target],
  ['project_id', (row) => row.projectId],
  ['cluster_id', (row) => row.clusterId],
  ['job_id', (row) => row.jobId],
  ['batch_id', (row) => row.batchId],
  ['requested_at', (row) => row.requestedAt],
  ['first_seen', (row) => row.firstSeen],
  ['first_seen_status', (row) => row.firstSeenStatus],
  ['outcome', (row) => row.outcome],
  ['outcome_after', (row) => row.outcomeAfter],
  ['outcome_by', (row) => row.outcomeBy],
  ['duration_low_minutes', (row) => row.duration?.lowMinutes ?? null],
  ['duration_high_minutes', (row) => row.duration?.highMinutes ?? null],
  ['finish_window_minutes', (row) => row.finishWindowMinutes],
  ['no_duration_reason', (row) => row.noDurationReason],
  ['delivery_status', (row) => row.deliveryStatus],
  ['ready_by', (row) => row.readyBy],
  ['downloaded_by', (row) => row.downloadedBy],
  ['ready_to_downloaded_low_minutes', (row) => row.readyToDownloaded?.lowMinutes ?? null],
  ['ready_to_downloaded_high_minutes', (row) => row.readyToDownloaded?.highMinutes ?? null],
  ['downloaded', (row) => row.downloaded],
  ['expired_unused', (row) => row.expiredUnused],
  ['stuck_alerted', (row) => row.stuckAlerted],
];

export const CSV_HEADERS: readonly string[] = COLUMNS.map(([header]) => header);

/** One field: numbers and booleans as they are, text quoted when it must be and never a formula. */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function renderCsv(report: RestoreReport): string {
  const lines = [
    CSV_HEADERS.join(','),
    ...report.restores.map((row) => COLUMNS.map(([, value]) => csvField(value(row))).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
