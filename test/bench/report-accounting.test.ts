/**
 * Keeps the report benchmark honest at a tiny size (no timing: the benchmark reports that): the
 * report sends exactly the bound's Queries, the store's count agrees with the wire's, and only the
 * period's items are read. The generated trail is deterministic.
 */
import { describe, expect, it } from 'vitest';
import { checkReport } from '../../bench/report.ts';
import { measureReport } from '../../bench/report-bench.ts';
import { generateTrail } from '../../bench/report-trail.ts';

describe('report benchmark accounting', () => {
  it("reads the period with the bound's Queries only, counted the same by the store and the proxy", async () => {
    // Act
    const record = await measureReport({
      trail: { targets: 2, days: 200, events: 600 },
      periodDays: 30,
      runs: 1,
    });

    // Assess
    expect(record.dynamodb.consistent).toBe(true);
    expect(record.dynamodb.report).toEqual(record.dynamodb.bound);
    expect(Object.keys(record.dynamodb.report.byOperation)).toEqual(['Query']);
    expect(record.periodItems.events).toBeGreaterThan(0);
    expect(record.periodItems.events).toBeLessThan(record.trail.events / 3);
    expect(record.restoresReported).toBe(record.periodItems.jobStates);
    expect(checkReport(record).find((check) => check.target.startsWith('DynamoDB'))?.met).toBe(true);
  }, 60_000);

  it('generates the same trail for the same seed, with at least the events asked for', () => {
    // Act
    const spec = { targets: 3, days: 100, events: 500, endMs: Date.parse('2026-11-28T00:00:00Z'), seed: 3 };
    const first = generateTrail(spec);
    const second = generateTrail(spec);

    // Assess
    expect(first.events.length).toBeGreaterThanOrEqual(500);
    expect(second.events.map((event) => event.eventId)).toEqual(first.events.map((event) => event.eventId));
    expect(new Set(first.events.map((event) => event.eventId)).size).toBe(first.events.length);
  });
});
