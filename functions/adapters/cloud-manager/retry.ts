/**
 * Retry timing: exponential backoff with full jitter (the AWS Architecture Blog's "Exponential Backoff
 * And Jitter": a fleet of pollers that failed together must not retry together) and `Retry-After`
 * parsing. The waiting itself is the core's `sleep`.
 */

export interface BackoffOptions {
  /** First retry waits up to this long. @default 1000 */
  baseMs?: number;
  /** No retry waits longer than this (jitter included). @default 30000 */
  maxMs?: number;
  /** A server's `Retry-After` is honoured up to this long. @default 60000 (the documented rate-limit window) */
  retryAfterCapMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  baseMs: 1000,
  maxMs: 30_000,
  retryAfterCapMs: 60_000,
};

/** Full jitter: uniform in [0, min(maxMs, baseMs * 2^retryIndex)). `retryIndex` is 0 for the first retry. */
export function backoffDelay(retryIndex: number, options: BackoffOptions, random: () => number): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const ceiling = Math.min(max, base * 2 ** Math.min(retryIndex, 30));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3), clamped to
 * [0, capMs]. `undefined` when absent or unreadable, so the caller falls back to backoff.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number,
  capMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    // An HTTP date always names the weekday or month; this keeps Date.parse from reading "-5" as a year.
    if (!/[a-z]{3}/i.test(text)) return undefined;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(Math.ceil(ms), 0), capMs);
}
