/**
 * Soak: many consecutive polls of a small fleet while restore jobs live random lives in the simulator
 * and every boundary misbehaves at random (Cloud Manager 429/5xx/resets/garbage/empty pages, SNS
 * outages and per-entry failures and rejections, DynamoDB throttling and unprocessed items, the process
 * dying at a random step, other runs holding or racing for the lease). Then everything heals, polls run
 * until quiet, and the books are reconciled against what the simulator did:
 *
 * - every state change the simulator made produced exactly one audit record (no loss, no duplicate);
 * - every audit record was accepted by SNS at least once, and more than once only with the same eventId
 *   when the run that published it died before marking it (the stated duplicate window);
 * - nothing is owed, every target is healthy, and each TARGET_FAILING has its TARGET_RECOVERED.
 *
 * CI runs SOAK_POLLS (default 60) polls with a fixed seed; `npm run soak` runs 500 with a random seed.
 * The seed is in the test name; rerun one with `SOAK_SEED=<seed> SOAK_POLLS=<n> npx vitest run test/reliability/soak.test.ts`.
 * A job changes only once the monitor has saved its previous change, so each change is observable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStoreError } from '../../functions/adapters/dynamo/state-store-error.ts';
import { LeaseLostError } from '../../functions/core/errors.ts';
import type { PollSummary } from '../../functions/core/poll.ts';
import { MAX_REJECTIONS } from '../../functions/core/publish-owed.ts';
import type { AuditRecord, RestoreJob, Target } from '../../functions/core/types.ts';
import type { SimulatorFault } from '../../functions/simulator/cloud-manager-simulator.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { type DynamoApi, type DynamoFault, DynamoFaults } from './support/dynamo-faults.ts';
import {
  auditRecords,
  countBy,
  newObjectId,
  SnsGate,
  StepCrash,
  snsAccessDenied,
  snsOutage,
} from './support/system.ts';

const POLLS = Number(process.env.SOAK_POLLS ?? 60);
const SEED = process.env.SOAK_SEED
  ? Number(process.env.SOAK_SEED)
  : process.env.SOAK_POLLS
    ? Math.floor(Math.random() * 2 ** 31)
    : 20261128;

/** mulberry32: a small, fast, seedable PRNG. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    chance: (p: number) => next() < p,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}

type Action = 'finish' | 'break' | 'kill' | 'expire' | 'download' | 'remove';

interface TrackedJob {
  job: RestoreJob;
  target: Target;
  batchId?: string;
}

describe('soak', () => {
  let h: Harness;
  let sns: SnsGate;
  let dynamo: DynamoFaults;
  beforeAll(async () => {
    h = await startHarness();
    sns = new SnsGate().install(h);
    dynamo = await DynamoFaults.for(h.dynamo.endpoint);
  });
  afterAll(async () => {
    dynamo.destroy();
    await h.stop();
  });

  it(`reconciles ${POLLS} polls with random faults and job life cycles (seed ${SEED})`, {
    timeout: Math.max(20_000, POLLS * 400),
  }, async ({ onTestFailed }) => {
    onTestFailed(() => {
      console.error(`Soak failed: rerun with SOAK_SEED=${SEED} SOAK_POLLS=${POLLS}`, tally);
    });
    const random = prng(SEED);

    // A fleet: a replica set, a sharded cluster (batches), and a project watched as a whole.
    const p1 = newObjectId();
    const p2 = newObjectId();
    const replica = h.sim.addCluster({ projectId: p1, clusterName: 'orders', typeName: 'REPLICA_SET' }).id;
    const sharded = h.sim.addCluster({
      projectId: p1,
      clusterName: 'payments',
      typeName: 'SHARDED_REPLICA_SET',
    }).id;
    const fleet = [
      h.sim.addCluster({ projectId: p2, clusterName: 'inventory' }).id,
      h.sim.addCluster({ projectId: p2, clusterName: 'search' }).id,
    ];
    const config = h.config({
      targets: [
        { projectId: p1, clusterId: replica, name: 'orders' },
        { projectId: p1, clusterId: sharded, name: 'payments' },
        { projectId: p2, name: 'fleet' },
      ],
      alerts: { failingAfterPolls: 3, expiryWarningMinutes: [60, 15], stuckAfterMinutes: 240 },
    });
    const targets: Target[] = [
      { projectId: p1, clusterId: replica, name: 'orders' },
      { projectId: p1, clusterId: sharded, name: 'payments' },
      ...fleet.map((clusterId) => ({ projectId: p2, clusterId, name: clusterId })),
    ];
    await h.poll(config); // baseline

    const jobs = new Map<string, TrackedJob>();
    const batches = new Map<string, string[]>();
    /** What the simulator did, as the audit keys it must produce: `TYPE jobId TO` or `BATCH_COMPLETED batchId`. */
    const changes: string[] = [];
    const failedRounds = new Set<number>();
    const errors: string[] = [];
    /** Jobs changed in this round: one step per job per round. */
    const touched = new Set<string>();
    const tally = {
      crashes: 0,
      cmFaults: 0,
      snsFaults: 0,
      dynamoFaults: 0,
      contention: 0,
      revoked: 0,
      actions: 0,
    };

    const record = (jobId: string, type: string, to: string) => changes.push(`${type} ${jobId} ${to}`);
    const addJob = (target: Target, job: RestoreJob, batchId?: string) => {
      jobs.set(job.id, { job, target, ...(batchId ? { batchId } : {}) });
      changes.push(`JOB_CREATED ${job.id}`);
    };

    /** Jobs whose last change the monitor has saved: safe to change again (one step at a time). */
    async function settledJobs(): Promise<TrackedJob[]> {
      const out: TrackedJob[] = [];
      for (const target of targets) {
        const saved = await h.store.loadJobStates(target);
        for (const tracked of jobs.values()) {
          if (tracked.target.clusterId !== target.clusterId) continue;
          const now = h.sim.getRestoreJob(tracked.job.id);
          const state = saved.get(tracked.job.id);
          if (!now || !state) continue;
          if (
            state.snapshot.statusName === now.statusName &&
            state.snapshot.deliveryStatus === now.delivery?.statusName
          ) {
            out.push(tracked);
          }
        }
      }
      return out;
    }

    function apply(tracked: TrackedJob, action: Action): void {
      const id = tracked.job.id;
      switch (action) {
        case 'finish':
          h.sim.finishJob(id, { expirationHours: random.int(1, 6) });
          record(id, 'JOB_STATUS_CHANGED', 'FINISHED');
          record(id, 'DELIVERY_STATUS_CHANGED', 'READY');
          break;
        case 'break':
          h.sim.breakJob(id);
          record(id, 'JOB_STATUS_CHANGED', 'BROKEN');
          record(id, 'DELIVERY_STATUS_CHANGED', 'FAILED');
          break;
        case 'kill':
          h.sim.killJob(id);
          record(id, 'JOB_STATUS_CHANGED', 'KILLED');
          break;
        case 'expire':
          h.sim.expireDelivery(id);
          record(id, 'DELIVERY_STATUS_CHANGED', 'EXPIRED');
          break;
        case 'download':
          h.sim.markDownloaded(id);
          record(id, 'DELIVERY_STATUS_CHANGED', 'MAX_DOWNLOADS_EXCEEDED');
          break;
        case 'remove':
          h.sim.removeRestoreJob(id);
          jobs.delete(id);
          break;
      }
      tally.actions++;
      const batchId = tracked.batchId;
      const members = batchId ? batches.get(batchId) : undefined;
      if (batchId && members && action !== 'remove') {
        const terminal = ['FINISHED', 'BROKEN', 'KILLED'];
        const wasDone = changes.includes(`BATCH_COMPLETED ${batchId}`);
        const done = members.every((m) => terminal.includes(h.sim.getRestoreJob(m)?.statusName ?? ''));
        if (done && !wasDone) changes.push(`BATCH_COMPLETED ${batchId}`);
      }
    }

    async function lifeCycles(): Promise<void> {
      const count = random.int(0, 3);
      const settled = await settledJobs();
      for (let i = 0; i < count; i++) {
        const roll = random.int(0, 9);
        if (roll <= 1) {
          const target = random.pick(targets.filter((t) => t.clusterId !== sharded));
          addJob(target, h.sim.addRestoreJob(target.projectId, target.clusterId));
        } else if (roll === 2) {
          const members = h.sim.createBatch(p1, sharded, random.int(2, 3));
          const batchId = members[0]?.batchId ?? '';
          batches.set(
            batchId,
            members.map((m) => m.id),
          );
          for (const member of members) addJob(targets[1] as Target, member, batchId);
        } else {
          const candidates = settled.filter((t) => jobs.has(t.job.id) && !touched.has(t.job.id));
          if (candidates.length === 0) continue;
          const tracked = random.pick(candidates);
          const current = h.sim.getRestoreJob(tracked.job.id);
          const actions: Action[] =
            current?.statusName === 'IN_PROGRESS'
              ? ['finish', 'finish', 'break', 'kill']
              : current?.delivery?.statusName === 'READY'
                ? ['expire', 'download']
                : tracked.batchId
                  ? []
                  : ['remove'];
          if (actions.length === 0) continue;
          touched.add(tracked.job.id);
          apply(tracked, random.pick(actions));
        }
      }
    }
    function cloudManagerFaults(): void {
      if (!random.chance(0.3)) return;
      const kinds: SimulatorFault[] = [
        { kind: 'status', status: 429, retryAfterSeconds: 1 },
        { kind: 'status', status: 429 },
        { kind: 'status', status: 503 },
        { kind: 'status', status: 500, errorCode: 'UNEXPECTED_ERROR' },
        { kind: 'reset' },
        { kind: 'reset-mid-body' },
        { kind: 'malformed-json' },
        { kind: 'empty-page' },
      ];
      for (let i = random.int(1, 3); i > 0; i--) {
        const target = random.pick(targets);
        // Restore-job listings only: the clusters list of a project-wide target has its own tests.
        h.sim.injectFault(random.pick(kinds), {
          path: `/clusters/${target.clusterId}/restoreJobs`,
          times: random.int(1, 6),
        });
        tally.cmFaults++;
      }
    }

    function snsFaults(): void {
      const roll = random.int(0, 19);
      if (roll <= 1) sns.outage = snsOutage();
      else if (roll === 2) sns.outage = snsAccessDenied();
      else if (roll <= 5) {
        const seeded = prng(random.int(0, 2 ** 30));
        sns.verdict = () => (seeded.chance(0.3) ? 'server-fail' : 'accept');
      } else if (roll === 6) {
        let rejected = false;
        sns.verdict = () => {
          if (rejected) return 'accept';
          rejected = true;
          return 'sender-fail';
        };
      } else return;
      tally.snsFaults++;
    }

    function dynamoFaults(): void {
      if (!random.chance(0.15)) return;
      const api = random.pick<DynamoApi>([
        'BatchWriteItem',
        'BatchGetItem',
        'Query',
        'UpdateItem',
        'PutItem',
      ]);
      const fault: DynamoFault =
        random.chance(0.3) && api.startsWith('Batch')
          ? { kind: 'unprocessed' }
          : { kind: random.pick(['ThrottlingException', 'ProvisionedThroughputExceededException'] as const) };
      dynamo.add({ api, fault, times: random.int(1, fault.kind === 'unprocessed' ? 10 : 4) });
      tally.dynamoFaults++;
    }

    async function onePoll(round: number): Promise<PollSummary | undefined> {
      const base = { ...h.deps(), store: dynamo.store(h.tableName), lease: dynamo.lease(h.tableName) };
      const crash = random.chance(0.12) ? new StepCrash(random.int(0, 20)) : undefined;
      const ports = crash ? crash.ports(base) : base;
      const contention = random.int(0, 24);
      if (contention === 0) {
        await h.lease.acquire(`intruder-${round}`, h.clock.now(), 60_000);
        tally.contention++;
      }
      const runs = contention === 1 ? [h.poll(config, ports), h.poll(config)] : [h.poll(config, ports)];
      if (contention === 1) tally.contention++;
      const outcomes = await Promise.allSettled(runs);
      if (crash?.dead) tally.crashes++;
      let summary: PollSummary | undefined;
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') {
          summary ??= outcome.value;
          continue;
        }
        failedRounds.add(round);
        const error = outcome.reason as Error;
        const expected =
          error instanceof StateStoreError ||
          error instanceof LeaseLostError ||
          /injected crash|process is dead/.test(String(error?.message));
        if (!expected) errors.push(`round ${round}: ${error?.name}: ${error?.message}`);
      }
      return summary;
    }

    // Act: the soak.
    for (let round = 1; round <= POLLS; round++) {
      sns.round = round;
      h.clock.advanceMinutes(random.int(1, 15));
      touched.clear();
      await lifeCycles();
      cloudManagerFaults();
      snsFaults();
      dynamoFaults();
      // The key loses access to a project for one poll (TARGET_FAILING at once, then recovery).
      const revoked = random.chance(0.04);
      if (revoked) {
        h.sim.revokeAccess(p1, random.pick([401, 403] as const));
        tally.revoked++;
      }
      await onePoll(round);
      if (revoked) h.sim.restoreAccess(p1);
      h.sim.clearFaults();
      dynamo.clear();
      sns.outage = undefined;
      sns.verdict = () => 'accept';
    }

    // Heal, let any lease expire, and poll until a run finds nothing to do.
    h.clock.advanceMinutes(2);
    let quiet = false;
    for (let i = 0; i < 12 && !quiet; i++) {
      sns.round = POLLS + 1 + i;
      h.clock.advanceMinutes(5);
      const summary = await h.poll(config);
      quiet =
        summary.lease === 'acquired' &&
        summary.eventsDetected === 0 &&
        summary.alertsOwed === 0 &&
        summary.targets.failed === 0;
    }

    if (process.env.SOAK_TALLY) console.log(JSON.stringify(tally));
    // Assess: reconcile the books.
    const records = await auditRecords(h);
    const changeTypes = new Set([
      'JOB_CREATED',
      'JOB_STATUS_CHANGED',
      'DELIVERY_STATUS_CHANGED',
      'BATCH_COMPLETED',
    ]);
    const auditKeys = records.filter((r) => changeTypes.has(r.eventType)).map(changeKey);
    const deliveries = countBy(sns.deliveredIds());
    const firstRound = new Map<string, number>();
    for (const message of sns.accepted) {
      for (const id of message.eventIds) if (!firstRound.has(id)) firstRound.set(id, message.round);
    }

    expect(errors, 'only injected failures may end a run').toEqual([]);
    expect(quiet, 'a run with nothing to do after healing').toBe(true);
    expect(
      tally.actions + tally.crashes + tally.cmFaults + tally.snsFaults + tally.dynamoFaults,
    ).toBeGreaterThan(0);
    // Every simulator change: exactly one audit record.
    expect(countBy(auditKeys)).toEqual(countBy(changes));
    // Every audit record published and accepted by SNS, except the documented exception: a message
    // SNS rejected as invalid MAX_REJECTIONS times is parked (audited, no longer owed). Nothing is
    // parked for any other reason; nothing SNS took was never recorded.
    const parked = records.filter((r) => r.abandonedAt !== undefined);
    expect(
      parked.filter((r) => (sns.rejections.get(r.eventId) ?? 0) < MAX_REJECTIONS).map(changeKey),
      'parked without MAX_REJECTIONS rejections',
    ).toEqual([]);
    const unpublished = records.filter(
      (r) =>
        !r.suppressed &&
        r.abandonedAt === undefined &&
        (r.publishedAt === undefined || !deliveries.has(r.eventId)),
    );
    expect(unpublished.map(changeKey)).toEqual([]);
    expect([...deliveries.keys()].filter((id) => !records.some((r) => r.eventId === id))).toEqual([]);
    expect(await h.store.listOwedEvents()).toEqual([]);
    // Repeats only for messages accepted by a run that then failed before marking them.
    const repeats = [...deliveries].filter(([, n]) => n > 1).map(([id]) => id);
    expect(repeats.filter((id) => !failedRounds.has(firstRound.get(id) ?? -1))).toEqual([]);
    // Health: every target healthy, each failing streak closed by one recovery.
    const states = await h.store.listTargetStates();
    expect(states.filter((s) => s.failureStreak > 0 || s.failingAlerted).map((s) => s.name)).toEqual([]);
    for (const target of new Set(records.map((r) => `${r.projectId}:${r.clusterId}`))) {
      const health = records
        .filter((r) => `${r.projectId}:${r.clusterId}` === target)
        .filter((r) => r.eventType === 'TARGET_FAILING' || r.eventType === 'TARGET_RECOVERED')
        .map((r) => `${r.eventType} ${r.detectedAt} ${r.eventId.slice(0, 8)}`);
      const alternating = health.every((line, i) =>
        line.startsWith(i % 2 === 0 ? 'TARGET_FAILING' : 'TARGET_RECOVERED'),
      );
      expect(
        alternating && health.length % 2 === 0,
        `health alerts of ${target}:\n${health.join('\n')}`,
      ).toBe(true);
    }
  });
});

function changeKey(record: AuditRecord): string {
  if (record.eventType === 'JOB_CREATED') return `JOB_CREATED ${record.jobId}`;
  if (record.eventType === 'BATCH_COMPLETED') return `BATCH_COMPLETED ${record.batchId}`;
  const after = record.after ?? {};
  const to = record.eventType === 'JOB_STATUS_CHANGED' ? after.statusName : after.deliveryStatus;
  return `${record.eventType} ${record.jobId} ${to}`;
}
