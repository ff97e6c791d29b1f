/**
 * Runs the `restore-watch` CLI in-process through `main(argv, io)` with a fake `CliIo`: output is
 * captured into strings, the environment is a plain object, every run gets its own working folder
 * (so embedded state under `.restore-watch/` never leaks between tests), and the interrupt signal
 * is under the test's control.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { startEmbeddedDynamo } from '../../functions/adapters/dynamo/embedded-dynalite.ts';
import { EMBEDDED_STATE_DIR, EMBEDDED_TABLE } from '../../functions/cli/context.ts';
import { main } from '../../functions/cli/main.ts';
import { DEFAULT_CONFIG_FILE } from '../../functions/core/config.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { createTestTable, startDynalite, type TestDynamo } from '../support/dynalite.ts';

/** The API key the test simulators accept. The private key is a sentinel that must never be printed. */
export const API_KEY = {
  publicKey: 'cli-test-public-key',
  privateKey: 'SENTINEL-CLI-PRIVATE-KEY-4b1d93',
} as const;

export const CREDENTIALS_ENV: Readonly<Record<string, string>> = {
  CLOUD_MANAGER_PUBLIC_KEY: API_KEY.publicKey,
  CLOUD_MANAGER_PRIVATE_KEY: API_KEY.privateKey,
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  cwd: string;
  /** The whole environment the CLI sees (`io.env`). @default CREDENTIALS_ENV */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default the real clock */
  now?: () => Date;
  /** @default a signal that never aborts */
  interrupted?: AbortSignal;
  /** Called with every stdout write as it happens (e.g. to interrupt `run` after its first poll). */
  onStdout?: (text: string) => void;
}

export async function runCli(argv: readonly string[], options: CliRunOptions): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (text) => {
      stdout += text;
      options.onStdout?.(text);
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? CREDENTIALS_ENV,
    cwd: options.cwd,
    now: options.now ?? (() => new Date()),
    interrupted: options.interrupted ?? new AbortController().signal,
    isTTY: false,
  });
  return { code, stdout, stderr };
}

/** Fresh temporary working folders, removed together by `removeAll` (call it in `afterEach`). */
export function workDirs() {
  const made: string[] = [];
  return {
    async make(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'restore-watch-cli-'));
      made.push(dir);
      return dir;
    },
    async removeAll(): Promise<void> {
      await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

export async function writeConfig(cwd: string, config: unknown, file = DEFAULT_CONFIG_FILE): Promise<void> {
  const path = join(cwd, file);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
}

/** True when a command created the embedded state folder in `cwd`. */
export function hasEmbeddedState(cwd: string): boolean {
  return existsSync(join(cwd, EMBEDDED_STATE_DIR));
}

/** Every item of the embedded state table under `<cwd>/.restore-watch/` (opened after the CLI closed it). */
export async function embeddedItems(cwd: string): Promise<Array<Record<string, AttributeValue>>> {
  const embedded = await startEmbeddedDynamo({ path: join(cwd, EMBEDDED_STATE_DIR, 'dynamo') });
  try {
    const items: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await embedded.client.send(
        new ScanCommand({ TableName: EMBEDDED_TABLE, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  } finally {
    await embedded.stop();
  }
}

/** Audit items are keyed `EVENT#{eventId}` (functions/core/table-schema.ts). */
export function auditItems(items: ReadonlyArray<Record<string, AttributeValue>>) {
  return items.filter((item) => item.pk?.S?.startsWith('EVENT#'));
}

/** A random 24-hex ObjectId, so tests sharing one simulator never share a project. */
export function randomObjectId(): string {
  return randomBytes(12).toString('hex');
}

/** A project with one replica-set cluster per name, in the shared simulator. */
export function addProject(sim: CloudManagerSimulator, ...clusterNames: string[]) {
  const projectId = randomObjectId();
  const clusters = clusterNames.map((clusterName) =>
    sim.addCluster({ projectId, clusterName, typeName: 'REPLICA_SET' }),
  );
  return { projectId, clusters };
}

/** A valid configuration watching the given clusters of one project through the simulator. */
export function configFor(
  sim: CloudManagerSimulator,
  project: ReturnType<typeof addProject>,
  extra: Record<string, unknown> = {},
) {
  return {
    cloudManager: { baseUrl: sim.baseUrl },
    targets: project.clusters.map((cluster) => ({
      projectId: project.projectId,
      clusterId: cluster.id,
      name: cluster.clusterName,
    })),
    ...extra,
  };
}

/**
 * The real peers of a CLI test file: a simulator accepting `API_KEY` and dynalite, started once for
 * the file; after each test the environment stubs, the latency and the working folders are undone.
 * `table()` makes a fresh table and points the CLI's AWS SDK at it.
 */
export function cliPeers() {
  const peers: { sim: CloudManagerSimulator; dynamo: TestDynamo } = {
    sim: undefined as unknown as CloudManagerSimulator,
    dynamo: undefined as unknown as TestDynamo,
  };
  const dirs = workDirs();
  beforeAll(async () => {
    peers.dynamo = await startDynalite();
    peers.sim = new CloudManagerSimulator({ apiKeys: [{ ...API_KEY }] });
    await peers.sim.start();
  });
  afterAll(async () => {
    await peers.sim.stop();
    await peers.dynamo.stop();
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    peers.sim.latencyMs = 0;
    await dirs.removeAll();
  });
  return {
    get sim() {
      return peers.sim;
    },
    get dynamo() {
      return peers.dynamo;
    },
    dirs,
    /** A fresh table, the SDK pointed at dynalite; returns the CLI environment naming it. */
    async table(): Promise<{ tableName: string; env: Record<string, string> }> {
      const tableName = await createTestTable(peers.dynamo.client);
      vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', peers.dynamo.endpoint);
      vi.stubEnv('AWS_REGION', 'local');
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
      return { tableName, env: { ...CREDENTIALS_ENV, RESTORE_WATCH_TABLE: tableName } };
    },
  };
}
