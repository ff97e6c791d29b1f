/**
 * Fault matrix, DynamoDB boundary: throttling, unprocessed batch items, conditional races and an
 * unreachable endpoint, injected into a real DynamoDB client (middleware) in front of dynalite while a
 * whole poll runs. A fault the SDK or the store can absorb must change nothing a user sees; one they
 * cannot absorb must fail the run or the target loudly and leave the next run to deliver every alert
 * exactly once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStoreError } from '../../functions/adapters/dynamo/state-store-error.ts';
import type { RestoreJob } from '../../functions/core/types.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import {
  type DynamoApi,
  DynamoFaults,
  queriesOwed,
  queriesOwedEvents,
  writes,
} from './support/dynamo-faults.ts';
import { alertKey, auditRecords, countBy, newObjectId, SnsGate } from './support/system.ts';

const THROTTLES = ['ProvisionedThroughputExceededException', 'ThrottlingException'] as const;

describe('DynamoDB faults in a whole poll run', () => {
  let h: Harness;
  let sns: SnsGate;
  let faults: DynamoFaults;
  let project: string;
  let clusterA: string;
  let clusterB: string;
  let config: ReturnType<Harness['config']>;

  beforeEach(async () => {
    h = await startHarness();
    sns = new SnsGate().install(h);
    faults = await DynamoFaults.for(h.dynamo.endpoint);
    project = newObjectId();
    clusterA = h.sim.addCluster({ projectId: project, clusterName: 'a' }).id;
    clusterB = h.sim.addCluster({ projectId: project, clusterName: 'b' }).id;
    config = h.config({
      targets: [
        { projectId: project, clusterId: clusterA, name: 'a' },
        { projectId: project, clusterId: clusterB, name: 'b' },
      ],
    });
    await h.poll(config);
  });
  afterEach(async () => {
    faults.destroy();
    await h.stop();
  });

  /** A poll whose store and lease go through the faulty client. */
  const faultyPoll = (options: { concurrency?: number } = {}) =>
    h.poll(config, { store: faults.store(h.tableName), lease: faults.lease(h.tableName) }, options);

  function changes(): { a: RestoreJob; b: RestoreJob; expected: string[] } {
    const a = h.sim.addRestoreJob(project, clusterA);
    const b = h.sim.addRestoreJob(project, clusterB);
    return { a, b, expected: [`JOB_CREATED ${a.id}`, `JOB_CREATED ${b.id}`] };
  }

  /** Heals, lets any lease expire, polls until quiet: each alert delivered once, nothing owed. */
  async function expectSettled(expected: string[], { duplicatesAllowed = false } = {}): Promise<void> {
    faults.clear();
    for (let i = 0; i < 3; i++) {
      h.clock.advanceMinutes(2);
      await h.poll(config);
    }
    const records = await auditRecords(h);
    expect(records.map(alertKey).sort()).toEqual([...expected].sort());
    expect(records.every((r) => r.publishedAt !== undefined)).toBe(true);
    const deliveries = countBy(sns.deliveredIds());
    expect(new Set(sns.deliveredIds())).toEqual(new Set(records.map((r) => r.eventId)));
    if (!duplicatesAllowed) expect([...deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(await h.store.listOwedEvents()).toEqual([]);
  }

  describe('throttling', () => {
    // Every operation a normal run uses (publish marks are BatchWriteItem; UpdateItem only renews a
    // lease, which a run this short never does).
    const apis: DynamoApi[] = ['BatchGetItem', 'BatchWriteItem', 'Query', 'PutItem'];
    for (const name of THROTTLES) {
      it.each(apis)(`absorbs a short ${name} burst on %s within the SDK retries`, async (api) => {
        const { expected } = changes();
        faults.add({ api, fault: { kind: name }, times: 2 });

        const summary = await faultyPoll();

        expect(faults.hits).toEqual([`${api}:${name}`, `${api}:${name}`]);
        expect(summary.targets).toMatchObject({ ok: 2, failed: 0 });
        expect(summary.alertsPublished).toBe(2);
        await expectSettled(expected);
      });
    }

    it('fails only the target whose event records stay throttled, and records and alerts them next run', async () => {
      const { expected } = changes();
      // Every SDK attempt of the first event write (target a's, targets one at a time) is throttled.
      faults.add({
        api: 'BatchWriteItem',
        fault: { kind: 'ProvisionedThroughputExceededException' },
        times: 3,
        when: writes.events,
      });

      const summary = await faultyPoll({ concurrency: 1 });

      expect(summary.targets).toMatchObject({ ok: 1, failed: 1 });
      expect(summary.failedTargets.map((f) => [f.name, f.error])).toEqual([
        ['a', expect.stringMatching(/throttled recordEvents .*ProvisionedThroughputExceeded/)],
      ]);
      expect(summary.alertsPublished).toBe(1);
      expect(
        h.logs.some((l) => l.level === 'error' && /Could not save the state of a target/.test(l.message)),
      ).toBe(true);
      await expectSettled(expected);
    });

    it('holds back the recorded alerts of a target whose job states stay throttled, then delivers them once', async () => {
      const job = h.sim.addRestoreJob(project, clusterA);
      faults.add({
        api: 'BatchWriteItem',
        fault: { kind: 'ThrottlingException' },
        times: 3,
        when: writes.jobStates,
      });

      const summary = await faultyPoll();

      expect(summary.targets).toMatchObject({ ok: 1, failed: 1 });
      expect(summary.alertsPublished).toBe(0);
      expect(summary.alertsOwed).toBe(1);
      await expectSettled([`JOB_CREATED ${job.id}`]);
    });

    it('fails the run when the target states cannot be read, and loses nothing', async () => {
      const { expected } = changes();
      faults.add({ api: 'BatchGetItem', fault: { kind: 'ThrottlingException' }, times: 3 });

      const failure = await faultyPoll().catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(StateStoreError);
      expect((failure as Error).message).toMatch(/throttled getTargetStates on table .* even after retries/);
      expect(sns.attempts).toBe(0);
      await expectSettled(expected);
    });

    it('fails the run when the owed alerts cannot be listed, and the next run delivers them', async () => {
      const { expected } = changes();
      faults.add({
        api: 'Query',
        fault: { kind: 'ProvisionedThroughputExceededException' },
        when: queriesOwed,
      });

      await expect(faultyPoll()).rejects.toThrow(/throttled readRunState/);

      expect(sns.attempts).toBe(0);
      await expectSettled(expected);
    });

    it('repeats an alert, with its eventId, only when marking it published stays throttled after SNS accepted it', async () => {
      const { expected } = changes();
      faults.add({
        api: 'BatchWriteItem',
        fault: { kind: 'ThrottlingException' },
        when: writes.publishMarks,
      });

      await expect(faultyPoll()).rejects.toThrow(/throttled markPublished/);
      const acceptedBeforeTheFailure = sns.deliveredIds();

      await expectSettled(expected, { duplicatesAllowed: true });
      const deliveries = countBy(sns.deliveredIds());
      expect(acceptedBeforeTheFailure).toHaveLength(2);
      // The stated duplicate window: each repeat carries the same eventId, and nothing else repeats.
      for (const id of acceptedBeforeTheFailure) expect(deliveries.get(id)).toBe(2);
    });

    it('keeps the lease of a run whose release failed until it expires, then the next run delivers', async () => {
      const { expected } = changes();
      faults.add({ api: 'DeleteItem', fault: { kind: 'ThrottlingException' } });

      const summary = await faultyPoll();
      faults.clear();
      const blocked = await h.poll(config);

      expect(summary.alertsPublished).toBe(2);
      expect(
        h.logs.some((l) => /Could not release the poll lease; it expires by itself/.test(l.message)),
      ).toBe(true);
      expect(blocked.lease).toBe('held-by-other');
      await expectSettled(expected);
    });
  });

  describe('unprocessed items and keys', () => {
    it.each(['BatchWriteItem', 'BatchGetItem'] as const)(
      'loses nothing when %s leaves half of every request unprocessed several times',
      async (api) => {
        const jobs = Array.from({ length: 30 }, () => h.sim.addRestoreJob(project, clusterA));
        faults.add({ api, fault: { kind: 'unprocessed' }, times: 6 });

        const summary = await faultyPoll();

        expect(faults.hits.filter((hit) => hit === `${api}:unprocessed`)).toHaveLength(6);
        expect(summary.targets).toMatchObject({ ok: 2, failed: 0 });
        expect(summary.alertsPublished).toBe(30);
        const states = await h.store.loadJobStates({ projectId: project, clusterId: clusterA });
        expect([...states.keys()].sort()).toEqual(jobs.map((j) => j.id).sort());
        await expectSettled(jobs.map((j) => `JOB_CREATED ${j.id}`));
      },
    );

    it('fails the target, not silently, when event writes stay unprocessed past the store’s attempts', async () => {
      const jobs = [h.sim.addRestoreJob(project, clusterA), h.sim.addRestoreJob(project, clusterA)];
      faults.add({ api: 'BatchWriteItem', fault: { kind: 'unprocessed' }, when: writes.events });

      const summary = await faultyPoll();

      expect(summary.failedTargets.map((f) => f.error)).toEqual([
        expect.stringMatching(
          /still left 1 of 2 item\(s\) unprocessed after 8 BatchWriteItem attempts.* Nothing was dropped silently/,
        ),
      ]);
      expect(summary.alertsPublished).toBe(0);
      await expectSettled(jobs.map((j) => `JOB_CREATED ${j.id}`));
    });
  });

  describe('conditional-check races between runs', () => {
    it('lets exactly one of two runs on separate clients take the lease; the other skips and nothing is doubled', async () => {
      const { expected } = changes();
      const other = await DynamoFaults.for(h.dynamo.endpoint);
      try {
        const [one, two] = await Promise.all([
          faultyPoll(),
          h.poll(config, { store: other.store(h.tableName), lease: other.lease(h.tableName) }),
        ]);
        expect([one.lease, two.lease].sort()).toEqual(['acquired', 'held-by-other']);
        expect(one.alertsPublished + two.alertsPublished).toBe(2);
      } finally {
        other.destroy();
      }
      await expectSettled(expected);
    });

    it('does not count a failure against an alert another run published meanwhile', async () => {
      const job = h.sim.addRestoreJob(project, clusterA);
      sns.outage = new Error('down');
      await h.poll(config);
      const [owed] = await h.store.listOwedEvents();
      sns.outage = undefined;
      await h.poll(config);

      // A late markPublishFailed from a slower run arrives after the event was published.
      await h.store.markPublishFailed([
        { eventId: owed?.eventId ?? '', error: 'late', at: h.clock.now().toISOString() },
      ]);

      const [record] = await h.store.queryAudit({ jobId: job.id });
      expect(record?.publishedAt).toBeDefined();
      expect(record?.lastPublishError).not.toBe('late');
      await expectSettled([`JOB_CREATED ${job.id}`]);
    });
  });

  describe('an unreachable endpoint', () => {
    it('fails the run before anything is fetched or published when DynamoDB cannot be reached', async () => {
      const { expected } = changes();
      faults.add({ api: 'PutItem', fault: { kind: 'unreachable' } });
      const requestsBefore = h.sim.requests.length;

      const failure = await faultyPoll().catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(StateStoreError);
      expect((failure as Error).message).toMatch(
        /Could not reach DynamoDB .* for acquireLease .*ECONNREFUSED/,
      );
      expect(h.sim.requests.length).toBe(requestsBefore);
      expect(sns.attempts).toBe(0);
      await expectSettled(expected);
    });

    it('loses nothing when DynamoDB becomes unreachable after the events were recorded', async () => {
      const { expected } = changes();
      for (const api of ['BatchWriteItem', 'Query', 'UpdateItem', 'DeleteItem'] as const) {
        const when =
          api === 'BatchWriteItem' ? writes.jobStates : api === 'Query' ? queriesOwedEvents : undefined;
        faults.add({ api, fault: { kind: 'unreachable' }, ...(when ? { when } : {}) });
      }

      await expect(faultyPoll()).rejects.toThrow(/Could not reach DynamoDB/);

      expect(sns.attempts).toBe(0);
      expect((await auditRecords(h)).map(alertKey).sort()).toEqual([...expected].sort());
      await expectSettled(expected);
    });
  });
});
