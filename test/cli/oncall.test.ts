/**
 * The on-call commands as a user types them: `silence add | list | expire` and `incidents`, against the
 * embedded state and the simulator, with `poll` in between. Bad input exits 2, names the problem, and
 * writes nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { VirtualClock } from '../support/harness.ts';
import {
  API_KEY,
  addProject,
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
afterAll(async () => {
  await sim.stop();
});
const dirs = workDirs();
afterEach(async () => {
  await dirs.removeAll();
});

/** A baselined target `orders-prod`, and a CLI bound to its folder. */
async function prepare() {
  const cwd = await dirs.make();
  const project = addProject(sim, 'orders-prod');
  await writeConfig(cwd, configFor(sim, project));
  const cli = (...argv: string[]) =>
    runCli(argv, { cwd, now: clock.now, env: { ...CREDENTIALS_ENV, USER: 'ana' } });
  expect((await cli('poll', '--json')).code).toBe(0);
  const cluster = project.clusters[0]?.id ?? '';
  return { cwd, cli, project, cluster };
}

const silenceItems = async (cwd: string) =>
  (await embeddedItems(cwd)).filter((item) => item.pk?.S?.startsWith('SILENCE#'));

describe('restore-watch silence', () => {
  it('adds a silence by target name, lists it, keeps matching alerts from the terminal, and ends it', async () => {
    // Prepare
    const { cwd, cli, project, cluster } = await prepare();

    // Act
    const added = await cli(
      'silence',
      'add',
      '--target',
      'orders-prod',
      '--for',
      '2h',
      '--reason',
      'DR drill',
      '--json',
    );
    const silence = JSON.parse(added.stdout) as { silenceId: string; createdBy: string; endsAt: string };
    const listed = await cli('silence', 'list');
    const job = sim.addRestoreJob(project.projectId, cluster);
    sim.breakJob(job.id);
    const polled = await cli('poll');
    const audit = await cli('audit', '--since', '1h');
    const expired = await cli('silence', 'expire', silence.silenceId);
    const after = await cli('silence', 'list', '--json');

    // Assess
    expect(added.code).toBe(0);
    expect(silence).toMatchObject({ silenceId: expect.stringMatching(/^s-[0-9a-f]{8}$/), createdBy: 'ana' });
    expect(listed.stdout).toContain(silence.silenceId);
    expect(listed.stdout).toContain('DR drill');
    expect(polled.code).toBe(0);
    expect(polled.stdout).not.toContain('[CRITICAL]');
    expect(audit.stdout).toContain(`silenced by ${silence.silenceId} (DR drill)`);
    expect(expired.code).toBe(0);
    expect(expired.stdout).toMatch(/ended .*open incidents stay open; nothing is replayed/);
    expect(JSON.parse(after.stdout)).toEqual({ silences: [] });
    expect(await silenceItems(cwd)).toHaveLength(1);
  });

  it.each<[string, string[], RegExp]>([
    ['no --reason', ['--target', 'orders-prod', '--for', '2h'], /--reason is required/],
    [
      'a zero duration',
      ['--target', 'orders-prod', '--for', '0h', '--reason', 'x'],
      /--for must be a positive duration/,
    ],
    [
      'a negative duration',
      ['--target', 'orders-prod', '--for=-2h', '--reason', 'x'],
      /--for must be a positive duration/,
    ],
    ['more than 30 days', ['--target', 'orders-prod', '--for', '31d', '--reason', 'x'], /at most 30 days/],
    [
      'an --until in the past',
      ['--target', 'orders-prod', '--until', '2020-01-01T00:00:00Z', '--reason', 'x'],
      /is in the past/,
    ],
    [
      'an unknown target',
      ['--target', 'billing', '--for', '2h', '--reason', 'x'],
      /"billing" is not a known target/,
    ],
    [
      'an unknown event type',
      ['--target', 'orders-prod', '--event', 'JOB_EXPLODED', '--for', '2h', '--reason', 'x'],
      /"JOB_EXPLODED" is not an event type/,
    ],
  ])('exits 2 on %s, naming it, and writes no silence', async (_name, args, problem) => {
    // Prepare
    const { cwd, cli } = await prepare();

    // Act
    const result = await cli('silence', 'add', ...args);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(problem);
    expect(result.stderr).toContain('Nothing was written.');
    expect(await silenceItems(cwd)).toEqual([]);
  });

  it('exits 2 on an unknown silence id, and on one that cannot be an id', async () => {
    // Prepare
    const { cli } = await prepare();

    // Act
    const unknown = await cli('silence', 'expire', 's-0badf00d');
    const malformed = await cli('silence', 'expire', 'drill');

    // Assess
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no silence has the id s-0badf00d/);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/"drill" is not a silence id/);
  });

  it('exits 2 for a silence command without its subcommand or id', async () => {
    // Prepare
    const { cli } = await prepare();

    // Act
    const bare = await cli('silence');
    const noId = await cli('silence', 'expire');

    // Assess
    expect([bare.code, noId.code]).toEqual([2, 2]);
    expect(bare.stderr).toMatch(/silence needs add, list or expire/);
    expect(noId.stderr).toMatch(/needs the id/);
  });
});

describe('restore-watch incidents', () => {
  it('lists the open incident of a broken restore with its key, target, job and severity, until a retry is ready', async () => {
    // Prepare
    const { cli, project, cluster } = await prepare();
    const job = sim.addRestoreJob(project.projectId, cluster);
    sim.breakJob(job.id);
    await cli('poll');

    // Act
    const open = await cli('incidents');
    const json = JSON.parse((await cli('incidents', '--json')).stdout) as {
      incidents: Array<Record<string, unknown>>;
    };
    const retry = sim.addRestoreJob(project.projectId, cluster);
    sim.finishJob(retry.id);
    await cli('poll');
    const after = JSON.parse((await cli('incidents', '--json')).stdout) as typeof json;

    // Assess
    expect(open.stdout).toContain(`job/${job.id}/failed`);
    expect(open.stdout).toMatch(/critical/);
    expect(json.incidents).toMatchObject([
      {
        incidentKey: `job/${job.id}/failed`,
        kind: 'failed',
        severity: 'critical',
        target: 'orders-prod',
        jobId: job.id,
        announcedOn: ['sns'],
      },
    ]);
    // The retry's own link now expires within the hour: that is the one incident left.
    expect(after.incidents.map((i) => i.incidentKey)).toEqual([`job/${retry.id}/expiring`]);
  });
});
