/**
 * The poll's stages and their orchestration, with in-memory ports (milliseconds each): target
 * resolution, one target's observe/record, and `runPoll` / `previewPoll` as a whole. The same
 * guarantees over real peers are in test/scenarios/ and test/reliability/.
 */
import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../functions/core/concurrency.ts';
import { parseConfig } from '../../functions/core/config.ts';
import { LeaseLostError, SourceError } from '../../functions/core/errors.ts';
import { type PollDependencies, previewPoll, runPoll } from '../../functions/core/poll.ts';
import { observeTarget, recordObservation } from '../../functions/core/poll-target.ts';
import { ALL_CLUSTERS, resolveTargets } from '../../functions/core/resolve-targets.ts';
import { targetKey } from '../../functions/core/types.ts';
import {
  InMemoryRunLease,
  InMemoryStateStore,
  ListSource,
  manualClock,
  RecordingPublisher,
  recordingLogger,
} from '../support/in-memory-ports.ts';
import { CLUSTER_ID, JOB_A, JOB_B, job, PROJECT_ID, SETTINGS, TARGET } from './fixtures.ts';

const OTHER_PROJECT = '5e2211c17a3e5a48f5497de9';
const config = (
  targets: Array<Record<string, unknown>> = [
    { projectId: PROJECT_ID, clusterId: CLUSTER_ID, name: 'orders-prod' },
  ],
) => parseConfig({ targets }, 'test');

function world() {
  const source = new ListSource();
  const store = new InMemoryStateStore();
  const lease = new InMemoryRunLease();
  const publisher = new RecordingPublisher();
  const clock = manualClock();
  const { logger, lines } = recordingLogger();
  const deps: PollDependencies = { source, store, lease, publisher, now: clock.now, logger };
  let runs = 0;
  const poll = (cfg = config()) => runPoll(deps, { config: cfg, runId: `run-${++runs}` });
  const preview = (cfg = config()) =>
    previewPoll({ source, state: store, now: clock.now, logger }, { config: cfg, runId: `run-${++runs}` });
  return { source, store, lease, publisher, clock, lines, deps, poll, preview };
}

describe('target resolution', () => {
  const signal = new AbortController().signal;

  it('expands a project into its watchable clusters, skipping shards and config servers, once each', async () => {
    const { source, lines } = world();
    source.clusters.set(PROJECT_ID, [
      { id: CLUSTER_ID, clusterName: 'orders-prod', typeName: 'REPLICA_SET' },
      { id: 'aaaaaaaaaaaaaaaaaaaaaaaa', clusterName: 'sharded', typeName: 'SHARDED_REPLICA_SET' },
      { id: 'bbbbbbbbbbbbbbbbbbbbbbbb', clusterName: 'sharded-shard-0', shardName: 'sharded-shard-0' },
      {
        id: 'cccccccccccccccccccccccc',
        clusterName: 'sharded-config',
        typeName: 'CONFIG_SERVER_REPLICA_SET',
      },
    ]);

    const resolved = await resolveTargets(
      config([
        { projectId: PROJECT_ID, clusterId: CLUSTER_ID.toUpperCase(), name: 'orders' },
        { projectId: PROJECT_ID },
      ]).targets,
      source,
      { signal, logger: recordingLogger().logger },
    );

    expect(resolved.targets.map((t) => [t.clusterId, t.name])).toEqual([
      [CLUSTER_ID, 'orders'],
      ['aaaaaaaaaaaaaaaaaaaaaaaa', 'sharded'],
    ]);
    expect(resolved.listedProjects.map(targetKey)).toEqual([`${PROJECT_ID}:${ALL_CLUSTERS}`]);
    expect(lines).toEqual([]);
  });

  it('turns a project whose clusters cannot be listed into one failing pseudo target, keeping the failure kind', async () => {
    const { source } = world();
    source.clusters.set(
      OTHER_PROJECT,
      new SourceError('Cloud Manager rejected the API key (401)', {
        kind: 'auth',
        status: 401,
        errorCode: 'USER_UNAUTHORIZED',
      }),
    );

    const resolved = await resolveTargets(
      config([{ projectId: OTHER_PROJECT, name: 'billing' }]).targets,
      source,
      {
        signal,
        logger: recordingLogger().logger,
      },
    );

    expect(resolved.targets).toEqual([
      { projectId: OTHER_PROJECT, clusterId: ALL_CLUSTERS, name: 'billing (all clusters)' },
    ]);
    expect(resolved.projectFailures.get(`${OTHER_PROJECT}:${ALL_CLUSTERS}`)).toMatchObject({
      auth: true,
      status: 401,
      errorCode: 'USER_UNAUTHORIZED',
    });
  });
});

describe('one target: observe reads, record writes', () => {
  const context = (w: ReturnType<typeof world>) => ({
    source: w.source,
    state: w.store,
    now: w.clock.now,
    runId: 'run-1',
    settings: SETTINGS,
    signal: new AbortController().signal,
    logger: recordingLogger().logger,
    projectFailures: new Map(),
  });

  it('writes nothing while observing, and records events before job states', async () => {
    const w = world();
    w.source.jobs.set(CLUSTER_ID, [job()]);
    const baseline = await observeTarget(TARGET, undefined, context(w));
    await recordObservation(baseline, w.store, recordingLogger().logger);
    w.source.jobs.set(CLUSTER_ID, [job(), job({ id: JOB_B })]);
    w.store.calls.clear();

    const observation = await observeTarget(TARGET, baseline.next, context(w));
    const writesWhileObserving = ['saveJobStates', 'saveTargetStates', 'recordEvents'].map((m) =>
      w.store.calls.of(m),
    );
    const outcome = await recordObservation(observation, w.store, recordingLogger().logger);

    expect(writesWhileObserving).toEqual([0, 0, 0]);
    expect(outcome).toMatchObject({ kind: 'ok', jobsSeen: 2 });
    expect(outcome.kind === 'ok' && outcome.records.map((r) => [r.eventType, r.jobId])).toEqual([
      ['JOB_CREATED', JOB_B],
    ]);
    expect(w.store.calls.order.filter((m) => m.startsWith('save') || m === 'recordEvents')).toEqual([
      'recordEvents',
      'saveJobStates',
    ]);
  });

  it('skips the diff (no job-state read) when the listing is unchanged', async () => {
    const w = world();
    w.source.jobs.set(CLUSTER_ID, [job()]);
    const baseline = await observeTarget(TARGET, undefined, context(w));
    await recordObservation(baseline, w.store, recordingLogger().logger);
    w.store.calls.clear();
    w.clock.advance(5 * 60_000);

    const quiet = await observeTarget(TARGET, baseline.next, context(w));

    expect(w.store.calls.of('loadJobStates')).toBe(0);
    expect(quiet).toMatchObject({ kind: 'listed', records: [], changedJobs: [], jobsSeen: 1 });
  });

  it('reports a state-store failure as this target’s failure, holding its events back', async () => {
    const w = world();
    w.source.jobs.set(CLUSTER_ID, [job()]);
    const baseline = await observeTarget(TARGET, undefined, context(w));
    await recordObservation(baseline, w.store, recordingLogger().logger);
    w.source.jobs.set(CLUSTER_ID, [job(), job({ id: JOB_B })]);
    const observation = await observeTarget(TARGET, baseline.next, context(w));
    w.store.failing.set('saveJobStates', new Error('ProvisionedThroughputExceededException'));

    const outcome = await recordObservation(observation, w.store, recordingLogger().logger);

    expect(outcome).toMatchObject({
      kind: 'failed',
      stateUnsafe: true,
      error: 'ProvisionedThroughputExceededException',
    });
    expect(outcome.kind === 'failed' && outcome.next).toBeUndefined();
  });

  it('lets a lost lease through as a throw, not as a target failure', async () => {
    const w = world();
    w.source.jobs.set(CLUSTER_ID, [job()]);
    const observation = await observeTarget(TARGET, undefined, context(w));
    const lost = new LeaseLostError('run-1');
    w.store.failing.set('saveJobStates', lost);

    await expect(recordObservation(observation, w.store, recordingLogger().logger)).rejects.toBe(lost);
  });

  it('raises TARGET_FAILING at once for an auth failure and saves the streak with it', async () => {
    const w = world();
    w.source.jobs.set(CLUSTER_ID, new SourceError('refused', { kind: 'auth', status: 401 }));

    const observation = await observeTarget(TARGET, undefined, context(w));
    const outcome = await recordObservation(observation, w.store, recordingLogger().logger);

    expect(observation).toMatchObject({ kind: 'unreachable', failure: { auth: true, status: 401 } });
    expect(outcome).toMatchObject({
      kind: 'failed',
      stateUnsafe: false,
      records: [{ eventType: 'TARGET_FAILING' }],
    });
    expect(w.store.targets.get(targetKey(TARGET))).toMatchObject({ failureStreak: 1, failingAlerted: true });
  });
});

describe('runPoll with in-memory ports', () => {
  it('records, publishes and marks a change, then is quiet on the next run', async () => {
    const w = world();
    w.source.jobs.set(CLUSTER_ID, [job()]);
    await w.poll();
    w.source.jobs.set(CLUSTER_ID, [job(), job({ id: JOB_B })]);
    w.clock.advance(5 * 60_000);

    const changed = await w.poll();
    w.clock.advance(5 * 60_000);
    const quiet = await w.poll();

    expect(changed).toMatchObject({
      lease: 'acquired',
      eventsDetected: 1,
      alertsPublished: 1,
      alertsOwed: 0,
    });
    expect(w.publisher.deliveredIds()).toHaveLength(1);
    expect(quiet).toMatchObject({ eventsDetected: 0, alertsPublished: 0 });
    expect(w.lease.holder).toBeUndefined();
  });

  it('writes nothing more, publishes nothing more and says "lost" when its lease is taken mid-run', async () => {
    const w = world();
    w.source.jobs.set(CLUSTER_ID, [job()]);
    await w.poll();
    w.source.jobs.set(CLUSTER_ID, [job(), job({ id: JOB_B })]);
    const savedTarget = w.store.targets.get(targetKey(TARGET));
    // The listing takes longer than the lease, and another run takes it meanwhile.
    const list = w.source.restoreJobs.bind(w.source);
    w.source.restoreJobs = async function* (query) {
      w.clock.advance(2 * 60_000);
      await w.lease.acquire('run-other', w.clock.now(), 60_000);
      yield* list(query);
    };

    const summary = await w.poll();

    expect(summary).toMatchObject({ lease: 'lost', alertsPublished: 0 });
    expect(w.publisher.calls.of('publish')).toBe(0);
    expect(w.store.calls.of('recordEvents')).toBe(0);
    expect(w.store.targets.get(targetKey(TARGET))).toEqual(savedTarget);
    expect(w.lease.holder?.owner).toBe('run-other');
  });

  it('lets one failing target not stop the others', async () => {
    const w = world();
    const other = '5e2211c17a3e5a48f5497dff';
    w.source.jobs.set(
      CLUSTER_ID,
      new SourceError('Cloud Manager failed (503)', { kind: 'unavailable', status: 503 }),
    );
    w.source.jobs.set(other, [job({ id: JOB_A, clusterId: other })]);
    const cfg = config([
      { projectId: PROJECT_ID, clusterId: CLUSTER_ID, name: 'orders' },
      { projectId: PROJECT_ID, clusterId: other, name: 'payments' },
    ]);

    const summary = await w.poll(cfg);

    expect(summary.targets).toEqual({ total: 2, ok: 1, failed: 1, skipped: 0 });
    expect(summary.failedTargets).toEqual([
      { target: `${PROJECT_ID}:${CLUSTER_ID}`, name: 'orders', error: 'Cloud Manager failed (503)' },
    ]);
  });
});

describe('previewPoll (a dry run)', () => {
  it('returns the alerts a live run would send, owed ones first, and writes, leases and publishes nothing', async () => {
    const w = world();
    w.source.jobs.set(CLUSTER_ID, [job()]);
    await w.poll();
    w.source.jobs.set(CLUSTER_ID, [job(), job({ id: JOB_B })]);
    // One alert from an earlier run is still owed (SNS was down).
    w.publisher.verdict = () => ({ ok: false, retryable: true, error: 'SNS 503' });
    w.clock.advance(5 * 60_000);
    await w.poll();
    w.source.jobs.set(CLUSTER_ID, [job(), job({ id: JOB_B }), job({ id: '5f3a1b2c3d4e5f6a7b8c9d09' })]);
    w.store.calls.clear();
    w.lease.calls.clear();
    w.publisher.calls.clear();
    w.clock.advance(5 * 60_000);

    const preview = await w.preview();

    expect(preview.summary).toMatchObject({ dryRun: true, lease: 'not-used', eventsDetected: 1 });
    expect(preview.alerts.map((g) => g.events.map((e) => e.jobId))).toEqual([
      [JOB_B],
      ['5f3a1b2c3d4e5f6a7b8c9d09'],
    ]);
    const writes = [
      'saveJobStates',
      'saveTargetStates',
      'recordEvents',
      'markPublished',
      'markPublishFailed',
    ];
    expect(writes.map((m) => w.store.calls.of(m))).toEqual([0, 0, 0, 0, 0]);
    expect([...w.lease.calls.counts.values()]).toEqual([]);
    expect(w.publisher.calls.of('publish')).toBe(0);
  });
});

describe('the concurrency pool', () => {
  it('keeps input order and never runs more than asked at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('with stopOnError starts nothing after the first failure, and throws it', async () => {
    const started: number[] = [];
    const failure = new Error('boom');
    const run = mapWithConcurrency(
      [1, 2, 3, 4],
      1,
      async (n) => {
        started.push(n);
        if (n === 2) throw failure;
        return n;
      },
      { stopOnError: true },
    );
    await expect(run).rejects.toBe(failure);
    expect(started).toEqual([1, 2]);
  });
});

describe('runPoll: incidents and silences (issue 10)', () => {
  it('reads owed alerts, incidents and silences in one read before polling', async () => {
    const { store, source, poll } = world();
    source.jobs.set(CLUSTER_ID, []);

    await poll();

    expect(store.calls.of('readRunState')).toBe(1);
    expect(store.calls.of('listOwedEvents')).toBe(0);
  });

  it('adopts the owed trigger of a crashed run only for a target it polls (a shard leaves the others alone)', async () => {
    const { store, source } = world();
    source.jobs.set(CLUSTER_ID, []);
    const trigger = (clusterId: string, jobId: string) => ({
      eventId: `stuck-${jobId}`,
      eventType: 'JOB_STUCK' as const,
      severity: 'warning' as const,
      projectId: PROJECT_ID,
      clusterId,
      targetName: 'x',
      jobId,
      detectedAt: '2026-11-28T07:00:00.000Z',
      summary: 'stuck',
      runId: 'crashed',
      publishAttempts: 0,
      incidentKey: `job/${jobId}/stuck`,
      action: 'trigger' as const,
    });
    await store.recordEvents([trigger(CLUSTER_ID, JOB_A), trigger('5e2211c17a3e5a48f5497dff', JOB_B)]);
    const publisher = new RecordingPublisher();
    publisher.verdict = () => ({ ok: false, retryable: true });

    await runPoll({ ...world().deps, source, store, publisher }, { config: config(), runId: 'run-x' });

    expect([...store.incidents.keys()]).toEqual([`job/${JOB_A}/stuck`]);
  });

  it('closes the incidents of a target no longer configured once nobody polled it for 15 minutes; a dry run only shows it', async () => {
    // Prepare: a broken restore of orders-prod opens job/<A>/failed; then the file names another cluster
    const { store, source, publisher, poll, preview, clock } = world();
    source.jobs.set(CLUSTER_ID, []);
    await poll();
    source.jobs.set(CLUSTER_ID, [job({ statusName: 'BROKEN' })]);
    clock.advance(60_000);
    await poll();
    const otherCluster = '5e2211c17a3e5a48f5497dff';
    source.jobs.set(otherCluster, []);
    const trimmed = config([{ projectId: PROJECT_ID, clusterId: otherCluster, name: 'billing-prod' }]);

    // Act
    clock.advance(14 * 60_000);
    const early = await poll(trimmed);
    clock.advance(60_000);
    const shown = await preview(trimmed);
    const writesBefore = store.calls.of('saveIncidents');
    const closed = await poll(trimmed);

    // Assess
    expect(early.incidents.resolved).toBe(0);
    expect(shown.summary.incidents.resolved).toBe(1);
    expect(shown.alerts.flatMap((g) => g.events.map((r) => r.eventType))).toContain('INCIDENT_RESOLVED');
    expect(closed.incidents.resolved).toBe(1);
    expect(store.calls.of('saveIncidents')).toBe(writesBefore + 1);
    expect([...store.incidents.values()].filter((i) => i.resolvedAt === undefined)).toEqual([]);
    expect(publisher.delivered.at(-1)?.events.map((r) => [r.eventType, r.incidentKey])).toEqual([
      ['INCIDENT_RESOLVED', `job/${JOB_A}/failed`],
    ]);
  });

  it('adopts an owed trigger behind more than a page of owed alerts (an outage’s backlog)', async () => {
    // Prepare: 600 owed alerts of an outage, older than a trigger whose incident was never written
    const { store, source } = world();
    source.jobs.set(CLUSTER_ID, []);
    const backlog = Array.from({ length: 600 }, (_, i) => ({
      eventId: `created-${String(i).padStart(4, '0')}`,
      eventType: 'JOB_CREATED' as const,
      severity: 'info' as const,
      projectId: PROJECT_ID,
      clusterId: CLUSTER_ID,
      targetName: 'orders-prod',
      jobId: `5f3a1b2c3d4e5f6a7b8c${String(i).padStart(4, '0')}`,
      detectedAt: '2026-11-28T06:00:00.000Z',
      summary: 'requested',
      runId: 'crashed',
      publishAttempts: 0,
    }));
    const trigger = {
      projectId: PROJECT_ID,
      clusterId: CLUSTER_ID,
      targetName: 'orders-prod',
      runId: 'crashed',
      publishAttempts: 0,
      eventId: 'stuck-late',
      eventType: 'JOB_STUCK' as const,
      severity: 'warning' as const,
      jobId: JOB_A,
      detectedAt: '2026-11-28T07:00:00.000Z',
      summary: 'stuck',
      incidentKey: `job/${JOB_A}/stuck`,
      action: 'trigger' as const,
    };
    await store.recordEvents([...backlog, trigger]);
    const publisher = new RecordingPublisher();
    publisher.verdict = () => ({ ok: false, retryable: true });

    // Act
    await runPoll({ ...world().deps, source, store, publisher }, { config: config(), runId: 'run-x' });

    // Assess
    expect([...store.incidents.keys()]).toEqual([`job/${JOB_A}/stuck`]);
  });

  it('routes nothing of a silenced target to the publisher, and records it as silenced', async () => {
    const { store, source, publisher, poll, clock } = world();
    source.jobs.set(CLUSTER_ID, []);
    await poll();
    await store.saveSilence({
      silenceId: 's-00000001',
      matcher: { projectId: PROJECT_ID, clusterId: CLUSTER_ID },
      target: 'orders-prod',
      startsAt: clock.now().toISOString(),
      endsAt: new Date(clock.now().getTime() + 3_600_000).toISOString(),
      createdAt: clock.now().toISOString(),
      createdBy: 'ana',
      reason: 'drill',
    });
    source.jobs.set(CLUSTER_ID, [job({ statusName: 'BROKEN' })]);
    clock.advance(60_000);

    const summary = await poll();

    expect(publisher.delivered).toEqual([]);
    expect(summary.incidents).toMatchObject({ opened: 1, silenced: 2 });
    expect([...store.events.values()].every((r) => r.silenced?.silenceId === 's-00000001')).toBe(true);
  });
});
