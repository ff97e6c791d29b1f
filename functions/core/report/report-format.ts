/**
 * How report numbers read in the text formats (text, Markdown, HTML): a range as `40-45 min`, hours
 * past two hours, a percentage with one decimal. JSON and CSV carry the raw numbers instead.
 */
import { formatUtcMinute } from '../instant.ts';
import type { DurationTrend, MinutesRange, RestoreReport } from './report-model.ts';

function trim(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * `40-45 min`; past ten hours `10.5-10.6 h`; one value when the bounds meet. Minutes up to ten hours
 * keep the poll period's precision visible (a tenth of an hour would round it away).
 */
export function rangeText(range: MinutesRange | null | undefined): string {
  if (!range) return '-';
  const hours = range.highMinutes >= 600;
  const unit = hours ? 'h' : 'min';
  const show = (minutes: number) => trim(hours ? Math.round((minutes / 60) * 10) / 10 : Math.round(minutes));
  const low = show(range.lowMinutes);
  const high = show(range.highMinutes);
  return low === high ? `${low} ${unit}` : `${low}-${high} ${unit}`;
}

export function percentText(value: number | null): string {
  return value === null ? '-' : `${trim(value)}%`;
}

export function trendText(trend: DurationTrend | null): string {
  if (!trend) return '-';
  const sign = trend.slopeMinutesPer30Days > 0 ? '+' : '';
  return `${trend.direction} (${sign}${trim(trend.slopeMinutesPer30Days)} min/30 d)`;
}

export function timeText(iso: string | null | undefined): string {
  return iso ? formatUtcMinute(iso) : '-';
}

/** `2026-08-30 08:00 UTC to 2026-11-28 08:00 UTC (90 days)` */
export function periodText(report: RestoreReport): string {
  return `${timeText(report.period.since)} to ${timeText(report.period.until)} (${trim(report.period.days)} days)`;
}

/** The precision of this report's numbers, in one sentence after the general statement. */
export function precisionText(report: RestoreReport): string {
  const window = report.precision.finishWindowMinutes;
  if (!window) return 'No finish was measured in this period.';
  return (
    `In this period the finish windows were ${trim(window.median)} min wide at the median ` +
    `(${trim(window.max)} min at most): durations are known to about ±${trim(Math.round((window.median / 2) * 10) / 10)} min.`
  );
}
