import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, ensureTable } from '../../../functions/adapters/dynamo/create-table.ts';
import { StateStoreError } from '../../../functions/adapters/dynamo/state-store-error.ts';
import { startDynalite, type TestDynamo } from '../../support/dynalite.ts';

let dynamo: TestDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo?.stop();
});

describe('createTableInput', () => {
  it('describes an on-demand table with pk/sk and the three indexes of TABLE_SCHEMA', () => {
    // Act
    const input = createTableInput('state');

    // Assess
    expect(input.BillingMode).toBe('PAY_PER_REQUEST');
    expect(input.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(
      input.GlobalSecondaryIndexes?.map((index) => [
        index.IndexName,
        index.KeySchema?.map((k) => k.AttributeName),
      ]),
    ).toEqual([
      ['gsi1', ['gsi1pk', 'gsi1sk']],
      ['gsi2', ['gsi2pk', 'gsi2sk']],
      ['owed', ['owedPk', 'owedSk']],
    ]);
    expect(input.GlobalSecondaryIndexes?.every((index) => index.Projection?.ProjectionType === 'ALL')).toBe(
      true,
    );
    expect(input.AttributeDefinitions).toHaveLength(8);
  });
});

describe('ensureTable', () => {
  it('creates a missing table and leaves it ACTIVE with its indexes', async () => {
    // Act
    const outcome = await ensureTable(dynamo.client, 'created-table', { pollIntervalMs: 5 });

    // Assess
    expect(outcome).toBe('created');
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: 'created-table' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexStatus)).toEqual([
      'ACTIVE',
      'ACTIVE',
      'ACTIVE',
    ]);
  });

  it('reports an existing table as such (idempotent, tolerating the missing UpdateTimeToLive)', async () => {
    // Prepare
    await ensureTable(dynamo.client, 'twice-table', { pollIntervalMs: 5 });

    // Act
    const outcome = await ensureTable(dynamo.client, 'twice-table', { pollIntervalMs: 5 });

    // Assess
    expect(outcome).toBe('exists');
  });

  it('copes with two concurrent calls for one table', async () => {
    // Act
    const outcomes = await Promise.all([
      ensureTable(dynamo.client, 'racing-table', { pollIntervalMs: 5 }),
      ensureTable(dynamo.client, 'racing-table', { pollIntervalMs: 5 }),
    ]);

    // Assess
    expect(outcomes).toContain('created');
  });

  it('refuses a table with another key layout instead of using it', async () => {
    // Prepare
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: 'foreign-table',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );

    // Act
    const failure = await ensureTable(dynamo.client, 'foreign-table', { pollIntervalMs: 5 }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(failure).toBeInstanceOf(StateStoreError);
    expect((failure as Error).message).toContain('"foreign-table" exists but is not a restore-watch table');
    expect((failure as Error).message).toContain('index "owed" is missing');
  });
});
