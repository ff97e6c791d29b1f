/**
 * The poll takes a listing either way a source may deliver it: handed over job by job as pages
 * arrive (`onJob`, what `CloudManagerClient` does, so a long history is never held raw) or returned
 * whole (a source that ignores `onJob`). Both must poll alike, down to the stored fingerprint.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RestoreJobSource } from '../../functions/core/ports.ts';
import { type Harness, startHarness } from '../support/harness.ts';

describe('runPoll with either kind of job source', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  /** The real client behind a wrapper that never hands jobs over: it returns the whole listing. */
  const returningSource = (): RestoreJobSource => ({
    listClusters: (projectId, options) => h.client.listClusters(projectId, options),
    listRestoreJobs: ({ onJob: _ignored, ...query }) => h.client.listRestoreJobs(query),
  });

  it('detects, skips and fingerprints the same whether jobs are handed over or returned', async () => {
    // Prepare: one target with a few jobs, baselined by a source that returns the listing
    const cluster = h.sim.addCluster({ clusterName: 'orders' });
    const projectId = cluster.groupId as string;
    const first = h.sim.addRestoreJob(projectId, cluster.id);
    h.sim.addRestoreJob(projectId, cluster.id);
    const config = h.config({ targets: [{ projectId, clusterId: cluster.id, name: 'orders' }] });
    const target = { projectId: projectId.toLowerCase(), clusterId: cluster.id.toLowerCase() };
    const baseline = await h.poll(config, { source: returningSource() });
    const stateAt = async () => (await h.store.getTargetStates([target])).values().next().value;
    const baselineFingerprint = (await stateAt())?.fingerprint;

    // Act 1: the client itself (hands jobs over) sees an unchanged listing, then a change
    h.clock.advanceMinutes(5);
    const quiet = await h.poll(config);
    const quietFingerprint = (await stateAt())?.fingerprint;
    h.sim.finishJob(first.id, { expirationHours: 48 });
    h.sim.addRestoreJob(projectId, cluster.id);
    h.clock.advanceMinutes(5);
    const changed = await h.poll(config);
    const changedFingerprint = (await stateAt())?.fingerprint;

    // Act 2: the returning source sees that same listing again
    h.clock.advanceMinutes(5);
    const again = await h.poll(config, { source: returningSource() });

    // Assess
    expect(baseline).toMatchObject({ jobsSeen: 2, eventsDetected: 0 });
    expect(quiet).toMatchObject({ jobsSeen: 2, eventsDetected: 0 });
    expect(quietFingerprint).toBe(baselineFingerprint);
    expect(changed.jobsSeen).toBe(3);
    expect(changed.events.map((e) => e.eventType).sort()).toEqual([
      'DELIVERY_STATUS_CHANGED',
      'JOB_CREATED',
      'JOB_STATUS_CHANGED',
    ]);
    expect(changedFingerprint).not.toBe(baselineFingerprint);
    expect(again).toMatchObject({ jobsSeen: 3, eventsDetected: 0 });
    expect((await stateAt())?.fingerprint).toBe(changedFingerprint);
  });
});
