import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  durationTrend,
  minutesBetween,
  quantile,
  rangeStatistics,
} from '../../../functions/core/report/range-statistics.ts';

const DAY = 86_400_000;

describe('rangeStatistics', () => {
  it('bounds the true median, p90 and max whatever the true durations inside their ranges', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            low: fc.integer({ min: 0, max: 10_000 }),
            width: fc.integer({ min: 0, max: 60 }),
            at: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (samples) => {
          // Prepare: a true duration somewhere inside each range.
          const ranges = samples.map((s) => ({ lowMinutes: s.low, highMinutes: s.low + s.width }));
          const truth = samples.map((s) => s.low + s.width * s.at).sort((a, b) => a - b);

          // Act
          const stats = rangeStatistics(ranges);

          // Assess (one decimal of rounding allowed)
          for (const [q, bound] of [
            [0.5, stats?.median],
            [0.9, stats?.p90],
            [1, stats?.max],
          ] as const) {
            const value = quantile(truth, q);
            expect(value).toBeGreaterThanOrEqual((bound?.lowMinutes ?? Number.NaN) - 0.05);
            expect(value).toBeLessThanOrEqual((bound?.highMinutes ?? Number.NaN) + 0.05);
          }
        },
      ),
    );
  });

  it('has nothing to say about no durations', () => {
    expect(rangeStatistics([])).toBeNull();
  });
});

describe('minutesBetween', () => {
  it('runs from the start to both ends of the window, never below zero', () => {
    expect(minutesBetween(0, 30 * 60_000, 35 * 60_000)).toEqual({ lowMinutes: 30, highMinutes: 35 });
    expect(minutesBetween(10 * 60_000, 5 * 60_000, 12 * 60_000)).toEqual({ lowMinutes: 0, highMinutes: 2 });
    expect(minutesBetween(0, undefined, 12 * 60_000)).toEqual({ lowMinutes: 0, highMinutes: 12 });
  });
});

describe('durationTrend', () => {
  const line = (perDay: number, days: readonly number[]) =>
    days.map((day) => ({
      atMs: day * DAY,
      duration: { lowMinutes: 60 + perDay * day, highMinutes: 65 + perDay * day },
    }));

  it('gives the slope per 30 days and calls restores that take longer "slower"', () => {
    // Act
    const trend = durationTrend(line(1, [0, 10, 20, 30]), 30, 5);

    // Assess
    expect(trend).toEqual({ restoresMeasured: 4, slopeMinutesPer30Days: 30, direction: 'slower' });
  });

  it('calls a change over the period within the finish precision flat', () => {
    // Act: 0.1 min per day over 30 days is 3 minutes, inside 5-minute windows.
    const trend = durationTrend(line(0.1, [0, 10, 20, 30]), 30, 5);

    // Assess
    expect(trend?.direction).toBe('flat');
  });

  it('says nothing from fewer than four restores or from requests within a week', () => {
    expect(durationTrend(line(1, [0, 10, 20]), 30, 5)).toBeNull();
    expect(durationTrend(line(1, [0, 1, 2, 3, 4, 5, 6]), 30, 5)).toBeNull();
  });
});
