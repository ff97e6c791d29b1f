/**
 * `StateStore` on one DynamoDB table (layout: `functions/core/table-schema.ts`).
 *
 * No transactions (dynalite has none, and none are needed): state items are whole-item overwrites by
 * the single run that holds the lease, audit items are keyed by their deterministic event id so that
 * recording twice is a no-op, and publish bookkeeping uses conditional updates. Batches are chunked to
 * the API limits (25 writes, 100 reads) and unprocessed items are retried with exponential backoff and
 * jitter a bounded number of times; what still fails raises `StateStoreError`, never a silent drop.
 *
 * Throttling and network errors of single requests are retried by the SDK's own retry strategy
 * (standard mode, `maxAttempts` of the client: 3 by default; raise it on the client for busy tables).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../../core/concurrency.ts';
import { isOwed, owedTo, withDelivery } from '../../core/delivery.ts';
import type { Incident } from '../../core/incident-state.ts';
import type { JobDigest } from '../../core/job-digest.ts';
import type {
  AuditQuery,
  OwedFilter,
  PeriodRecords,
  PublishedMark,
  PublishFailure,
  ReportPeriod,
  RunState,
  StateStore,
  TargetRef,
} from '../../core/ports.ts';
import { scrubText } from '../../core/redact.ts';
import type { Silence } from '../../core/silences.ts';
import { sleep } from '../../core/sleep.ts';
import { DEFAULT_AUDIT_RETENTION_DAYS, TABLE_SCHEMA } from '../../core/table-schema.ts';
import type { AuditRecord, Channel, JobState, TargetState } from '../../core/types.ts';
import { targetKey } from '../../core/types.ts';
import { BatchGetCoalescer } from './batch-get-coalescer.ts';
import {
  clientWhereabouts,
  isConditionalCheckFailed,
  StateStoreError,
  toStateStoreError,
} from './state-store-error.ts';
import {
  auditRecordToItem,
  canonicalTime,
  eventKey,
  eventSortKey,
  FIRST_EVENT_SORT_KEY,
  type Item,
  type ItemKey,
  incidentToItem,
  itemToAuditRecord,
  itemToIncident,
  itemToJobDigest,
  itemToJobState,
  itemToSilence,
  itemToTargetState,
  JOB_SORT_PREFIX,
  jobDigestKey,
  jobDigestToItem,
  jobPartition,
  jobRequestSortKey,
  jobStateKey,
  jobStateToItem,
  jobsByRequestPartition,
  OWED_PARTITION,
  silenceKey,
  silenceToItem,
  TARGETS_PARTITION,
  targetPartition,
  targetStateKey,
  targetStateToItem,
} from './table-items.ts';

/** BatchWriteItem accepts at most 25 requests, BatchGetItem at most 100 keys. */
export const BATCH_WRITE_LIMIT = 25;
export const BATCH_GET_LIMIT = 100;
/** Rounds per batch chunk (first try included) before unprocessed items become an error. */
export const DEFAULT_BATCH_MAX_ATTEMPTS = 8;
/** `queryAudit` without a limit returns at most this many records. */
export const DEFAULT_AUDIT_QUERY_LIMIT = 100;
/** Longest audit `lastPublishError` kept; SNS errors can carry whole response bodies. */
export const MAX_PUBLISH_ERROR_LENGTH = 500;

/** A batch call fails as a whole at its first failed request: no new request starts after it. */
const STOP_ON_ERROR = { stopOnError: true } as const;
/** Backoff of batch retries: 50 ms doubling up to 2 s, "equal jitter" (half fixed, half random). */
const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 2_000;
/** Parallel batch requests: enough to hide latency in Lambda, few enough not to self-throttle. */
const BATCH_CONCURRENCY = 4;
/** Parallel single-item updates (publish bookkeeping). */
const UPDATE_CONCURRENCY = 8;
/**
 * How long a read of job digests or job states by key waits for others to share its BatchGetItem:
 * short next to a Cloud Manager page (tens to hundreds of ms), long enough for the diffs of a change
 * storm, which finish their listings close together, to meet.
 */
const KEY_READ_WINDOW_MS = 5;

export interface DynamoStateStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Days audit items are kept (sets their `ttl` attribute). @default DEFAULT_AUDIT_RETENTION_DAYS */
  retentionDays?: number;
  /** Rounds per batch chunk while DynamoDB returns unprocessed items. @default DEFAULT_BATCH_MAX_ATTEMPTS */
  maxAttempts?: number;
  /** Waits between batch rounds; tests pass a recorder instead of really waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

export interface DynamoStateStoreStats {
  /** DynamoDB requests sent by this store, by API operation (`BatchGetItem: 3`); SDK-internal retries not included. */
  requests: Record<string, number>;
  /** Batch requests that re-sent unprocessed items/keys (also counted in `requests`). */
  unprocessedRetries: number;
}

export class DynamoStateStore implements StateStore {
  readonly stats: DynamoStateStoreStats = { requests: {}, unprocessedRetries: 0 };
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly doc: DynamoDBDocumentClient;
  private readonly retentionDays: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** Digest and job-state reads by key, shared between the targets diffed at the same moment. */
  private readonly keyReads = new BatchGetCoalescer(
    (keys) => this.batchGet('readJobItems', keys),
    KEY_READ_WINDOW_MS,
  );

  constructor(options: DynamoStateStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionDays = options.retentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_BATCH_MAX_ATTEMPTS);
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
    this.random = options.random ?? Math.random;
    // The DocumentClient shares the middleware stack and config of `client`; we still prune undefined
    // values ourselves (table-items.ts) so that another DocumentClient's settings cannot break writes.
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async getTargetStates(targets: readonly TargetRef[]): Promise<Map<string, TargetState>> {
    const keys = uniqueBy(targets, targetKey).map((target) => targetStateKey(target));
    const items = await this.batchGet('getTargetStates', keys);
    const states = new Map<string, TargetState>();
    for (const item of items) {
      const state = itemToTargetState(item);
      states.set(targetKey(state), state);
    }
    return states;
  }

  /** Reads the gsi1 `TARGETS` partition: like every GSI read, eventually consistent (fine for `status`). */
  async listTargetStates(): Promise<TargetState[]> {
    const index = TABLE_SCHEMA.indexes.byTarget;
    const items = await this.queryAll('listTargetStates', {
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': TARGETS_PARTITION },
    });
    return items.map(itemToTargetState);
  }

  async loadJobStates(target: TargetRef, jobIds?: readonly string[]): Promise<Map<string, JobState>> {
    const items =
      jobIds === undefined ? await this.queryJobStates(target) : await this.jobStatesById(target, jobIds);
    const states = new Map<string, JobState>();
    for (const item of items) {
      const state = itemToJobState(item);
      states.set(state.snapshot.jobId, state);
    }
    return states;
  }

  /** Consistent, like the job states it describes: a poll diffs against what the previous run wrote. */
  async loadJobDigest(target: TargetRef): Promise<JobDigest | undefined> {
    const [item] = await this.keyReads.get([jobDigestKey(target)]);
    return item ? itemToJobDigest(item) : undefined;
  }

  private async jobStatesById(target: TargetRef, jobIds: readonly string[]): Promise<Item[]> {
    return this.keyReads.get([...new Set(jobIds)].map((jobId) => jobStateKey(target, jobId)));
  }

  private async queryJobStates(target: TargetRef): Promise<Item[]> {
    return this.queryAll('loadJobStates', {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.partitionKey, '#sk': TABLE_SCHEMA.sortKey },
      ExpressionAttributeValues: { ':pk': targetPartition(target), ':prefix': JOB_SORT_PREFIX },
      // The poll diffs against this: read what the previous run wrote, not a stale replica.
      ConsistentRead: true,
    });
  }

  async saveJobStates(target: TargetRef, states: readonly JobState[], digest?: JobDigest): Promise<void> {
    // BatchWriteItem rejects two requests for one key: the last state given for a job wins.
    const latest = lastBy(states, (state) => state.snapshot.jobId);
    const digestItem = digest ? jobDigestToItem(target, digest) : undefined;
    await this.batchWrite('saveJobStates', [
      ...latest.map((state) => jobStateToItem(target, state)),
      // Last: a batch cut short by a failure leaves the previous digest, which the target's
      // fingerprint still matches (the target state is saved after every job state).
      ...(digestItem ? [digestItem] : []),
    ]);
  }

  async saveTargetStates(states: readonly TargetState[]): Promise<void> {
    const latest = lastBy(states, targetKey);
    await this.batchWrite('saveTargetStates', latest.map(targetStateToItem));
  }

  /**
   * Reads which ids are stored, then writes only the others, so an event that is stored (owed or
   * published) is never overwritten and never owed again. The read and the write are not atomic: two
   * runs recording the same new event at the same moment would both write the same owed record, which
   * is harmless; the run lease keeps even that from happening.
   */
  async recordEvents(records: readonly AuditRecord[]): Promise<{ recorded: string[]; existing: string[] }> {
    const unique = uniqueBy(records, (record) => record.eventId);
    if (unique.length === 0) return { recorded: [], existing: [] };
    const stored = await this.batchGet(
      'recordEvents',
      unique.map((record) => eventKey(record.eventId)),
      ['pk'],
    );
    const storedKeys = new Set(stored.map((item) => String(item[TABLE_SCHEMA.partitionKey])));
    const fresh: AuditRecord[] = [];
    const existing: string[] = [];
    for (const record of unique) {
      if (storedKeys.has(eventKey(record.eventId).pk)) existing.push(record.eventId);
      else fresh.push(record);
    }
    await this.batchWrite(
      'recordEvents',
      fresh.map((record) => auditRecordToItem(record, this.retentionDays)),
    );
    return { recorded: fresh.map((record) => record.eventId), existing };
  }

  /**
   * Oldest first, from the sparse owed index (its events part: incidents and silences sort before
   * it). GSI reads are eventually consistent: an event recorded a moment ago may appear on the next
   * call, and one marked published a moment ago may still be listed; runs are minutes apart, so in
   * practice neither happens.
   */
  async listOwedEvents(limit?: number, channel?: Channel, keep?: OwedFilter): Promise<AuditRecord[]> {
    if (limit !== undefined && limit <= 0) return [];
    const index = TABLE_SCHEMA.indexes.owed;
    const input: Omit<QueryCommandInput, 'TableName'> = {
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk AND #sk >= :first',
      ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
      ExpressionAttributeValues: { ':pk': OWED_PARTITION, ':first': FIRST_EVENT_SORT_KEY },
      ScanIndexForward: true,
    };
    if (channel === undefined && keep === undefined)
      return (await this.queryAll('listOwedEvents', input, limit)).map(itemToAuditRecord);
    // Owed to this channel (and kept): page on past events only the other channel still waits for,
    // and past those `keep` refuses (another shard's).
    const wanted = (record: AuditRecord) =>
      (channel === undefined || owedTo(record, channel)) && (keep === undefined || keep(record));
    const out: AuditRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.send('Query', 'listOwedEvents', (doc) =>
        doc.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey })),
      );
      for (const item of page.Items ?? []) {
        const record = itemToAuditRecord(item);
        if (wanted(record)) out.push(record);
        if (limit !== undefined && out.length >= limit) return out;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  /**
   * One query of the owed index, ascending: every incident and silence (they sort first), then the
   * oldest owed events (those `keep` accepts), paging on only while fewer than `owedLimit` events
   * were kept. A quiet run (no more than a page of all three) costs one request.
   */
  async readRunState(owedLimit: number, keep?: OwedFilter): Promise<RunState> {
    const index = TABLE_SCHEMA.indexes.owed;
    const state: RunState = { owed: [], incidents: [], silences: [] };
    let startKey: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.send('Query', 'readRunState', (doc) =>
        doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index.name,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': index.partitionKey },
            ExpressionAttributeValues: { ':pk': OWED_PARTITION },
            ScanIndexForward: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        if (item.itemType === 'incident') state.incidents.push(itemToIncident(item));
        else if (item.itemType === 'silence') state.silences.push(itemToSilence(item));
        else if (state.owed.length < owedLimit) {
          const record = itemToAuditRecord(item);
          if (keep === undefined || keep(record)) state.owed.push(record);
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && state.owed.length < owedLimit);
    return state;
  }

  /**
   * Updates that carry the record as read from the owed index are written back whole with
   * BatchWriteItem (25 per request): a change storm marks thousands of alerts, and conditional
   * updates cannot be batched. That is safe because only the lease holder publishes and marks, and
   * it just read those records. The marks of every channel for one event are merged into one write, so
   * one channel's mark never overwrites another's. Updates without a record fall back to one
   * conditional update per mark, and a second one that takes the event out of the owed index once no
   * channel waits for it.
   */
  async markPublished(updates: ReadonlyArray<PublishedMark>): Promise<void> {
    const withRecord = new Map<string, AuditRecord>();
    const single: PublishedMark[] = [];
    for (const update of updates) {
      if (update.record?.eventId !== update.eventId) {
        single.push(update);
        continue;
      }
      const base = withRecord.get(update.eventId) ?? update.record;
      withRecord.set(update.eventId, withDelivery(base, update));
    }
    if (withRecord.size > 0) {
      await this.batchWrite(
        'markPublished',
        [...withRecord.values()].map((record) => auditRecordToItem(record, this.retentionDays)),
      );
    }
    await mapWithConcurrency(
      single,
      UPDATE_CONCURRENCY,
      async (update) => {
        const sns = (update.channel ?? 'sns') === 'sns';
        const updated = await this.conditionalUpdate('markPublished', {
          Key: eventKey(update.eventId),
          UpdateExpression: sns
            ? 'SET #publishedAt = :publishedAt, #messageId = :messageId'
            : 'SET #pd.#deliveredAt = :publishedAt, #pd.#reference = :messageId',
          ConditionExpression: sns
            ? 'attribute_exists(#pk)'
            : 'attribute_exists(#pk) AND attribute_exists(#pd)',
          ExpressionAttributeNames: {
            '#pk': TABLE_SCHEMA.partitionKey,
            ...(sns
              ? { '#publishedAt': 'publishedAt', '#messageId': 'snsMessageId' }
              : { '#pd': 'pagerduty', '#deliveredAt': 'deliveredAt', '#reference': 'reference' }),
          },
          ExpressionAttributeValues: { ':publishedAt': update.publishedAt, ':messageId': update.messageId },
        });
        if (updated && !isOwed(itemToAuditRecord(updated))) {
          await this.unindexIfSettled('markPublished', update.eventId);
        }
      },
      STOP_ON_ERROR,
    );
  }

  /** Counts the failure and keeps the event owed; ignored for a channel that delivered it meanwhile. */
  async markPublishFailed(updates: ReadonlyArray<PublishFailure>): Promise<void> {
    await mapWithConcurrency(
      updates,
      UPDATE_CONCURRENCY,
      async (update) => {
        // An abandoned record stops being owed to that channel (so it cannot block newer alerts) but
        // keeps its error and counts: the audit trail shows it as rejected, never as sent.
        const abandon = update.abandon === true;
        const rejected = update.rejected === true || abandon;
        const sns = (update.channel ?? 'sns') === 'sns';
        // SNS keeps its historical top-level fields; PagerDuty's live under `pagerduty`.
        const at = (name: string) => (sns ? name : `#pd.${name}`);
        const updated = await this.conditionalUpdate('markPublishFailed', {
          Key: eventKey(update.eventId),
          UpdateExpression: [
            abandon
              ? `SET ${at('#error')} = :error, ${at('#abandonedAt')} = :at`
              : `SET ${at('#error')} = :error`,
            rejected
              ? `ADD ${at('#attempts')} :one, ${at('#rejections')} :one`
              : `ADD ${at('#attempts')} :one`,
          ].join(' '),
          ConditionExpression: sns
            ? 'attribute_exists(#pk) AND attribute_not_exists(#delivered)'
            : 'attribute_exists(#pk) AND attribute_exists(#pd) AND attribute_not_exists(#pd.#delivered)',
          ExpressionAttributeNames: {
            '#pk': TABLE_SCHEMA.partitionKey,
            ...(sns
              ? { '#delivered': 'publishedAt', '#error': 'lastPublishError', '#attempts': 'publishAttempts' }
              : {
                  '#pd': 'pagerduty',
                  '#delivered': 'deliveredAt',
                  '#error': 'lastError',
                  '#attempts': 'attempts',
                }),
            ...(rejected ? { '#rejections': 'rejections' } : {}),
            ...(abandon ? { '#abandonedAt': 'abandonedAt' } : {}),
          },
          ExpressionAttributeValues: {
            ':error': publishErrorText(update.error),
            ':one': 1,
            ...(abandon ? { ':at': update.at } : {}),
          },
        });
        if (abandon && updated && !isOwed(itemToAuditRecord(updated))) {
          await this.unindexIfSettled('markPublishFailed', update.eventId);
        }
      },
      STOP_ON_ERROR,
    );
  }

  async saveIncidents(incidents: readonly Incident[]): Promise<void> {
    const latest = lastBy(incidents, (incident) => incident.key);
    await this.batchWrite(
      'saveIncidents',
      latest.map((incident) => incidentToItem(incident, this.retentionDays)),
    );
  }

  async saveSilence(silence: Silence): Promise<void> {
    // Not `conditionalUpdate`: a taken id must fail loudly here, not pass as "nothing to do".
    await this.send('PutItem', 'saveSilence', (doc) =>
      doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: silenceToItem(silence),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.partitionKey },
        }),
      ),
    );
  }

  /** Reads the silence, then rewrites it ended (its TTL and index sort key follow the new end). */
  async expireSilence(silenceId: string, at: string, by: string): Promise<Silence | undefined> {
    const [item] = await this.batchGet('expireSilence', [silenceKey(silenceId)]);
    if (item?.itemType !== 'silence') return undefined;
    const silence = itemToSilence(item);
    const ended: Silence =
      Date.parse(silence.endsAt) <= Date.parse(at)
        ? silence
        : { ...silence, endsAt: at, expiredAt: at, expiredBy: by };
    await this.send('PutItem', 'expireSilence', (doc) =>
      doc.send(new PutCommand({ TableName: this.tableName, Item: silenceToItem(ended) })),
    );
    return ended;
  }

  /** Takes an event out of the owed index once no channel waits for it (a failed condition: one still does). */
  private async unindexIfSettled(operation: string, eventId: string): Promise<void> {
    const owed = TABLE_SCHEMA.indexes.owed;
    await this.conditionalUpdate(operation, {
      Key: eventKey(eventId),
      UpdateExpression: 'REMOVE #owedPk, #owedSk',
      // `owedTo` of functions/core/delivery.ts, for every channel, as a condition.
      ConditionExpression: [
        'attribute_exists(#pk) AND attribute_exists(#owedPk) AND (attribute_exists(#silenced) OR (',
        '(#suppressed = :true OR attribute_exists(#publishedAt) OR attribute_exists(#abandonedAt))',
        'AND (attribute_not_exists(#pd) OR attribute_exists(#pd.#deliveredAt) OR attribute_exists(#pd.#abandonedAt))',
        '))',
      ].join(' '),
      ExpressionAttributeNames: {
        '#pk': TABLE_SCHEMA.partitionKey,
        '#owedPk': owed.partitionKey,
        '#owedSk': owed.sortKey,
        '#silenced': 'silenced',
        '#suppressed': 'suppressed',
        '#publishedAt': 'publishedAt',
        '#abandonedAt': 'abandonedAt',
        '#pd': 'pagerduty',
        '#deliveredAt': 'deliveredAt',
      },
      ExpressionAttributeValues: { ':true': true },
    });
  }

  /**
   * Newest first. By job (gsi2), by target (gsi1), or across every known target (one query per target,
   * merged): events of a target that never had a target state saved are only found by target or job.
   */
  async queryAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const limit = Math.max(0, query.limit ?? DEFAULT_AUDIT_QUERY_LIMIT);
    if (limit === 0) return [];
    const since = query.since === undefined ? undefined : canonicalTime(query.since);
    if (since !== undefined && Number.isNaN(Date.parse(since))) {
      throw new StateStoreError(
        `queryAudit: "since" must be an ISO date-time such as 2026-05-01T00:00:00Z, got "${query.since}"`,
        { operation: 'queryAudit', tableName: this.tableName },
      );
    }
    const matches = (record: AuditRecord) =>
      (query.projectId === undefined || record.projectId === query.projectId) &&
      (query.clusterId === undefined || record.clusterId === query.clusterId);

    if (query.jobId !== undefined) {
      return this.queryEvents(TABLE_SCHEMA.indexes.byJob, jobPartition(query.jobId), since, limit, matches);
    }
    if (query.projectId !== undefined && query.clusterId !== undefined) {
      const partition = targetPartition({ projectId: query.projectId, clusterId: query.clusterId });
      return this.queryEvents(TABLE_SCHEMA.indexes.byTarget, partition, since, limit);
    }
    const targets = (await this.listTargetStates()).filter(
      (target) =>
        (query.projectId === undefined || target.projectId === query.projectId) &&
        (query.clusterId === undefined || target.clusterId === query.clusterId),
    );
    const perTarget = await mapWithConcurrency(
      targets,
      BATCH_CONCURRENCY,
      (target) => this.queryEvents(TABLE_SCHEMA.indexes.byTarget, targetPartition(target), since, limit),
      STOP_ON_ERROR,
    );
    return perTarget
      .flat()
      .sort((a, b) => compareDescending(eventSortKey(a), eventSortKey(b)))
      .slice(0, limit);
  }

  /**
   * Two key-range Queries on gsi1, run together: the target's events by detection time and its job
   * states by request time, each within [since, until). Sort keys are `{time}#{id}`, so `BETWEEN since
   * AND until` takes `since` itself and stops before `until`. Eventually consistent, like every GSI
   * read: a report is about the past.
   */
  async readPeriod(target: TargetRef, period: ReportPeriod): Promise<PeriodRecords> {
    const since = canonicalTime(period.since);
    const until = canonicalTime(period.until);
    if (Number.isNaN(Date.parse(since)) || Number.isNaN(Date.parse(until)) || since > until) {
      throw new StateStoreError(
        `readPeriod: the period must be two ISO date-times with since <= until, got "${period.since}" to "${period.until}"`,
        { operation: 'readPeriod', tableName: this.tableName },
      );
    }
    const index = TABLE_SCHEMA.indexes.byTarget;
    const range = (partition: string): Omit<QueryCommandInput, 'TableName'> => ({
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :since AND :until',
      ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
      ExpressionAttributeValues: { ':pk': partition, ':since': since, ':until': until },
      ScanIndexForward: true,
    });
    const [events, jobs] = await Promise.all([
      this.queryAll('readPeriod', range(targetPartition(target))),
      this.queryAll('readPeriod', range(jobsByRequestPartition(target))),
    ]);
    return { events: events.map(itemToAuditRecord), jobs: jobs.map(itemToJobState) };
  }

  /**
   * Migration for `restore-watch init`: gives the job states written before they were indexed by
   * request time (see `TABLE_SCHEMA`) their gsi1 keys. Each is one UpdateItem that only adds the two
   * key attributes, on condition they are still absent, so a poll running meanwhile loses nothing and
   * running it twice is harmless. Reads the job states of every known target once.
   */
  async indexJobStates(): Promise<{ jobStates: number; indexed: number }> {
    const index = TABLE_SCHEMA.indexes.byTarget;
    let jobStates = 0;
    const pending: Array<{ target: TargetRef; state: Pick<JobState, 'snapshot' | 'firstSeenAt'> }> = [];
    for (const target of await this.listTargetStates()) {
      const items = await this.queryAll('indexJobStates', {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ProjectionExpression: '#gsiPk, #snapshot.#jobId, #snapshot.#created, #firstSeenAt',
        ExpressionAttributeNames: {
          '#pk': TABLE_SCHEMA.partitionKey,
          '#sk': TABLE_SCHEMA.sortKey,
          '#gsiPk': index.partitionKey,
          '#snapshot': 'snapshot',
          '#jobId': 'jobId',
          '#created': 'created',
          '#firstSeenAt': 'firstSeenAt',
        },
        ExpressionAttributeValues: { ':pk': targetPartition(target), ':prefix': JOB_SORT_PREFIX },
      });
      jobStates += items.length;
      for (const item of items) {
        if (item[index.partitionKey] !== undefined) continue;
        pending.push({ target, state: item as unknown as Pick<JobState, 'snapshot' | 'firstSeenAt'> });
      }
    }
    const applied = await mapWithConcurrency(
      pending,
      UPDATE_CONCURRENCY,
      ({ target, state }) =>
        this.conditionalUpdate('indexJobStates', {
          Key: jobStateKey(target, state.snapshot.jobId),
          UpdateExpression: 'SET #gsiPk = :gsiPk, #gsiSk = :gsiSk',
          // Only whether it applied matters, not the item.
          ReturnValues: 'NONE',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#gsiPk)',
          ExpressionAttributeNames: {
            '#pk': TABLE_SCHEMA.partitionKey,
            '#gsiPk': index.partitionKey,
            '#gsiSk': index.sortKey,
          },
          ExpressionAttributeValues: {
            ':gsiPk': jobsByRequestPartition(target),
            ':gsiSk': jobRequestSortKey(state),
          },
        }),
      STOP_ON_ERROR,
    );
    return { jobStates, indexed: applied.filter((item) => item !== undefined).length };
  }

  private async queryEvents(
    index: { name: string; partitionKey: string; sortKey: string },
    partition: string,
    since: string | undefined,
    limit: number,
    keep?: (record: AuditRecord) => boolean,
  ): Promise<AuditRecord[]> {
    const input: Omit<QueryCommandInput, 'TableName'> = {
      IndexName: index.name,
      KeyConditionExpression: since === undefined ? '#pk = :pk' : '#pk = :pk AND #sk >= :since',
      ExpressionAttributeNames: {
        '#pk': index.partitionKey,
        ...(since === undefined ? {} : { '#sk': index.sortKey }),
      },
      ExpressionAttributeValues: { ':pk': partition, ...(since === undefined ? {} : { ':since': since }) },
      ScanIndexForward: false,
    };
    if (!keep) return (await this.queryAll('queryAudit', input, limit)).map(itemToAuditRecord);
    const out: AuditRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.send('Query', 'queryAudit', (doc) =>
        doc.send(
          new QueryCommand({
            ...input,
            TableName: this.tableName,
            Limit: Math.max(limit - out.length, BATCH_GET_LIMIT),
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const record = itemToAuditRecord(item);
        if (keep(record)) out.push(record);
        if (out.length >= limit) return out;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  /** Every item of a query (following `LastEvaluatedKey`), or the first `limit`. */
  private async queryAll(
    operation: string,
    input: Omit<QueryCommandInput, 'TableName'>,
    limit?: number,
  ): Promise<Item[]> {
    const out: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const remaining = limit === undefined ? undefined : limit - out.length;
      const page: QueryCommandOutput = await this.send('Query', operation, (doc) =>
        doc.send(
          new QueryCommand({
            ...input,
            TableName: this.tableName,
            Limit: remaining,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      out.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey && (limit === undefined || out.length < limit));
    return limit === undefined ? out : out.slice(0, limit);
  }

  /** Consistent BatchGetItem of any number of distinct keys; unprocessed keys are retried (bounded). */
  private async batchGet(
    operation: string,
    keys: readonly ItemKey[],
    attributes?: string[],
  ): Promise<Item[]> {
    const projection =
      attributes === undefined
        ? {}
        : {
            ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(', '),
            ExpressionAttributeNames: Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name])),
          };
    const results = await mapWithConcurrency(
      chunk(keys, BATCH_GET_LIMIT),
      BATCH_CONCURRENCY,
      async (keyChunk) => {
        const found: Item[] = [];
        let pending: Record<string, unknown>[] = keyChunk;
        for (let attempt = 1; ; attempt++) {
          if (attempt > 1) {
            this.stats.unprocessedRetries++;
            await this.sleep(this.backoff(attempt - 1));
          }
          const output: BatchGetCommandOutput = await this.send('BatchGetItem', operation, (doc) =>
            doc.send(
              new BatchGetCommand({
                RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true, ...projection } },
              }),
            ),
          );
          found.push(...(output.Responses?.[this.tableName] ?? []));
          pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
          if (pending.length === 0) return found;
          if (attempt >= this.maxAttempts)
            throw this.unprocessedError(operation, 'BatchGetItem', pending.length, keyChunk.length, attempt);
        }
      },
      STOP_ON_ERROR,
    );
    return results.flat();
  }

  /** BatchWriteItem (puts) of any number of distinct items; unprocessed items are retried (bounded). */
  private async batchWrite(operation: string, items: readonly Item[]): Promise<void> {
    await mapWithConcurrency(
      chunk(items, BATCH_WRITE_LIMIT),
      BATCH_CONCURRENCY,
      async (itemChunk) => {
        type WriteRequest = NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string][number];
        let pending: WriteRequest[] = itemChunk.map((item) => ({ PutRequest: { Item: item } }));
        for (let attempt = 1; ; attempt++) {
          if (attempt > 1) {
            this.stats.unprocessedRetries++;
            await this.sleep(this.backoff(attempt - 1));
          }
          const output: BatchWriteCommandOutput = await this.send('BatchWriteItem', operation, (doc) =>
            doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } })),
          );
          pending = output.UnprocessedItems?.[this.tableName] ?? [];
          if (pending.length === 0) return;
          if (attempt >= this.maxAttempts)
            throw this.unprocessedError(
              operation,
              'BatchWriteItem',
              pending.length,
              itemChunk.length,
              attempt,
            );
        }
      },
      STOP_ON_ERROR,
    );
  }

  /**
   * UpdateItem whose failed condition means "nothing to do" (record gone, already published, already
   * indexed): the item as updated, or undefined when the condition failed.
   */
  private async conditionalUpdate(
    operation: string,
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
  ): Promise<Item | undefined> {
    try {
      const output = await this.send('UpdateItem', operation, (doc) =>
        doc.send(new UpdateCommand({ ReturnValues: 'ALL_NEW', ...input, TableName: this.tableName })),
      );
      return output.Attributes ?? {};
    } catch (error) {
      if (error instanceof StateStoreError && isConditionalCheckFailed(error.cause)) return undefined;
      throw error;
    }
  }

  private unprocessedError(
    operation: string,
    api: string,
    left: number,
    total: number,
    attempts: number,
  ): StateStoreError {
    return new StateStoreError(
      `${operation}: DynamoDB still left ${left} of ${total} item(s) unprocessed after ${attempts} ${api} attempts ` +
        `on table "${this.tableName}". Nothing was dropped silently: the run failed so it is retried. ` +
        'If this persists, the table is throttled: check its capacity mode (on-demand is recommended) and account limits.',
      { operation, tableName: this.tableName, errorCode: 'UnprocessedItems' },
    );
  }

  private backoff(retry: number): number {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (retry - 1));
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  /** Runs one DynamoDB request: counts it under `api` and turns failures into `StateStoreError`. */
  private async send<T>(
    api: string,
    operation: string,
    request: (doc: DynamoDBDocumentClient) => Promise<T>,
  ): Promise<T> {
    this.stats.requests[api] = (this.stats.requests[api] ?? 0) + 1;
    try {
      return await request(this.doc);
    } catch (error) {
      throw toStateStoreError(error, operation, this.tableName, await clientWhereabouts(this.client));
    }
  }
}

function publishErrorText(error: string): string {
  const clean = scrubText(error);
  return clean.length <= MAX_PUBLISH_ERROR_LENGTH
    ? clean
    : `${clean.slice(0, MAX_PUBLISH_ERROR_LENGTH - 1)}…`;
}

function compareDescending(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** First occurrence of each key, in input order. */
function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Last occurrence of each key. */
function lastBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [key(item), item] as const)).values()];
}
