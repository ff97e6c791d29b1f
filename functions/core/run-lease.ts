/**
 * The run lease as a stage: acquire it, keep it renewed, notice when it is lost, fence every write and
 * every publish behind it, release it.
 *
 * Guarantees (each proven by a named test in test/core/run-lease.test.ts, and over dynalite in
 * test/reliability/leases-and-time-budget.test.ts):
 *
 * L1. A run writes and publishes only while it holds the lease: every `StateStore` write and every
 *     call a publisher makes to its service first awaits `ensureHeld()`.
 * L2. Once the lease is lost, it stays lost: every later `ensureHeld()` rejects with the same
 *     `LeaseLostError`, and `signal` is aborted with it so that in-flight work (requests to Cloud
 *     Manager, a target waiting for the pool) stops too.
 * L3. A pause cannot slip a write through: `ensureHeld()` reads the clock, and when less than half of
 *     the lease's lifetime is left since it was last confirmed (a pause of any length ends there),
 *     it renews the lease before letting the write go; a refused renewal is the loss of L2. So a write
 *     is only ever sent with at least half a lease lifetime (30 s by default) confirmed ahead of it.
 * L4. A renewal that fails for another reason (DynamoDB unreachable) is retried by the next
 *     `ensureHeld()`; once the lease can no longer be proven held (its confirmed lifetime is over), the
 *     run treats it as lost rather than write without it.
 * L5. Release gives the lease back only if this run still holds it (the adapter's release is
 *     conditional on the owner), and never throws: an unreleased lease expires by itself.
 *
 * The background renewal (every third of the lifetime, on real timers) only keeps a long run's lease
 * alive; correctness comes from L3, which works the same with a virtual clock.
 */
import { describeError, LeaseLostError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { RunLease, StateReader, StateStore } from './ports.ts';

/** A crashed run blocks the next one for at most this long. */
export const DEFAULT_LEASE_TTL_MS = 60_000;

export interface LeaseOptions {
  lease: RunLease;
  /** Which lease (one per shard, see `shardLeaseName`). @default POLL_LEASE */
  name?: string;
  owner: string;
  ttlMs: number;
  now: () => Date;
  logger: Logger;
}

export type LeaseAcquisition =
  | { kind: 'held'; lease: HeldLease }
  | { kind: 'held-by-other'; holder: string; expiresAt: string };

/** Takes the run lease, or says who holds it. */
export async function acquireRunLease(options: LeaseOptions): Promise<LeaseAcquisition> {
  const at = options.now();
  const result = await options.lease.acquire(options.owner, at, options.ttlMs, options.name);
  if (!result.acquired) return { kind: 'held-by-other', holder: result.holder, expiresAt: result.expiresAt };
  return { kind: 'held', lease: new HeldLease(options, at.getTime() + options.ttlMs) };
}

/** The reading methods of `StateStore`: the only ones the fence lets through unchecked. */
const READS: Readonly<Record<keyof StateReader, true>> = {
  getTargetStates: true,
  listTargetStates: true,
  loadJobStates: true,
  loadJobDigest: true,
  listOwedEvents: true,
  readRunState: true,
  queryAudit: true,
  readPeriod: true,
};

export class HeldLease {
  readonly #options: LeaseOptions;
  readonly #abort = new AbortController();
  /** Epoch ms until which the lease is known to be ours (acquired or renewed at `now` + ttl). */
  #confirmedUntil: number;
  #renewing: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #released = false;

  constructor(options: LeaseOptions, confirmedUntil: number) {
    this.#options = options;
    this.#confirmedUntil = confirmedUntil;
    this.#timer = setInterval(
      () => {
        this.#renew().catch(() => {});
      },
      Math.max(1_000, Math.floor(options.ttlMs / 3)),
    );
    this.#timer.unref?.();
  }

  /** Aborted, with the `LeaseLostError`, when the lease is lost. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** The loss, once it happened. */
  get lost(): LeaseLostError | undefined {
    const reason: unknown = this.#abort.signal.reason;
    return reason instanceof LeaseLostError ? reason : undefined;
  }

  /** Resolves when the lease is (still) this run's; rejects with `LeaseLostError` otherwise (L1-L4). */
  async ensureHeld(): Promise<void> {
    const lost = this.lost;
    if (lost) throw lost;
    const leftMs = this.#confirmedUntil - this.#options.now().getTime();
    if (leftMs > this.#options.ttlMs / 2) return;
    await this.#renew();
    const after = this.lost;
    if (after) throw after;
    if (this.#confirmedUntil <= this.#options.now().getTime()) {
      throw this.#lose('the lease could not be renewed before it ran out');
    }
  }

  /** A view of `store` whose every write first awaits `ensureHeld()` (reads go straight through). */
  fence(store: StateStore): StateStore {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || (typeof property === 'string' && property in READS)) {
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (...args: unknown[]) => {
          await this.ensureHeld();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  /** Stops renewing and gives the lease back if it is still ours (L5). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.lost) return;
    try {
      await this.#options.lease.release(this.#options.owner, this.#options.name);
    } catch (error) {
      this.#options.logger.warn('Could not release the poll lease; it expires by itself', {
        error: describeError(error),
      });
    }
  }

  /** One renewal at a time; concurrent callers share it. */
  #renew(): Promise<void> {
    if (this.lost || this.#released) return Promise.resolve();
    this.#renewing ??= this.#renewOnce().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #renewOnce(): Promise<void> {
    const { lease, name, owner, ttlMs, now, logger } = this.#options;
    const at = now().getTime();
    let held: boolean;
    try {
      held = await lease.renew(owner, new Date(at), ttlMs, name);
    } catch (error) {
      logger.warn('Could not renew the poll lease', { error: describeError(error) });
      return;
    }
    if (held) {
      this.#confirmedUntil = Math.max(this.#confirmedUntil, at + ttlMs);
      return;
    }
    this.#lose('another run took the lease over');
  }

  #lose(why: string): LeaseLostError {
    const already = this.lost;
    if (already) return already;
    const error = new LeaseLostError(this.#options.owner);
    this.#options.logger.error('Poll lease lost; stopping this run', { runId: this.#options.owner, why });
    this.#abort.abort(error);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    return error;
  }
}
