/**
 * `restore-watch status` and `restore-watch audit` read what earlier polls left in the embedded state.
 * One folder is prepared once for the file (the commands under test only read it):
 *
 *   T0        poll: baseline of orders-prod and payments (no jobs)
 *   T0        job A requested on orders-prod → poll: JOB_CREATED(A)
 *   T0 + 2 h  job B requested on payments, A finished → poll: JOB_CREATED(B),
 *             JOB_STATUS_CHANGED(A), DELIVERY_STATUS_CHANGED(A)
 *
 * and the commands run "now" = T0 + 2 h.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusRow } from '../../functions/cli/commands/status.ts';
import type { AuditRecord } from '../../functions/core/types.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { VirtualClock } from '../support/harness.ts';
import { API_KEY, addProject, configFor, runCli, workDirs, writeConfig } from './cli-harness.ts';

const clock = new VirtualClock();
const T0 = clock.now();
let sim: CloudManagerSimulator;
const dirs = workDirs();
let cwd: string;
let project: ReturnType<typeof addProject>;
let jobA: string;
let jobB: string;

beforeAll(async () => {
  sim = new CloudManagerSimulator({ apiKeys: [{ ...API_KEY }], now: clock.now });
  await sim.start();
  cwd = await dirs.make();
  project = addProject(sim, 'orders-prod', 'payments');
  const [orders, payments] = project.clusters;
  await writeConfig(cwd, configFor(sim, project));
  const poll = async () => {
    const result = await runCli(['poll'], { cwd, now: clock.now });
    if (result.code !== 0) throw new Error(`preparing poll failed: ${result.stderr}`);
  };
  await poll();
  jobA = sim.addRestoreJob(project.projectId, orders?.id ?? '').id;
  await poll();
  clock.advanceMinutes(120);
  jobB = sim.addRestoreJob(project.projectId, payments?.id ?? '').id;
  sim.finishJob(jobA, { expirationHours: 24 });
  await poll();
});
afterAll(async () => {
  await sim.stop();
  await dirs.removeAll();
});

const cli = (...argv: string[]) => runCli(argv, { cwd, now: clock.now });

/** The data rows of a table printed by the CLI (after the header and the dashes). */
function tableRows(text: string): string[] {
  const lines = text.trimEnd().split('\n');
  const dashes = lines.findIndex((line) => /^-+( {2}-+)*$/.test(line));
  return lines.slice(dashes + 1);
}

describe('restore-watch status', () => {
  it('lists every known job with its target, status and delivery, most recently changed first', async () => {
    // Act
    const result = await cli('status');

    // Assess
    expect(result.code).toBe(0);
    const [targets, jobs] = result.stdout.split('\n\n');
    expect(tableRows(targets ?? '')).toEqual([
      expect.stringMatching(/^orders-prod +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +ok +1$/),
      expect.stringMatching(/^payments +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +ok +1$/),
    ]);
    const rows = tableRows(jobs ?? '');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^orders-prod +${jobA} +FINISHED +READY +`));
    expect(rows[1]).toMatch(new RegExp(`^payments +${jobB} +IN_PROGRESS +NOT_STARTED +- +`));
  });

  it('prints targets and jobs as JSON with --json', async () => {
    const result = await cli('status', '--json');

    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { targets: Array<{ name: string }>; jobs: StatusRow[] };
    expect(parsed.targets.map((t) => t.name).sort()).toEqual(['orders-prod', 'payments']);
    expect(parsed.jobs).toEqual([
      expect.objectContaining({
        target: 'orders-prod',
        projectId: project.projectId,
        jobId: jobA,
        status: 'FINISHED',
        delivery: 'READY',
        expires: expect.any(String),
        downloaded: false,
        gone: false,
      }),
      expect.objectContaining({ target: 'payments', jobId: jobB, status: 'IN_PROGRESS' }),
    ]);
  });

  it('says to run a poll first when there is no state yet', async () => {
    const empty = await dirs.make();

    const result = await runCli(['status'], { cwd: empty });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No state yet');
    expect(result.stdout).toContain('restore-watch poll');
  });
});

describe('restore-watch audit', () => {
  it('lists the events of the last 24 hours, newest first, with their alert state', async () => {
    const result = await cli('audit');

    expect(result.code).toBe(0);
    const rows = tableRows(result.stdout);
    const eventTypes = rows.map((row) => row.split(/ {2,}/)[2]);
    expect(eventTypes).toHaveLength(4);
    // The three events of the last poll (same instant, in id order), then the oldest one.
    expect(eventTypes.slice(0, 3).sort()).toEqual([
      'DELIVERY_STATUS_CHANGED',
      'JOB_CREATED',
      'JOB_STATUS_CHANGED',
    ]);
    expect(eventTypes[3]).toBe('JOB_CREATED');
    expect(rows[3]).toContain(jobA);
    for (const row of rows) expect(row).toMatch(/sent \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  });

  it('prints the audit records as JSON with --json', async () => {
    const result = await cli('audit', '--json');

    expect(result.code).toBe(0);
    const records = JSON.parse(result.stdout) as AuditRecord[];
    expect(records.map((r) => [r.eventType, r.jobId]).sort()).toEqual(
      [
        ['DELIVERY_STATUS_CHANGED', jobA],
        ['JOB_CREATED', jobA],
        ['JOB_CREATED', jobB],
        ['JOB_STATUS_CHANGED', jobA],
      ].sort(),
    );
    const detected = records.map((r) => r.detectedAt);
    expect(detected).toEqual([...detected].sort().reverse());
    expect(records.every((r) => r.publishedAt !== undefined)).toBe(true);
  });

  it('limits the trail to a duration back from now with --since 30m', async () => {
    const result = await cli('audit', '--since', '30m', '--json');

    expect(result.code).toBe(0);
    const records = JSON.parse(result.stdout) as AuditRecord[];
    expect(records).toHaveLength(3);
    expect(records.every((r) => r.detectedAt === clock.now().toISOString())).toBe(true);
  });

  it('includes a day of events with --since 24h', async () => {
    const result = await cli('audit', '--since', '24h', '--json');

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveLength(4);
  });

  it('accepts an ISO 8601 instant for --since', async () => {
    const oneHourAfterT0 = new Date(T0.getTime() + 3_600_000).toISOString();

    const result = await cli('audit', '--since', oneHourAfterT0, '--json');

    expect(result.code).toBe(0);
    const records = JSON.parse(result.stdout) as AuditRecord[];
    expect(records.map((r) => r.eventType).sort()).toEqual([
      'DELIVERY_STATUS_CHANGED',
      'JOB_CREATED',
      'JOB_STATUS_CHANGED',
    ]);
  });

  it('says there are no events when --since excludes them all', async () => {
    // The last poll ran 10 minutes before this "now".
    const later = () => new Date(clock.now().getTime() + 10 * 60_000);

    const result = await runCli(['audit', '--since', '1m'], { cwd, now: later });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^No audit events since .* in embedded DynamoDB under \.restore-watch\/\.\n$/,
    );
  });

  it.each([['yesterday'], ['24 hours'], ['2026-13-45T00:00:00Z']])(
    'exits 2 on --since %s, naming the accepted forms',
    async (since) => {
      const result = await cli('audit', '--since', since);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `--since "${since}": use a duration such as 30m, 24h, 7d or an ISO time`,
      );
      expect(result.stdout).toBe('');
    },
  );

  it('shows one job with --job', async () => {
    const result = await cli('audit', '--job', jobA.toUpperCase(), '--json');

    expect(result.code).toBe(0);
    const records = JSON.parse(result.stdout) as AuditRecord[];
    expect(records).toHaveLength(3);
    expect(records.every((r) => r.jobId === jobA)).toBe(true);
  });

  it('exits 2 on an --job that is not an ObjectId', async () => {
    const result = await cli('audit', '--job', 'job-42');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--job "job-42": a restore job id is a 24-character hexadecimal ObjectId',
    );
  });

  it('shows one target with --target by name', async () => {
    const result = await cli('audit', '--target', 'Orders-Prod', '--json');

    expect(result.code).toBe(0);
    const records = JSON.parse(result.stdout) as AuditRecord[];
    expect(records).toHaveLength(3);
    expect(records.every((r) => r.targetName === 'orders-prod')).toBe(true);
  });

  it('shows one target with --target by cluster id', async () => {
    const payments = project.clusters[1]?.id ?? '';

    const result = await cli('audit', '--target', payments, '--json');

    expect(result.code).toBe(0);
    const records = JSON.parse(result.stdout) as AuditRecord[];
    expect(records.map((r) => [r.eventType, r.jobId, r.clusterId])).toEqual([
      ['JOB_CREATED', jobB, payments],
    ]);
  });

  it('exits 2 on an unknown --target, listing the known targets', async () => {
    const result = await cli('audit', '--target', 'billing');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--target "billing": no known target has that cluster id');
    expect(result.stderr).toContain('(known: ');
    expect(result.stderr).toMatch(/known: .*orders-prod/);
    expect(result.stderr).toMatch(/known: .*payments/);
  });
});
