/**
 * Fault matrix, Cloud Manager boundary: each fault is injected into a whole poll run (simulator over
 * HTTP, real client, dynalite, SNS notifier) and the run is held to the guarantees: the faulted target
 * fails visibly or recovers by itself, the healthy target is alerted as if nothing happened, and once the
 * fault is gone every change has been alerted exactly once with nothing left owed.
 *
 * The client's own reaction to each fault (retry counts, error types, messages) is specified in
 * test/adapters/cloud-manager/*; here it is the system's reaction.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudManagerClient } from '../../functions/adapters/cloud-manager/client.ts';
import type { PollSummary } from '../../functions/core/poll.ts';
import type { RestoreJob } from '../../functions/core/types.ts';
import type { SimulatorFault } from '../../functions/simulator/cloud-manager-simulator.ts';
import { API_KEY, type Harness, startHarness } from '../support/harness.ts';
import { alertKey, auditRecords, countBy, newObjectId, SnsGate } from './support/system.ts';

/** The client's default budget: the first attempt plus 4 retries. */
const ATTEMPTS = 5;

describe('Cloud Manager faults in a whole poll run', () => {
  let h: Harness;
  let sns: SnsGate;
  let project: string;
  let faulted: string;
  let healthy: string;
  let config: ReturnType<Harness['config']>;

  beforeEach(async () => {
    h = await startHarness();
    sns = new SnsGate().install(h);
    project = newObjectId();
    faulted = h.sim.addCluster({ projectId: project, clusterName: 'faulted' }).id;
    healthy = h.sim.addCluster({ projectId: project, clusterName: 'healthy' }).id;
    config = h.config({
      targets: [
        { projectId: project, clusterId: faulted, name: 'faulted' },
        { projectId: project, clusterId: healthy, name: 'healthy' },
      ],
      alerts: { failingAfterPolls: 3 },
    });
    await h.poll(config); // baseline: no jobs yet
  });
  afterEach(async () => {
    await h.stop();
  });

  const faultedPath = () => `/clusters/${faulted}/restoreJobs`;
  const inject = (fault: SimulatorFault, times: number) =>
    h.sim.injectFault(fault, { path: faultedPath(), times });

  /** One new job on each target: the changes every case must deliver. */
  function newJobs(): { onFaulted: RestoreJob; onHealthy: RestoreJob } {
    return {
      onFaulted: h.sim.addRestoreJob(project, faulted),
      onHealthy: h.sim.addRestoreJob(project, healthy),
    };
  }

  /** Heals, polls until quiet, and checks: each expected alert delivered once, nothing owed. */
  async function expectSettled(expected: string[]): Promise<void> {
    h.sim.clearFaults();
    for (let i = 0; i < 3; i++) {
      h.clock.advanceMinutes(5);
      await h.poll(config);
    }
    const delivered = (await auditRecords(h)).filter((r) => sns.deliveredIds().includes(r.eventId));
    expect(countBy(sns.deliveredIds())).toEqual(new Map(sns.deliveredIds().map((id) => [id, 1])));
    expect(delivered.map(alertKey).sort()).toEqual([...expected].sort());
    expect(await h.store.listOwedEvents()).toEqual([]);
  }

  const created = (job: RestoreJob) => `JOB_CREATED ${job.id}`;

  describe('faults the client absorbs within its retry budget', () => {
    const absorbed: Array<[string, SimulatorFault]> = [
      ['a 429 burst with Retry-After', { kind: 'status', status: 429, retryAfterSeconds: 2 }],
      ['a 429 burst without Retry-After', { kind: 'status', status: 429 }],
      ['a 503 streak', { kind: 'status', status: 503 }],
      ['a 500 streak', { kind: 'status', status: 500, errorCode: 'UNEXPECTED_ERROR' }],
      ['connection resets before any answer', { kind: 'reset' }],
      ['connection resets mid-body', { kind: 'reset-mid-body' }],
    ];
    it.each(absorbed)('alerts both targets in the same run through %s', async (_, fault) => {
      const { onFaulted, onHealthy } = newJobs();
      inject(fault, ATTEMPTS - 1);

      const summary = await h.poll(config);

      expect(summary.targets).toMatchObject({ ok: 2, failed: 0 });
      expect(h.sim.pendingFaults).toBe(0);
      expect(summary.alertsPublished).toBe(2);
      await expectSettled([created(onFaulted), created(onHealthy)]);
    });

    it('survives a timeout on every attempt but the last', async () => {
      const client = new CloudManagerClient({
        baseUrl: h.sim.baseUrl,
        credentials: { kind: 'apiKey', ...API_KEY },
        requestTimeoutMs: 40,
        sleep: async () => {},
      });
      const { onFaulted, onHealthy } = newJobs();
      inject({ kind: 'delay', ms: 2_000 }, ATTEMPTS - 1);

      const summary = await h.poll(config, { source: client });

      expect(summary.targets).toMatchObject({ ok: 2, failed: 0 });
      expect(summary.alertsPublished).toBe(2);
      await expectSettled([created(onFaulted), created(onHealthy)]);
    });
  });

  describe('faults that outlast the retry budget', () => {
    const exhausting: Array<[string, SimulatorFault, RegExp]> = [
      ['a 429 burst', { kind: 'status', status: 429 }, /rate-limited/],
      ['a 5xx streak', { kind: 'status', status: 503 }, /failed to answer .* \(503/],
      ['connection resets mid-body', { kind: 'reset-mid-body' }, /cut off|closed|reset/],
    ];
    it.each(exhausting)(
      'fails only the faulted target for %s, alerts the other, and alerts the held-back change once the fault is gone',
      async (_, fault, reason) => {
        const { onFaulted, onHealthy } = newJobs();
        inject(fault, ATTEMPTS);

        const summary = await h.poll(config);

        expect(summary.targets).toMatchObject({ ok: 1, failed: 1 });
        expect(summary.failedTargets.map((f) => f.name)).toEqual(['faulted']);
        expect(summary.failedTargets[0]?.error).toMatch(reason);
        expect(sns.accepted.flatMap((m) => m.eventTypes)).toEqual(['JOB_CREATED']);
        expect(sns.accepted[0]?.eventIds).toHaveLength(1);
        const state = [
          ...(await h.store.getTargetStates([{ projectId: project, clusterId: faulted }])).values(),
        ][0];
        expect(state?.failureStreak).toBe(1);
        await expectSettled([created(onFaulted), created(onHealthy)]);
      },
    );

    it('fails a target whose every attempt times out, and alerts its change on the next run', async () => {
      const client = new CloudManagerClient({
        baseUrl: h.sim.baseUrl,
        credentials: { kind: 'apiKey', ...API_KEY },
        requestTimeoutMs: 40,
        sleep: async () => {},
      });
      const { onFaulted, onHealthy } = newJobs();
      inject({ kind: 'delay', ms: 2_000 }, ATTEMPTS);

      const summary = await h.poll(config, { source: client });

      expect(summary.failedTargets.map((f) => [f.name, f.error])).toEqual([
        ['faulted', expect.stringMatching(/did not answer .* within 40 ms/)],
      ]);
      await expectSettled([created(onFaulted), created(onHealthy)]);
    });

    it('raises TARGET_FAILING once after failingAfterPolls failed runs, then TARGET_RECOVERED and the held-back change', async () => {
      const { onFaulted, onHealthy } = newJobs();
      inject({ kind: 'status', status: 500 }, ATTEMPTS * 4);
      const runs: PollSummary[] = [];
      for (let i = 0; i < 4; i++) {
        runs.push(await h.poll(config));
        h.clock.advanceMinutes(5);
      }
      expect(runs.map((r) => r.events.map((e) => e.eventType))).toEqual([
        ['JOB_CREATED'],
        [],
        ['TARGET_FAILING'],
        [],
      ]);

      await expectSettled([
        created(onFaulted),
        created(onHealthy),
        `TARGET_FAILING ${project}:${faulted}`,
        `TARGET_RECOVERED ${project}:${faulted}`,
      ]);
    });
  });

  describe('answers that are not usable', () => {
    it('fails the target for a 200 whose body is not JSON and loses nothing', async () => {
      const { onFaulted, onHealthy } = newJobs();
      inject({ kind: 'malformed-json' }, 1);

      const summary = await h.poll(config);

      expect(summary.failedTargets.map((f) => [f.name, f.error])).toEqual([
        ['faulted', expect.stringMatching(/not JSON/)],
      ]);
      await expectSettled([created(onFaulted), created(onHealthy)]);
    });

    it.each([
      ['results is not an array', { results: 'nope', totalCount: 1, links: [] }],
      ['a job without an id', { results: [{ statusName: 'FINISHED' }], totalCount: 1, links: [] }],
      ['totalCount missing', { results: [] }],
    ])('fails the target for a structurally broken page (%s) without touching its state', async (_, body) => {
      const { onFaulted, onHealthy } = newJobs();
      inject({ kind: 'body', body }, 1);

      const summary = await h.poll(config);

      expect(summary.failedTargets.map((f) => [f.name, f.error])).toEqual([
        ['faulted', expect.stringMatching(/unreadable body/)],
      ]);
      await expectSettled([created(onFaulted), created(onHealthy)]);
    });

    it('pages again past a page that is empty while totalCount says otherwise', async () => {
      const { onFaulted, onHealthy } = newJobs();
      inject({ kind: 'empty-page' }, 1);

      const summary = await h.poll(config);

      expect(summary.targets).toMatchObject({ ok: 2, failed: 0 });
      expect(summary.events.map((e) => e.jobId).sort()).toEqual([onFaulted.id, onHealthy.id].sort());
      await expectSettled([created(onFaulted), created(onHealthy)]);
    });

    it('raises no alert for jobs hidden by empty pages on every pass, and none when they are listed again', async () => {
      const existing = h.sim.addRestoreJob(project, faulted);
      await h.poll(config);
      h.sim.finishJob(existing.id, { expirationHours: 48 });
      inject({ kind: 'empty-page' }, 10);

      const hidden = await h.poll(config);
      expect(hidden.events).toEqual([]);

      await expectSettled([
        created(existing),
        `JOB_STATUS_CHANGED ${existing.id}`,
        `DELIVERY_STATUS_CHANGED ${existing.id}`,
      ]);
    });

    it('does not mistake old jobs for new ones when empty pages hid them from the first poll', async () => {
      // A target added to a project with a history of restores; its very first listing comes back empty.
      const cluster = h.sim.addCluster({ projectId: project, clusterName: 'with-history' }).id;
      h.sim.addRestoreJob(project, cluster, { statusName: 'BROKEN' });
      h.sim.addRestoreJob(project, cluster, { statusName: 'FINISHED' });
      const withHistory = h.config({
        targets: [{ projectId: project, clusterId: cluster, name: 'with-history' }],
      });
      h.sim.injectFault({ kind: 'empty-page' }, { path: `/clusters/${cluster}/restoreJobs`, times: 10 });
      await h.poll(withHistory);
      h.sim.clearFaults();

      h.clock.advanceMinutes(5);
      const next = await h.poll(withHistory);

      // Old restores are history, not news: no JOB_CREATED, no "BROKEN" page for a restore from last month.
      expect(next.events.map((e) => e.eventType)).toEqual([]);
    });
  });

  describe('listings that change under the client', () => {
    it('alerts a job created while the listing is being paged exactly once', async () => {
      // More than one page (500 a page): a job created after page 1 shifts every later job by one.
      const big = h.sim.addCluster({ projectId: project, clusterName: 'big' }).id;
      for (let i = 0; i < 501; i++) h.sim.addRestoreJob(project, big, { statusName: 'FINISHED' });
      const bigConfig = h.config({ targets: [{ projectId: project, clusterId: big, name: 'big' }] });
      await h.poll(bigConfig); // baseline
      let inserted: RestoreJob | undefined;
      h.sim.onPageServed = ({ clusterId, pageNum }) => {
        if (clusterId === big && pageNum === 1 && !inserted) inserted = h.sim.addRestoreJob(project, big);
      };

      const summary = await h.poll(bigConfig);

      h.sim.onPageServed = undefined;
      expect(inserted).toBeDefined();
      expect(summary.jobsSeen).toBe(502);
      expect(summary.events.map((e) => [e.eventType, e.jobId])).toEqual([['JOB_CREATED', inserted?.id]]);
      expect(sns.deliveredIds()).toHaveLength(1);
    });

    it('counts a job served on two pages once', async () => {
      const a = h.sim.addRestoreJob(project, faulted);
      const b = h.sim.addRestoreJob(project, faulted);
      const c = h.sim.addRestoreJob(project, faulted);
      const [ja, jb, jc] = [a, b, c].map((job) => h.sim.getRestoreJob(job.id) as RestoreJob);
      const next = {
        rel: 'next',
        href: `${h.sim.baseUrl}/groups/${project}/clusters/${faulted}/restoreJobs?pageNum=2`,
      };
      h.sim.injectFault(
        { kind: 'body', body: { results: [ja, jb], totalCount: 3, links: [next] } },
        { path: 'pageNum=1' },
      );
      h.sim.injectFault(
        { kind: 'body', body: { results: [jb, jc], totalCount: 3, links: [] } },
        { path: 'pageNum=2' },
      );

      const summary = await h.poll(config);

      expect(summary.events.map((e) => e.jobId).sort()).toEqual([a.id, b.id, c.id].sort());
      await expectSettled([created(a), created(b), created(c)]);
    });

    it('alerts no change for a job that disappears from the listing, nor when it comes back unchanged', async () => {
      const job = h.sim.addRestoreJob(project, faulted);
      await h.poll(config);
      const copy = h.sim.getRestoreJob(job.id) as RestoreJob;
      h.sim.removeRestoreJob(job.id);
      h.clock.advanceMinutes(5);
      const gone = await h.poll(config);
      h.sim.addRestoreJob(project, faulted, copy);
      h.clock.advanceMinutes(5);
      const back = await h.poll(config);

      expect([gone.events, back.events]).toEqual([[], []]);
      await expectSettled([created(job)]);
    });

    it('alerts the change of a job that came back changed after it had disappeared', async () => {
      const job = h.sim.addRestoreJob(project, faulted);
      await h.poll(config);
      const copy = h.sim.getRestoreJob(job.id) as RestoreJob;
      h.sim.removeRestoreJob(job.id);
      await h.poll(config);
      h.sim.addRestoreJob(project, faulted, { ...copy, statusName: 'BROKEN' });

      const back = await h.poll(config);

      expect(back.events.map((e) => [e.eventType, e.severity])).toEqual([['JOB_STATUS_CHANGED', 'critical']]);
    });
  });

  describe('jobs the documentation does not describe', () => {
    it('alerts an unknown status as a warning, and the next documented one normally', async () => {
      const job = h.sim.addRestoreJob(project, faulted);
      await h.poll(config);
      h.sim.updateRestoreJob(job.id, { statusName: 'QUEUED_FOR_RETRY' });
      const unknown = await h.poll(config);
      h.sim.finishJob(job.id, { expirationHours: 48 });
      const finished = await h.poll(config);

      expect(unknown.events.map((e) => [e.eventType, e.severity])).toEqual([
        ['JOB_STATUS_CHANGED', 'warning'],
      ]);
      expect(finished.events.map((e) => e.eventType).sort()).toEqual([
        'DELIVERY_STATUS_CHANGED',
        'JOB_STATUS_CHANGED',
      ]);
      expect(h.logs.filter((l) => l.level === 'error')).toEqual([]);
    });

    it('treats missing optional fields and a string timestamp.increment as data, never a failure', async () => {
      const job = h.sim.addRestoreJob(project, faulted, {
        timestamp: { date: '2026-11-27T23:00:00Z', increment: '42' },
      });
      await h.poll(config);
      h.sim.updateRestoreJob(job.id, (current) => {
        const { created: _c, delivery: _d, snapshotId: _s, pointInTime: _p, links: _l, ...rest } = current;
        return { ...rest, statusName: 'FINISHED', timestamp: { increment: '43' }, surprise: { nested: [1] } };
      });

      const summary = await h.poll(config);

      expect(summary.targets).toMatchObject({ ok: 2, failed: 0 });
      expect(summary.events.map((e) => e.eventType)).toEqual(['JOB_STATUS_CHANGED']);
      await expectSettled([created(job), `JOB_STATUS_CHANGED ${job.id}`]);
    });
  });

  describe('targets that go away', () => {
    it('keeps a change detected before the cluster was deleted owed through an SNS outage, and delivers it', async () => {
      const job = h.sim.addRestoreJob(project, faulted);
      sns.outage = new Error('down');
      await h.poll(config);
      h.sim.removeCluster(project, faulted);
      const afterDelete = await h.poll(config);
      sns.outage = undefined;

      const recovered = await h.poll(config);

      expect(afterDelete.failedTargets[0]?.error).toMatch(/404 CLUSTER_NOT_FOUND/);
      expect(recovered.alertsPublished).toBeGreaterThanOrEqual(1);
      expect(sns.accepted.flatMap((m) => m.eventTypes)).toContain('JOB_CREATED');
      expect(sns.deliveredIds()).toHaveLength(new Set(sns.deliveredIds()).size);
      expect(
        (await auditRecords(h)).filter((r) => r.jobId === job.id).map((r) => r.publishedAt !== undefined),
      ).toEqual([true]);
    });

    it.each([401, 403] as const)(
      'raises TARGET_FAILING at once when the key loses access (%i), alerts the other project, and TARGET_RECOVERED when access returns',
      async (status) => {
        const other = newObjectId();
        const otherCluster = h.sim.addCluster({ projectId: other, clusterName: 'other' }).id;
        const two = h.config({
          targets: [
            { projectId: project, clusterId: faulted, name: 'faulted' },
            { projectId: other, clusterId: otherCluster, name: 'other' },
          ],
          alerts: { failingAfterPolls: 5 },
        });
        await h.poll(two);
        const otherJob = h.sim.addRestoreJob(other, otherCluster);
        h.sim.revokeAccess(project, status);

        const revoked = await h.poll(two);
        h.clock.advanceMinutes(5);
        const still = await h.poll(two);
        h.sim.restoreAccess(project);
        h.clock.advanceMinutes(5);
        const restored = await h.poll(two);

        expect(revoked.events.map((e) => e.eventType).sort()).toEqual(['JOB_CREATED', 'TARGET_FAILING']);
        expect(revoked.failedTargets[0]?.error).toMatch(new RegExp(`rejected API key .*\\(${status}`));
        expect(still.events).toEqual([]);
        expect(restored.events.map((e) => e.eventType)).toEqual(['TARGET_RECOVERED']);
        expect(sns.accepted.flatMap((m) => m.eventTypes).sort()).toEqual([
          'JOB_CREATED',
          'TARGET_FAILING',
          'TARGET_RECOVERED',
        ]);
        const createdRecord = (await auditRecords(h)).find((r) => r.eventType === 'JOB_CREATED');
        expect(createdRecord?.jobId).toBe(otherJob.id);
      },
    );
  });

  describe('project-wide targets (clusters listed each run)', () => {
    let wide: ReturnType<Harness['config']>;
    let other: string;
    let otherCluster: string;
    beforeEach(async () => {
      other = newObjectId();
      otherCluster = h.sim.addCluster({ projectId: other, clusterName: 'other' }).id;
      wide = h.config({
        targets: [
          { projectId: project, name: 'fleet' },
          { projectId: other, clusterId: otherCluster, name: 'other' },
        ],
        alerts: { failingAfterPolls: 3 },
      });
      await h.poll(wide);
    });

    it('lists a project whose clusters cannot be listed once among the failed targets', async () => {
      h.sim.injectFault(
        { kind: 'status', status: 503 },
        { path: `/groups/${project}/clusters?`, times: ATTEMPTS },
      );

      const summary = await h.poll(wide);

      expect(summary.targets).toMatchObject({ total: 2, ok: 1, failed: 1 });
      expect(summary.failedTargets).toHaveLength(1);
      expect(summary.failedTargets[0]?.error).toMatch(/503/);
    });

    it('raises TARGET_FAILING at once when the key loses access to the project, as for a single cluster', async () => {
      h.sim.revokeAccess(project, 401);

      const summary = await h.poll(wide);

      expect(summary.events.map((e) => e.eventType)).toEqual(['TARGET_FAILING']);
    });

    it('raises TARGET_RECOVERED once the clusters of a failing project can be listed again', async () => {
      h.sim.injectFault(
        { kind: 'status', status: 500 },
        { path: `/groups/${project}/clusters?`, times: ATTEMPTS * 3 },
      );
      for (let i = 0; i < 3; i++) {
        await h.poll(wide);
        h.clock.advanceMinutes(5);
      }
      expect(sns.accepted.flatMap((m) => m.eventTypes)).toEqual(['TARGET_FAILING']);

      await h.poll(wide);
      h.clock.advanceMinutes(5);
      await h.poll(wide);

      expect(sns.accepted.flatMap((m) => m.eventTypes)).toEqual(['TARGET_FAILING', 'TARGET_RECOVERED']);
      const states = await h.store.listTargetStates();
      expect(states.filter((s) => s.failureStreak > 0 || s.failingAlerted)).toEqual([]);
    });
  });
});
