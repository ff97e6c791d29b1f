import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRunLease } from '../../../functions/adapters/dynamo/dynamo-run-lease.ts';
import { StateStoreError } from '../../../functions/adapters/dynamo/state-store-error.ts';
import { createTestTable, startDynalite, type TestDynamo } from '../../support/dynalite.ts';

let dynamo: TestDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo?.stop();
});

const T0 = new Date('2026-05-01T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const TTL = 60_000;

async function freshLease() {
  const tableName = await createTestTable(dynamo.client);
  return new DynamoRunLease({ client: dynamo.client, tableName });
}

describe('DynamoRunLease items', () => {
  it('keeps the unsharded lease at LEASE#poll and gives each shard its own item', async () => {
    // Prepare
    const lease = await freshLease();

    // Act
    await lease.acquire('run-unsharded', T0, TTL);
    await lease.acquire('run-shard-2', T0, TTL, 'poll#2/4');

    // Assess
    const items = await dynamo.client.send(new ScanCommand({ TableName: lease.tableName }));
    const keys = (items.Items ?? []).map((item) => [item.pk?.S, item.sk?.S, item.owner?.S]).sort();
    expect(keys).toEqual([
      ['LEASE#poll#2/4', 'LEASE', 'run-shard-2'],
      ['LEASE#poll', 'LEASE', 'run-unsharded'],
    ]);
    expect(await lease.current('poll#2/4')).toMatchObject({ owner: 'run-shard-2' });
  });
});

describe('DynamoRunLease', () => {
  it('grants a free lease with its expiry', async () => {
    // Prepare
    const lease = await freshLease();

    // Act
    const result = await lease.acquire('run-a', T0, TTL);

    // Assess
    expect(result).toEqual({ acquired: true, owner: 'run-a', expiresAt: '2026-05-01T10:01:00.000Z' });
    expect(await lease.current()).toEqual({ owner: 'run-a', expiresAt: '2026-05-01T10:01:00.000Z' });
  });

  it('lets exactly one of two racing owners win', async () => {
    // Prepare
    const lease = await freshLease();

    // Act
    const results = await Promise.all([lease.acquire('run-a', T0, TTL), lease.acquire('run-b', T0, TTL)]);

    // Assess
    const winners = results.filter((result) => result.acquired);
    const losers = results.filter((result) => !result.acquired);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const winner = winners[0] as { owner: string };
    expect(losers[0]).toEqual({
      acquired: false,
      holder: winner.owner,
      expiresAt: '2026-05-01T10:01:00.000Z',
    });
  });

  it('refuses a held lease and names the holder', async () => {
    // Prepare
    const lease = await freshLease();
    await lease.acquire('run-a', T0, TTL);

    // Act
    const result = await lease.acquire('run-b', later(30_000), TTL);

    // Assess
    expect(result).toEqual({ acquired: false, holder: 'run-a', expiresAt: '2026-05-01T10:01:00.000Z' });
  });

  it('lets another owner take over an expired lease', async () => {
    // Prepare
    const lease = await freshLease();
    await lease.acquire('run-a', T0, TTL);

    // Act
    const result = await lease.acquire('run-b', later(TTL + 1), TTL);

    // Assess
    expect(result).toEqual({ acquired: true, owner: 'run-b', expiresAt: '2026-05-01T10:02:00.001Z' });
  });

  it('lets the holder acquire again (a retried invocation of the same run)', async () => {
    // Prepare
    const lease = await freshLease();
    await lease.acquire('run-a', T0, TTL);

    // Act
    const result = await lease.acquire('run-a', later(10_000), TTL);

    // Assess
    expect(result).toEqual({ acquired: true, owner: 'run-a', expiresAt: '2026-05-01T10:01:10.000Z' });
  });

  it('extends the lease on renew while it is held', async () => {
    // Prepare
    const lease = await freshLease();
    await lease.acquire('run-a', T0, TTL);

    // Act
    const renewed = await lease.renew('run-a', later(50_000), TTL);
    const intruder = await lease.acquire('run-b', later(TTL + 1), TTL);

    // Assess
    expect(renewed).toBe(true);
    expect(intruder).toEqual({ acquired: false, holder: 'run-a', expiresAt: '2026-05-01T10:01:50.000Z' });
  });

  it('reports a lost lease on renew after another owner took it', async () => {
    // Prepare
    const lease = await freshLease();
    await lease.acquire('run-a', T0, TTL);
    await lease.acquire('run-b', later(TTL + 1), TTL);

    // Act
    const renewed = await lease.renew('run-a', later(TTL + 2), TTL);

    // Assess
    expect(renewed).toBe(false);
    expect((await lease.current())?.owner).toBe('run-b');
  });

  it('reports a lost lease on renew when it was released', async () => {
    // Prepare
    const lease = await freshLease();

    // Act
    const renewed = await lease.renew('run-a', T0, TTL);

    // Assess
    expect(renewed).toBe(false);
    expect(await lease.current()).toBeUndefined();
  });

  it('frees the lease on release by its owner', async () => {
    // Prepare
    const lease = await freshLease();
    await lease.acquire('run-a', T0, TTL);

    // Act
    await lease.release('run-a');
    const next = await lease.acquire('run-b', later(1_000), TTL);

    // Assess
    expect(next.acquired).toBe(true);
  });

  it('ignores a release by a run that does not hold the lease', async () => {
    // Prepare
    const lease = await freshLease();
    await lease.acquire('run-a', T0, TTL);

    // Act
    await lease.release('run-b');

    // Assess
    expect(await lease.current()).toEqual({ owner: 'run-a', expiresAt: '2026-05-01T10:01:00.000Z' });
  });

  it('ignores a release when the lease is already gone', async () => {
    // Prepare
    const lease = await freshLease();

    // Act
    const outcome = await lease.release('run-a').then(() => 'released');

    // Assess
    expect(outcome).toBe('released');
    expect(await lease.current()).toBeUndefined();
  });

  it('fails with a StateStoreError naming the table when it is missing', async () => {
    // Prepare
    const lease = new DynamoRunLease({ client: dynamo.client, tableName: 'missing-lease-table' });

    // Act
    const failure = await lease.acquire('run-a', T0, TTL).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StateStoreError);
    expect(failure).toMatchObject({ operation: 'acquireLease', errorCode: 'ResourceNotFoundException' });
    expect((failure as Error).message).toContain('"missing-lease-table"');
    expect((failure as Error).message).toContain('restore-watch init');
  });
});
