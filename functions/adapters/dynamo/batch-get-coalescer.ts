/**
 * Reads of a few items by key that arrive together go out as shared BatchGetItem calls.
 *
 * Why: a change storm diffs hundreds of targets at once, and each diff reads its target's job digest
 * and the few job states it needs. One GetItem or BatchGetItem per target costs a request per target;
 * gathered over a short window they share calls of up to 100 keys (the poll runs hundreds of targets
 * concurrently, so their reads arrive close together).
 *
 * Guarantees (test/adapters/dynamo/batch-get-coalescer.test.ts):
 * C1. Every caller gets exactly the items of its own keys (a key no item has is simply absent).
 * C2. Reads made within `windowMs` of the first one go out together; a key asked for twice is read once.
 * C3. A failed call fails every caller whose keys were in it, and no other.
 */
import type { Item, ItemKey } from './table-items.ts';

interface Waiting {
  keys: readonly ItemKey[];
  resolve: (items: Item[]) => void;
  reject: (error: unknown) => void;
}

export class BatchGetCoalescer {
  readonly #read: (keys: ItemKey[]) => Promise<Item[]>;
  readonly #windowMs: number;
  #waiting: Waiting[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param read reads the given (distinct) keys, in as many calls as it needs (it chunks by 100)
   * @param windowMs how long the first read waits for others to join it
   */
  constructor(read: (keys: ItemKey[]) => Promise<Item[]>, windowMs: number) {
    this.#read = read;
    this.#windowMs = windowMs;
  }

  /** The items found for `keys`, read together with whatever else is asked for in the window. */
  get(keys: readonly ItemKey[]): Promise<Item[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return new Promise<Item[]>((resolve, reject) => {
      this.#waiting.push({ keys, resolve, reject });
      this.#timer ??= setTimeout(() => this.#flush(), this.#windowMs);
    });
  }

  #flush(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#timer = undefined;
    const unique = new Map<string, ItemKey>();
    for (const entry of waiting) for (const key of entry.keys) unique.set(idOf(key), key);
    this.#read([...unique.values()]).then(
      (items) => {
        const byId = new Map(items.map((item) => [idOf(item as unknown as ItemKey), item]));
        for (const entry of waiting) {
          entry.resolve(
            entry.keys.flatMap((key): Item[] => {
              const item = byId.get(idOf(key));
              return item ? [item] : [];
            }),
          );
        }
      },
      (error: unknown) => {
        for (const entry of waiting) entry.reject(error);
      },
    );
  }
}

function idOf(key: ItemKey): string {
  return `${key.pk}\u0000${key.sk}`;
}
