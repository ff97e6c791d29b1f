/**
 * Reads by key that arrive together share BatchGetItem calls (functions/adapters/dynamo/
 * batch-get-coalescer.ts), C1-C3. Over dynalite, the storm's request count in `npm run bench` shows
 * the effect: one BatchGetItem per 100 keys instead of a request per target.
 */
import { describe, expect, it } from 'vitest';
import { BatchGetCoalescer } from '../../../functions/adapters/dynamo/batch-get-coalescer.ts';
import type { Item, ItemKey } from '../../../functions/adapters/dynamo/table-items.ts';

const key = (n: number): ItemKey => ({ pk: `TARGET#${n}`, sk: '#DIGEST' });

/** A table holding the even-numbered keys; every read call is recorded with its keys. */
function table() {
  const calls: ItemKey[][] = [];
  const read = async (keys: ItemKey[]): Promise<Item[]> => {
    calls.push(keys);
    return keys.filter((k) => Number(k.pk.split('#')[1]) % 2 === 0).map((k) => ({ ...k, value: k.pk }));
  };
  return { calls, read };
}

describe('BatchGetCoalescer', () => {
  it('C1/C2: gives each caller its own items, from one call for reads made together', async () => {
    const { calls, read } = table();
    const reads = new BatchGetCoalescer(read, 5);

    const [a, b, c] = await Promise.all([
      reads.get([key(2)]),
      reads.get([key(3), key(4)]),
      reads.get([key(2)]),
    ]);

    expect(calls).toHaveLength(1);
    expect(calls[0]?.map((k) => k.pk)).toEqual(['TARGET#2', 'TARGET#3', 'TARGET#4']);
    expect(a).toEqual([{ ...key(2), value: 'TARGET#2' }]);
    expect(b).toEqual([{ ...key(4), value: 'TARGET#4' }]);
    expect(c).toEqual(a);
  });

  it('C2: reads made after the window go out in a call of their own', async () => {
    const { calls, read } = table();
    const reads = new BatchGetCoalescer(read, 1);

    await reads.get([key(2)]);
    await reads.get([key(4)]);

    expect(calls.map((c) => c.map((k) => k.pk))).toEqual([['TARGET#2'], ['TARGET#4']]);
  });

  it('C3: a failed call fails every caller in it, and the next window works again', async () => {
    let fail = true;
    const reads = new BatchGetCoalescer(async (keys) => {
      if (fail) throw new Error('ProvisionedThroughputExceededException');
      return keys.map((k) => ({ ...k }));
    }, 1);

    const failed = await Promise.allSettled([reads.get([key(1)]), reads.get([key(2)])]);
    fail = false;
    const later = await reads.get([key(3)]);

    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(later).toEqual([key(3)]);
  });

  it('answers an empty read at once, without a call', async () => {
    const { calls, read } = table();
    expect(await new BatchGetCoalescer(read, 5).get([])).toEqual([]);
    expect(calls).toEqual([]);
  });
});
