/**
 * Shared test helper: a real DynamoDB-compatible server (dynalite, in memory) on 127.0.0.1 with an
 * ephemeral port, and fresh restore-watch tables in it.
 *
 * Start one server per test file and a fresh table per test (or unique keys):
 *
 * ```ts
 * let dynamo: TestDynamo;
 * beforeAll(async () => { dynamo = await startDynalite(); });
 * afterAll(() => dynamo.stop());
 * it('...', async () => {
 *   const tableName = await createTestTable(dynamo.client);
 *   const store = new DynamoStateStore({ client: dynamo.client, tableName });
 * });
 * ```
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../functions/adapters/dynamo/create-table.ts';
import { startEmbeddedDynamo } from '../../functions/adapters/dynamo/embedded-dynalite.ts';

export interface TestDynamo {
  /** `http://127.0.0.1:{port}`, e.g. for a second client or `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoint: string;
  /** Region `local`, dummy credentials; destroyed by `stop`. */
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/** Starts an in-memory dynalite on 127.0.0.1 (ephemeral port). Call `stop()` in `afterAll`. */
export async function startDynalite(): Promise<TestDynamo> {
  return startEmbeddedDynamo({});
}

/**
 * Creates a restore-watch table (the production layout from `TABLE_SCHEMA`) and returns its name;
 * `name` defaults to a unique `test-…` name. The table is ACTIVE when the promise resolves.
 */
export async function createTestTable(client: DynamoDBClient, name?: string): Promise<string> {
  const tableName = name ?? `test-${randomUUID()}`;
  await ensureTable(client, tableName, { pollIntervalMs: 5 });
  return tableName;
}
