import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../../functions/adapters/cloud-manager/retry.ts';
import { sleep } from '../../../functions/core/sleep.ts';

describe('backoffDelay (full jitter)', () => {
  it('draws uniformly below base * 2^retry', () => {
    const options = { baseMs: 100, maxMs: 10_000 };
    expect([0, 1, 2, 3].map((retry) => backoffDelay(retry, options, () => 0.5))).toEqual([50, 100, 200, 400]);
    expect(backoffDelay(2, options, () => 0)).toBe(0);
    expect(backoffDelay(2, options, () => 0.999)).toBe(399);
  });

  it('never exceeds maxMs, however many retries', () => {
    expect(backoffDelay(40, { baseMs: 100, maxMs: 5_000 }, () => 0.999)).toBe(4995);
  });

  it('clamps a misbehaving random source into [0, 1]', () => {
    expect(backoffDelay(0, { baseMs: 100, maxMs: 5_000 }, () => 7)).toBe(100);
    expect(backoffDelay(0, { baseMs: 100, maxMs: 5_000 }, () => -1)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('7', now, 60_000)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now, 60_000)).toBe(0);
  });

  it('reads an HTTP date relative to the injected clock', () => {
    expect(parseRetryAfter('Fri, 01 May 2026 12:00:30 GMT', now, 60_000)).toBe(30_000);
    expect(parseRetryAfter('Fri, 01 May 2026 11:00:00 GMT', now, 60_000)).toBe(0);
  });

  it('caps what the server asks for', () => {
    expect(parseRetryAfter('3600', now, 60_000)).toBe(60_000);
  });

  it('ignores missing or unreadable values', () => {
    expect(parseRetryAfter(null, now, 60_000)).toBeUndefined();
    expect(parseRetryAfter('', now, 60_000)).toBeUndefined();
    expect(parseRetryAfter('soon', now, 60_000)).toBeUndefined();
    expect(parseRetryAfter('-5', now, 60_000)).toBeUndefined();
  });
});

describe('sleep', () => {
  it('rejects with the abort reason as soon as the signal fires', async () => {
    const controller = new AbortController();
    const reason = new Error('poll deadline');
    const pending = sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('rejects at once when the signal already fired', async () => {
    await expect(sleep(60_000, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('resolves after the delay', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });
});
