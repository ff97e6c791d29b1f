/**
 * Request counting in fixed one-minute windows aligned to the clock's minute, as the reference states
 * for the Public API ("counter reset each minute") and as the OAuth token endpoint is limited.
 */
export const ONE_MINUTE_MS = 60_000;

export class FixedWindowLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, { windowStartMs: number; count: number }>();

  constructor(limit: number, windowMs: number = ONE_MINUTE_MS) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Counts one request for `key` at `nowMs`; false (and not counted) when the window is already full. */
  tryTake(key: string, nowMs: number): boolean {
    const windowStartMs = Math.floor(nowMs / this.#windowMs) * this.#windowMs;
    const current = this.#windows.get(key);
    if (!current || current.windowStartMs !== windowStartMs) {
      this.#windows.set(key, { windowStartMs, count: 1 });
      return this.#limit >= 1;
    }
    if (current.count >= this.#limit) return false;
    current.count += 1;
    return true;
  }
}
