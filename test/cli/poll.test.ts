/**
 * `restore-watch poll` against the Cloud Manager simulator over loopback HTTP, with the embedded
 * state (dynalite persisted under `<cwd>/.restore-watch/`) and alerts printed to stdout because no
 * topic is configured.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PollSummary } from '../../functions/core/poll.ts';
import type { RestoreReport } from '../../functions/core/report/report-model.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { VirtualClock } from '../support/harness.ts';
import {
  API_KEY,
  addProject,
  auditItems,
  CREDENTIALS_ENV,
  configFor,
  embeddedItems,
  runCli,
  workDirs,
  writeConfig,
} from './cli-harness.ts';

const clock = new VirtualClock();
let sim: CloudManagerSimulator;
beforeAll(async () => {
  sim = new CloudManagerSimulator({ apiKeys: [{ ...API_KEY }], now: clock.now });
  await sim.start();
});
afterAll(() => sim.stop());
const dirs = workDirs();
afterEach(() => dirs.removeAll());

/** A working folder with a configuration for a fresh project with the named clusters. */
async function prepare(...clusterNames: string[]) {
  const cwd = await dirs.make();
  const project = addProject(sim, ...clusterNames);
  await writeConfig(cwd, configFor(sim, project));
  const poll = (...args: string[]) => runCli(['poll', ...args], { cwd, now: clock.now });
  return { cwd, project, poll };
}

function parseSummary(stdout: string): PollSummary {
  return JSON.parse(stdout) as PollSummary;
}

describe('restore-watch poll', () => {
  it('records existing jobs as a baseline on the first poll, exits 0 and prints a summary line', async () => {
    // Prepare: one job that already exists before the target is first watched.
    const { project, poll } = await prepare('orders-prod');
    sim.addRestoreJob(project.projectId, project.clusters[0]?.id ?? '');

    // Act
    const result = await poll();

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^polled 1 target in \d+\.\d s: 1 ok, 0 failed, 0 skipped; 1 job seen, 0 events detected, 0 alerts published, 0 still owed\n$/,
    );
    expect(result.stderr).toBe('');
  });

  it('prints an alert for a job that appeared since the previous poll', async () => {
    // Prepare
    const { project, poll } = await prepare('orders-prod');
    const clusterId = project.clusters[0]?.id ?? '';
    expect((await poll()).code).toBe(0);
    const job = sim.addRestoreJob(project.projectId, clusterId);

    // Act
    const result = await poll();

    // Assess: rendered as email and as the Slack card, then the summary.
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Email  Subject: [INFO] orders-prod restore');
    expect(result.stdout).toContain(`Restore job:     ${job.id}`);
    expect(result.stdout).toContain('[info] [JOB_CREATED] [orders-prod]');
    expect(result.stdout).toMatch(/1 event detected, 1 alert published, 0 still owed\n$/);
  });

  it('publishes nothing on a repeated poll with no upstream change', async () => {
    // Prepare
    const { project, poll } = await prepare('orders-prod');
    await poll();
    sim.addRestoreJob(project.projectId, project.clusters[0]?.id ?? '');
    await poll();

    // Act
    const result = await poll();

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^polled 1 target .* 0 events detected, 0 alerts published, 0 still owed\n$/,
    );
  });

  it('prints the PollSummary as the only JSON document on stdout with --json, alerts going to stderr', async () => {
    // Prepare: a poll that has something to alert, so printed alerts could corrupt the JSON.
    const { project, poll } = await prepare('orders-prod');
    await poll();
    const job = sim.addRestoreJob(project.projectId, project.clusters[0]?.id ?? '');

    // Act
    const result = await poll('--json');

    // Assess
    expect(result.code).toBe(0);
    const summary = parseSummary(result.stdout);
    expect(summary).toMatchObject({
      runId: expect.stringMatching(/^run-/),
      startedAt: clock.now().toISOString(),
      finishedAt: clock.now().toISOString(),
      durationMs: 0,
      dryRun: false,
      lease: 'acquired',
      targets: { total: 1, ok: 1, failed: 0, skipped: 0 },
      skippedTargets: [],
      failedTargets: [],
      jobsSeen: 1,
      eventsDetected: 1,
      alertsPublished: 1,
      alertsFailed: 0,
      alertsOwed: 0,
    });
    expect(summary.events).toEqual([
      expect.objectContaining({ eventType: 'JOB_CREATED', target: 'orders-prod', jobId: job.id }),
    ]);
    expect(result.stderr).toContain('[info] [JOB_CREATED] [orders-prod]');
  });

  it('exits 1 when one target fails, and still polls and alerts the other', async () => {
    // Prepare: two clusters, both baselined; then a new job on one while the other disappears.
    const { project, poll } = await prepare('orders-prod', 'payments');
    const [orders, payments] = project.clusters;
    await poll();
    const job = sim.addRestoreJob(project.projectId, orders?.id ?? '');
    sim.removeCluster(project.projectId, payments?.id ?? '');

    // Act
    const result = await poll();

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`[info] [JOB_CREATED] [orders-prod]`);
    expect(result.stdout).toContain(`Restore job:     ${job.id}`);
    expect(result.stdout).toContain('polled 2 targets');
    expect(result.stdout).toContain('1 ok, 1 failed');
    expect(result.stdout).toMatch(
      new RegExp(
        `^ {2}FAILED {2}payments \\(${project.projectId}:${payments?.id}\\): .*404 CLUSTER_NOT_FOUND`,
        'm',
      ),
    );
  });

  it('lists the failed target in the --json summary when one target fails', async () => {
    const { project, poll } = await prepare('orders-prod', 'payments');
    const payments = project.clusters[1];
    sim.removeCluster(project.projectId, payments?.id ?? '');

    const result = await poll('--json');

    expect(result.code).toBe(1);
    const summary = parseSummary(result.stdout);
    expect(summary.targets).toEqual({ total: 2, ok: 1, failed: 1, skipped: 0 });
    expect(summary.failedTargets).toEqual([
      {
        target: `${project.projectId}:${payments?.id}`,
        name: 'payments',
        error: expect.stringContaining('CLUSTER_NOT_FOUND'),
      },
    ]);
  });
});

describe('restore-watch poll --dry-run', () => {
  it('prints the alerts it would send and says nothing was written or published', async () => {
    // Prepare
    const { project, poll } = await prepare('orders-prod');
    await poll();
    sim.addRestoreJob(project.projectId, project.clusters[0]?.id ?? '');

    // Act
    const result = await poll('--dry-run');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('[info] [JOB_CREATED] [orders-prod]');
    expect(result.stdout).toMatch(
      /^Dry run: polled 1 target .* 1 event detected \(nothing written or published\)$/m,
    );
    expect(result.stdout).toMatch(
      /^A live poll would print 1 alert \(RESTORE_WATCH_TOPIC_ARN is not set\); this dry run wrote nothing\.$/m,
    );
  });

  it('writes nothing to the state table', async () => {
    // Prepare: a baselined target, then a change for the dry run to see.
    const { cwd, project, poll } = await prepare('orders-prod');
    await poll();
    sim.addRestoreJob(project.projectId, project.clusters[0]?.id ?? '');
    const before = await embeddedItems(cwd);

    // Act
    const result = await poll('--dry-run', '--json');

    // Assess
    expect(result.code).toBe(0);
    expect(parseSummary(result.stdout)).toMatchObject({ dryRun: true, lease: 'not-used', eventsDetected: 1 });
    const after = await embeddedItems(cwd);
    expect(auditItems(after)).toEqual([]);
    expect(after).toEqual(before);
  });

  it('leaves the events for the next real poll, which detects and publishes the same ones', async () => {
    // Prepare
    const { project, poll } = await prepare('orders-prod');
    await poll();
    sim.addRestoreJob(project.projectId, project.clusters[0]?.id ?? '');
    const dryRun = parseSummary((await poll('--dry-run', '--json')).stdout);

    // Act
    const result = await poll('--json');

    // Assess
    expect(result.code).toBe(0);
    const real = parseSummary(result.stdout);
    expect(real.events.map((e) => [e.eventId, e.eventType])).toEqual(
      dryRun.events.map((e) => [e.eventId, e.eventType]),
    );
    expect(real.events).toHaveLength(1);
    expect(real.alertsPublished).toBe(1);
    expect(result.stderr).toContain('[info] [JOB_CREATED] [orders-prod]');
  });
});

describe('restore-watch poll secret hygiene', () => {
  it.each([[[]], [['--verbose']], [['--json']], [['--json', '--verbose']]])(
    'never prints the private key or a download URL (flags %j)',
    async (flags: string[]) => {
      // Prepare: a job that finishes with a download link between two polls.
      const { project, poll } = await prepare('orders-prod');
      const job = sim.addRestoreJob(project.projectId, project.clusters[0]?.id ?? '');
      const first = await poll(...flags);
      sim.finishJob(job.id, { expirationHours: 24 });
      const url = sim.getRestoreJob(job.id)?.delivery?.url ?? '';
      const token = url.split('/').at(-2) ?? '';
      expect(url).toMatch(/^https:\/\//);
      expect(token.length).toBeGreaterThan(20);

      // Act
      const second = await poll(...flags);

      // Assess: the finish was alerted (so there was something to leak), and nothing leaked.
      expect(second.code).toBe(0);
      const output = [first.stdout, first.stderr, second.stdout, second.stderr].join('\n');
      expect(output).toContain('[JOB_STATUS_CHANGED]');
      expect(output).toContain('[DELIVERY_STATUS_CHANGED]');
      if (flags.includes('--verbose')) expect(second.stderr).toMatch(/^DEBUG Cloud Manager request /m);
      expect(output).not.toContain(API_KEY.privateKey);
      expect(output).not.toContain(url);
      expect(output).not.toContain(token);
    },
  );

  it('does not echo a rejected private key when Cloud Manager refuses it', async () => {
    // Prepare: the right public key with a wrong (sentinel) private key.
    const { cwd } = await prepare('orders-prod');
    const wrongKey = 'SENTINEL-WRONG-PRIVATE-KEY-0e7a';

    // Act
    const result = await runCli(['poll', '--verbose'], {
      cwd,
      now: clock.now,
      env: { ...CREDENTIALS_ENV, CLOUD_MANAGER_PRIVATE_KEY: wrongKey },
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAILED  orders-prod');
    expect(result.stdout + result.stderr).not.toContain(wrongKey);
  });
});

describe('restore-watch poll records when each change could have happened (what `report` reads)', () => {
  it('brackets a finish and a download between two polls: the report gives durations as those ranges', async () => {
    // Prepare: polls every 5 minutes from t0; the restore is requested at t0+1, finishes at t0+12 and
    // is downloaded at t0+17. The poll at t0+10 sees no change (its diff is skipped) and must still
    // count as the last poll that saw the restore running.
    const { cwd, project, poll } = await prepare('orders-prod');
    const t0 = clock.now().getTime();
    const minute = (n: number) => new Date(t0 + n * 60_000).toISOString();
    const at = (n: number) => {
      clock.ms = t0 + n * 60_000;
    };
    const pollAt = async (n: number) => {
      at(n);
      expect((await poll('--json')).code).toBe(0);
    };
    await pollAt(0);
    at(1);
    const job = sim.addRestoreJob(project.projectId, project.clusters[0]?.id ?? '');
    await pollAt(5);
    await pollAt(10);
    at(12);
    sim.finishJob(job.id);
    await pollAt(15);
    at(17);
    sim.markDownloaded(job.id);
    await pollAt(20);

    // Act
    const result = await runCli(['report', '--since', minute(0), '--until', minute(60), '--format', 'json'], {
      cwd,
      now: clock.now,
    });

    // Assess: finished after the poll at t0+10 and by t0+15, so 9-14 minutes after its request;
    // ready by t0+15 and downloaded after it and by t0+20, so 0-10 minutes from ready to downloaded.
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as RestoreReport;
    expect(report.restores).toHaveLength(1);
    expect(report.restores[0]).toMatchObject({
      jobId: job.id,
      firstSeen: 'requested',
      outcome: 'FINISHED',
      outcomeAfter: minute(10),
      outcomeBy: minute(15),
      duration: { lowMinutes: 9, highMinutes: 14 },
      finishWindowMinutes: 5,
      readyBy: minute(15),
      downloadedBy: minute(20),
      readyToDownloaded: { lowMinutes: 0, highMinutes: 10 },
      downloaded: true,
    });
  });

  it('reports a broken restore as one incident, followed by its key until a later restore finished ready', async () => {
    // Prepare: a restore breaks between two polls; a second restore of the cluster finishes ready.
    const { cwd, project, poll } = await prepare('orders-prod');
    const cluster = project.clusters[0]?.id ?? '';
    const t0 = clock.now().getTime();
    const minute = (n: number) => new Date(t0 + n * 60_000).toISOString();
    const pollAt = async (n: number) => {
      clock.ms = t0 + n * 60_000;
      expect((await poll('--json')).code).toBe(0);
    };
    await pollAt(0);
    const broken = sim.addRestoreJob(project.projectId, cluster);
    await pollAt(5);
    sim.breakJob(broken.id);
    await pollAt(10);
    const retry = sim.addRestoreJob(project.projectId, cluster);
    await pollAt(15);
    sim.finishJob(retry.id, { expirationHours: 48 });
    await pollAt(20);

    // Act
    const result = await runCli(['report', '--since', minute(0), '--until', minute(60), '--format', 'json'], {
      cwd,
      now: clock.now,
    });

    // Assess
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as RestoreReport;
    expect(report.incidents.source).toBe('incident-keys');
    expect(report.incidents.items).toEqual([
      expect.objectContaining({
        kind: 'JOB_BROKEN',
        jobId: broken.id,
        openedAt: minute(10),
        resolvedAt: minute(20),
      }),
    ]);
  });
});
