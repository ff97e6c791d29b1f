/**
 * Offset paging that survives a list changing underneath it, and cannot loop forever.
 *
 * Cloud Manager pages by `pageNum`/`itemsPerPage` over a live list. A job created while we page shifts
 * every later job by one: the job at a page boundary is then served twice and, depending on the sort
 * order, another may be skipped. So: de-duplicate by id; call a pass "stable" only when `totalCount`
 * did not move during it and it saw `totalCount` distinct items; otherwise page again (bounded) and
 * return the union of all passes (later passes win, they are fresher).
 *
 * Items are streamed (`pageThrough`) as each page is read, so a long history is never held raw all at
 * once; `collectPages` is the same walk kept in memory.
 *
 * Loop guards: the page after the last is computed by us (a `next` href is never followed, so the
 * server cannot steer the request elsewhere); a hard page cap derived from the largest `totalCount`
 * seen; an empty page ends a pass; a `next` link that does not advance is reported and ignored.
 */
import type { ListPage } from './restore-job-schema.ts';

export interface PagingOptions {
  itemsPerPage: number;
  /** Passes over the list before giving up on a stable view. @default 3 */
  maxPasses?: number;
  /** Absolute page cap per pass, whatever `totalCount` says. @default 1000 (500,000 items at 500 a page) */
  maxPages?: number;
  /** Called for recoverable oddities (shifting results, a `next` link that does not advance). */
  warn?: (message: string, extra: Record<string, unknown>) => void;
}

/** What a walk over the pages found, besides the items. */
export interface PagingStats {
  pages: number;
  passes: number;
  /** False when the list kept moving through every pass: the items are the union of what was seen. */
  stable: boolean;
  /** `totalCount` of the last page read: what the server says exists now. */
  lastTotalCount: number;
  /** Distinct item ids seen over every pass. */
  distinct: number;
}

export interface PagingResult<T> extends PagingStats {
  /** De-duplicated by id, in the order first seen, the last sighting winning. */
  items: T[];
}

/** `pageNum` of a `next` link, when it can be read. */
function nextPageNumber(href: string | undefined): number | undefined {
  if (!href) return undefined;
  try {
    const value = new URL(href, 'http://relative.invalid/').searchParams.get('pageNum');
    if (value === null || !/^\d+$/.test(value)) return undefined;
    return Number(value);
  } catch {
    return undefined;
  }
}

/**
 * Yields every item as soon as its page is read. An item can be yielded again by a later pass (the
 * list shifted): the last sighting is the freshest. Returns the stats of the walk; a caller that needs
 * a complete listing must check them (`stable`, `distinct` against `lastTotalCount`).
 */
export async function* pageThrough<T extends { id: string }>(
  fetchPage: (pageNum: number) => Promise<ListPage<T>>,
  options: PagingOptions,
): AsyncGenerator<T, PagingStats, void> {
  const perPage = options.itemsPerPage;
  const maxPasses = Math.max(1, options.maxPasses ?? 3);
  const absoluteMaxPages = Math.max(1, options.maxPages ?? 1000);
  // Ids only (never the items): the union's size, and each later pass's own distinct count.
  const everSeen = new Set<string>();
  let pages = 0;
  let passes = 0;
  let stable = false;
  let lastTotalCount = 0;

  while (passes < maxPasses && !stable) {
    passes += 1;
    // The first pass starts with nothing seen, so what it saw is `everSeen`: no second set.
    const seen = passes === 1 ? undefined : new Set<string>();
    let firstTotal: number | undefined;
    let lastTotal = 0;
    let maxTotal = 0;
    let totalMoved = false;
    let truncated = false;

    for (let pageNum = 1; ; pageNum++) {
      const page = await fetchPage(pageNum);
      pages += 1;
      firstTotal ??= page.totalCount;
      if (page.totalCount !== firstTotal) totalMoved = true;
      lastTotal = page.totalCount;
      maxTotal = Math.max(maxTotal, page.totalCount);
      if (page.results.length === 0) break;
      for (const item of page.results) {
        seen?.add(item.id);
        everSeen.add(item.id);
        yield item;
      }

      const next = page.links.find((link) => link.rel === 'next');
      let hasNext = next !== undefined;
      const advertised = nextPageNumber(next?.href);
      if (next && advertised !== undefined && advertised <= pageNum) {
        options.warn?.('Cloud Manager returned a "next" link that does not advance; ignoring it', {
          pageNum,
          nextPageNum: advertised,
        });
        hasNext = false;
      }
      // Either signal is enough: a missing `next` on a full page with more counted, or a `next` the
      // count does not explain, costs at most one extra (empty) page, never a skipped one.
      const more = hasNext || pageNum * perPage < page.totalCount;
      if (!more) break;
      // One page of slack over the count: a job inserted while paging pushes one item onto a new page.
      const cap = Math.min(absoluteMaxPages, Math.ceil(maxTotal / perPage) + 1);
      if (pageNum >= cap) {
        truncated = true;
        options.warn?.('stopped paging at the page cap', { pageNum, cap, totalCount: maxTotal });
        break;
      }
    }

    const distinct = seen ? seen.size : everSeen.size;
    stable = !totalMoved && !truncated && distinct >= lastTotal;
    lastTotalCount = lastTotal;
    if (!stable && passes < maxPasses) {
      options.warn?.('results shifted while paging; paging again', {
        pass: passes,
        distinct,
        totalCount: lastTotal,
      });
    }
  }

  if (!stable) {
    options.warn?.('results kept shifting while paging; returning the union of every pass', {
      passes,
      distinct: everSeen.size,
    });
  }
  return { pages, passes, stable, lastTotalCount, distinct: everSeen.size };
}

/** `pageThrough` kept in memory: the union of every pass, by id. */
export async function collectPages<T extends { id: string }>(
  fetchPage: (pageNum: number) => Promise<ListPage<T>>,
  options: PagingOptions,
): Promise<PagingResult<T>> {
  const union = new Map<string, T>();
  const walk = pageThrough(fetchPage, options);
  for (;;) {
    const step = await walk.next();
    if (step.done) return { items: [...union.values()], ...step.value };
    union.set(step.value.id, step.value);
  }
}
