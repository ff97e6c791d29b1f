/**
 * `restore-watch incidents resolve KEY --reason TEXT` as an on-call engineer types it (M1-M3 of
 * functions/core/manual-resolve.ts), against a real table (dynalite, named by RESTORE_WATCH_TABLE), the
 * simulator, and PagerDuty through a local Events API v2 endpoint: the incident closes in the table
 * at once, and in PagerDuty with the next poll. Bad input exits 2 and writes nothing; a running poll
 * is waited for, never raced.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRunLease } from '../../functions/adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../../functions/adapters/dynamo/dynamo-state-store.ts';
import { incidentsResolveCommand } from '../../functions/cli/commands/incidents.ts';
import { StateUnavailableError } from '../../functions/cli/context.ts';
import { TEST_ROUTING_KEY } from '../support/local-pagerduty/local-pagerduty.ts';
import { useLocalPagerDuty } from '../support/local-pagerduty/use-local-pagerduty.ts';
import { addProject, cliPeers, configFor, runCli, writeConfig } from './cli-harness.ts';

const peers = cliPeers();
const pd = useLocalPagerDuty();

/** A broken restore of `orders-prod`, paged: job/<id>/failed open in the table and in PagerDuty. */
async function prepare() {
  const cwd = await peers.dirs.make();
  const project = addProject(peers.sim, 'orders-prod');
  await writeConfig(cwd, configFor(peers.sim, project));
  const { tableName, env: tableEnv } = await peers.table();
  const env = {
    ...tableEnv,
    USER: 'ana',
    PAGERDUTY_ROUTING_KEY: TEST_ROUTING_KEY,
    PAGERDUTY_EVENTS_URL: pd.eventsUrl,
  };
  const cli = (...argv: string[]) => runCli(argv, { cwd, env });
  expect((await cli('poll', '--json')).code).toBe(0);
  const cluster = project.clusters[0]?.id ?? '';
  const job = peers.sim.addRestoreJob(project.projectId, cluster);
  peers.sim.breakJob(job.id);
  expect((await cli('poll', '--json')).code).toBe(0);
  const key = `job/${job.id}/failed`;
  const store = new DynamoStateStore({ client: peers.dynamo.client, tableName });
  const lease = new DynamoRunLease({ client: peers.dynamo.client, tableName });
  const items = async () =>
    (await peers.dynamo.client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
  return { cwd, env, cli, key, job, store, lease, tableName, items };
}

describe('restore-watch incidents resolve', () => {
  it('closes the incident at once, and its PagerDuty alert with the next poll, with who and why in the audit trail', async () => {
    // Prepare
    const { cli, key, job, store } = await prepare();
    expect(pd.openAlerts()).toHaveLength(1);

    // Act
    const pagesBefore = pd.events.length;
    const resolved = await cli(
      'incidents',
      'resolve',
      key,
      '--reason',
      'not retrying: restored from the snapshot',
    );
    const pagesAfterResolve = pd.events.length;
    const listed = await cli('incidents');
    const poll = await cli('poll');
    const again = await cli('poll');

    // Assess
    expect(resolved).toMatchObject({ code: 0, stderr: '' });
    expect(resolved.stdout).toContain(`Resolved ${key} (restore failed, orders-prod, job ${job.id}`);
    expect(resolved.stdout).toContain('Its resolve is owed to SNS and PagerDuty: the next poll sends it');
    expect(listed.stdout).toMatch(/^No open incidents in DynamoDB table/);
    expect(pagesAfterResolve).toBe(pagesBefore); // nothing is sent by the command itself
    expect(poll.code).toBe(0);
    expect(poll.stdout).toContain('over, resolved by hand by ana: not retrying: restored from the snapshot');
    expect(pd.events.at(-1)).toMatchObject({ event_action: 'resolve' });
    expect(pd.events.at(-1)?.dedup_key.endsWith(`/${key}`)).toBe(true);
    expect(pd.openAlerts()).toEqual([]);
    expect(again.stdout).not.toContain('resolved by hand');
    const audit = await store.queryAudit({ jobId: job.id });
    expect(audit.filter((r) => r.eventType === 'INCIDENT_RESOLVED')).toMatchObject([
      { action: 'resolve', incidentKey: key, details: { reason: expect.stringContaining('by hand by ana') } },
    ]);
  });

  it('takes the key as PagerDuty shows it, and answers in JSON', async () => {
    // Prepare
    const { cli, key, tableName } = await prepare();

    // Act
    const result = await cli(
      'incidents',
      'resolve',
      `restore-watch/${tableName}/${key}`,
      '--reason',
      'handled in PagerDuty',
      '--by',
      'oncall-bot',
      '--json',
    );

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      incidentKey: key,
      resolvedAt: expect.any(String),
      resolution: 'resolved by hand by oncall-bot: handled in PagerDuty',
      eventId: expect.any(String),
      owedTo: ['sns', 'pagerduty'],
    });
  });

  it('exits 2 naming every problem, and writes nothing, for an unknown key without a reason', async () => {
    // Prepare
    const { cli, items } = await prepare();
    const before = await items();

    // Act
    const result = await cli('incidents', 'resolve', 'job/5f3a1b2c3d4e5f6a7b8c9d01/failed');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no open incident has the key "job/5f3a1b2c3d4e5f6a7b8c9d01/failed"');
    expect(result.stderr).toContain('--reason is required');
    expect(result.stderr).toContain('Nothing was written.');
    expect(await items()).toEqual(before);
  });

  it('exits 2 without a key, with a key too many, and for a subcommand it does not know', async () => {
    const { cli } = await prepare();

    const noKey = await cli('incidents', 'resolve', '--reason', 'x');
    const twoKeys = await cli('incidents', 'resolve', 'a', 'b', '--reason', 'x');
    const unknown = await cli('incidents', 'close', 'a');

    expect([noKey.code, twoKeys.code, unknown.code]).toEqual([2, 2, 2]);
    expect(noKey.stderr).toContain('incidents resolve needs the key of the incident to close');
    expect(twoKeys.stderr).toContain('unexpected argument "b"');
    expect(unknown.stderr).toContain('incidents takes no argument but resolve KEY, not "close"');
  });

  it('waits for a poll that holds the lease, then resolves', async () => {
    // Prepare: a poll holds the lease and finishes about a second later
    const { cli, key, lease } = await prepare();
    await lease.acquire('lambda-invocation-7', new Date(), 60_000);
    const done = new Promise((resolve) => setTimeout(resolve, 500)).then(() =>
      lease.release('lambda-invocation-7'),
    );

    // Act
    const result = await cli('incidents', 'resolve', key, '--reason', 'done by hand');
    await done;

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('A poll (lambda-invocation-7) is running; waiting for it to finish...\n');
    expect(result.stdout).toContain(`Resolved ${key}`);
  });

  it('gives up on a poll that keeps the lease, saying so, and writes nothing', async () => {
    // Prepare
    const { cwd, env, key, lease, items } = await prepare();
    await lease.acquire('lambda-invocation-8', new Date(), 60_000);
    const before = await items();

    // Act
    const attempt = incidentsResolveCommand(
      { config: 'restore-watch.config.json', key, reason: 'x', json: false, leaseWaitMs: 0 },
      {
        stdout: () => {},
        stderr: () => {},
        env,
        cwd,
        now: () => new Date(),
        interrupted: new AbortController().signal,
        isTTY: false,
      },
    );

    // Assess
    await expect(attempt).rejects.toThrow(StateUnavailableError);
    await expect(attempt).rejects.toThrow(
      /A poll \(lambda-invocation-8\) holds the lease until .* nothing was written/,
    );
    expect((await items()).filter((item) => !String(item.pk?.S).startsWith('LEASE#'))).toEqual(
      before.filter((item) => !String(item.pk?.S).startsWith('LEASE#')),
    );
  });
});
