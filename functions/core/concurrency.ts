/**
 * The one concurrency pool: targets polled at once, DynamoDB batch requests in flight. Results keep
 * input order; at most `concurrency` calls of `work` are pending at any time.
 */

export interface PoolOptions {
  /**
   * Stop starting new work after the first failure and throw it once the running calls settle
   * (a batch write where one failure fails the whole call). Without it, `work` must not throw: a
   * throw still stops the pool, but only after every item was tried, and the first error is thrown.
   * @default false
   */
  stopOnError?: boolean;
}

export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  options: PoolOptions = {},
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !(options.stopOnError && failure)) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure.error;
  return results;
}
