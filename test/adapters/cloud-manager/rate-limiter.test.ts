import { describe, expect, it } from 'vitest';
import { SlidingWindowRateLimiter } from '../../../functions/adapters/cloud-manager/rate-limiter.ts';

/** A clock that only moves when someone sleeps on it. */
function fakeTime(start = 1_000_000) {
  const state = { now: start, sleeps: [] as number[] };
  return {
    state,
    now: () => state.now,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      state.sleeps.push(ms);
      state.now += ms;
    },
  };
}

/** Most grants inside any window of `windowMs` (sliding over every grant). */
function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j < sorted.length && (sorted[j] as number) < (sorted[i] as number) + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe('SlidingWindowRateLimiter', () => {
  it('lets a burst up to the limit through without waiting', async () => {
    const time = fakeTime();
    const limiter = new SlidingWindowRateLimiter({ limit: 5, now: time.now, sleep: time.sleep });
    const waits = await Promise.all(Array.from({ length: 5 }, () => limiter.acquire('p')));
    expect(waits).toEqual([0, 0, 0, 0, 0]);
    expect(time.state.sleeps).toEqual([]);
  });

  it('never admits more than the limit in any 60 s window, even across window boundaries', async () => {
    // Prepare
    const time = fakeTime();
    const limiter = new SlidingWindowRateLimiter({ limit: 10, now: time.now, sleep: time.sleep });
    const granted: number[] = [];

    // Act: 35 requests in a burst, then 10 more after a pause of 59 s
    for (let i = 0; i < 35; i++) {
      await limiter.acquire('p');
      granted.push(time.state.now);
    }
    time.state.now += 59_000;
    for (let i = 0; i < 10; i++) {
      await limiter.acquire('p');
      granted.push(time.state.now);
    }

    // Assess
    expect(maxInAnyWindow(granted, 60_000)).toBe(10);
    expect(granted.length).toBe(45);
  });

  it('serves concurrent callers within the limit, in order', async () => {
    // Prepare: the clock stands still while all seven wait, so each wait is its reserved slot
    const limiter = new SlidingWindowRateLimiter({ limit: 3, now: () => 0, sleep: async () => {} });

    // Act
    const waits = await Promise.all(Array.from({ length: 7 }, () => limiter.acquire('p')));

    // Assess
    expect(waits).toEqual([0, 0, 0, 60_000, 60_000, 60_000, 120_000]);
  });

  it('keeps projects apart', async () => {
    const time = fakeTime();
    const limiter = new SlidingWindowRateLimiter({ limit: 1, now: time.now, sleep: time.sleep });
    expect(await limiter.acquire('a')).toBe(0);
    expect(await limiter.acquire('b')).toBe(0);
    expect(limiter.inWindow('a')).toBe(1);
  });

  it('stops waiting and frees the slot when the signal aborts', async () => {
    // Prepare: a sleep that only ends by abort
    let now = 0;
    const limiter = new SlidingWindowRateLimiter({
      limit: 1,
      now: () => now,
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    });
    await limiter.acquire('p');
    const controller = new AbortController();

    // Act
    const waiting = limiter.acquire('p', controller.signal);
    controller.abort(new Error('stop'));

    // Assess
    await expect(waiting).rejects.toThrow('stop');
    now = 60_001;
    expect(limiter.inWindow('p')).toBe(0);
  });

  it('refuses a limit below one', () => {
    expect(() => new SlidingWindowRateLimiter({ limit: 0, now: () => 0, sleep: async () => {} })).toThrow(
      RangeError,
    );
  });
});
