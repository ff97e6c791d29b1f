/**
 * The five guarantees of the engine, each proven by injecting its fault into a real run
 * (simulator over HTTP, dynalite, SNS notifier over an SDK mock).
 */
import { PublishBatchCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PollSummary } from '../../functions/core/poll.ts';
import { type Harness, ProcessDeath, startHarness } from '../support/harness.ts';

const PROJECT = 'bbbbbbbbbbbbbbbbbbbbbbbb';

describe('engine guarantees under injected faults', () => {
  let h: Harness;
  let clusterId: string;
  let config: ReturnType<Harness['config']>;

  beforeEach(async () => {
    h = await startHarness();
    clusterId = h.sim.addCluster({ projectId: PROJECT, clusterName: 'orders-prod' }).id;
    config = h.config({ targets: [{ projectId: PROJECT, clusterId, name: 'orders-prod' }] });
    await h.poll(config); // baseline
  });
  afterEach(async () => {
    await h.stop();
  });

  /** Ids of every event SNS accepted, in order (a message may carry several). */
  const publishedIds = () => h.published().flatMap((m) => m.eventIds);

  describe('1. no alert is lost', () => {
    it('keeps alerts owed through an SNS outage of several polls and publishes them on recovery', async () => {
      h.snsMock.on(PublishBatchCommand).rejects(
        Object.assign(new Error('Service unavailable'), {
          name: 'InternalErrorException',
          $fault: 'server',
        }),
      );
      const job = h.sim.addRestoreJob(PROJECT, clusterId);
      const during: PollSummary[] = [];
      for (let i = 0; i < 3; i++) {
        during.push(await h.poll(config));
        h.clock.advanceMinutes(5);
      }
      expect(during.map((s) => [s.eventsDetected, s.alertsPublished, s.alertsOwed])).toEqual([
        [1, 0, 1],
        [0, 0, 1],
        [0, 0, 1],
      ]);
      h.snsMock.reset();
      h.acceptAll();
      const after = await h.poll(config);
      expect(after.alertsPublished).toBe(1);
      expect(after.alertsOwed).toBe(0);
      expect(h.published().map((m) => m.eventTypes)).toEqual([['JOB_CREATED']]);
      const [record] = await h.store.queryAudit({ jobId: job.id });
      expect(record?.publishedAt).toBeDefined();
      expect(record?.publishAttempts).toBeGreaterThanOrEqual(3);
    });

    for (const step of ['recordEvents', 'saveJobStates', 'listOwedEvents', 'saveTargetStates'] as const) {
      it(`publishes exactly the owed alerts after the process dies at ${step}`, async () => {
        h.sim.addRestoreJob(PROJECT, clusterId);
        const death = new ProcessDeath({ method: step });
        await expect(
          h.poll(config, { store: death.wrapStore(h.store), lease: death.wrapLease(h.lease) }),
        ).rejects.toThrow(/injected crash|process is dead/);

        // The dead run's lease expires; the next run takes over within about a minute.
        h.clock.advanceMinutes(2);
        const next = await h.poll(config);
        expect(next.lease).toBe('acquired');
        expect(publishedIds()).toHaveLength(1);
        expect(h.published()[0]?.eventTypes).toEqual(['JOB_CREATED']);
        expect(next.alertsOwed).toBe(0);
        // And nothing more on the run after.
        await h.poll(config);
        expect(publishedIds()).toHaveLength(1);
      });
    }
  });

  describe('2. no duplicates in normal operation', () => {
    it('repeats an alert only when the process dies between SNS accepting it and the mark, with the same eventId', async () => {
      h.sim.addRestoreJob(PROJECT, clusterId);
      const death = new ProcessDeath({ method: 'never' });
      await expect(
        h.poll(config, {
          store: death.wrapStore(h.store),
          lease: death.wrapLease(h.lease),
          publisher: death.wrapPublisherDyingAfterSuccess(h.notifier),
        }),
      ).rejects.toThrow(/process is dead/);
      h.clock.advanceMinutes(2);
      await h.poll(config);
      const ids = publishedIds();
      expect(ids).toHaveLength(2);
      expect(ids[0]).toBe(ids[1]);
      await h.poll(config);
      expect(publishedIds()).toHaveLength(2);
    });

    it('publishes a change once however often it is polled', async () => {
      const job = h.sim.addRestoreJob(PROJECT, clusterId);
      for (let i = 0; i < 3; i++) await h.poll(config);
      h.sim.finishJob(job.id, { expirationHours: 48 });
      for (let i = 0; i < 3; i++) await h.poll(config);
      expect(
        h
          .published()
          .flatMap((m) => m.eventTypes)
          .sort(),
      ).toEqual(['DELIVERY_STATUS_CHANGED', 'JOB_CREATED', 'JOB_STATUS_CHANGED']);
      expect(new Set(publishedIds()).size).toBe(publishedIds().length);
    });
  });

  describe('3. a repeated poll with no upstream change', () => {
    it('publishes nothing and writes only the target bookkeeping', async () => {
      h.sim.addRestoreJob(PROJECT, clusterId);
      await h.poll(config);
      const messages = h.published().length;
      const before = { ...h.store.stats.requests };

      const quiet = await h.poll(config);

      const delta = Object.fromEntries(
        Object.entries(h.store.stats.requests).map(([op, n]) => [op, n - (before[op] ?? 0)]),
      );
      expect(quiet.eventsDetected).toBe(0);
      expect(h.published()).toHaveLength(messages);
      expect(delta.BatchWriteItem).toBe(1); // the target state item, nothing else
      for (const write of ['PutItem', 'UpdateItem', 'DeleteItem']) expect(delta[write] ?? 0).toBe(0);
      expect(delta.Query ?? 0).toBe(1); // the owed events, read once: no job state was read
    });
  });

  describe('4. two polls at once never double-alert', () => {
    it('lets exactly one of two concurrent runs work and the other skip', async () => {
      h.sim.addRestoreJob(PROJECT, clusterId);
      const [a, b] = await Promise.all([h.poll(config), h.poll(config)]);
      expect([a.lease, b.lease].sort()).toEqual(['acquired', 'held-by-other']);
      expect(publishedIds()).toHaveLength(1);
    });

    it('takes over the lease of a crashed run after it expires', async () => {
      const stuck = await h.lease.acquire('crashed-run', h.clock.now(), 60_000);
      expect(stuck.acquired).toBe(true);
      expect((await h.poll(config)).lease).toBe('held-by-other');
      h.clock.advanceMinutes(1.1);
      expect((await h.poll(config)).lease).toBe('acquired');
    });
  });

  describe('5. one failing target never stops the others', () => {
    it('polls and alerts the healthy target while recording the failure of the broken one', async () => {
      const broken = h.sim.addCluster({ projectId: PROJECT, clusterName: 'gone-soon' });
      const two = h.config({
        targets: [
          { projectId: PROJECT, clusterId: broken.id, name: 'gone-soon' },
          { projectId: PROJECT, clusterId, name: 'orders-prod' },
        ],
        alerts: { failingAfterPolls: 1 },
      });
      await h.poll(two);
      h.sim.removeCluster(PROJECT, broken.id);
      h.sim.addRestoreJob(PROJECT, clusterId);
      const summary = await h.poll(two);
      expect(summary.targets).toMatchObject({ total: 2, ok: 1, failed: 1 });
      expect(summary.failedTargets.map((f) => f.name)).toEqual(['gone-soon']);
      expect(
        h
          .published()
          .map((m) => m.eventTypes[0])
          .sort(),
      ).toEqual(['JOB_CREATED', 'TARGET_FAILING']);
      const states = await h.store.getTargetStates([{ projectId: PROJECT, clusterId: broken.id }]);
      const state = [...states.values()][0];
      expect(state?.failureStreak).toBe(1);
      expect(state?.lastError?.status).toBe(404);
    });
  });
});
