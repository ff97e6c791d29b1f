/**
 * Client-side limit per project, so that a fleet of targets in one project never trips Cloud Manager's
 * 100-requests-per-minute limit (older docs: per project, counter reset each minute).
 *
 * A sliding window log rather than a token bucket: a bucket of N that refills N per minute lets 2N
 * requests through within one minute (full bucket spent at the end of one server window, refill spent
 * at the start of the next), which trips a fixed-window server. A sliding log never admits more than N
 * in ANY window of 60 s, so no fixed window can see more than N either.
 *
 * Slots are reserved synchronously (the reservation time is computed and recorded before waiting), so
 * concurrent callers cannot oversubscribe, and callers are served in arrival order.
 */
import { raceAbort } from '../../core/sleep.ts';

export interface RateLimiterOptions {
  /** Requests allowed per window and key. */
  limit: number;
  /** @default 60000 */
  windowMs?: number;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class SlidingWindowRateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Per key: granted or reserved start times, ascending. */
  readonly #log = new Map<string, number[]>();

  constructor(options: RateLimiterOptions) {
    if (!Number.isFinite(options.limit) || options.limit < 1) {
      throw new RangeError('rate limit must be at least 1 request per window');
    }
    this.#limit = Math.floor(options.limit);
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now;
    this.#sleep = options.sleep;
  }

  /**
   * Waits until a request for `key` may start. Returns the milliseconds waited (0 when a slot was free).
   * An abort while waiting releases the reservation and rejects with the signal's reason.
   */
  async acquire(key: string, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) await raceAbort(Promise.resolve(), signal);
    const now = this.#now();
    const log = this.#prune(key, now);
    const gate = log.length >= this.#limit ? (log[log.length - this.#limit] as number) + this.#windowMs : now;
    const at = Math.max(now, gate);
    log.push(at);
    const wait = at - now;
    if (wait <= 0) return 0;
    try {
      await this.#sleep(wait, signal);
      if (signal?.aborted) await raceAbort(Promise.resolve(), signal);
    } catch (error) {
      const index = log.lastIndexOf(at);
      if (index >= 0) log.splice(index, 1);
      throw error;
    }
    return wait;
  }

  /** Requests granted or reserved for `key` within the window ending now (for tests and stats). */
  inWindow(key: string): number {
    return this.#prune(key, this.#now()).length;
  }

  #prune(key: string, now: number): number[] {
    let log = this.#log.get(key);
    if (!log) {
      log = [];
      this.#log.set(key, log);
    }
    let drop = 0;
    while (drop < log.length && (log[drop] as number) <= now - this.#windowMs) drop++;
    if (drop > 0) log.splice(0, drop);
    return log;
  }
}
