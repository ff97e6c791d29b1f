import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudManagerResponseError,
  ITEMS_PER_PAGE,
} from '../../../functions/adapters/cloud-manager/client.ts';
import type { CloudManagerSimulator } from '../../../functions/simulator/cloud-manager-simulator.ts';
import { addTarget, clientFor, memoryLogger, startSimulator } from './client-fixtures.ts';

describe('CloudManagerClient paging (over HTTP against the simulator)', () => {
  let sim: CloudManagerSimulator;
  beforeEach(async () => {
    sim = await startSimulator();
  });
  afterEach(async () => {
    await sim.stop();
  });

  const listRequests = () => sim.requests.filter((r) => r.path.endsWith('/restoreJobs') && r.status === 200);

  it('fetches 1,234 jobs in 3 pages of 500 plus one digest challenge', async () => {
    // Prepare
    const target = addTarget(sim);
    for (let i = 0; i < 1234; i++) sim.addRestoreJob(target.projectId, target.clusterId);
    const client = clientFor(sim);

    // Act
    const jobs = await client.listRestoreJobs(target);

    // Assess
    expect(jobs).toHaveLength(1234);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(1234);
    expect(listRequests().map((r) => r.query)).toEqual([
      { pageNum: '1', itemsPerPage: String(ITEMS_PER_PAGE) },
      { pageNum: '2', itemsPerPage: '500' },
      { pageNum: '3', itemsPerPage: '500' },
    ]);
    expect(sim.stats()).toMatchObject({ requests: 4, challenges: 1 });
    expect(client.stats).toMatchObject({ requests: 4, apiCalls: 3, challenges: 1 });
  });

  it('streams every job as its page arrives, with the same requests as the whole listing', async () => {
    // Prepare
    const target = addTarget(sim);
    for (let i = 0; i < 1234; i++) sim.addRestoreJob(target.projectId, target.clusterId);
    const whole = await clientFor(sim).listRestoreJobs(target);
    sim.resetStats();
    const streamed: string[] = [];
    const pagesServedWhenHanded: number[] = [];

    // Act
    for await (const job of clientFor(sim).restoreJobs(target)) {
      streamed.push(job.id);
      pagesServedWhenHanded.push(listRequests().length);
    }

    // Assess
    expect(streamed).toEqual(whole.map((j) => j.id));
    expect(pagesServedWhenHanded[0]).toBe(1); // handed over before page 2 was asked for
    expect(sim.stats()).toMatchObject({ requests: 4, challenges: 1 });
  });

  it('returns an empty list for a cluster without restore jobs in one request', async () => {
    const target = addTarget(sim);
    const client = clientFor(sim);
    await client.listClusters(target.projectId); // takes the challenge
    sim.resetStats();
    expect(await client.listRestoreJobs(target)).toEqual([]);
    expect(sim.stats().requests).toBe(1);
  });

  it('passes batchId as a query parameter and returns only that batch', async () => {
    // Prepare
    const target = addTarget(sim);
    const batch = sim.createBatch(target.projectId, target.clusterId, 3);
    sim.createBatch(target.projectId, target.clusterId, 2);
    sim.addRestoreJob(target.projectId, target.clusterId);
    const batchId = batch[0]?.batchId as string;

    // Act
    const jobs = await clientFor(sim).listRestoreJobs({ ...target, batchId });

    // Assess
    expect(jobs.map((j) => j.id).sort()).toEqual(batch.map((j) => j.id).sort());
    expect(listRequests()[0]?.query).toMatchObject({ batchId, pageNum: '1', itemsPerPage: '500' });
  });

  it('neither duplicates nor hides a job when one is created while paging', async () => {
    // Prepare: newest first, so a job created after page 1 pushes every later job down by one
    const target = addTarget(sim);
    for (let i = 0; i < 1001; i++) sim.addRestoreJob(target.projectId, target.clusterId);
    const before = sim.listJobs(target.projectId, target.clusterId).map((j) => j.id);
    let inserted: string | undefined;
    sim.onPageServed = ({ pageNum }) => {
      if (pageNum === 1 && inserted === undefined) {
        inserted = sim.addRestoreJob(target.projectId, target.clusterId, {
          created: '2099-01-01T00:00:00Z',
        }).id;
      }
    };
    const { lines, logger } = memoryLogger();

    // Act
    const jobs = await clientFor(sim, { logger }).listRestoreJobs(target);

    // Assess
    const ids = jobs.map((j) => j.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...before, inserted].sort());
    expect(lines.some((line) => line.includes('results shifted while paging'))).toBe(true);
  });

  it('stops at an empty page instead of looping, and refuses the incomplete listing', async () => {
    // Prepare: page 2 comes back empty although totalCount promises more
    const target = addTarget(sim);
    for (let i = 0; i < 700; i++) sim.addRestoreJob(target.projectId, target.clusterId);
    sim.injectFault({ kind: 'empty-page' }, { path: 'pageNum=2', times: 10 });

    // Act
    const listing = clientFor(sim).listRestoreJobs(target);

    // Assess: bounded passes, then a retryable error rather than a partial list passed off as whole
    await expect(listing).rejects.toMatchObject({
      name: 'CloudManagerResponseError',
      retryable: true,
      message: expect.stringMatching(/listed 500 of the 700 items .* incomplete/),
    });
    expect(listRequests().length).toBeLessThanOrEqual(6);
  });

  it('lists the clusters of a project', async () => {
    const first = sim.addCluster({ clusterName: 'orders', typeName: 'REPLICA_SET' });
    sim.addCluster({
      projectId: first.groupId as string,
      clusterName: 'users',
      typeName: 'SHARDED_REPLICA_SET',
    });
    const clusters = await clientFor(sim).listClusters(first.groupId as string);
    expect(clusters.map((c) => c.clusterName).sort()).toEqual(['orders', 'users']);
  });

  it('reads one restore job', async () => {
    const target = addTarget(sim);
    const job = sim.addRestoreJob(target.projectId, target.clusterId);
    const read = await clientFor(sim).getRestoreJob({ ...target, jobId: job.id });
    expect(read).toMatchObject({ id: job.id, statusName: 'IN_PROGRESS' });
  });

  it('tolerates an enveloped list body', async () => {
    // Prepare
    const target = addTarget(sim);
    const job = sim.addRestoreJob(target.projectId, target.clusterId);
    sim.injectFault({
      kind: 'body',
      body: { status: 200, content: { results: [job], totalCount: 1, links: [] } },
    });

    // Act
    const jobs = await clientFor(sim).listRestoreJobs(target);

    // Assess
    expect(jobs.map((j) => j.id)).toEqual([job.id]);
  });

  it.each([
    ['results is not an array', { results: { id: 'x' }, totalCount: 1 }, /results: /],
    ['totalCount is not a number', { results: [], totalCount: 'many' }, /totalCount: /],
    [
      'a job has no string id',
      { results: [{ statusName: 'FINISHED' }], totalCount: 1 },
      /results\[0\]\.id: /,
    ],
  ])('rejects a page where %s, naming target and page', async (_name, body, problem) => {
    // Prepare: page 2 of 3 is broken
    const target = addTarget(sim);
    for (let i = 0; i < 1200; i++) sim.addRestoreJob(target.projectId, target.clusterId);
    sim.injectFault({ kind: 'body', body }, { path: 'pageNum=2' });

    // Act
    const error = await clientFor(sim)
      .listRestoreJobs(target)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CloudManagerResponseError);
    const typed = error as CloudManagerResponseError;
    expect(typed.target).toBe(
      `GET /groups/${target.projectId}/clusters/${target.clusterId}/restoreJobs page 2`,
    );
    expect(typed.message).toContain('page 2');
    expect(typed.message).toMatch(problem);
    expect(typed.retryable).toBe(false);
  });

  it('rejects a body that is not JSON, naming target and page', async () => {
    const target = addTarget(sim);
    sim.injectFault({ kind: 'malformed-json' });
    const error = await clientFor(sim)
      .listRestoreJobs(target)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerResponseError);
    expect((error as Error).message).toMatch(/not JSON.*restoreJobs page 1/);
  });
});
