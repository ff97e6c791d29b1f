/**
 * Process death at every step of a run that changes incidents, with PagerDuty as a channel (the real
 * notifier against LocalPagerDuty over HTTP). The fatal run resolves one incident (a stuck restore
 * finished) and opens another (a restore broke); it is killed at each of its port calls in turn, as in
 * process-death.test.ts, then the next run takes over.
 *
 * Whatever the step, afterwards: PagerDuty holds exactly two alerts, under the two incident keys
 * (the dedup keys did not change across the crash), the stuck one resolved and the broken one open;
 * the table has exactly the broken restore's incident open; the resolution was recorded once (its id
 * is derived from the incident, not the run); nothing is owed to any channel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRunLease } from '../../functions/adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../../functions/adapters/dynamo/dynamo-state-store.ts';
import { PagerDutyNotifier } from '../../functions/adapters/pagerduty/pagerduty-notifier.ts';
import { createTestTable } from '../support/dynalite.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { LocalPagerDuty, TEST_ROUTING_KEY } from '../support/local-pagerduty/local-pagerduty.ts';
import { useLocalPagerDuty } from '../support/local-pagerduty/use-local-pagerduty.ts';
import { auditRecords, newObjectId, SnsGate, StepCrash } from './support/system.ts';

interface World {
  tableName: string;
  config: ReturnType<Harness['config']>;
  ports: { store: DynamoStateStore; lease: DynamoRunLease };
  stuck: string;
  broken: string;
}

function pagerduty(h: Harness, pd: LocalPagerDuty, tableName: string) {
  return new PagerDutyNotifier({
    routingKey: TEST_ROUTING_KEY,
    eventsUrl: pd.eventsUrl,
    dedupPrefix: `restore-watch/${tableName}`,
    consoleBaseUrl: h.sim.origin,
    sleep: async () => {},
    now: () => h.clock.now().getTime(),
  });
}

/** A table and a target of their own: cases sharing one simulator and dynalite never meet. */
async function freshTarget(h: Harness) {
  const tableName = await createTestTable(h.dynamo.client);
  const ports = {
    store: new DynamoStateStore({ client: h.dynamo.client, tableName, sleep: async () => {} }),
    lease: new DynamoRunLease({ client: h.dynamo.client, tableName }),
  };
  const project = newObjectId();
  const cluster = h.sim.addCluster({ projectId: project, clusterName: 'orders' }).id;
  const config = h.config({ targets: [{ projectId: project, clusterId: cluster, name: 'orders' }] });
  return { tableName, ports, project, cluster, config };
}

/** A fresh table and target, brought to the moment before the fatal run: job A stuck and paged. */
async function prepareWorld(h: Harness, pd: LocalPagerDuty): Promise<World> {
  const { tableName, ports, project, cluster, config } = await freshTarget(h);
  const run = () => h.poll(config, { ...ports, pagerduty: pagerduty(h, pd, tableName) });
  await run(); // baseline
  const stuck = h.sim.addRestoreJob(project, cluster);
  const broken = h.sim.addRestoreJob(project, cluster);
  h.clock.advanceMinutes(5);
  await run();
  h.clock.advanceMinutes(361);
  await run(); // JOB_STUCK for both; paged
  // What the fatal run will find: A finished (its stuck incident clears), B broke (B's clears, and
  // B's failed incident opens).
  h.sim.finishJob(stuck.id, { expirationHours: 48 });
  h.sim.breakJob(broken.id);
  h.clock.advanceMinutes(5);
  return { tableName, config, ports, stuck: stuck.id, broken: broken.id };
}

async function fatalRun(h: Harness, pd: LocalPagerDuty, world: World, crash: StepCrash): Promise<void> {
  const ports = crash.ports({ ...h.deps(world.ports), pagerduty: pagerduty(h, pd, world.tableName) });
  await h.poll(world.config, ports, { concurrency: 1 }).catch(() => undefined);
}

// The steps of such a run, recorded once from a run that does not die.
const probe = await (async () => {
  const h = await startHarness();
  const pd = new LocalPagerDuty();
  await pd.start();
  try {
    new SnsGate().install(h);
    const world = await prepareWorld(h, pd);
    const recorder = new StepCrash();
    await fatalRun(h, pd, world, recorder);
    return recorder.calls;
  } finally {
    await pd.stop();
    await h.stop();
  }
})();
const steps = probe.map((name, index) => ({ index, name: `#${index} ${name}` }));

let h: Harness;
const pd = useLocalPagerDuty();
beforeAll(async () => {
  h = await startHarness();
  new SnsGate().install(h);
});
afterAll(async () => {
  await h.stop();
});

describe('process death at every step of a run that resolves one incident and opens another', () => {
  it('covers the incident writes and both channels', () => {
    for (const step of [
      'store.readRunState',
      'store.recordEvents',
      'store.saveIncidents',
      'publisher.publish',
      'pagerduty.publish',
    ]) {
      expect(probe).toContain(step);
    }
  });

  it.each(steps)(
    'ends with the same two PagerDuty alerts, in the right states, when the process dies at $name',
    async ({ index }) => {
      // Prepare
      pd.reset();
      const world = await prepareWorld(h, pd);
      const pagedBefore = pd.alerts().length;

      // Act
      const crash = new StepCrash(index);
      await fatalRun(h, pd, world, crash);
      h.clock.advanceMinutes(2); // the dead run's lease expires
      const run = () =>
        h.poll(world.config, { ...world.ports, pagerduty: pagerduty(h, pd, world.tableName) });
      const next = await run();
      h.clock.advanceMinutes(5);
      const quiet = await run();

      // Assess
      expect(crash.diedAt).toBe(probe[index]);
      expect(pagedBefore).toBe(2);
      expect(next.lease).toBe('acquired');
      expect([quiet.alertsOwed, quiet.pagerduty?.owed, quiet.eventsDetected]).toEqual([0, 0, 0]);
      const byKey = new Map(
        pd.alerts().map((alert) => [alert.dedupKey.split('/').slice(-3).join('/'), alert.status]),
      );
      expect(Object.fromEntries(byKey)).toEqual({
        [`job/${world.stuck}/stuck`]: 'resolved',
        [`job/${world.broken}/stuck`]: 'resolved',
        [`job/${world.broken}/failed`]: 'triggered',
      });
      const { incidents } = await world.ports.store.readRunState(0);
      expect(incidents.map((i) => i.key)).toEqual([`job/${world.broken}/failed`]);
      const resolutions = (await auditRecords(h, world.tableName)).filter(
        (r) => r.eventType === 'INCIDENT_RESOLVED',
      );
      expect(resolutions.map((r) => r.incidentKey).sort()).toEqual(
        [`job/${world.broken}/stuck`, `job/${world.stuck}/stuck`].sort(),
      );
    },
  );
});

describe('process death between recording a trigger and writing its incident', () => {
  it('still resolves the PagerDuty alert when the condition cleared before the next run', async () => {
    // Prepare: a restore running since the baseline.
    const { tableName, ports, project, cluster, config } = await freshTarget(h);
    const run = (overrides = {}) =>
      h.poll(config, { ...ports, pagerduty: pagerduty(h, pd, tableName), ...overrides });
    await run();
    const job = h.sim.addRestoreJob(project, cluster);
    h.clock.advanceMinutes(5);
    await run();

    // Act: the run that finds it stuck dies right after recording JOB_STUCK, before its incident is
    // written; the job finishes before the next run, so JOB_STUCK is never detected again.
    h.clock.advanceMinutes(361);
    const crash = new StepCrash((name) => name === 'store.saveIncidents');
    await h
      .poll(config, crash.ports({ ...h.deps(ports), pagerduty: pagerduty(h, pd, tableName) }), {
        concurrency: 1,
      })
      .catch(() => undefined);
    h.sim.finishJob(job.id, { expirationHours: 48 });
    h.clock.advanceMinutes(5);
    const next = await run();

    // Assess
    expect(crash.diedAt).toBe('store.saveIncidents');
    expect(next.events.map((e) => e.eventType)).toContain('INCIDENT_RESOLVED');
    expect(pd.events.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(pd.openAlerts()).toEqual([]);
    expect((await ports.store.readRunState(0)).incidents).toEqual([]);
  });
});
