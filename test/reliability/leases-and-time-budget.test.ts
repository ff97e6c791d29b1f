/**
 * Fault matrix, the run itself: the Lambda time budget running out mid-fleet, runs started at once,
 * a lease left behind by a crashed run, and a run that lost its lease while it worked. Whatever happens,
 * each change is alerted once, and the targets a run did not reach go first in the next one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudManagerClient } from '../../functions/adapters/cloud-manager/client.ts';
import { LeaseLostError, type PollSummary } from '../../functions/core/poll.ts';
import type { RestoreJobSource } from '../../functions/core/ports.ts';
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

  /** A job source that takes `minutes` of (virtual) time per listing. */
  const slowSource = (minutes: number): RestoreJobSource => ({
    listClusters: (projectId, options) => h.client.listClusters(projectId, options),
    listRestoreJobs: async (query) => {
      h.clock.advanceMinutes(minutes);
      return h.client.listRestoreJobs(query);
    },
  });

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
      const recording: RestoreJobSource = {
        listClusters: (projectId, options) => h.client.listClusters(projectId, options),
        listRestoreJobs: async (query) => {
          order.push(query.clusterId);
          h.clock.advanceMinutes(1);
          return h.client.listRestoreJobs(query);
        },
      };

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
      const stopping: RestoreJobSource = {
        listClusters: (projectId, options) => h.client.listClusters(projectId, options),
        listRestoreJobs: async (query) => {
          if (query.clusterId === clusters[2]) stop.abort(new Error('Lambda deadline'));
          return h.client.listRestoreJobs(query);
        },
      };

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
    it('stops without publishing once another run took over, and the other run alerts each change once', async () => {
      const jobs = newJobOnEveryTarget();
      let release: (() => void) | undefined;
      const stalled = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered: () => void = () => {};
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      // The first run stalls in its first listing (a long GC pause, a hung socket) ...
      const stalling: RestoreJobSource = {
        listClusters: (projectId, options) => h.client.listClusters(projectId, options),
        listRestoreJobs: async (query) => {
          entered();
          await Promise.race([
            stalled,
            new Promise((resolve) => query.signal?.addEventListener('abort', resolve, { once: true })),
          ]);
          return h.client.listRestoreJobs(query);
        },
      };
      const first = h.poll(config, { source: stalling }, { leaseTtlMs: 3_000, concurrency: 1 });
      await inside;

      // ... long enough for its lease to expire and another run to take over and finish.
      h.clock.advanceMinutes(2);
      const second = await h.poll(config);
      const outcome = await first.then(
        (summary) => summary,
        (error: unknown) => error,
      );
      release?.();

      expect(second.lease).toBe('acquired');
      expect(second.alertsPublished).toBe(FLEET);
      expect(outcome).toBeInstanceOf(LeaseLostError);
      expect(
        h.logs.some((l) => l.level === 'error' && /Poll lease lost; stopping this run/.test(l.message)),
      ).toBe(true);
      await expectEachDeliveredOnce(jobs);
    });
  });
});
