/**
 * Process death at every step of a run. A run over three targets (one with new jobs and a change, one
 * whose cluster was deleted, one whose key lost access) that also owes an alert from an SNS outage is
 * killed at each of its port calls in turn: fetched, recorded, job states saved, owed listed, published,
 * marked, bookkeeping saved, lease released. "Killed" means that call fails and every later one too, as
 * when the Lambda dies; dying right after call N succeeded is the same as dying at call N + 1.
 *
 * After each death the next run (once the dead run's lease expired) must leave every alert delivered,
 * each exactly once, nothing owed, and a quiet run after it. The one stated exception: dying after SNS
 * accepted messages and before they were marked repeats exactly those messages, with the same eventId.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRunLease } from '../../functions/adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../../functions/adapters/dynamo/dynamo-state-store.ts';
import type { PollDependencies } from '../../functions/core/poll.ts';
import { createTestTable } from '../support/dynalite.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import {
  alertKey,
  auditRecords,
  countBy,
  newObjectId,
  SnsGate,
  StepCrash,
  snsOutage,
} from './support/system.ts';

interface World {
  tableName: string;
  config: ReturnType<Harness['config']>;
  ports: Pick<PollDependencies, 'store' | 'lease'>;
  expected: string[];
}

/** Builds a fresh world (own table, own projects) and brings it to the moment before the fatal run. */
async function prepareWorld(h: Harness, sns: SnsGate): Promise<World> {
  const tableName = await createTestTable(h.dynamo.client);
  const ports = {
    store: new DynamoStateStore({ client: h.dynamo.client, tableName, sleep: async () => {} }),
    lease: new DynamoRunLease({ client: h.dynamo.client, tableName }),
  };
  const p1 = newObjectId();
  const p2 = newObjectId();
  const a = h.sim.addCluster({ projectId: p1, clusterName: 'a' }).id;
  const b = h.sim.addCluster({ projectId: p1, clusterName: 'b' }).id;
  const c = h.sim.addCluster({ projectId: p2, clusterName: 'c' }).id;
  const running = h.sim.addRestoreJob(p1, a);
  const config = h.config({
    targets: [
      { projectId: p1, clusterId: a, name: 'a' },
      { projectId: p1, clusterId: b, name: 'b' },
      { projectId: p2, clusterId: c, name: 'c' },
    ],
    alerts: { failingAfterPolls: 1 },
  });
  await h.poll(config, ports); // baseline
  h.clock.advanceMinutes(5);

  // An alert left owed by an SNS outage in an earlier run.
  const owed = h.sim.addRestoreJob(p1, a);
  sns.outage = snsOutage();
  await h.poll(config, ports);
  sns.outage = undefined;
  h.clock.advanceMinutes(5);

  // What the fatal run will find.
  h.sim.finishJob(running.id, { expirationHours: 48 });
  const fresh = h.sim.addRestoreJob(p1, a);
  h.sim.removeCluster(p1, b);
  h.sim.revokeAccess(p2, 401);
  sns.reset();

  return {
    tableName,
    config,
    ports,
    expected: [
      `JOB_CREATED ${owed.id}`,
      `JOB_STATUS_CHANGED ${running.id}`,
      `DELIVERY_STATUS_CHANGED ${running.id}`,
      `JOB_CREATED ${fresh.id}`,
      `TARGET_FAILING ${p1}:${b}`,
      `TARGET_FAILING ${p2}:${c}`,
    ],
  };
}

/** The fatal run: every port goes through the crash injector; targets one at a time for a fixed order. */
async function fatalRun(h: Harness, world: World, crash: StepCrash): Promise<void> {
  const ports = crash.ports({ ...h.deps(world.ports) });
  await h.poll(world.config, ports, { concurrency: 1 }).catch(() => undefined);
}

// The steps of a run, as the ports see them: recorded once from a run that does not die.
const probe = await (async () => {
  const h = await startHarness();
  try {
    const sns = new SnsGate().install(h);
    const world = await prepareWorld(h, sns);
    const recorder = new StepCrash();
    await fatalRun(h, world, recorder);
    return recorder.calls;
  } finally {
    await h.stop();
  }
})();
const steps = probe.map((name, index) => ({ index, name: `#${index} ${name}` }));

describe('process death at every step of a run', () => {
  let h: Harness;
  let sns: SnsGate;
  beforeAll(async () => {
    h = await startHarness();
    sns = new SnsGate().install(h);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('covers every step a run takes: fetch, record, save, list owed, publish, mark, bookkeeping, release', () => {
    for (const step of [
      'lease.acquire',
      'store.getTargetStates',
      'source.restoreJobs',
      'store.loadJobStates',
      'store.recordEvents',
      'store.saveJobStates',
      'store.listOwedEvents',
      'publisher.publish',
      'store.markPublished',
      'store.saveTargetStates',
      'lease.release',
    ]) {
      expect(probe).toContain(step);
    }
  });

  it.each(steps)(
    'leaves exactly the owed alerts for the next run when the process dies at $name',
    async ({ index }) => {
      const world = await prepareWorld(h, sns);
      const crash = new StepCrash(index);
      sns.round = 1;

      await fatalRun(h, world, crash);
      const acceptedBeforeDeath = new Set(sns.deliveredIds());

      // The dead run's lease expires; the next run takes over and the one after it is quiet.
      sns.round = 2;
      h.clock.advanceMinutes(2);
      const next = await h.poll(world.config, world.ports);
      h.clock.advanceMinutes(5);
      const quiet = await h.poll(world.config, world.ports);

      expect(crash.diedAt).toBe(probe[index]);
      expect(next.lease).toBe('acquired');
      expect([quiet.eventsDetected, quiet.alertsPublished, quiet.alertsOwed]).toEqual([0, 0, 0]);
      expect(await world.ports.store.listOwedEvents()).toEqual([]);

      const records = await auditRecords(h, world.tableName);
      // Every alert owed is recorded once: one audit record, one event id, per change.
      expect(records.map(alertKey).sort()).toEqual([...world.expected].sort());
      expect(records.every((r) => r.publishedAt !== undefined)).toBe(true);
      // ... and delivered: once, or twice with the same eventId if SNS took it just before the death.
      const deliveries = countBy(sns.deliveredIds());
      expect(new Set(deliveries.keys())).toEqual(new Set(records.map((r) => r.eventId)));
      const repeated = [...deliveries].filter(([, n]) => n > 1).map(([id]) => id);
      if (crash.diedAt === 'store.markPublished') {
        expect(repeated.sort()).toEqual([...acceptedBeforeDeath].sort());
        expect(repeated.every((id) => deliveries.get(id) === 2)).toBe(true);
      } else {
        expect(repeated).toEqual([]);
      }
    },
  );
});

describe('process death between a TARGET_FAILING alert and the bookkeeping that remembers it', () => {
  let h: Harness;
  let sns: SnsGate;
  beforeAll(async () => {
    h = await startHarness();
    sns = new SnsGate().install(h);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('still announces TARGET_RECOVERED when the run died after publishing TARGET_FAILING', async () => {
    const project = newObjectId();
    const cluster = h.sim.addCluster({ projectId: project, clusterName: 'orders' }).id;
    const config = h.config({ targets: [{ projectId: project, clusterId: cluster, name: 'orders' }] });
    await h.poll(config);
    h.sim.revokeAccess(project, 401);
    h.clock.advanceMinutes(5);
    // SNS accepts TARGET_FAILING; the run dies at its next state write (the end-of-run bookkeeping).
    const crash = new StepCrash(
      (name, earlier) => name === 'store.saveTargetStates' && earlier.includes('publisher.publish'),
    );
    await h.poll(config, crash.ports(h.deps()), { concurrency: 1 }).catch(() => undefined);
    expect(crash.diedAt).toBe('store.saveTargetStates');
    expect(sns.accepted.flatMap((m) => m.eventTypes)).toEqual(['TARGET_FAILING']);

    h.sim.restoreAccess(project);
    h.clock.advanceMinutes(5);
    const recovered = await h.poll(config);

    expect(recovered.events.map((e) => e.eventType)).toEqual(['TARGET_RECOVERED']);
    expect(sns.accepted.flatMap((m) => m.eventTypes)).toEqual(['TARGET_FAILING', 'TARGET_RECOVERED']);
  });

  it('still announces TARGET_RECOVERED when the run died between recording TARGET_FAILING and saving the target', async () => {
    const project = newObjectId();
    const cluster = h.sim.addCluster({ projectId: project, clusterName: 'orders' }).id;
    const config = h.config({ targets: [{ projectId: project, clusterId: cluster, name: 'orders' }] });
    await h.poll(config);
    sns.reset();
    h.sim.revokeAccess(project, 401);
    h.clock.advanceMinutes(5);
    // TARGET_FAILING is recorded (owed); the run dies at the very next write, the target's state.
    const crash = new StepCrash(
      (name, earlier) => name === 'store.saveTargetStates' && earlier.includes('store.recordEvents'),
    );
    await h.poll(config, crash.ports(h.deps()), { concurrency: 1 }).catch(() => undefined);
    expect(crash.diedAt).toBe('store.saveTargetStates');
    expect(sns.accepted).toEqual([]);

    // The dead run's lease expires; the key works again. The owed TARGET_FAILING proves the alert.
    h.sim.restoreAccess(project);
    h.clock.advanceMinutes(5);
    const recovered = await h.poll(config);

    expect(recovered.events.map((e) => e.eventType)).toEqual(['TARGET_RECOVERED']);
    expect(sns.accepted.flatMap((m) => m.eventTypes)).toEqual(['TARGET_FAILING', 'TARGET_RECOVERED']);
    const [state] = await h.store
      .listTargetStates()
      .then((all) => all.filter((t) => t.clusterId === cluster));
    expect(state).toMatchObject({ failureStreak: 0, failingAlerted: false });
  });
});
