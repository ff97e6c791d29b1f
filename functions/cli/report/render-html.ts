/**
 * The `html` format: one self-contained file an auditor can open offline and print to PDF. Every
 * number is in a table (readable without JavaScript, by a screen reader, and on paper); the charts
 * are drawn in the page by Observable Plot from the data embedded next to them, with the chart code
 * inlined (see `chart-libraries.ts`): no request ever leaves the page.
 *
 * Charts (`report-charts.js`): a timeline of restores per cluster coloured by outcome, the duration
 * of each finished restore per cluster as its range, and durations by request time.
 */
import { shortId } from '../../core/event-summary.ts';
import {
  percentText,
  periodText,
  precisionText,
  rangeText,
  timeText,
} from '../../core/report/report-format.ts';
import type { RestoreReport } from '../../core/report/report-model.ts';
import {
  alertDeliveryText,
  downloadsTable,
  firstSeenText,
  incidentSourceText,
  incidentsTable,
  longestStuckText,
  OVERALL_LABEL,
  pickColumns,
  summaryTable,
  type TextTable,
} from '../../core/report/report-tables.ts';
import type { ChartScripts } from './chart-libraries.ts';

/** What `report-charts.js` draws from: only the fields the charts use. */
export interface ChartData {
  since: string;
  until: string;
  targets: string[];
  restores: Array<{
    target: string;
    jobId: string;
    requestedAt: string;
    outcome: string;
    lowMinutes: number | null;
    highMinutes: number | null;
  }>;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** JSON inside `<script>`: `<` escaped so no `</script>` or `<!--` in the data can end the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** An inlined script: the only sequence that could end the element early is defused. */
function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}

function htmlTable(
  caption: string,
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  options: { numeric?: ReadonlySet<number>; firstColumnHeader?: boolean } = {},
): string {
  const numeric = options.numeric ?? new Set<number>();
  const head = headers
    .map((header, i) => `<th scope="col"${numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(header)}</th>`)
    .join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${row
          .map((cell, i) =>
            i === 0 && options.firstColumnHeader !== false
              ? `<th scope="row">${cell}</th>`
              : `<td${numeric.has(i) ? ' class="num"' : ''}>${cell}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table>\n<caption>${escapeHtml(caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

/** A table shared with the text formats: plain cells, escaped; the overall row reads "All targets". */
function sharedTable(caption: string, source: TextTable): string {
  return htmlTable(
    caption,
    source.headers,
    source.rows.map((row) =>
      row.map((cell, i) => escapeHtml(i === 0 && cell === OVERALL_LABEL ? 'All targets' : cell)),
    ),
    { numeric: new Set(source.numeric) },
  );
}

const OUTCOME_CLASS: Record<string, string> = {
  FINISHED: 'finished',
  BROKEN: 'broken',
  KILLED: 'killed',
  IN_PROGRESS: 'running',
};

function outcomeBadge(outcome: string): string {
  return `<span class="outcome ${OUTCOME_CLASS[outcome] ?? 'other'}">${escapeHtml(outcome === 'IN_PROGRESS' ? 'RUNNING' : outcome)}</span>`;
}

function figures(report: RestoreReport): string {
  const o = report.overall;
  const figure = (value: string, caption: string) =>
    `<div class="figure"><p class="value">${escapeHtml(value)}</p><p class="caption">${escapeHtml(caption)}</p></div>`;
  return `<div class="figures">
${figure(String(o.restores.requested), 'restores requested')}
${figure(percentText(o.successRatePercent), `succeeded (${o.restores.finished} finished, ${o.restores.broken + o.restores.killed} broken or killed)`)}
${figure(rangeText(o.duration?.median), 'median request to finish')}
${figure(rangeText(o.duration?.p90), 'p90 request to finish')}
${figure(String(o.downloads.expiredUnused), 'download links expired unused')}
${figure(String(Object.values(report.incidents.byKind).reduce((sum, n) => sum + n, 0)), 'incidents (see below)')}
</div>`;
}

function chartData(report: RestoreReport): ChartData {
  return {
    since: report.period.since,
    until: report.period.until,
    targets: report.targets.map((summary) => summary.target?.name ?? ''),
    restores: report.restores
      .filter((row) => row.requestedAt !== null)
      .map((row) => ({
        target: row.target,
        jobId: row.jobId,
        requestedAt: row.requestedAt as string,
        outcome: row.outcome,
        lowMinutes: row.outcome === 'FINISHED' ? (row.duration?.lowMinutes ?? null) : null,
        highMinutes: row.outcome === 'FINISHED' ? (row.duration?.highMinutes ?? null) : null,
      })),
  };
}

function chartFigure(id: string, title: string, description: string): string {
  return `<figure class="chart" id="${id}" aria-labelledby="${id}-caption">
<figcaption id="${id}-caption"><strong>${escapeHtml(title)}.</strong> ${escapeHtml(description)}</figcaption>
<div class="plot" data-chart="${id}"><p class="no-script">The chart is drawn by JavaScript in the page; the same numbers are in the tables.</p></div>
</figure>`;
}

const STYLE = `
:root { color-scheme: light; --ink: #1a1a1a; --muted: #545454; --rule: #d0d0d0; --band: #f4f5f7;
  --finished: #1b7837; --broken: #b2182b; --killed: #a65000; --running: #2158a8; --other: #5e5e5e; }
* { box-sizing: border-box; }
html { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
body { margin: 0 auto; max-width: 1120px; padding: 24px 32px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
p { margin: 6px 0; }
.meta { color: var(--muted); }
.precision { background: var(--band); border-left: 4px solid var(--running); padding: 10px 14px; margin: 16px 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin: 16px 0; }
.figure { border: 1px solid var(--rule); border-radius: 6px; padding: 10px 12px; }
.figure .value { font-size: 1.5rem; font-weight: 650; margin: 0; }
.figure .caption { color: var(--muted); margin: 0; font-size: 0.9rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
thead th { background: var(--band); font-weight: 600; }
tbody th { font-weight: 500; white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: 0.85em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.outcome { font-weight: 600; font-size: 0.85em; }
.outcome.finished { color: var(--finished); } .outcome.broken { color: var(--broken); }
.outcome.killed { color: var(--killed); } .outcome.running { color: var(--running); } .outcome.other { color: var(--other); }
figure.chart { margin: 12px 0 24px; }
figcaption { color: var(--muted); margin-bottom: 6px; }
figcaption strong { color: var(--ink); }
.plot svg { max-width: 100%; height: auto; }
.plot figure { margin: 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--rule); padding-top: 8px; }
.plot:not(:empty) .no-script { display: none; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure.chart, .figures, .precision, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  .table-wrap { overflow: visible; }
  .figure { border-color: #999; }
}
`;

export function renderHtml(report: RestoreReport, charts: ChartScripts): string {
  const numeric = (...columns: number[]) => new Set(columns);
  const title = `Restore report: ${periodText(report)}`;
  const sections: string[] = [];
  const summary = summaryTable(report);

  sections.push(`<section aria-labelledby="summary-heading">
<h2 id="summary-heading">Summary</h2>
${figures(report)}
${sharedTable('Restores requested in the period, by target (outcome at the end of the period)', pickColumns(summary, [0, 1, 2, 3, 4, 5, 6, 7]))}
${sharedTable('Duration from request to finish, by target (FINISHED restores whose finish was seen)', pickColumns(summary, [0, 8, 9, 10, 11, 12]))}
<p>Median, p90 and max are of the time from request to finish of FINISHED restores whose finish was seen (ranges, see Precision). ${escapeHtml(firstSeenText(report))}</p>
</section>`);

  sections.push(`<section aria-labelledby="charts-heading">
<h2 id="charts-heading">Restores at a glance</h2>
${chartFigure('timeline', 'Restores per cluster over the period', 'One mark per restore at its request time, coloured and shaped by its outcome at the end of the period.')}
${chartFigure('durations', 'Duration per cluster', 'One bar per finished restore from the earliest to the latest time it can have taken (the poll period); the black tick is the middle of the median range.')}
${chartFigure('trend', 'Durations by request time', 'Each finished restore as a vertical range at its request time: a rising cloud means restores are getting slower.')}
</section>`);

  sections.push(`<section aria-labelledby="downloads-heading">
<h2 id="downloads-heading">Downloads</h2>
${sharedTable('Downloads by target', downloadsTable(report))}
</section>`);

  if (report.batches.length > 0) {
    sections.push(`<section aria-labelledby="batches-heading">
<h2 id="batches-heading">Sharded batches</h2>
${htmlTable(
  'Sharded-cluster restores: the batch is usable when its slowest shard is',
  ['Batch', 'Target', 'Requested', 'Shards', 'Outcome', 'Duration', 'Slowest shard'],
  report.batches.map((batch) => [
    `<code>${escapeHtml(batch.batchId)}</code>`,
    escapeHtml(batch.target),
    timeText(batch.requestedAt),
    String(batch.members),
    outcomeBadge(batch.outcome),
    rangeText(batch.duration),
    batch.slowestShard
      ? `<code>${escapeHtml(shortId(batch.slowestShard.jobId))}</code>${batch.slowestShard.hostId ? ` ${escapeHtml(batch.slowestShard.hostId)}` : ''}: ${rangeText(batch.slowestShard.duration)}`
      : '-',
  ]),
  { numeric: numeric(3, 5) },
)}
</section>`);
  }

  sections.push(`<section aria-labelledby="incidents-heading">
<h2 id="incidents-heading">Incidents and alerts</h2>
<p><strong>Longest stuck restore:</strong> ${escapeHtml(longestStuckText(report))}</p>
${sharedTable(`Incidents by kind. ${incidentSourceText(report)}`, incidentsTable(report))}
${htmlTable(
  'Events detected in the period, by type',
  ['Event type', 'Count'],
  Object.entries(report.alerts.byType).map(([type, count]) => [type, String(count)]),
  { numeric: numeric(1) },
)}
<p>${escapeHtml(alertDeliveryText(report))}</p>
</section>`);

  sections.push(`<section aria-labelledby="restores-heading">
<h2 id="restores-heading">Every restore</h2>
${htmlTable(
  `${report.restores.length} restore${report.restores.length === 1 ? '' : 's'} requested in the period (the csv and json formats have every field)`,
  ['Job', 'Target', 'Requested', 'Outcome', 'Duration', 'Finished between', 'Delivery', 'Downloaded'],
  report.restores.map((row) => [
    `<code>${escapeHtml(row.jobId)}</code>`,
    escapeHtml(row.target),
    timeText(row.requestedAt),
    outcomeBadge(row.outcome),
    row.duration ? rangeText(row.duration) : escapeHtml(row.noDurationReason ?? '-'),
    row.outcomeAfter && row.outcomeBy ? `${timeText(row.outcomeAfter)} and ${timeText(row.outcomeBy)}` : '-',
    escapeHtml(row.deliveryStatus ?? '-'),
    row.downloaded ? 'yes' : row.expiredUnused ? 'expired unused' : 'no',
  ]),
  { numeric: numeric(4) },
)}
</section>`);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · restore-watch</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Restore report</h1>
<p class="meta">Restores requested ${escapeHtml(periodText(report))}. Generated ${escapeHtml(timeText(report.generatedAt))} by restore-watch from the audit trail and job states.</p>
</header>
<main>
<section aria-labelledby="precision-heading" class="precision">
<h2 id="precision-heading">Precision</h2>
<p>${escapeHtml(report.precision.statement)}</p>
<p>${escapeHtml(precisionText(report))}</p>
</section>
${sections.join('\n')}
</main>
<footer>Report schema <code>${escapeHtml(report.schema)}</code>. Every time is UTC. Charts drawn with Observable Plot and d3, inlined in this file.</footer>
<script type="application/json" id="report-data">${scriptJson(chartData(report))}</script>
${charts.scripts.map((script) => `<script data-library="${escapeHtml(script.name)}">${inlineScript(script.source)}</script>`).join('\n')}
</body>
</html>
`;
}
