import { describe, expect, it } from 'vitest';
import type { ReportMessage, ReportPeriod } from '../../../functions/core/ports.ts';
import { buildRestoreReport } from '../../../functions/core/report/build-report.ts';
import {
  digestSubject,
  previousMonth,
  publishMonthlyDigest,
} from '../../../functions/core/report/monthly-digest.ts';
import { renderText } from '../../../functions/core/report/render-text.ts';
import { at, runScenario, scenarioPeriod } from './report-scenario.ts';

describe('previousMonth', () => {
  it('is the calendar month before the given time, in UTC', () => {
    expect(previousMonth(new Date('2026-12-01T08:00:00Z'))).toEqual({
      since: '2026-11-01T00:00:00.000Z',
      until: '2026-12-01T00:00:00.000Z',
    });
    expect(previousMonth(new Date('2027-01-15T23:59:00Z'))).toEqual({
      since: '2026-12-01T00:00:00.000Z',
      until: '2027-01-01T00:00:00.000Z',
    });
  });
});

describe('publishMonthlyDigest', () => {
  it('publishes the text report of last month for every known target, once', async () => {
    // Prepare: the known history (late November) in a store that answers from memory.
    const history = runScenario();
    const periods: ReportPeriod[] = [];
    const store = {
      listTargetStates: async () => [history.target],
      readPeriod: async (_target: unknown, period: ReportPeriod) => {
        periods.push(period);
        const { events, jobs } = scenarioPeriod(history, period);
        return { events: [...events], jobs: [...jobs] };
      },
    };
    const sent: ReportMessage[] = [];
    const publisher = {
      publishReport: async (message: ReportMessage) => {
        sent.push(message);
        return { messageId: 'm-1' };
      },
    };
    const scheduled = new Date('2026-12-01T08:00:00Z');

    // Act
    const result = await publishMonthlyDigest({ store, publisher, at: scheduled });

    // Assess
    const november = { since: '2026-11-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' };
    expect(periods).toEqual([november]);
    expect(sent).toHaveLength(1);
    const expected = buildRestoreReport({
      period: november,
      generatedAt: scheduled.toISOString(),
      targets: [scenarioPeriod(history, november)],
    });
    expect(sent[0]?.text).toBe(renderText(expected));
    expect(sent[0]?.period).toEqual(november);
    expect(result).toEqual({ period: november, targets: 1, restores: 10, messageId: 'm-1' });
  });
});

describe('digestSubject', () => {
  it('names the month and the headline figures in at most 99 printable ASCII characters', () => {
    // Prepare
    const history = runScenario();
    const period = { since: '2026-11-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' };
    const report = buildRestoreReport({
      period,
      generatedAt: at(601),
      targets: [scenarioPeriod(history, period)],
    });

    // Act
    const subject = digestSubject(report);

    // Assess
    expect(subject).toBe(
      '[INFO] restore-watch report 2026-11: 10 restores, 88.9% succeeded, median 50-55 min',
    );
    expect(subject.length).toBeLessThanOrEqual(99);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});
