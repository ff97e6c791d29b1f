/**
 * Fault matrix, the run itself: the Lambda time budget running out mid-fleet, runs started at once,
 * a lease left behind by a crashed run, and a run that lost its lease while it worked. Whatever happens,
 * each change is alerted once, and the targets a run did not reach go first in the next one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudManagerClient } from '../../functions/adapters/cloud-manager/client.ts';
import type { PollSummary } from '../../functions/core/poll.ts';
import type { RestoreJobQuery, RestoreJobSource } from '../../functions/core/ports.ts';
import type { RestoreJob } from '../../functions/core/types.ts';
import { API_KEY, type Harness, startHarness } from '../support/harness.ts';
import { auditRecords, countBy, newObjectId, SnsGate } from './support/system.ts';

const FLEET = 6;

describe('time budget and leases', () => {
  let h: Harness;
  let sns: SnsGate;
  let project: string;
  let clusters: string[];
  let config: ReturnType<Harness['config']>;

  beforeEach(async () => {
    h = await startHarness();
    sns = new SnsGate().install(h);
    project = newObjectId();
    clusters = Array.from(
      { length: FLEET },
      (_, i) => h.sim.addCluster({ projectId: project, clusterName: `c${i}` }).id,
    );
    config = h.config({
      targets: clusters.map((clusterId, i) => ({ projectId: project, clusterId, name: `c${i}` })),
    });
    await h.poll(config);
    h.clock.advanceMinutes(5);
  });
  afterEach(async () => {
    await h.stop();
  });

  const newJobOnEveryTarget = (): RestoreJob[] => clusters.map((c) => h.sim.addRestoreJob(project, c));

  /** The real client, with `before` run as each listing starts. */
  const sourceWith = (before: (query: RestoreJobQuery) => void | Promise<void>): RestoreJobSource => ({
    listClusters: (projectId, options) => h.client.listClusters(projectId, options),
    restoreJobs: async function* (query) {
      await before(query);
      yield* h.client.restoreJobs(query);
    },
  });

  /** A job source that takes `minutes` of (virtual) time per listing. */
  const slowSource = (minutes: number): RestoreJobSource => sourceWith(() => h.clock.advanceMinutes(minutes));

  async function expectEachDeliveredOnce(jobs: RestoreJob[]): Promise<void> {
    const records = await auditRecords(h);
    expect(records.map((r) => r.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(countBy(sns.deliveredIds())).toEqual(new Map(records.map((r) => [r.eventId, 1])));
    expect(await h.store.listOwedEvents()).toEqual([]);
  }

  describe('the time budget running out mid-fleet', () => {
    it('starts no target after the deadline, reports the rest as skipped, and still publishes what it found', async () => {
      const jobs = newJobOnEveryTarget();
      const deadline = new Date(h.clock.ms + 2.5 * 60_000);

      const summary = await h.poll(config, { source: slowSource(1) }, { deadline, concurrency: 1 });

      expect(summary.targets).toMatchObject({ total: FLEET, ok: 3, skipped: 3, failed: 0 });
      expect(summary.skippedTargets).toEqual(['c3', 'c4', 'c5']);
      expect(summary.alertsPublished).toBe(3);
      expect(summary.alertsOwed).toBe(0);
      expect(sns.deliveredIds()).toHaveLength(3);
      expect(jobs).toHaveLength(FLEET);
    });

    it('polls the targets it skipped first on the next run, and loses no change', async () => {
      const jobs = newJobOnEveryTarget();
      await h.poll(
        config,
        { source: slowSource(1) },
        { deadline: new Date(h.clock.ms + 2.5 * 60_000), concurrency: 1 },
      );
      h.clock.advanceMinutes(5);
      const order: string[] = [];
      const recording = sourceWith((query) => {
        order.push(query.clusterId);
        h.clock.advanceMinutes(1);
      });

      const next = await h.poll(
        config,
        { source: recording },
        { deadline: new Date(h.clock.ms + 2.5 * 60_000), concurrency: 1 },
      );

      expect(order).toEqual(clusters.slice(3, 6));
      expect(next.skippedTargets).toEqual(['c0', 'c1', 'c2']);
      await expectEachDeliveredOnce(jobs);
    });

    it('stops requests in flight when the invocation is aborted, keeping what is owed for the next run', async () => {
      const jobs = newJobOnEveryTarget();
      const stop = new AbortController();
      const stopping = sourceWith((query) => {
        if (query.clusterId === clusters[2]) stop.abort(new Error('Lambda deadline'));
      });

      const aborted = await h.poll(config, { source: stopping }, { signal: stop.signal, concurrency: 1 });
      h.clock.advanceMinutes(5);
      await h.poll(config);

      expect(aborted.targets).toMatchObject({ ok: 2, failed: 1, skipped: 3 });
      await expectEachDeliveredOnce(jobs);
    });
  });

  describe('runs started at once', () => {
    it('lets one of three simultaneous runs work; the others skip and nothing is alerted twice', async () => {
      const jobs = newJobOnEveryTarget();
      // Separate clients, as a Lambda and two CLI runs would have.
      const client = () =>
        new CloudManagerClient({
          baseUrl: h.sim.baseUrl,
          credentials: { kind: 'apiKey', ...API_KEY },
          sleep: async () => {},
        });

      const runs = await Promise.all([
        h.poll(config),
        h.poll(config, { source: client() }),
        h.poll(config, { source: client() }),
      ]);

      expect(runs.map((r) => r.lease).sort()).toEqual(['acquired', 'held-by-other', 'held-by-other']);
      const skipped = runs.filter((r) => r.lease === 'held-by-other');
      expect(skipped.every((r) => r.targets.total === 0 && r.alertsPublished === 0)).toBe(true);
      await expectEachDeliveredOnce(jobs);
    });
  });

  describe('a lease left by a crashed run', () => {
    it('blocks runs until it expires, then the next run takes over and delivers what changed meanwhile', async () => {
      await h.lease.acquire('crashed-run', h.clock.now(), 60_000);
      const jobs = newJobOnEveryTarget();
      const blocked: PollSummary[] = [];
      for (const seconds of [0, 30, 60]) {
        h.clock.ms += seconds === 0 ? 0 : 30_000;
        blocked.push(await h.poll(config));
      }
      h.clock.ms += 1;

      const takeover = await h.poll(config);

      expect(blocked.map((s) => [s.lease, s.leaseHolder])).toEqual([
        ['held-by-other', 'crashed-run'],
        ['held-by-other', 'crashed-run'],
        ['held-by-other', 'crashed-run'],
      ]);
      expect(takeover.lease).toBe('acquired');
      await expectEachDeliveredOnce(jobs);
    });
  });

  describe('a run that loses its lease while it works', () => {
    const byEventId = <T extends { eventId: string }>(list: T[]) =>
      list.sort((a, b) => a.eventId.localeCompare(b.eventId));
    /** Every target's state as saved (its lastPolledAt says which run saved it last). */
    const targetStates = async () =>
      [
        ...(
          await h.store.getTargetStates(
            clusters.map((clusterId) => ({
              projectId: project.toLowerCase(),
              clusterId: clusterId.toLowerCase(),
            })),
          )
        ).values(),
      ].sort((a, b) => a.clusterId.localeCompare(b.clusterId));

    it('stops at its listing once another run took over: writes nothing, publishes nothing, says so', async () => {
      // Prepare: a change on every target; the first run stalls in its first listing (a frozen Lambda,
      // a hung socket) ...
      const jobs = newJobOnEveryTarget();
      let entered: () => void = () => {};
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let unfreeze: () => void = () => {};
      const frozen = new Promise<void>((resolve) => {
        unfreeze = resolve;
      });
      const stalling = sourceWith(async () => {
        entered();
        await frozen;
      });
      const first = h.poll(config, { source: stalling }, { leaseTtlMs: 60_000, concurrency: 1 });
      await inside;

      // Act: ... long enough for its lease to expire and another run to take over and finish; then
      // the first run wakes up.
      h.clock.advanceMinutes(2);
      const second = await h.poll(config);
      const savedBySecond = await targetStates();
      const recordsBySecond = byEventId(await auditRecords(h));
      h.clock.advanceMinutes(1);
      unfreeze();
      const outcome = await first;
      const savedAfterFirst = await targetStates();
      const recordsAfterFirst = byEventId(await auditRecords(h));
      h.clock.advanceMinutes(5);
      const third = await h.poll(config);

      // Assess
      expect(second).toMatchObject({ lease: 'acquired', alertsPublished: FLEET });
      expect(outcome).toMatchObject({ lease: 'lost', alertsPublished: 0 });
      expect(savedAfterFirst).toEqual(savedBySecond);
      expect(recordsAfterFirst).toEqual(recordsBySecond);
      expect(third).toMatchObject({
        lease: 'acquired',
        eventsDetected: 0,
        alertsPublished: 0,
        alertsOwed: 0,
      });
      expect(
        h.logs.some((l) => l.level === 'error' && l.message === 'Poll lease lost; stopping this run'),
      ).toBe(true);
      await expectEachDeliveredOnce(jobs);
    });

    it('stops between two SNS calls once another run completed during a pause mid-publish', async () => {
      // Prepare: two changes on every target (12 alerts: two PublishBatch calls of 10 and 2); the first
      // run freezes inside its first call, as a Lambda frozen mid-request would.
      const jobs = [...newJobOnEveryTarget(), ...newJobOnEveryTarget()];
      let unfreeze: () => void = () => {};
      const frozen = new Promise<void>((resolve) => {
        unfreeze = resolve;
      });
      let paused: () => void = () => {};
      const pausedInCall = new Promise<void>((resolve) => {
        paused = resolve;
      });
      sns.beforeCall = async (call) => {
        if (call !== 1) return;
        paused();
        await frozen;
      };
      const first = h.poll(config, {}, { leaseTtlMs: 60_000 });
      await pausedInCall;

      // Act: the lease expires, another run takes over and completes, then the first run wakes up.
      h.clock.advanceMinutes(2);
      const second = await h.poll(config);
      const savedBySecond = await targetStates();
      const deliveredBySecond = sns.deliveredIds();
      h.clock.advanceMinutes(1);
      unfreeze();
      const outcome = await first;
      const savedAfterFirst = await targetStates();
      const recordsAfterFirst = byEventId(await auditRecords(h));
      h.clock.advanceMinutes(5);
      const third = await h.poll(config);

      // Assess: the second run delivered every alert; the first delivered only the call it was frozen
      // in (SNS had it already: the documented duplicate, same eventIds) and nothing after waking.
      expect(second).toMatchObject({ lease: 'acquired', alertsPublished: 2 * FLEET });
      expect(outcome).toMatchObject({ lease: 'lost' });
      expect(new Set(deliveredBySecond).size).toBe(2 * FLEET);
      const late = sns.accepted.slice(deliveredBySecond.length);
      expect(late).toHaveLength(10);
      expect(late.every((m) => deliveredBySecond.includes(m.eventIds[0] ?? ''))).toBe(true);
      expect(savedAfterFirst).toEqual(savedBySecond);
      const secondMessages = new Set(sns.accepted.slice(0, deliveredBySecond.length).map((m) => m.messageId));
      const records = recordsAfterFirst;
      expect(records.map((r) => r.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());
      expect(records.every((r) => secondMessages.has(r.snsMessageId ?? ''))).toBe(true);
      expect(third).toMatchObject({ eventsDetected: 0, alertsPublished: 0, alertsOwed: 0 });
    });
  });
});
