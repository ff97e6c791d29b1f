/**
 * `restore-watch poll` and the run lease, against a real table (dynalite, named by
 * RESTORE_WATCH_TABLE): another run holding the lease, and another run taking it over while this one
 * is paused. The CLI's clock is virtual, so "paused past its lease" takes no real time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoRunLease } from '../../functions/adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../../functions/adapters/dynamo/dynamo-state-store.ts';
import type { PollSummary } from '../../functions/core/poll.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { createTestTable, startDynalite, type TestDynamo } from '../support/dynalite.ts';
import { VirtualClock } from '../support/harness.ts';
import {
  API_KEY,
  addProject,
  CREDENTIALS_ENV,
  configFor,
  runCli,
  workDirs,
  writeConfig,
} from './cli-harness.ts';

const clock = new VirtualClock();
let dynamo: TestDynamo;
let sim: CloudManagerSimulator;
beforeAll(async () => {
  dynamo = await startDynalite();
  sim = new CloudManagerSimulator({ apiKeys: [{ ...API_KEY }], now: clock.now });
  await sim.start();
});
afterAll(async () => {
  await sim.stop();
  await dynamo.stop();
});
const dirs = workDirs();
afterEach(async () => {
  vi.unstubAllEnvs();
  sim.latencyMs = 0;
  await dirs.removeAll();
});

async function prepare() {
  const cwd = await dirs.make();
  const project = addProject(sim, 'orders-prod');
  await writeConfig(cwd, configFor(sim, project));
  const tableName = await createTestTable(dynamo.client);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  vi.stubEnv('AWS_REGION', 'local');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  const env = { ...CREDENTIALS_ENV, RESTORE_WATCH_TABLE: tableName };
  const poll = (...args: string[]) => runCli(['poll', ...args], { cwd, now: clock.now, env });
  const lease = new DynamoRunLease({ client: dynamo.client, tableName });
  const store = new DynamoStateStore({ client: dynamo.client, tableName });
  const cluster = project.clusters[0]?.id ?? '';
  const target = { projectId: project.projectId, clusterId: cluster };
  return { poll, lease, store, project, cluster, target };
}

describe('restore-watch poll and the run lease', () => {
  it('does nothing and exits 0 when another run holds the lease', async () => {
    // Prepare
    const { poll, lease } = await prepare();
    await lease.acquire('lambda-invocation-1', clock.now(), 60_000);

    // Act
    const result = await poll();

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'Another run (lambda-invocation-1) is polling right now; this run did nothing.\n',
    );
  });

  it.each([[[]], [['--json']]])(
    'exits 1, says another run took over, and writes nothing once its lease was taken mid-run (flags %j)',
    async (flags: string[]) => {
      // Prepare: a baselined target with a new job; every answer takes a moment, so the run is still
      // listing when its clock jumps past the lease and the Lambda takes it over.
      const { poll, lease, store, project, cluster, target } = await prepare();
      expect((await poll()).code).toBe(0);
      sim.addRestoreJob(project.projectId, cluster);
      clock.advanceMinutes(5);
      const saved = await store.getTargetStates([target]);
      const requestsBefore = sim.requests.length;
      sim.latencyMs = 300;

      // Act
      const running = poll(...flags);
      await vi.waitFor(
        () =>
          expect(sim.requests.slice(requestsBefore).some((r) => r.path.endsWith('/restoreJobs'))).toBe(true),
        { timeout: 10_000, interval: 10 },
      );
      clock.advanceMinutes(2);
      const takeover = await lease.acquire('lambda-invocation-2', clock.now(), 60_000);
      const result = await running;

      // Assess
      expect(takeover.acquired).toBe(true);
      expect(result.code).toBe(1);
      const said = flags.includes('--json') ? result.stderr : result.stdout;
      expect(said).toContain('This run lost its lease');
      expect(said).toContain('another run to take over');
      if (flags.includes('--json')) expect((JSON.parse(result.stdout) as PollSummary).lease).toBe('lost');
      expect(await store.getTargetStates([target])).toEqual(saved);
      expect(await store.queryAudit({ projectId: project.projectId, clusterId: cluster })).toEqual([]);
      expect(await lease.current()).toMatchObject({ owner: 'lambda-invocation-2' });
    },
  );
});
