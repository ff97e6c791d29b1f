import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RestoreJob } from '../../functions/core/types.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { getJson, ManualClock, PROJECT } from './http-support.ts';

interface ListBody<T = RestoreJob> {
  results: T[];
  links: Array<{ href: string; rel: string }>;
  totalCount: number;
}

describe('restore job lists', () => {
  let clock: ManualClock;
  let sim: CloudManagerSimulator;
  let clusterId: string;
  let listUrl: string;

  beforeEach(async () => {
    clock = new ManualClock();
    sim = new CloudManagerSimulator({ now: clock.now });
    await sim.start();
    clusterId = sim.addCluster({ projectId: PROJECT, clusterName: 'orders' }).id;
    listUrl = `${sim.baseUrl}/groups/${PROJECT}/clusters/${clusterId}/restoreJobs`;
  });

  afterEach(async () => {
    await sim.stop();
  });

  /** Adds `count` jobs one minute apart; returns their ids newest first (the API order). */
  function addJobs(count: number): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.unshift(sim.addRestoreJob(PROJECT, clusterId).id);
      clock.advance(60_000);
    }
    return ids;
  }

  it('answers an empty list as 200 with no results, a self link and totalCount 0', async () => {
    // Act
    const answer = await getJson<ListBody>(listUrl);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.body).toEqual({
      results: [],
      links: [{ href: `${listUrl}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      totalCount: 0,
    });
  });

  it('lists newest created first, breaking ties by id', async () => {
    // Prepare: two jobs in the same second, one older job
    const older = sim.addRestoreJob(PROJECT, clusterId, { created: '2026-11-28T07:00:00Z' });
    const first = sim.addRestoreJob(PROJECT, clusterId);
    const second = sim.addRestoreJob(PROJECT, clusterId);

    // Act
    const answer = await getJson<ListBody>(listUrl);

    // Assess
    const tied = [first.id, second.id].sort().reverse();
    expect(answer.body.results.map((job) => job.id)).toEqual([...tied, older.id]);
  });

  it('pages with pageNum and itemsPerPage, totalCount counting every result, next and previous links', async () => {
    // Prepare
    const ids = addJobs(5);

    // Act
    const page1 = await getJson<ListBody>(`${listUrl}?itemsPerPage=2`);
    const page2 = await getJson<ListBody>(`${listUrl}?itemsPerPage=2&pageNum=2`);
    const page3 = await getJson<ListBody>(`${listUrl}?itemsPerPage=2&pageNum=3`);

    // Assess
    expect(page1.body.results.map((job) => job.id)).toEqual(ids.slice(0, 2));
    expect(page2.body.results.map((job) => job.id)).toEqual(ids.slice(2, 4));
    expect(page3.body.results.map((job) => job.id)).toEqual(ids.slice(4));
    expect([page1, page2, page3].map((page) => page.body.totalCount)).toEqual([5, 5, 5]);
    expect(page1.body.links).toEqual([
      { href: `${listUrl}?itemsPerPage=2&pageNum=1`, rel: 'self' },
      { href: `${listUrl}?itemsPerPage=2&pageNum=2`, rel: 'next' },
    ]);
    expect(page2.body.links.map((link) => link.rel)).toEqual(['self', 'next', 'previous']);
    expect(page3.body.links).toEqual([
      { href: `${listUrl}?itemsPerPage=2&pageNum=3`, rel: 'self' },
      { href: `${listUrl}?itemsPerPage=2&pageNum=2`, rel: 'previous' },
    ]);
  });

  it('answers a page past the end with no results and no next link', async () => {
    // Prepare
    addJobs(2);

    // Act
    const answer = await getJson<ListBody>(`${listUrl}?pageNum=4`);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([]);
    expect(answer.body.totalCount).toBe(2);
    expect(answer.body.links.map((link) => link.rel)).toEqual(['self', 'previous']);
  });

  it('serves up to 500 items per page', async () => {
    // Prepare
    for (let i = 0; i < 501; i++) sim.addRestoreJob(PROJECT, clusterId);

    // Act
    const answer = await getJson<ListBody>(`${listUrl}?itemsPerPage=500`);

    // Assess
    expect(answer.body.results).toHaveLength(500);
    expect(answer.body.totalCount).toBe(501);
  });

  it.each(['501', '0', '-1', 'ten', '2.5'])('rejects itemsPerPage=%s as a client error', async (value) => {
    // Act
    const answer = await getJson(`${listUrl}?itemsPerPage=${value}`);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 400, errorCode: 'INVALID_QUERY_PARAMETER', parameters: [] });
    expect(String(answer.body.detail)).toContain('itemsPerPage');
  });

  it('rejects pageNum=0 as a client error', async () => {
    // Act
    const answer = await getJson(`${listUrl}?pageNum=0`);

    // Assess
    expect(answer.status).toBe(400);
    expect(String(answer.body.detail)).toContain('pageNum');
  });

  it('filters by batchId, counting only the batch', async () => {
    // Prepare
    sim.addRestoreJob(PROJECT, clusterId);
    const batch = sim.createBatch(PROJECT, clusterId, 3);
    const batchId = batch[0]?.batchId ?? '';

    // Act
    const answer = await getJson<ListBody>(`${listUrl}?batchId=${batchId}`);

    // Assess
    expect(answer.body.totalCount).toBe(3);
    expect(answer.body.results.map((job) => job.id).sort()).toEqual(batch.map((job) => job.id).sort());
    expect(answer.body.links[0]?.href).toBe(`${listUrl}?batchId=${batchId}&pageNum=1&itemsPerPage=100`);
  });

  it('gives every job a self link to its own resource', async () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);

    // Act
    const answer = await getJson<ListBody>(listUrl);

    // Assess
    expect(answer.body.results[0]?.links).toEqual([{ href: `${listUrl}/${job.id}`, rel: 'self' }]);
  });

  it('answers one job by id', async () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId, { snapshotId: '5f1a2b3c4d5e6f7081920aff' });

    // Act
    const answer = await getJson<RestoreJob>(`${listUrl}/${job.id}`);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: job.id, snapshotId: '5f1a2b3c4d5e6f7081920aff', clusterId });
  });

  it('wraps the answer as { status, content } when envelope=true', async () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);

    // Act
    const list = await getJson(`${listUrl}?envelope=true`);
    const single = await getJson(`${listUrl}/${job.id}?envelope=true`);

    // Assess
    expect(list.body).toMatchObject({ status: 200, content: { totalCount: 1, results: [{ id: job.id }] } });
    expect(single.body).toMatchObject({ status: 200, content: { id: job.id } });
  });

  it('uses the envelope key the options name (the docs also print `envelope`)', async () => {
    // Prepare
    const alt = new CloudManagerSimulator({ envelopeKey: 'envelope' });
    await alt.start();
    const cluster = alt.addCluster({ projectId: PROJECT });

    try {
      // Act
      const answer = await getJson(
        `${alt.baseUrl}/groups/${PROJECT}/clusters/${cluster.id}/restoreJobs?envelope=true`,
      );

      // Assess
      expect(answer.body).toMatchObject({ status: 200, envelope: { totalCount: 0 } });
    } finally {
      await alt.stop();
    }
  });

  it('wraps errors in the envelope too, keeping the HTTP status', async () => {
    // Act
    const answer = await getJson(
      `${sim.baseUrl}/groups/${PROJECT}/clusters/5f1a2b3c4d5e6f7081920000/restoreJobs?envelope=true`,
    );

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ status: 404, content: { errorCode: 'CLUSTER_NOT_FOUND' } });
  });

  it('pretty-prints when pretty=true', async () => {
    // Act
    const pretty = await getJson<ListBody>(`${listUrl}?pretty=true`);
    const compact = await getJson(`${listUrl}`);

    // Assess
    expect(pretty.text).toContain('\n  "results": []');
    expect(compact.text).not.toContain('\n');
    expect(pretty.body).toMatchObject({ results: [], totalCount: 0 });
    // As in the documented example, links keep the caller's parameters.
    expect(pretty.body.links).toEqual([
      { href: `${listUrl}?pretty=true&pageNum=1&itemsPerPage=100`, rel: 'self' },
    ]);
  });

  it('calls onPageServed after each page so a job inserted mid-paging shifts the later pages', async () => {
    // Prepare: 4 jobs, 2 per page; after page 1 a newer job arrives
    const ids = addJobs(4);
    const served: number[] = [];
    let inserted = '';
    sim.onPageServed = ({ projectId, clusterId: cluster, pageNum }) => {
      served.push(pageNum);
      if (pageNum === 1) inserted = sim.addRestoreJob(projectId, cluster).id;
    };

    // Act
    const page1 = await getJson<ListBody>(`${listUrl}?itemsPerPage=2&pageNum=1`);
    const page2 = await getJson<ListBody>(`${listUrl}?itemsPerPage=2&pageNum=2`);
    const page3 = await getJson<ListBody>(`${listUrl}?itemsPerPage=2&pageNum=3`);

    // Assess: the second newest job of page 1 is served again at the top of page 2
    expect(served).toEqual([1, 2, 3]);
    expect(page1.body.results.map((job) => job.id)).toEqual(ids.slice(0, 2));
    expect(page2.body.results.map((job) => job.id)).toEqual([ids[1], ids[2]]);
    expect(page3.body.results.map((job) => job.id)).toEqual([ids[3]]);
    expect(page2.body.totalCount).toBe(5);
    expect(inserted).not.toBe('');
  });

  it('keeps errors thrown by onPageServed instead of failing the answer', async () => {
    // Prepare
    sim.onPageServed = () => {
      throw new Error('hook broke');
    };

    // Act
    const answer = await getJson(listUrl);

    // Assess
    expect(answer.status).toBe(200);
    expect(sim.hookErrors).toHaveLength(1);
  });

  it('lists the project clusters with their names, types and links, paged like any list', async () => {
    // Prepare
    const shard = sim.addCluster({
      projectId: PROJECT,
      clusterName: 'payments-shard-0',
      typeName: 'REPLICA_SET',
      replicaSetName: 'rs0',
      shardName: 'shard0',
    });

    // Act
    const answer = await getJson<ListBody<Record<string, unknown>>>(
      `${sim.baseUrl}/groups/${PROJECT}/clusters?itemsPerPage=1&pageNum=2`,
    );

    // Assess
    expect(answer.body.totalCount).toBe(2);
    expect(answer.body.results).toEqual([
      {
        id: shard.id,
        groupId: PROJECT,
        clusterName: 'payments-shard-0',
        typeName: 'REPLICA_SET',
        replicaSetName: 'rs0',
        shardName: 'shard0',
        links: [{ href: `${sim.baseUrl}/groups/${PROJECT}/clusters/${shard.id}`, rel: 'self' }],
      },
    ]);
  });

  it('answers an empty project with an empty clusters list', async () => {
    // Prepare
    const empty = sim.addProject();

    // Act
    const answer = await getJson<ListBody>(`${sim.baseUrl}/groups/${empty}/clusters`);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([]);
  });
});
