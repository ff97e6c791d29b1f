/**
 * The `text` format: a terminal-wide (100 columns) plain-text report, also the body of the monthly
 * digest email. Sections: precision, summary per target, downloads, sharded batches, the longest stuck
 * restore, incidents and alerts. Per-restore rows are in `csv` and `json`, not here.
 */
import { shortId } from '../event-summary.ts';
import { table } from '../text-table.ts';
import { percentText, periodText, precisionText, rangeText, timeText, trendText } from './report-format.ts';
import { INCIDENT_KINDS, type RestoreReport, type TargetSummary } from './report-model.ts';

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

function label(summary: TargetSummary): string {
  return summary.target?.name ?? 'all targets';
}

export function renderText(report: RestoreReport): string {
  const rows = [...report.targets, report.overall];
  const out: string[] = [
    `restore-watch report: restores requested ${periodText(report)}`,
    `Generated ${timeText(report.generatedAt)} from the audit trail and job states (${report.schema}).`,
    '',
    wrap(`Precision: ${report.precision.statement} ${precisionText(report)}`),
    '',
    'RESTORES REQUESTED IN THE PERIOD (outcome at its end)',
    table(
      ['TARGET', 'REQUESTED', 'FINISHED', 'BROKEN', 'KILLED', 'RUNNING', 'OTHER', 'SUCCESS'],
      rows.map((s) => [
        label(s),
        String(s.restores.requested),
        String(s.restores.finished),
        String(s.restores.broken),
        String(s.restores.killed),
        String(s.restores.running),
        String(s.restores.other),
        percentText(s.successRatePercent),
      ]),
    ),
    '',
    'DURATION FROM REQUEST TO FINISH (FINISHED restores whose finish was seen)',
    table(
      ['TARGET', 'MEASURED', 'MEDIAN', 'P90', 'MAX', 'TREND'],
      rows.map((s) => [
        label(s),
        String(s.duration?.count ?? 0),
        rangeText(s.duration?.median),
        rangeText(s.duration?.p90),
        rangeText(s.duration?.max),
        trendText(s.durationTrend),
      ]),
    ),
  ];
  const firstSeen = report.overall.restores.firstSeenFinished;
  if (firstSeen > 0) {
    out.push(
      `${firstSeen} restore${firstSeen === 1 ? ' was' : 's were'} first seen already finished: no duration, counted in the totals.`,
    );
  }
  out.push(
    '',
    'DOWNLOADS',
    table(
      ['TARGET', 'DOWNLOADED', 'EXPIRED UNUSED', 'READY TO DOWNLOADED (MEDIAN)', 'P90'],
      rows.map((s) => [
        label(s),
        String(s.downloads.downloaded),
        String(s.downloads.expiredUnused),
        rangeText(s.readyToDownloaded?.median),
        rangeText(s.readyToDownloaded?.p90),
      ]),
    ),
  );
  if (report.batches.length > 0) {
    out.push(
      '',
      'SHARDED BATCHES',
      table(
        ['BATCH', 'TARGET', 'REQUESTED', 'SHARDS', 'OUTCOME', 'DURATION', 'SLOWEST SHARD'],
        report.batches.map((batch) => [
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
      ),
    );
  }
  const stuck = report.overall.longestStuck;
  out.push(
    '',
    wrap(
      stuck
        ? `LONGEST STUCK RESTORE: ${stuck.jobId} requested ${timeText(stuck.requestedAt)}, in progress ${rangeText(stuck.inProgress)}, ${stuck.outcome === 'IN_PROGRESS' ? 'still running at the end of the period' : `ended ${stuck.outcome}`}.`
        : 'LONGEST STUCK RESTORE: none raised JOB_STUCK.',
    ),
    '',
    'INCIDENTS (from condition alerts until on-call incidents exist)',
    table(
      ['KIND', 'COUNT', 'RESOLVED IN PERIOD'],
      INCIDENT_KINDS.map((kind) => {
        const items = report.incidents.items.filter((item) => item.kind === kind);
        return [kind, String(items.length), String(items.filter((item) => item.resolvedAt !== null).length)];
      }),
    ),
    '',
    'ALERTS',
    wrap(
      Object.entries(report.alerts.byType)
        .filter(([, count]) => count > 0)
        .map(([type, count]) => `${type} ${count}`)
        .join(', ') || 'No events in the period.',
    ),
    `Published ${report.alerts.published}, below minSeverity ${report.alerts.suppressed}, still owed ${report.alerts.owed}, refused by SNS ${report.alerts.rejected}.`,
  );
  return `${out.join('\n')}\n`;
}
