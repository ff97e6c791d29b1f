/**
 * `restore-watch init`, embedded and against a DynamoDB endpoint named by RESTORE_WATCH_TABLE.
 *
 * The CLI's DynamoDBClient takes its SDK settings (region, credentials, AWS_ENDPOINT_URL_DYNAMODB)
 * from the real process environment, as the SDK does, not from `io.env`. So the tests that use a
 * table stub those variables on `process.env` (undone after each test) and give RESTORE_WATCH_TABLE
 * through `io.env`, like any other restore-watch setting.
 */
import {
  type AttributeValue,
  DescribeTableCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TABLE_SCHEMA } from '../../functions/core/table-schema.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { createTestTable, startDynalite, type TestDynamo } from '../support/dynalite.ts';
import {
  API_KEY,
  addProject,
  CREDENTIALS_ENV,
  configFor,
  embeddedItems,
  hasEmbeddedState,
  randomObjectId,
  runCli,
  workDirs,
  writeConfig,
} from './cli-harness.ts';

let dynamo: TestDynamo;
let sim: CloudManagerSimulator;
beforeAll(async () => {
  dynamo = await startDynalite();
  sim = new CloudManagerSimulator({ apiKeys: [{ ...API_KEY }] });
  await sim.start();
});
afterAll(async () => {
  await sim.stop();
  await dynamo.stop();
});
const dirs = workDirs();
afterEach(async () => {
  vi.unstubAllEnvs();
  await dirs.removeAll();
});

/** Points the AWS SDK at the test dynalite and returns the CLI environment naming `tableName`. */
function useTable(tableName: string): Record<string, string> {
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  vi.stubEnv('AWS_REGION', 'local');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  return { ...CREDENTIALS_ENV, RESTORE_WATCH_TABLE: tableName };
}

describe('restore-watch init with embedded state', () => {
  it('creates the state table under .restore-watch/ and says so', async () => {
    // Prepare
    const cwd = await dirs.make();

    // Act
    const result = await runCli(['init'], { cwd });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'Created the state table restore-watch (embedded DynamoDB under .restore-watch/).\n',
    );
    expect(hasEmbeddedState(cwd)).toBe(true);
    expect(await embeddedItems(cwd)).toEqual([]);
  });

  it('is idempotent: a second init keeps the table and everything in it', async () => {
    // Prepare: an initialised folder with some state in it.
    const cwd = await dirs.make();
    await writeConfig(cwd, configFor(sim, addProject(sim, 'orders-prod')));
    await runCli(['init'], { cwd });
    expect((await runCli(['poll'], { cwd })).code).toBe(0);
    const before = await embeddedItems(cwd);
    expect(before.length).toBeGreaterThan(0);

    // Act
    const result = await runCli(['init'], { cwd });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'The state table restore-watch already exists (embedded DynamoDB under .restore-watch/); nothing to do.\n',
    );
    expect(await embeddedItems(cwd)).toEqual(before);
  });
});

describe('restore-watch init with RESTORE_WATCH_TABLE', () => {
  it('creates the named table with the stack schema and no embedded state', async () => {
    // Prepare
    const cwd = await dirs.make();
    const tableName = `cli-init-${randomObjectId()}`;
    const env = useTable(tableName);

    // Act
    const result = await runCli(['init'], { cwd, env });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Created the state table ${tableName} (DynamoDB table ${tableName}).\n`);
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(
      Object.values(TABLE_SCHEMA.indexes)
        .map((index) => index.name)
        .sort(),
    );
    expect(hasEmbeddedState(cwd)).toBe(false);
  });

  it('is idempotent: a second init says the table exists', async () => {
    const cwd = await dirs.make();
    const tableName = await createTestTable(dynamo.client);
    const env = useTable(tableName);

    const result = await runCli(['init'], { cwd, env });

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `The state table ${tableName} already exists (DynamoDB table ${tableName}); nothing to do.\n`,
    );
  });

  it('indexes the job states an earlier version wrote, so that report finds them, and says so', async () => {
    // Prepare: a polled table whose job states lack the request-time index keys (as before report).
    const cwd = await dirs.make();
    const tableName = await createTestTable(dynamo.client);
    const env = useTable(tableName);
    const project = addProject(sim, 'orders-prod');
    const clusterId = project.clusters[0]?.id as string;
    sim.addRestoreJob(project.projectId, clusterId);
    await writeConfig(cwd, configFor(sim, project));
    expect((await runCli(['poll'], { cwd, env })).code).toBe(0);
    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: tableName }));
    const jobKeys = (Items ?? []).filter((item) => item.sk?.S?.startsWith('JOB#'));
    for (const item of jobKeys) {
      await dynamo.client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: item.pk as AttributeValue, sk: item.sk as AttributeValue },
          UpdateExpression: 'REMOVE gsi1pk, gsi1sk',
        }),
      );
    }

    // Act
    const result = await runCli(['init'], { cwd, env });

    // Assess
    expect(jobKeys).toHaveLength(1);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('indexed 1 job state written by an earlier version');
    const after = await dynamo.client.send(new ScanCommand({ TableName: tableName }));
    const job = after.Items?.find((item) => item.sk?.S?.startsWith('JOB#'));
    expect(job?.gsi1pk?.S).toBe(`JOBS#${project.projectId}#${clusterId}`);
  });

  it('lets poll keep its state in that table instead of the embedded one', async () => {
    // Prepare
    const cwd = await dirs.make();
    const tableName = await createTestTable(dynamo.client);
    const env = useTable(tableName);
    const project = addProject(sim, 'orders-prod');
    await writeConfig(cwd, configFor(sim, project));

    // Act
    const result = await runCli(['poll'], { cwd, env });

    // Assess
    expect(result.code).toBe(0);
    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: tableName }));
    expect(Items?.map((item) => item.pk?.S)).toContain(
      `TARGET#${project.projectId}#${project.clusters[0]?.id}`,
    );
    expect(hasEmbeddedState(cwd)).toBe(false);
  });

  it('makes status exit 1 and point at init when the named table does not exist', async () => {
    const cwd = await dirs.make();
    const env = useTable(`missing-${randomObjectId()}`);

    const result = await runCli(['status'], { cwd, env });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('restore-watch init');
  });
});
