/**
 * Live counters of one client. The headline invariant they make checkable: in a steady poll,
 * `requests` grows by exactly `apiCalls` (one HTTP request per API call once the digest nonce or the
 * OAuth token is cached).
 */

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is open-ended. */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000,
];

/** Latency of HTTP requests: count, total, max and a fixed-bucket histogram for percentiles. */
export class LatencyHistogram {
  count = 0;
  totalMs = 0;
  maxMs = 0;
  /** `buckets[i]` counts samples ≤ `LATENCY_BUCKETS_MS[i]`; the extra last slot counts the rest. */
  readonly buckets: number[] = new Array(LATENCY_BUCKETS_MS.length + 1).fill(0);

  record(ms: number): void {
    const value = Math.max(0, ms);
    this.count += 1;
    this.totalMs += value;
    if (value > this.maxMs) this.maxMs = value;
    let index = LATENCY_BUCKETS_MS.findIndex((bound) => value <= bound);
    if (index < 0) index = LATENCY_BUCKETS_MS.length;
    this.buckets[index] = (this.buckets[index] ?? 0) + 1;
  }

  get meanMs(): number {
    return this.count === 0 ? 0 : this.totalMs / this.count;
  }

  /**
   * Upper bound of the bucket holding the q-th quantile (0 < q ≤ 1), capped by the observed max:
   * an over-estimate by at most one bucket width. 0 when nothing was recorded.
   */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(Math.min(Math.max(q, 0), 1) * this.count));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i] ?? 0;
      if (seen >= rank) return Math.min(LATENCY_BUCKETS_MS[i] ?? this.maxMs, this.maxMs);
    }
    return this.maxMs;
  }

  get p50(): number {
    return this.percentile(0.5);
  }

  get p95(): number {
    return this.percentile(0.95);
  }

  reset(): void {
    this.count = 0;
    this.totalMs = 0;
    this.maxMs = 0;
    this.buckets.fill(0);
  }

  toJSON(): Record<string, number> {
    return {
      count: this.count,
      totalMs: Math.round(this.totalMs),
      maxMs: Math.round(this.maxMs),
      meanMs: Math.round(this.meanMs),
      p50Ms: Math.round(this.p50),
      p95Ms: Math.round(this.p95),
    };
  }
}

export interface ClientStats {
  /** HTTP requests sent: API requests including unanswered (challenge) ones, retries and token requests. */
  requests: number;
  /** Logical API calls: one per page of a list and one per single-job read. */
  apiCalls: number;
  /** 401 digest challenges received for an unauthenticated request (the first call per origin). */
  challenges: number;
  /** Requests re-answered after `stale=true`. */
  staleRetries: number;
  /** Attempts repeated after a retryable failure (429, 5xx, network). */
  retries: number;
  /** 429 responses seen (retried or not). */
  rateLimited: number;
  /** Token endpoint requests (OAuth service accounts). */
  tokenFetches: number;
  /** Times the client-side limiter made a request wait, and for how long in total. */
  limiterWaits: number;
  limiterWaitMs: number;
  /** Characters of the 2xx API bodies parsed (after decompression): what the poll's parsing costs scales with. */
  bodyCharacters: number;
  readonly latency: LatencyHistogram;
}

export function createClientStats(): ClientStats {
  return {
    requests: 0,
    apiCalls: 0,
    challenges: 0,
    staleRetries: 0,
    retries: 0,
    rateLimited: 0,
    tokenFetches: 0,
    limiterWaits: 0,
    limiterWaitMs: 0,
    bodyCharacters: 0,
    latency: new LatencyHistogram(),
  };
}

/** Zeroes `stats` in place, so references held elsewhere stay live. */
export function resetClientStats(stats: ClientStats): void {
  stats.requests = 0;
  stats.apiCalls = 0;
  stats.challenges = 0;
  stats.staleRetries = 0;
  stats.retries = 0;
  stats.rateLimited = 0;
  stats.tokenFetches = 0;
  stats.limiterWaits = 0;
  stats.limiterWaitMs = 0;
  stats.bodyCharacters = 0;
  stats.latency.reset();
}
