import { DynamoDBClient, GetItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore } from '../../../functions/adapters/dynamo/dynamo-state-store.ts';
import { StateStoreError } from '../../../functions/adapters/dynamo/state-store-error.ts';
import type { AuditRecord, JobState } from '../../../functions/core/types.ts';
import { createTestTable, startDynalite, type TestDynamo } from '../../support/dynalite.ts';
import { auditRecord, CLUSTER, jobState, OTHER_CLUSTER, PROJECT, targetState } from './fixtures.ts';

let dynamo: TestDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo?.stop();
});

const noSleep = async () => {};

async function freshStore(options: { client?: DynamoDBClient; retentionDays?: number } = {}) {
  const tableName = await createTestTable(dynamo.client);
  const store = new DynamoStateStore({
    client: options.client ?? dynamo.client,
    tableName,
    sleep: noSleep,
    ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {}),
  });
  return { store, tableName };
}

async function rawItem(tableName: string, pk: string, sk: string) {
  const output = await dynamo.client.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
  );
  return output.Item;
}

/** A separate client on the same server, so a test can add fault-injecting middleware to it alone. */
function separateClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

type BatchRequests = Record<string, unknown[]>;

/**
 * Fault: DynamoDB accepts a batch only partly and hands the rest back as UnprocessedItems /
 * UnprocessedKeys (what it does under throttling). dynalite never does that, so this middleware
 * withholds the first `count` requests of `times` batches from the server and returns them as
 * unprocessed, exactly as the service would.
 */
function withholdFromBatches(
  client: DynamoDBClient,
  command: 'BatchWriteItemCommand' | 'BatchGetItemCommand',
  count: number,
  times: number,
) {
  const withheld: unknown[] = [];
  let remaining = times;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      // An answer the server never sent, in the shape the handler chain returns.
      const synthetic = (output: object) =>
        ({ output: { $metadata: {}, ...output } }) as unknown as Awaited<ReturnType<typeof next>>;
      if (context.commandName !== command || remaining === 0) return next(args);
      remaining--;
      const input = args.input as { RequestItems: Record<string, unknown> };
      const [table, requests] = Object.entries(input.RequestItems)[0] as [string, unknown];
      if (command === 'BatchWriteItemCommand') {
        const list = requests as unknown[];
        const held = list.slice(0, count);
        withheld.push(...held);
        // DynamoDB may process none of a batch; the API refuses an empty one, so answer without it.
        if (list.length <= count) return synthetic({ UnprocessedItems: { [table]: held } });
        const result = await next({
          ...args,
          input: { ...input, RequestItems: { [table]: list.slice(count) } },
        });
        (result.output as { UnprocessedItems?: BatchRequests }).UnprocessedItems = { [table]: held };
        return result;
      }
      const keysAndAttributes = requests as { Keys: unknown[] };
      const held = keysAndAttributes.Keys.slice(0, count);
      withheld.push(...held);
      if (keysAndAttributes.Keys.length <= count) {
        return synthetic({ UnprocessedKeys: { [table]: { ...keysAndAttributes, Keys: held } } });
      }
      const result = await next({
        ...args,
        input: {
          ...input,
          RequestItems: { [table]: { ...keysAndAttributes, Keys: keysAndAttributes.Keys.slice(count) } },
        },
      });
      const output = result.output as { UnprocessedKeys?: Record<string, unknown> };
      output.UnprocessedKeys = { [table]: { ...keysAndAttributes, Keys: held } };
      return result;
    },
    { step: 'initialize', name: 'withholdFromBatches' },
  );
  return { withheld };
}

describe('DynamoStateStore target states', () => {
  it('round-trips target states and returns them keyed by targetKey', async () => {
    // Prepare
    const { store } = await freshStore();
    const failing = targetState({
      clusterId: OTHER_CLUSTER,
      name: 'billing',
      failureStreak: 2,
      failingSince: '2026-05-01T09:50:00.000Z',
      lastError: {
        name: 'CloudManagerError',
        message: 'HTTP 503',
        status: 503,
        at: '2026-05-01T10:00:00.000Z',
      },
    });

    // Act
    await store.saveTargetStates([targetState(), failing]);
    const states = await store.getTargetStates([
      { projectId: PROJECT, clusterId: CLUSTER },
      { projectId: PROJECT, clusterId: OTHER_CLUSTER },
      { projectId: PROJECT, clusterId: '5f00000000000000000000ff' },
    ]);

    // Assess
    expect([...states.keys()].sort()).toEqual([`${PROJECT}:${CLUSTER}`, `${PROJECT}:${OTHER_CLUSTER}`]);
    expect(states.get(`${PROJECT}:${CLUSTER}`)).toEqual(targetState());
    expect(states.get(`${PROJECT}:${OTHER_CLUSTER}`)).toEqual(failing);
  });

  it('stores a target under its key with the gsi1 TARGETS entry', async () => {
    // Prepare
    const { store, tableName } = await freshStore();

    // Act
    await store.saveTargetStates([targetState()]);

    // Assess
    const item = await rawItem(tableName, `TARGET#${PROJECT}#${CLUSTER}`, '#TARGET');
    expect(item?.gsi1pk).toEqual({ S: 'TARGETS' });
    expect(item?.gsi1sk).toEqual({ S: `${PROJECT}#${CLUSTER}` });
  });

  it('reads more than 100 targets in chunks of 100 keys', async () => {
    // Prepare
    const { store } = await freshStore();
    const many = Array.from({ length: 230 }, (_, i) =>
      targetState({ clusterId: `c${String(i).padStart(4, '0')}`, name: `cluster-${i}` }),
    );
    await store.saveTargetStates(many);
    store.stats.requests = {};

    // Act
    const states = await store.getTargetStates(many);

    // Assess
    expect(states.size).toBe(230);
    expect(store.stats.requests.BatchGetItem).toBe(3);
  });

  it('lists every target state through the TARGETS partition, across pages', async () => {
    // Prepare
    const { store } = await freshStore();
    // ~3 KB per item pushes the listing past one 1 MB query page.
    const padding = 'x'.repeat(3_000);
    const many = Array.from({ length: 450 }, (_, i) =>
      targetState({ clusterId: `c${String(i).padStart(4, '0')}`, fingerprint: padding }),
    );
    await store.saveTargetStates(many);
    store.stats.requests = {};

    // Act
    const listed = await store.listTargetStates();

    // Assess
    expect(listed).toHaveLength(450);
    expect(new Set(listed.map((state) => state.clusterId)).size).toBe(450);
    expect(store.stats.requests.Query).toBeGreaterThan(1);
  });

  it('retries unprocessed keys of BatchGetItem and loses none', async () => {
    // Prepare
    const client = separateClient();
    const { store } = await freshStore({ client });
    const targets = Array.from({ length: 10 }, (_, i) => targetState({ clusterId: `c${i}` }));
    await store.saveTargetStates(targets);
    const fault = withholdFromBatches(client, 'BatchGetItemCommand', 4, 1);

    // Act
    const states = await store.getTargetStates(targets);

    // Assess
    expect(fault.withheld).toHaveLength(4);
    expect(states.size).toBe(10);
    expect(store.stats.unprocessedRetries).toBe(1);
    client.destroy();
  });
});

describe('DynamoStateStore job states', () => {
  it('sends no request when there is nothing to read or write', async () => {
    // Prepare
    const { store } = await freshStore();

    // Act
    await store.saveJobStates({ projectId: PROJECT, clusterId: CLUSTER }, []);
    await store.saveTargetStates([]);
    await store.getTargetStates([]);
    await store.recordEvents([]);
    await store.markPublished([]);

    // Assess
    expect(store.stats.requests).toEqual({});
  });

  it('round-trips job states of one target and keeps targets apart', async () => {
    // Prepare
    const { store } = await freshStore();
    const finished = jobState('job-2', {
      snapshot: {
        ...jobState('job-2').snapshot,
        statusName: 'FINISHED',
        deliveryStatus: 'READY',
        hasDownloadUrl: true,
      },
      expiryAlerted: [60, 15],
      goneSince: '2026-05-02T00:00:00.000Z',
      stuckAlerted: true,
    });
    const other = { projectId: PROJECT, clusterId: OTHER_CLUSTER };

    // Act
    await store.saveTargetStates([targetState()]);
    await store.saveJobStates({ projectId: PROJECT, clusterId: CLUSTER }, [jobState('job-1'), finished]);
    await store.saveJobStates(other, [jobState('job-9')]);
    const loaded = await store.loadJobStates({ projectId: PROJECT, clusterId: CLUSTER });

    // Assess
    expect([...loaded.keys()].sort()).toEqual(['job-1', 'job-2']);
    expect(loaded.get('job-1')).toEqual(jobState('job-1'));
    expect(loaded.get('job-2')).toEqual(finished);
    expect([...(await store.loadJobStates(other)).keys()]).toEqual(['job-9']);
  });

  it('keeps the last state when the same job is given twice in one save', async () => {
    // Prepare
    const { store } = await freshStore();
    const target = { projectId: PROJECT, clusterId: CLUSTER };

    // Act
    await store.saveJobStates(target, [jobState('job-1'), jobState('job-1', { stuckAlerted: true })]);

    // Assess
    expect((await store.loadJobStates(target)).get('job-1')?.stuckAlerted).toBe(true);
  });

  it('saves and loads 5,000 job states in 200 BatchWriteItem requests and a few query pages', async () => {
    // Prepare
    const { store } = await freshStore();
    const target = { projectId: PROJECT, clusterId: CLUSTER };
    const states = Array.from({ length: 5_000 }, (_, i) => jobState(`job-${String(i).padStart(5, '0')}`));

    // Act
    await store.saveJobStates(target, states);
    const loaded = await store.loadJobStates(target);

    // Assess
    expect(loaded.size).toBe(5_000);
    expect(loaded.get('job-04999')).toEqual(states[4_999]);
    expect(store.stats.requests.BatchWriteItem).toBe(200);
    expect(store.stats.requests.Query).toBeGreaterThan(1);
    expect(store.stats.requests.Query).toBeLessThanOrEqual(10);
  });

  it('retries unprocessed items of BatchWriteItem with growing backoff and loses none', async () => {
    // Prepare
    const client = separateClient();
    const tableName = await createTestTable(dynamo.client);
    const sleeps: number[] = [];
    const store = new DynamoStateStore({
      client,
      tableName,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    });
    const target = { projectId: PROJECT, clusterId: CLUSTER };
    const fault = withholdFromBatches(client, 'BatchWriteItemCommand', 10, 2);

    // Act
    await store.saveJobStates(
      target,
      Array.from({ length: 25 }, (_, i) => jobState(`job-${i}`)),
    );

    // Assess
    expect(fault.withheld).toHaveLength(20);
    expect(store.stats.requests.BatchWriteItem).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] as number);
    expect((await store.loadJobStates(target)).size).toBe(25);
    client.destroy();
  });

  it('fails with StateStoreError naming the operation and count when items stay unprocessed', async () => {
    // Prepare
    const client = separateClient();
    const tableName = await createTestTable(dynamo.client);
    const store = new DynamoStateStore({ client, tableName, sleep: noSleep, maxAttempts: 3 });
    withholdFromBatches(client, 'BatchWriteItemCommand', 5, Number.POSITIVE_INFINITY);

    // Act
    const failure = await store
      .saveJobStates({ projectId: PROJECT, clusterId: CLUSTER }, [
        jobState('a'),
        jobState('b'),
        jobState('c'),
      ])
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StateStoreError);
    expect(failure).toMatchObject({ operation: 'saveJobStates', tableName, errorCode: 'UnprocessedItems' });
    expect((failure as Error).message).toContain(
      '3 of 3 item(s) unprocessed after 3 BatchWriteItem attempts',
    );
    expect(store.stats.requests.BatchWriteItem).toBe(3);
    client.destroy();
  });
});

describe('DynamoStateStore audit trail', () => {
  it('records new events and reports already stored ones as existing', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.recordEvents([auditRecord('e1')]);

    // Act
    const result = await store.recordEvents([auditRecord('e1'), auditRecord('e2')]);

    // Assess
    expect(result).toEqual({ recorded: ['e2'], existing: ['e1'] });
  });

  it('writes nothing when every event is already recorded', async () => {
    // Prepare
    const { store } = await freshStore();
    const records = [auditRecord('e1'), auditRecord('e2')];
    await store.recordEvents(records);
    store.stats.requests = {};

    // Act
    const result = await store.recordEvents(records);

    // Assess
    expect(result).toEqual({ recorded: [], existing: ['e1', 'e2'] });
    expect(store.stats.requests).toEqual({ BatchGetItem: 1 });
  });

  it('never resets a published event to owed when it is recorded again', async () => {
    // Prepare
    const { store, tableName } = await freshStore();
    await store.recordEvents([auditRecord('e1')]);
    await store.markPublished([{ eventId: 'e1', publishedAt: '2026-05-01T10:00:05.000Z', messageId: 'm-1' }]);

    // Act
    await store.recordEvents([auditRecord('e1', { summary: 'a second detection' })]);

    // Assess
    expect(await store.listOwedEvents()).toEqual([]);
    const item = await rawItem(tableName, 'EVENT#e1', 'EVENT');
    expect(item?.publishedAt).toEqual({ S: '2026-05-01T10:00:05.000Z' });
    expect(item?.summary?.S).not.toBe('a second detection');
    expect(item?.owedPk).toBeUndefined();
  });

  it('records an event given twice in one call once', async () => {
    // Prepare
    const { store } = await freshStore();

    // Act
    const result = await store.recordEvents([auditRecord('e1'), auditRecord('e1')]);

    // Assess
    expect(result).toEqual({ recorded: ['e1'], existing: [] });
  });

  it('round-trips an audit record with every field', async () => {
    // Prepare
    const { store } = await freshStore();
    const record = auditRecord('e1', {
      eventType: 'BATCH_COMPLETED',
      severity: 'critical',
      batchId: 'batch-1',
      before: null,
      after: { statusName: 'FINISHED', expirationHours: 48, downloaded: false },
      details: { members: [{ jobId: 'job-1', statusName: 'FINISHED' }], thresholdMinutes: 15, empty: '' },
      publishAttempts: 0,
    });

    // Act
    await store.recordEvents([record]);
    const [stored] = await store.queryAudit({ jobId: 'job-1' });

    // Assess
    expect(stored).toEqual(record);
  });

  it('sets the TTL attribute to detectedAt plus the retention days, in epoch seconds', async () => {
    // Prepare
    const { store, tableName } = await freshStore({ retentionDays: 30 });

    // Act
    await store.recordEvents([auditRecord('e1', { detectedAt: '2026-05-01T10:00:00.000Z' })]);

    // Assess
    const item = await rawItem(tableName, 'EVENT#e1', 'EVENT');
    const expected = Date.parse('2026-05-01T10:00:00.000Z') / 1000 + 30 * 86_400;
    expect(item?.ttl).toEqual({ N: String(expected) });
  });

  it('defaults the retention to 400 days', async () => {
    // Prepare
    const { store, tableName } = await freshStore();

    // Act
    await store.recordEvents([auditRecord('e1', { detectedAt: '2026-05-01T00:00:00.000Z' })]);

    // Assess
    const item = await rawItem(tableName, 'EVENT#e1', 'EVENT');
    expect(Number(item?.ttl?.N)).toBe(Date.parse('2026-05-01T00:00:00.000Z') / 1000 + 400 * 86_400);
  });
});

describe('DynamoStateStore owed events', () => {
  it('lists owed events oldest first, without suppressed or published ones', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.recordEvents([
      auditRecord('late', { detectedAt: '2026-05-01T10:05:00.000Z' }),
      auditRecord('early', { detectedAt: '2026-05-01T10:01:00.000Z' }),
      auditRecord('quiet', { detectedAt: '2026-05-01T10:00:00.000Z', suppressed: true }),
      auditRecord('done', {
        detectedAt: '2026-05-01T10:00:00.000Z',
        publishedAt: '2026-05-01T10:00:01.000Z',
      }),
    ]);

    // Act
    const owed = await store.listOwedEvents();

    // Assess
    expect(owed.map((record) => record.eventId)).toEqual(['early', 'late']);
  });

  it('returns at most `limit` owed events, following pages', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.recordEvents(
      Array.from({ length: 30 }, (_, i) =>
        auditRecord(`e${String(i).padStart(2, '0')}`, {
          detectedAt: `2026-05-01T10:${String(i).padStart(2, '0')}:00.000Z`,
        }),
      ),
    );

    // Act
    const owed = await store.listOwedEvents(5);

    // Assess
    expect(owed.map((record) => record.eventId)).toEqual(['e00', 'e01', 'e02', 'e03', 'e04']);
  });

  it('takes an event off the owed index when it is marked published', async () => {
    // Prepare
    const { store, tableName } = await freshStore();
    await store.recordEvents([auditRecord('e1'), auditRecord('e2')]);

    // Act
    await store.markPublished([{ eventId: 'e1', publishedAt: '2026-05-01T10:00:05.000Z', messageId: 'm-1' }]);

    // Assess
    expect((await store.listOwedEvents()).map((record) => record.eventId)).toEqual(['e2']);
    const [published] = await store
      .queryAudit({ projectId: PROJECT, clusterId: CLUSTER, jobId: 'job-1', limit: 10 })
      .then((records) => records.filter((record) => record.eventId === 'e1'));
    expect(published).toMatchObject({ publishedAt: '2026-05-01T10:00:05.000Z', snsMessageId: 'm-1' });
    const item = await rawItem(tableName, 'EVENT#e1', 'EVENT');
    expect(item?.owedPk).toBeUndefined();
    expect(item?.owedSk).toBeUndefined();
  });

  it('writes published records back whole in batches when given them, with no single updates', async () => {
    // Prepare
    const { store, tableName } = await freshStore();
    const records = Array.from({ length: 30 }, (_, i) => auditRecord(`b${String(i).padStart(2, '0')}`));
    await store.recordEvents(records);
    const owed = await store.listOwedEvents();
    const before = { ...store.stats.requests };

    // Act
    await store.markPublished(
      owed.map((record, i) => ({
        eventId: record.eventId,
        publishedAt: '2026-05-01T10:00:05.000Z',
        messageId: `m-${i}`,
        record,
      })),
    );

    // Assess
    expect((store.stats.requests.BatchWriteItem ?? 0) - (before.BatchWriteItem ?? 0)).toBe(2);
    expect((store.stats.requests.UpdateItem ?? 0) - (before.UpdateItem ?? 0)).toBe(0);
    expect(await store.listOwedEvents()).toEqual([]);
    const item = await rawItem(tableName, 'EVENT#b07', 'EVENT');
    expect(item?.publishedAt).toEqual({ S: '2026-05-01T10:00:05.000Z' });
    expect(item?.snsMessageId).toEqual({ S: 'm-7' });
    expect(item?.owedPk).toBeUndefined();
    expect(item?.ttl).toBeDefined();
    expect(item?.gsi1pk).toBeDefined();
  });

  it('takes a record that SNS rejected for good off the owed index when told to abandon it', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.recordEvents([auditRecord('bad'), auditRecord('good')]);

    // Act
    await store.markPublishFailed([
      { eventId: 'bad', error: 'InvalidParameter', at: '2026-05-01T10:00:05.000Z', abandon: true },
    ]);

    // Assess
    expect((await store.listOwedEvents()).map((record) => record.eventId)).toEqual(['good']);
    const [bad] = (await store.queryAudit({ projectId: PROJECT, clusterId: CLUSTER, limit: 10 })).filter(
      (record) => record.eventId === 'bad',
    );
    expect(bad).toMatchObject({ abandonedAt: '2026-05-01T10:00:05.000Z', publishAttempts: 1, rejections: 1 });
    expect(bad?.publishedAt).toBeUndefined();
  });

  it('keeps a failed event owed and counts the attempts', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.recordEvents([auditRecord('e1')]);

    // Act
    await store.markPublishFailed([{ eventId: 'e1', error: 'SNS said no', at: '2026-05-01T10:00:05.000Z' }]);
    await store.markPublishFailed([
      { eventId: 'e1', error: 'SNS said no again', at: '2026-05-01T10:05:05.000Z' },
    ]);

    // Assess
    const [owed] = await store.listOwedEvents();
    expect(owed).toMatchObject({ eventId: 'e1', publishAttempts: 2, lastPublishError: 'SNS said no again' });
  });

  it('truncates a long publish error and scrubs download links from it', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.recordEvents([auditRecord('e1')]);
    const link = 'https://api-backup.mongodb.com/backup/restore/v2/pull/SENTINEL-LINK-TOKEN/file.tar.gz';

    // Act
    await store.markPublishFailed([
      { eventId: 'e1', error: `rejected ${link} ${'x'.repeat(2_000)}`, at: '2026-05-01T10:00:05.000Z' },
    ]);

    // Assess
    const [owed] = await store.listOwedEvents();
    expect(owed?.lastPublishError?.length).toBeLessThanOrEqual(500);
    expect(owed?.lastPublishError).not.toContain('SENTINEL-LINK-TOKEN');
  });

  it('ignores publish bookkeeping for events that are not recorded', async () => {
    // Prepare
    const { store } = await freshStore();

    // Act
    await store.markPublished([
      { eventId: 'ghost', publishedAt: '2026-05-01T10:00:00.000Z', messageId: 'm' },
    ]);
    await store.markPublishFailed([{ eventId: 'ghost', error: 'x', at: '2026-05-01T10:00:00.000Z' }]);

    // Assess
    expect(await store.queryAudit({ jobId: 'job-1' })).toEqual([]);
    expect(store.stats.requests.UpdateItem).toBe(2);
  });

  it('does not count a failure against an event published meanwhile', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.recordEvents([auditRecord('e1')]);
    await store.markPublished([{ eventId: 'e1', publishedAt: '2026-05-01T10:00:05.000Z', messageId: 'm-1' }]);

    // Act
    await store.markPublishFailed([{ eventId: 'e1', error: 'late failure', at: '2026-05-01T10:00:06.000Z' }]);

    // Assess
    const [record] = await store.queryAudit({ jobId: 'job-1' });
    expect(record).toMatchObject({ publishAttempts: 0, publishedAt: '2026-05-01T10:00:05.000Z' });
    expect(record?.lastPublishError).toBeUndefined();
  });
});

describe('DynamoStateStore audit queries', () => {
  const at = (minute: number) => `2026-05-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

  async function storeWithHistory() {
    const fresh = await freshStore();
    await fresh.store.saveTargetStates([
      targetState(),
      targetState({ clusterId: OTHER_CLUSTER, name: 'billing' }),
    ]);
    const records: AuditRecord[] = [
      auditRecord('a1', { detectedAt: at(1), jobId: 'job-a' }),
      auditRecord('a3', { detectedAt: at(3), jobId: 'job-a' }),
      auditRecord('b2', { detectedAt: at(2), jobId: 'job-b' }),
      auditRecord('t4', { detectedAt: at(4), jobId: undefined, eventType: 'TARGET_FAILING' }),
      auditRecord('o5', {
        detectedAt: at(5),
        clusterId: OTHER_CLUSTER,
        jobId: 'job-o',
        targetName: 'billing',
      }),
    ];
    await fresh.store.recordEvents(records);
    return fresh;
  }

  it('returns the events of one target newest first', async () => {
    // Prepare
    const { store } = await storeWithHistory();

    // Act
    const records = await store.queryAudit({ projectId: PROJECT, clusterId: CLUSTER });

    // Assess
    expect(records.map((record) => record.eventId)).toEqual(['t4', 'a3', 'b2', 'a1']);
  });

  it('returns only events detected at or after `since`', async () => {
    // Prepare
    const { store } = await storeWithHistory();

    // Act
    const records = await store.queryAudit({
      projectId: PROJECT,
      clusterId: CLUSTER,
      since: '2026-05-01T10:02:00Z',
    });

    // Assess
    expect(records.map((record) => record.eventId)).toEqual(['t4', 'a3', 'b2']);
  });

  it('returns the events of one job newest first', async () => {
    // Prepare
    const { store } = await storeWithHistory();

    // Act
    const records = await store.queryAudit({ jobId: 'job-a' });

    // Assess
    expect(records.map((record) => record.eventId)).toEqual(['a3', 'a1']);
  });

  it('merges the events of every known target newest first, up to the limit', async () => {
    // Prepare
    const { store } = await storeWithHistory();

    // Act
    const all = await store.queryAudit({});
    const newestThree = await store.queryAudit({ limit: 3 });

    // Assess
    expect(all.map((record) => record.eventId)).toEqual(['o5', 't4', 'a3', 'b2', 'a1']);
    expect(newestThree.map((record) => record.eventId)).toEqual(['o5', 't4', 'a3']);
  });

  it('filters a job query by target when both are given', async () => {
    // Prepare
    const { store } = await storeWithHistory();

    // Act
    const records = await store.queryAudit({ jobId: 'job-o', projectId: PROJECT, clusterId: CLUSTER });

    // Assess
    expect(records).toEqual([]);
  });

  it('rejects a `since` that is not a date', async () => {
    // Prepare
    const { store } = await freshStore();

    // Act
    const failure = await store.queryAudit({ since: 'yesterday' }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StateStoreError);
    expect((failure as Error).message).toContain('ISO date-time');
  });
});

describe('DynamoStateStore period reads (the report)', () => {
  const day = (d: number) => `2026-05-${String(d).padStart(2, '0')}T10:00:00.000Z`;
  const PERIOD = { since: day(10), until: day(20) };

  async function storeWithPeriod() {
    const fresh = await freshStore();
    await fresh.store.saveTargetStates([targetState(), targetState({ clusterId: OTHER_CLUSTER })]);
    await fresh.store.recordEvents([
      auditRecord('before', { detectedAt: day(9) }),
      auditRecord('first', { detectedAt: day(10) }),
      auditRecord('second', { detectedAt: day(15) }),
      auditRecord('at-until', { detectedAt: day(20) }),
      auditRecord('other-target', { detectedAt: day(15), clusterId: OTHER_CLUSTER }),
    ]);
    const requested = (jobId: string, created: string | undefined, firstSeenAt = day(1)) => {
      const state = jobState(jobId, { firstSeenAt });
      if (created === undefined) delete state.snapshot.created;
      else state.snapshot.created = created;
      return state;
    };
    await fresh.store.saveJobStates({ projectId: PROJECT, clusterId: CLUSTER }, [
      requested('job-old', day(9)),
      requested('job-in', '2026-05-12T08:00:00Z'),
      requested('job-no-created', undefined, day(11)),
      requested('job-late', day(20)),
    ]);
    return fresh;
  }

  it('returns the events detected and the jobs requested in [since, until), oldest first', async () => {
    // Prepare
    const { store } = await storeWithPeriod();

    // Act
    const period = await store.readPeriod({ projectId: PROJECT, clusterId: CLUSTER }, PERIOD);

    // Assess
    expect(period.events.map((record) => record.eventId)).toEqual(['first', 'second']);
    expect(period.jobs.map((state) => state.snapshot.jobId)).toEqual(['job-no-created', 'job-in']);
    const saved = jobState('job-in', { firstSeenAt: day(1) });
    saved.snapshot.created = '2026-05-12T08:00:00Z';
    expect(period.jobs[1]).toEqual(saved);
  });

  it('reads the period with two Queries and no Scan, whatever else the table holds', async () => {
    // Prepare
    const { store } = await storeWithPeriod();
    const before = { ...store.stats.requests };

    // Act
    await store.readPeriod({ projectId: PROJECT, clusterId: CLUSTER }, PERIOD);

    // Assess
    expect((store.stats.requests.Query ?? 0) - (before.Query ?? 0)).toBe(2);
    expect(store.stats.requests.Scan).toBeUndefined();
  });

  it('rejects a period that ends before it starts', async () => {
    // Prepare
    const { store } = await freshStore();

    // Act
    const failure = await store
      .readPeriod({ projectId: PROJECT, clusterId: CLUSTER }, { since: day(20), until: day(10) })
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StateStoreError);
    expect((failure as Error).message).toContain('since <= until');
  });

  it('indexes job states written without the request-time keys, once, and leaves them intact', async () => {
    // Prepare: a job state as an earlier version wrote it (no gsi1 keys).
    const { store, tableName } = await freshStore();
    await store.saveTargetStates([targetState()]);
    const legacy = jobState('job-legacy', { downloadObserved: { by: day(13) } });
    legacy.snapshot.created = day(12);
    await store.saveJobStates({ projectId: PROJECT, clusterId: CLUSTER }, [legacy]);
    await dynamo.client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: `TARGET#${PROJECT}#${CLUSTER}` }, sk: { S: 'JOB#job-legacy' } },
        UpdateExpression: 'REMOVE gsi1pk, gsi1sk',
      }),
    );
    const unseen = await store.readPeriod({ projectId: PROJECT, clusterId: CLUSTER }, PERIOD);

    // Act
    const first = await store.indexJobStates();
    const second = await store.indexJobStates();

    // Assess
    expect(unseen.jobs).toEqual([]);
    expect(first).toEqual({ jobStates: 1, indexed: 1 });
    expect(second).toEqual({ jobStates: 1, indexed: 0 });
    const period = await store.readPeriod({ projectId: PROJECT, clusterId: CLUSTER }, PERIOD);
    expect(period.jobs).toEqual([legacy]);
  });
});

describe('DynamoStateStore secret hygiene', () => {
  it('never stores download URLs or auth values, even when handed them', async () => {
    // Prepare
    const { store, tableName } = await freshStore();
    const sentinels = [
      'SENTINEL-URL-7f3a',
      'SENTINEL-AUTH-91bc',
      'SENTINEL-URLV2-55de',
      'SENTINEL-TOKEN-0a0a',
    ];
    const leakyJob = jobState('job-1');
    (leakyJob.snapshot as unknown as Record<string, unknown>).url =
      `https://x/backup/restore/${sentinels[0]}`;
    (leakyJob as unknown as Record<string, unknown>).delivery = {
      authValue: sentinels[1],
      urlV2: sentinels[2],
    };
    const leakyRecord = auditRecord('e1', {
      after: { statusName: 'FINISHED', url: sentinels[0] } as unknown as AuditRecord['after'],
      details: {
        delivery: { authValue: sentinels[1], urlV2: sentinels[2] },
        nested: [{ token: sentinels[3] }],
      },
    });
    const leakyTarget = targetState({
      lastError: { name: 'X', message: 'boom', at: '2026-05-01T10:00:00.000Z' },
    });
    (leakyTarget as unknown as Record<string, unknown>).authValue = sentinels[1];

    // Act
    await store.saveJobStates({ projectId: PROJECT, clusterId: CLUSTER }, [leakyJob as JobState]);
    await store.recordEvents([leakyRecord]);
    await store.saveTargetStates([leakyTarget]);

    // Assess
    const scan = await dynamo.client.send(new ScanCommand({ TableName: tableName }));
    const everything = JSON.stringify(scan.Items);
    expect(scan.Items).toHaveLength(3);
    for (const sentinel of sentinels) expect(everything).not.toContain(sentinel);
    expect(everything).toContain('[redacted]');
  });
});

describe('DynamoStateStore failures', () => {
  it('explains a missing table with its name and how to create it', async () => {
    // Prepare
    const store = new DynamoStateStore({ client: dynamo.client, tableName: 'no-such-table', sleep: noSleep });

    // Act
    const failure = await store
      .loadJobStates({ projectId: PROJECT, clusterId: CLUSTER })
      .catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(StateStoreError);
    expect(failure).toMatchObject({
      name: 'StateStoreError',
      operation: 'loadJobStates',
      tableName: 'no-such-table',
      errorCode: 'ResourceNotFoundException',
    });
    const message = (failure as Error).message;
    expect(message).toContain('"no-such-table"');
    expect(message).toContain('restore-watch init');
    expect(message).toContain('stack');
    expect(message).toContain('region local');
    expect((failure as Error).cause).toBeDefined();
  });

  it('explains an unreachable endpoint', async () => {
    // Prepare
    const client = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const store = new DynamoStateStore({ client, tableName: 'state', sleep: noSleep });

    // Act
    const failure = await store.listTargetStates().catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(StateStoreError);
    expect((failure as Error).message).toMatch(/Could not reach DynamoDB at http:\/\/127\.0\.0\.1:9/);
    client.destroy();
  });
});
