import { describe, expect, it } from 'vitest';
import {
  createClientStats,
  LatencyHistogram,
  resetClientStats,
} from '../../../functions/adapters/cloud-manager/stats.ts';

describe('LatencyHistogram', () => {
  it('reports count, total, max and bucketed percentiles', () => {
    const histogram = new LatencyHistogram();
    for (const ms of [3, 4, 8, 20, 40, 90, 200, 400, 900, 3000]) histogram.record(ms);
    expect(histogram).toMatchObject({ count: 10, totalMs: 4665, maxMs: 3000 });
    expect(histogram.p50).toBe(50); // the 5th sample (40 ms) sits in the ≤ 50 ms bucket
    expect(histogram.p95).toBe(3000); // capped by the observed max, not the 5000 ms bucket bound
  });

  it('reports zeros before the first sample', () => {
    expect(new LatencyHistogram().toJSON()).toEqual({
      count: 0,
      totalMs: 0,
      maxMs: 0,
      meanMs: 0,
      p50Ms: 0,
      p95Ms: 0,
    });
  });
});

describe('resetClientStats', () => {
  it('zeroes the same object so held references stay live', () => {
    const stats = createClientStats();
    stats.requests = 5;
    stats.latency.record(10);
    const held = stats;
    resetClientStats(stats);
    expect(held.requests).toBe(0);
    expect(held.latency.count).toBe(0);
  });
});
