/**
 * The poll takes its listing as a stream (`RestoreJobSource.restoreJobs`): jobs arrive page by page, a
 * job can come twice when the list shifts while paging (the last sighting wins), and a listing that
 * cannot be completed throws after some jobs were yielded, in which case none of it may be used.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../functions/core/errors.ts';
import type { RestoreJobSource } from '../../functions/core/ports.ts';
import { type Harness, startHarness } from '../support/harness.ts';

describe('runPoll with a streamed job source', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const prepare = async () => {
    const cluster = h.sim.addCluster({ clusterName: 'orders' });
    const projectId = cluster.groupId as string;
    const first = h.sim.addRestoreJob(projectId, cluster.id);
    h.sim.addRestoreJob(projectId, cluster.id);
    const config = h.config({ targets: [{ projectId, clusterId: cluster.id, name: 'orders' }] });
    const target = { projectId: projectId.toLowerCase(), clusterId: cluster.id.toLowerCase() };
    const stateOf = async () => (await h.store.getTargetStates([target])).values().next().value;
    await h.poll(config);
    return { cluster, projectId, first, config, stateOf };
  };

  it('counts a job sighted twice once, with its last sighting, as a shifting listing delivers it', async () => {
    // Prepare: a baseline, then a change; a source that first yields a stale copy of every job
    const { cluster, projectId, first, config, stateOf } = await prepare();
    h.sim.finishJob(first.id, { expirationHours: 48 });
    h.sim.addRestoreJob(projectId, cluster.id);
    const stale = await h.client.listRestoreJobs({ projectId, clusterId: cluster.id });
    const twice: RestoreJobSource = {
      listClusters: (id, options) => h.client.listClusters(id, options),
      restoreJobs: async function* (query) {
        for (const job of stale) yield { ...job, statusName: 'IN_PROGRESS', delivery: undefined };
        yield* h.client.restoreJobs(query);
      },
    };

    // Act
    h.clock.advanceMinutes(5);
    const changed = await h.poll(config, { source: twice });
    const fingerprint = (await stateOf())?.fingerprint;
    h.clock.advanceMinutes(5);
    const again = await h.poll(config);

    // Assess: the events of the real listing, and the plain client finds the same fingerprint
    expect(changed.jobsSeen).toBe(3);
    expect(changed.events.map((e) => e.eventType).sort()).toEqual([
      'DELIVERY_STATUS_CHANGED',
      'JOB_CREATED',
      'JOB_STATUS_CHANGED',
    ]);
    expect(again).toMatchObject({ jobsSeen: 3, eventsDetected: 0 });
    expect((await stateOf())?.fingerprint).toBe(fingerprint);
  });

  it('uses none of a listing that failed after yielding some jobs, and the next poll detects them', async () => {
    // Prepare: a new job, and a source that yields every job, then finds the listing incomplete
    const { cluster, projectId, config } = await prepare();
    const added = h.sim.addRestoreJob(projectId, cluster.id);
    const broken: RestoreJobSource = {
      listClusters: (id, options) => h.client.listClusters(id, options),
      restoreJobs: async function* (query) {
        yield* h.client.restoreJobs(query);
        throw new SourceError('listing incomplete: 3 of 4 items', { kind: 'unavailable', status: 200 });
      },
    };

    // Act
    h.clock.advanceMinutes(5);
    const failed = await h.poll(config, { source: broken });
    const jobsAfterFailure = await h.store.loadJobStates({ projectId, clusterId: cluster.id.toLowerCase() });
    h.clock.advanceMinutes(5);
    const next = await h.poll(config);

    // Assess
    expect(failed.targets).toMatchObject({ ok: 0, failed: 1 });
    expect(failed.failedTargets[0]?.error).toContain('listing incomplete');
    expect(failed.events).toEqual([]);
    expect(jobsAfterFailure.has(added.id)).toBe(false);
    expect(next.events.map((e) => [e.eventType, e.jobId])).toEqual([['JOB_CREATED', added.id]]);
  });
});
