import { describe, expect, it } from 'vitest';
import { collectPages, pageThrough } from '../../../functions/adapters/cloud-manager/paging.ts';
import type { ListPage } from '../../../functions/adapters/cloud-manager/restore-job-schema.ts';

type Item = { id: string };
const items = (n: number, prefix = 'j') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}` }));

/** Serves `list()` (re-read per page, so tests can change it) the way the API pages it. */
function pager(list: () => Item[], perPage: number, links = true) {
  const requested: number[] = [];
  const fetchPage = async (pageNum: number): Promise<ListPage<Item>> => {
    requested.push(pageNum);
    const all = list();
    const results = all.slice((pageNum - 1) * perPage, pageNum * perPage);
    const pageLinks = links ? [{ rel: 'self', href: `x?pageNum=${pageNum}` }] : [];
    if (links && pageNum * perPage < all.length)
      pageLinks.push({ rel: 'next', href: `x?pageNum=${pageNum + 1}` });
    return { results, totalCount: all.length, links: pageLinks };
  };
  return { fetchPage, requested };
}

describe('collectPages', () => {
  it('fetches every page once when the list holds still', async () => {
    const data = items(12);
    const { fetchPage, requested } = pager(() => data, 5);
    const result = await collectPages(fetchPage, { itemsPerPage: 5 });
    expect(result.items.map((i) => i.id)).toEqual(data.map((i) => i.id));
    expect(requested).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ passes: 1, stable: true });
  });

  it('keeps the items in the order first seen, the last sighting winning', async () => {
    // Prepare: a job inserted at the top after page 1 makes a second pass that sees every job again
    let data: Array<Item & { sighting?: number }> = items(10);
    let sighting = 0;
    const { fetchPage, requested } = pager(() => data, 5);
    const shifting = async (pageNum: number) => {
      const page = await fetchPage(pageNum);
      if (requested.length === 1) data = [{ id: 'new' }, ...data];
      return { ...page, results: page.results.map((item) => ({ ...item, sighting: ++sighting })) };
    };

    // Act
    const result = await collectPages(shifting, { itemsPerPage: 5 });

    // Assess: pass 1 saw 11 items (j4 twice), pass 2 every one again from sighting 12 on
    expect(result).toMatchObject({ passes: 2, stable: true, distinct: 11 });
    expect(result.items.map((i) => i.id)).toEqual([...items(10).map((i) => i.id), 'new']);
    expect(result.items.every((i) => (i.sighting ?? 0) >= 12)).toBe(true);
  });

  it('streams each page before asking for the next one (pageThrough)', async () => {
    // Prepare
    const { fetchPage, requested } = pager(() => items(12), 5);
    const requestsWhenYielded: number[] = [];

    // Act
    const walk = pageThrough(fetchPage, { itemsPerPage: 5 });
    let step = await walk.next();
    while (!step.done) {
      requestsWhenYielded.push(requested.length);
      step = await walk.next();
    }

    // Assess
    expect(requestsWhenYielded).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3]);
    expect(step.value).toEqual({ pages: 3, passes: 1, stable: true, lastTotalCount: 12, distinct: 12 });
  });

  it('needs one request for an empty list', async () => {
    const { fetchPage, requested } = pager(() => [], 5);
    expect((await collectPages(fetchPage, { itemsPerPage: 5 })).items).toEqual([]);
    expect(requested).toEqual([1]);
  });

  it('follows totalCount when the server sends no links', async () => {
    const data = items(10);
    const { fetchPage, requested } = pager(() => data, 5, false);
    expect((await collectPages(fetchPage, { itemsPerPage: 5 })).items).toHaveLength(10);
    expect(requested).toEqual([1, 2]);
  });

  it('neither duplicates nor loses a job when one is inserted at the top mid-paging', async () => {
    // Prepare: newest first; a new job appears after page 1 was served
    let data = items(10);
    const { fetchPage, requested } = pager(() => data, 5);
    const shifting = async (pageNum: number) => {
      const page = await fetchPage(pageNum);
      if (requested.length === 1) data = [{ id: 'new' }, ...data];
      return page;
    };
    const warnings: string[] = [];

    // Act
    const result = await collectPages(shifting, { itemsPerPage: 5, warn: (m) => warnings.push(m) });

    // Assess
    const ids = result.items.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(['new', ...items(10).map((i) => i.id)].sort());
    expect(result).toMatchObject({ passes: 2, stable: true });
    expect(warnings).toContain('results shifted while paging; paging again');
  });

  it('stops after the pass limit when the list never holds still, returning the union', async () => {
    let counter = 0;
    let data = items(6);
    const { fetchPage } = pager(() => data, 5);
    const restless = async (pageNum: number) => {
      const page = await fetchPage(pageNum);
      data = [{ id: `new${counter++}` }, ...data];
      return page;
    };
    const result = await collectPages(restless, { itemsPerPage: 5, maxPasses: 3 });
    expect(result).toMatchObject({ passes: 3, stable: false });
    expect(result.items.map((i) => i.id)).toEqual(expect.arrayContaining(items(6).map((i) => i.id)));
  });

  it('stops at an empty page although totalCount promises more', async () => {
    const fetchPage = async (pageNum: number): Promise<ListPage<Item>> =>
      pageNum === 1
        ? { results: items(5), totalCount: 50, links: [] }
        : { results: [], totalCount: 50, links: [] };
    const result = await collectPages(fetchPage, { itemsPerPage: 5, maxPasses: 1 });
    expect(result.items).toHaveLength(5);
    expect(result.pages).toBe(2);
  });

  it('ignores a next link that does not advance', async () => {
    // Prepare: every page claims "next" is page 1 and totalCount never ends
    const calls: number[] = [];
    const fetchPage = async (pageNum: number): Promise<ListPage<Item>> => {
      calls.push(pageNum);
      return {
        results: items(5, `p${pageNum}-`),
        totalCount: 5,
        links: [{ rel: 'next', href: '/x?pageNum=1' }],
      };
    };
    const warnings: string[] = [];

    // Act
    await collectPages(fetchPage, { itemsPerPage: 5, maxPasses: 1, warn: (m) => warnings.push(m) });

    // Assess
    expect(calls).toEqual([1]);
    expect(warnings[0]).toMatch(/does not advance/);
  });

  it('cannot loop forever when every page says there is a next one', async () => {
    // Prepare: a broken server: always full pages of new ids, always a next link, totalCount 10
    const fetchPage = async (pageNum: number): Promise<ListPage<Item>> => ({
      results: items(5, `p${pageNum}-`),
      totalCount: 10,
      links: [{ rel: 'next', href: `/x?pageNum=${pageNum + 1}` }],
    });

    // Act
    const result = await collectPages(fetchPage, { itemsPerPage: 5, maxPasses: 1 });

    // Assess: the cap is ceil(10 / 5) + 1 pages
    expect(result.pages).toBe(3);
  });

  it('honours the absolute page cap whatever totalCount claims', async () => {
    const fetchPage = async (pageNum: number): Promise<ListPage<Item>> => ({
      results: items(5, `p${pageNum}-`),
      totalCount: 1_000_000,
      links: [],
    });
    const result = await collectPages(fetchPage, { itemsPerPage: 5, maxPasses: 1, maxPages: 4 });
    expect(result.pages).toBe(4);
    expect(result.stable).toBe(false);
  });
});
