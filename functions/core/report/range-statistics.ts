/**
 * Statistics of durations known only as ranges. Every quantile here is monotone in each value, so
 * applied to the lows and to the highs separately it bounds the quantile of the true durations:
 * whatever the true values inside their ranges, their median lies between the two medians.
 */
import type { DurationTrend, MinutesRange, RangeStatistics } from './report-model.ts';

const MS_PER_MINUTE = 60_000;
const DAYS_PER_TREND_UNIT = 30;
/** Fewer points than this say nothing about a trend. */
export const MIN_TREND_POINTS = 4;
/** Requests spread over less than this say nothing about how durations move as data grows. */
export const MIN_TREND_SPAN_DAYS = 7;

/** Minutes with one decimal: finer than any poll period, coarse enough to read. */
export function roundMinutes(minutes: number): number {
  return Math.round(minutes * 10) / 10;
}

/**
 * The duration from `startMs` to an instant known to lie in (`afterMs`, `byMs`]. Without `afterMs`
 * the low bound is the start itself. Never negative: clocks of two systems may disagree a little.
 */
export function minutesBetween(startMs: number, afterMs: number | undefined, byMs: number): MinutesRange {
  const low = afterMs === undefined ? 0 : Math.max(0, (afterMs - startMs) / MS_PER_MINUTE);
  const high = Math.max(low, (byMs - startMs) / MS_PER_MINUTE);
  return { lowMinutes: roundMinutes(low), highMinutes: roundMinutes(high) };
}

/** Quantile `q` of ascending `sorted` values, interpolating between ranks (R-7, as spreadsheets do). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] as number;
  const high = sorted[above] as number;
  return low + (high - low) * (position - below);
}

function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Median, p90 and max of `ranges`, each as a range; null for none. */
export function rangeStatistics(ranges: readonly MinutesRange[]): RangeStatistics | null {
  if (ranges.length === 0) return null;
  const lows = ascending(ranges.map((range) => range.lowMinutes));
  const highs = ascending(ranges.map((range) => range.highMinutes));
  const at = (q: number): MinutesRange => ({
    lowMinutes: roundMinutes(quantile(lows, q)),
    highMinutes: roundMinutes(quantile(highs, q)),
  });
  return { count: ranges.length, median: at(0.5), p90: at(0.9), max: at(1) };
}

/** The midpoint of a range: the estimate a line can be fitted through. */
export function midpoint(range: MinutesRange): number {
  return (range.lowMinutes + range.highMinutes) / 2;
}

/**
 * A least-squares line through the midpoints by request time, given at least `MIN_TREND_POINTS`
 * restores requested over at least `MIN_TREND_SPAN_DAYS` (a slope per 30 days from one afternoon
 * would be noise). Its direction is called only when the change it predicts over `periodDays`
 * exceeds `precisionMinutes` (the median finish window): a "trend" smaller than what the data can
 * resolve is reported as flat.
 */
export function durationTrend(
  points: ReadonlyArray<{ atMs: number; duration: MinutesRange }>,
  periodDays: number,
  precisionMinutes: number,
): DurationTrend | null {
  if (points.length < MIN_TREND_POINTS) return null;
  const xs = points.map((point) => point.atMs / 86_400_000);
  const ys = points.map((point) => midpoint(point.duration));
  const meanX = xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const meanY = ys.reduce((sum, y) => sum + y, 0) / ys.length;
  let covariance = 0;
  let variance = 0;
  xs.forEach((x, i) => {
    covariance += (x - meanX) * ((ys[i] as number) - meanY);
    variance += (x - meanX) ** 2;
  });
  const span = Math.max(...xs) - Math.min(...xs);
  if (span < MIN_TREND_SPAN_DAYS || variance === 0) return null;
  const slopePerDay = covariance / variance;
  const changeOverPeriod = slopePerDay * periodDays;
  const direction =
    Math.abs(changeOverPeriod) <= Math.max(precisionMinutes, 1)
      ? 'flat'
      : changeOverPeriod > 0
        ? 'slower'
        : 'faster';
  return {
    restoresMeasured: points.length,
    slopeMinutesPer30Days: roundMinutes(slopePerDay * DAYS_PER_TREND_UNIT),
    direction,
  };
}
