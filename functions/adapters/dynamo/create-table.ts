/**
 * Creates the state table from `TABLE_SCHEMA` (the CDK stack builds the same shape from the same
 * module). Used by `restore-watch init`, the embedded local table and the tests.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { sleep } from '../../core/sleep.ts';
import { TABLE_SCHEMA } from '../../core/table-schema.ts';
import { awsErrorName, clientWhereabouts, StateStoreError, toStateStoreError } from './state-store-error.ts';

/**
 * On-demand table with `pk`/`sk` and the three indexes, all projecting ALL attributes: the by-target
 * and by-job indexes serve audit queries that return whole records, and the owed index is sparse (only
 * events not yet published, normally none), so ALL costs next to nothing there and spares a second read
 * of the base table per owed event.
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, indexes } = TABLE_SCHEMA;
  const keyNames = [
    partitionKey,
    sortKey,
    ...Object.values(indexes).flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyNames.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: Object.values(indexes).map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

export interface EnsureTableOptions {
  /** How long to wait for the table and its indexes to become ACTIVE. @default 120000 */
  timeoutMs?: number;
  /** Pause between DescribeTable polls. @default 250 */
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Creates the table unless it exists, waits until it and its indexes are ACTIVE, and enables TTL on
 * `ttl`. Safe to run again and concurrently. An existing table with another key layout is an error
 * rather than something to "fix": it may hold someone else's data.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  options: EnsureTableOptions = {},
): Promise<'created' | 'exists'> {
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  const fail = async (error: unknown, operation: string) =>
    toStateStoreError(error, operation, tableName, await clientWhereabouts(client));

  let outcome: 'created' | 'exists' = 'exists';
  let description = await describe(client, tableName).catch(async (error) => {
    throw await fail(error, 'DescribeTable');
  });
  if (description === undefined) {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
      outcome = 'created';
    } catch (error) {
      // Another `init` created it a moment ago: fine, wait for it like for our own.
      if (awsErrorName(error) !== 'ResourceInUseException') throw await fail(error, 'CreateTable');
    }
  }

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    description = await describe(client, tableName).catch(async (error) => {
      throw await fail(error, 'DescribeTable');
    });
    if (description && isActive(description)) break;
    if (Date.now() > deadline) {
      throw new StateStoreError(
        `DynamoDB table "${tableName}" did not become ACTIVE in time (status ${description?.Table?.TableStatus ?? 'unknown'}). ` +
          'Check it in the console and run `restore-watch init` again.',
        { operation: 'ensureTable', tableName },
      );
    }
    await wait(options.pollIntervalMs ?? 250);
  }
  checkLayout(description, tableName);
  await enableTimeToLive(client, tableName).catch(async (error) => {
    throw await fail(error, 'UpdateTimeToLive');
  });
  return outcome;
}

async function describe(
  client: DynamoDBClient,
  tableName: string,
): Promise<DescribeTableCommandOutput | undefined> {
  try {
    return await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

function isActive(description: DescribeTableCommandOutput): boolean {
  const table = description.Table;
  return (
    table?.TableStatus === 'ACTIVE' &&
    (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE')
  );
}

function checkLayout(description: DescribeTableCommandOutput, tableName: string): void {
  const expected = createTableInput(tableName);
  const problems: string[] = [];
  const keyText = (schema: Array<{ AttributeName?: string; KeyType?: string }> | undefined) =>
    (schema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');
  if (keyText(description.Table?.KeySchema) !== keyText(expected.KeySchema)) {
    problems.push(
      `key schema is ${keyText(description.Table?.KeySchema)}, expected ${keyText(expected.KeySchema)}`,
    );
  }
  const actualIndexes = new Map(
    (description.Table?.GlobalSecondaryIndexes ?? []).map((index) => [
      index.IndexName,
      keyText(index.KeySchema),
    ]),
  );
  for (const index of expected.GlobalSecondaryIndexes ?? []) {
    const actual = actualIndexes.get(index.IndexName);
    if (actual === undefined) problems.push(`index "${index.IndexName}" is missing`);
    else if (actual !== keyText(index.KeySchema)) {
      problems.push(`index "${index.IndexName}" has keys ${actual}, expected ${keyText(index.KeySchema)}`);
    }
  }
  if (problems.length > 0) {
    throw new StateStoreError(
      `DynamoDB table "${tableName}" exists but is not a restore-watch table: ${problems.join('; ')}. ` +
        'Use another table name (RESTORE_WATCH_TABLE) or let the restore-watch stack create it.',
      { operation: 'ensureTable', tableName },
    );
  }
}

/** Enables TTL unless it is on already; dynalite has no UpdateTimeToLive (and never expires items). */
async function enableTimeToLive(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = current.TimeToLiveDescription?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') return;
  } catch (error) {
    if (awsErrorName(error) !== 'UnknownOperationException') throw error;
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (awsErrorName(error) === 'UnknownOperationException') return;
    // Two `init` runs racing: the other one enabled it in between.
    if (
      awsErrorName(error) === 'ValidationException' &&
      /already enabled/i.test(String((error as Error).message))
    ) {
      return;
    }
    throw error;
  }
}
