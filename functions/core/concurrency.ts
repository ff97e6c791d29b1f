/**
 * The one concurrency pool: targets polled at once, DynamoDB batch requests in flight. Results keep
 * input order; at most `concurrency` calls of `work` are pending at any time, and with a `budget`
 * the weights of the pending items stay within it too. Items start in input order.
 */

export interface PoolOptions<T = unknown> {
  /**
   * Stop starting new work after the first failure and throw it once the running calls settle
   * (a batch write where one failure fails the whole call). Without it, `work` must not throw: a
   * throw still stops the pool, but only after every item was tried, and the first error is thrown.
   * @default false
   */
  stopOnError?: boolean;
  /**
   * A second limit besides `concurrency`: an item starts only when the weights of the pending items
   * plus its own stay within `limit` (what the items hold in memory, say). An item heavier than the
   * whole limit still runs, alone. The next items wait for it: they start in order.
   * @default no limit
   */
  budget?: { limit: number; weight: (item: T) => number };
}

export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  options: PoolOptions<T> = {},
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const budget = weighed(options.budget);
  // Items are admitted one at a time, in order: a heavy item waiting for room is not overtaken.
  let admission: Promise<unknown> = Promise.resolve();
  const take = (): Promise<{ index: number; weight: number } | undefined> => {
    const turn = admission.then(async () => {
      if (next >= items.length || (options.stopOnError && failure)) return undefined;
      const index = next++;
      return { index, weight: await budget.admit(items[index] as T) };
    });
    admission = turn.catch(() => undefined);
    return turn;
  };
  const worker = async () => {
    for (let taken = await take(); taken; taken = await take()) {
      try {
        results[taken.index] = await work(items[taken.index] as T, taken.index);
      } catch (error) {
        failure ??= { error };
      } finally {
        budget.release(taken.weight);
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure.error;
  return results;
}

/** The budget's bookkeeping: the weight in use, and the one admission waiting for room. */
function weighed<T>(budget: PoolOptions<T>['budget']) {
  let used = 0;
  let waiting: (() => void) | undefined;
  return {
    async admit(item: T): Promise<number> {
      if (!budget) return 0;
      const weight = Math.max(0, budget.weight(item));
      while (used > 0 && used + weight > budget.limit) {
        await new Promise<void>((resolve) => {
          waiting = resolve;
        });
      }
      used += weight;
      return weight;
    },
    release(weight: number): void {
      used -= weight;
      const wake = waiting;
      waiting = undefined;
      wake?.();
    },
  };
}
