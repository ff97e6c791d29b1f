/**
 * `restore-watch poll --shard i/N` over real peers (the simulator over HTTP, dynalite named by
 * RESTORE_WATCH_TABLE): every shard together polls every target exactly once, a project-wide entry
 * is discovered by its project's shard only, two shards polled at the same moment both complete (each
 * under its own lease), and a bad shard is exit 2 with nothing read or written.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRunLease } from '../../functions/adapters/dynamo/dynamo-run-lease.ts';
import type { PollSummary } from '../../functions/core/poll.ts';
import { shardOfProject } from '../../functions/core/shard.ts';
import { addProject, cliPeers, runCli, writeConfig } from './cli-harness.ts';

const SHARDS = 3;
const peers = cliPeers();

/**
 * Six projects of two clusters each, at least one in every shard; the first is configured
 * project-wide (its clusters are discovered), the others cluster by cluster.
 */
async function prepare() {
  const projects: Array<ReturnType<typeof addProject>> = [];
  while (
    new Set(projects.map((p) => shardOfProject(p.projectId, SHARDS))).size < SHARDS ||
    projects.length < 6
  ) {
    projects.push(addProject(peers.sim, `c${projects.length}a`, `c${projects.length}b`));
  }
  const [wide, ...explicit] = projects;
  const config = {
    cloudManager: { baseUrl: peers.sim.baseUrl },
    targets: [
      { projectId: wide?.projectId },
      ...explicit.flatMap((p) => p.clusters.map((c) => ({ projectId: p.projectId, clusterId: c.id }))),
    ],
    deploy: { shards: SHARDS },
  };
  const cwd = await peers.dirs.make();
  await writeConfig(cwd, config);
  const { tableName, env } = await peers.table();
  const poll = (...args: string[]) => runCli(['poll', ...args], { cwd, env });
  const items = async () =>
    (await peers.dynamo.client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ??
    [];
  const clusterIds = projects.flatMap((p) => p.clusters.map((c) => c.id));
  return { projects, wide, poll, items, tableName, clusterIds };
}

/** Successful requests to the simulator since `from`, by path. */
function answeredSince(from: number): string[] {
  return peers.sim.requests
    .slice(from)
    .filter((r) => r.status === 200)
    .map((r) => r.path);
}

describe('restore-watch poll --shard', () => {
  it('covers every target exactly once over the shards; a project is discovered in its own shard only', async () => {
    // Prepare
    const w = await prepare();
    const from = peers.sim.requests.length;
    const wideShard = shardOfProject(w.wide?.projectId ?? '', SHARDS);

    // Act
    const results = [];
    for (let i = 1; i <= SHARDS; i++) results.push(await w.poll('--shard', `${i}/${SHARDS}`, '--json'));

    // Assess
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const summaries = results.map((r) => JSON.parse(r.stdout) as PollSummary);
    expect(summaries.map((s) => s.shard)).toEqual(['1/3', '2/3', '3/3']);
    const paths = answeredSince(from);
    const listed = paths.filter((p) => p.endsWith('/restoreJobs')).map((p) => p.split('/').at(-2));
    expect(listed.sort()).toEqual([...w.clusterIds].sort());
    expect(summaries.reduce((sum, s) => sum + s.targets.ok, 0)).toBe(w.clusterIds.length);
    const discoveries = paths.filter((p) => p.endsWith(`/groups/${w.wide?.projectId}/clusters`));
    expect(discoveries).toHaveLength(1);
    expect(summaries[wideShard - 1]?.targets.total).toBeGreaterThanOrEqual(2);
    const targetItems = (await w.items()).filter((item) => item.sk?.S === '#TARGET');
    expect(targetItems).toHaveLength(w.clusterIds.length);
  });

  it('lets two shards polled at the same moment both complete', async () => {
    // Prepare: every answer takes a moment, so the two runs overlap.
    const w = await prepare();
    peers.sim.latencyMs = 30;

    // Act
    const [one, two] = await Promise.all([
      w.poll('--shard', '1/3', '--json'),
      w.poll('--shard', '2/3', '--json'),
    ]);

    // Assess
    expect([one?.code, two?.code]).toEqual([0, 0]);
    const summaries = [one, two].map((r) => JSON.parse(r?.stdout ?? '{}') as PollSummary);
    expect(summaries.map((s) => [s.shard, s.lease])).toEqual([
      ['1/3', 'acquired'],
      ['2/3', 'acquired'],
    ]);
    expect(summaries.every((s) => s.targets.total > 0 && s.targets.failed === 0)).toBe(true);
  });

  it('is kept out by a run holding its own shard’s lease only', async () => {
    // Prepare
    const w = await prepare();
    const lease = new DynamoRunLease({ client: peers.dynamo.client, tableName: w.tableName });
    await lease.acquire('lambda-shard-2', new Date(), 60_000, 'poll#2/3');

    // Act
    const blocked = await w.poll('--shard', '2/3');
    const free = await w.poll('--shard', '3/3', '--json');

    // Assess
    expect(blocked).toMatchObject({ code: 0 });
    expect(blocked.stdout).toBe('Another run (lambda-shard-2) is polling right now; this run did nothing.\n');
    expect(JSON.parse(free.stdout)).toMatchObject({ shard: '3/3', lease: 'acquired' });
  });

  it.each([
    ['0/3', '--shard "0/3": shards are numbered from 1 to 3, got 0'],
    ['4/3', '--shard "4/3": shards are numbered from 1 to 3, got 4'],
    ['x', '--shard "x" is not i/N'],
    ['1/0', '--shard "1/0": the number of shards must be from 1 to 100, got 0'],
    [
      '2/4',
      '--shard "2/4" is not a partition of this configuration, which has 3 shards (deploy.shards): use i/3',
    ],
  ])('exits 2 for --shard %s, saying why, with nothing read or written', async (spec, message) => {
    // Prepare
    const w = await prepare();
    const from = peers.sim.requests.length;

    // Act
    const result = await w.poll('--shard', spec);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(peers.sim.requests.length).toBe(from);
    expect(await w.items()).toEqual([]);
  });

  it('exits 2 for a sharded configuration polled without --shard, naming the flag', async () => {
    const w = await prepare();

    const result = await w.poll();

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'splits the fleet into 3 shards (deploy.shards): poll one of them with --shard i/3',
    );
    expect(await w.items()).toEqual([]);
  });
});
