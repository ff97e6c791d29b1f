/**
 * List paging as the Public API does it: `pageNum` (1-based) and `itemsPerPage` (default 100, at most
 * 500), `totalCount` over all results, and `self` / `next` / `previous` links.
 */

export const DEFAULT_ITEMS_PER_PAGE = 100;
/** Current docs; very old docs said 100. A client asking for more is wrong and gets a 400. */
export const MAX_ITEMS_PER_PAGE = 500;

export interface PageRequest {
  pageNum: number;
  itemsPerPage: number;
}

export type PageRequestResult = { ok: true; page: PageRequest } | { ok: false; detail: string };

export interface Link {
  href: string;
  rel: string;
}

export interface ListPage<T> {
  results: T[];
  links: Link[];
  totalCount: number;
}

export function parsePageRequest(query: URLSearchParams): PageRequestResult {
  const pageNum = parsePositiveInteger(query.get('pageNum'), 1);
  if (pageNum === undefined) {
    return {
      ok: false,
      detail: `Invalid pageNum ${query.get('pageNum')}: it must be a whole number of 1 or more.`,
    };
  }
  const itemsPerPage = parsePositiveInteger(query.get('itemsPerPage'), DEFAULT_ITEMS_PER_PAGE);
  if (itemsPerPage === undefined || itemsPerPage > MAX_ITEMS_PER_PAGE) {
    return {
      ok: false,
      detail: `Invalid itemsPerPage ${query.get('itemsPerPage')}: it must be a whole number from 1 to ${MAX_ITEMS_PER_PAGE}.`,
    };
  }
  return { ok: true, page: { pageNum, itemsPerPage } };
}

/**
 * One page of `all` with its links. `listUrl` is the list's absolute URL with the caller's query:
 * links keep every parameter (batchId, pretty, envelope) and set the paging ones.
 */
export function pageOf<T, R = T>(
  all: readonly T[],
  page: PageRequest,
  listUrl: URL,
  present: (item: T) => R = (item) => item as unknown as R,
): ListPage<R> {
  const start = (page.pageNum - 1) * page.itemsPerPage;
  const results = all.slice(start, start + page.itemsPerPage).map(present);
  const links: Link[] = [{ href: pageHref(listUrl, page.pageNum, page.itemsPerPage), rel: 'self' }];
  if (start + page.itemsPerPage < all.length) {
    links.push({ href: pageHref(listUrl, page.pageNum + 1, page.itemsPerPage), rel: 'next' });
  }
  if (page.pageNum > 1) {
    links.push({ href: pageHref(listUrl, page.pageNum - 1, page.itemsPerPage), rel: 'previous' });
  }
  return { results, links, totalCount: all.length };
}

function pageHref(listUrl: URL, pageNum: number, itemsPerPage: number): string {
  const url = new URL(listUrl.href);
  url.searchParams.set('pageNum', String(pageNum));
  url.searchParams.set('itemsPerPage', String(itemsPerPage));
  return url.href;
}

function parsePositiveInteger(raw: string | null, fallback: number): number | undefined {
  if (raw === null) return fallback;
  if (!/^\d{1,9}$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= 1 ? value : undefined;
}
