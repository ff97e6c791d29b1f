/**
 * How domain objects become items of the single state table and back (the layout is documented in
 * `functions/core/table-schema.ts`). Pure functions: no SDK, no clock.
 *
 * Domain fields are stored as top-level attributes next to the key attributes, so that an item reads
 * naturally in the console and in `aws dynamodb get-item`. `itemType` and `schemaVersion` let a later
 * release migrate items lazily. Every object passes through `redactSecrets` first: the core never puts
 * a download URL or an auth token into state or audit, and this is the second line of defence.
 */

import { isOwed } from '../../core/delivery.ts';
import type { Incident } from '../../core/incident-state.ts';
import { decodeJobDigest, encodeJobDigest, type JobDigest } from '../../core/job-digest.ts';
import { redactSecrets } from '../../core/redact.ts';
import { POLL_LEASE } from '../../core/shard.ts';
import type { Silence } from '../../core/silences.ts';
import { TABLE_SCHEMA } from '../../core/table-schema.ts';
import type { AuditRecord, JobState, TargetState } from '../../core/types.ts';

export const ITEM_SCHEMA_VERSION = 1;
export type ItemType = 'target' | 'job' | 'digest' | 'event' | 'lease' | 'incident' | 'silence';

/** A raw item as the DocumentClient returns it. */
export type Item = Record<string, unknown>;
export interface ItemKey {
  pk: string;
  sk: string;
  [attribute: string]: string;
}

const { partitionKey, sortKey, ttlAttribute, indexes } = TABLE_SCHEMA;

/** Attributes the table adds around a domain object; stripped again when reading. */
const STORAGE_ATTRIBUTES: ReadonlySet<string> = new Set([
  partitionKey,
  sortKey,
  ttlAttribute,
  indexes.byTarget.partitionKey,
  indexes.byTarget.sortKey,
  indexes.byJob.partitionKey,
  indexes.byJob.sortKey,
  indexes.owed.partitionKey,
  indexes.owed.sortKey,
  'itemType',
  'schemaVersion',
]);

export const TARGET_SORT_KEY = '#TARGET';
/** Sort key of a target's job digest, next to its job states (outside the `JOB#` prefix they are queried by). */
export const DIGEST_SORT_KEY = '#DIGEST';
/** The attribute holding the encoded digest (Binary). */
export const DIGEST_ATTRIBUTE = 'jobs';
export const JOB_SORT_PREFIX = 'JOB#';
export const EVENT_SORT_KEY = 'EVENT';
/** gsi1 partition holding one item per target state (`listTargetStates`). */
export const TARGETS_PARTITION = 'TARGETS';
/** Partition of the sparse `owed` index. */
export const OWED_PARTITION = 'OWED';
/**
 * Owed-index sort keys of incidents and silences start with `!`, which sorts before the digit every
 * event's `{detectedAt}#{eventId}` starts with: one query reads them first, then the oldest events.
 */
export const RUN_STATE_PREFIX = '!';
/** The first owed-index sort key after every incident and silence: events are at or after it. */
export const FIRST_EVENT_SORT_KEY = '"';
const INCIDENT_SORT_PREFIX = `${RUN_STATE_PREFIX}INCIDENT#`;
const SILENCE_SORT_PREFIX = `${RUN_STATE_PREFIX}SILENCE#`;
/** Ended silences stay readable this long (TTL): `silence list` and the audit can still name them. */
const SILENCE_KEEP_SECONDS = 7 * 86_400;
/** The run lease named `name` (one per shard): `LEASE#poll` unsharded, `LEASE#poll#2/4` for a shard. */
export function leaseKey(name: string = POLL_LEASE): ItemKey {
  return { [partitionKey]: `LEASE#${name}`, [sortKey]: 'LEASE' } as ItemKey;
}

export function targetPartition(target: { projectId: string; clusterId: string }): string {
  return `TARGET#${target.projectId}#${target.clusterId}`;
}

export function targetStateKey(target: { projectId: string; clusterId: string }): ItemKey {
  return { [partitionKey]: targetPartition(target), [sortKey]: TARGET_SORT_KEY } as ItemKey;
}

export function jobStateKey(target: { projectId: string; clusterId: string }, jobId: string): ItemKey {
  return { [partitionKey]: targetPartition(target), [sortKey]: `${JOB_SORT_PREFIX}${jobId}` } as ItemKey;
}

export function jobDigestKey(target: { projectId: string; clusterId: string }): ItemKey {
  return { [partitionKey]: targetPartition(target), [sortKey]: DIGEST_SORT_KEY } as ItemKey;
}

export function eventKey(eventId: string): ItemKey {
  return { [partitionKey]: `EVENT#${eventId}`, [sortKey]: EVENT_SORT_KEY } as ItemKey;
}

export function incidentItemKey(key: string): ItemKey {
  return { [partitionKey]: `INCIDENT#${key}`, [sortKey]: 'INCIDENT' } as ItemKey;
}

export function silenceKey(silenceId: string): ItemKey {
  return { [partitionKey]: `SILENCE#${silenceId}`, [sortKey]: 'SILENCE' } as ItemKey;
}

export function jobPartition(jobId: string): string {
  return `JOB#${jobId}`;
}

/** gsi1 partition of the job states of one target, sorted by when each restore was requested. */
export function jobsByRequestPartition(target: { projectId: string; clusterId: string }): string {
  return `JOBS#${target.projectId}#${target.clusterId}`;
}

/**
 * gsi1 sort key of a job state: the restore's request time (`created`, canonical), or when the monitor
 * first saw the job if the API gave no usable `created`; the job id makes it unique.
 */
export function jobRequestSortKey(state: Pick<JobState, 'snapshot' | 'firstSeenAt'>): string {
  const created = state.snapshot.created;
  const requested = created !== undefined && !Number.isNaN(Date.parse(created)) ? created : state.firstSeenAt;
  return `${canonicalTime(requested)}#${state.snapshot.jobId}`;
}

/**
 * ISO timestamps sort as strings only in one canonical form (`2026-05-01T10:00:00.000Z`); a `since` of
 * `2026-05-01T10:00:00Z` would otherwise sort after events of that very second. Unparseable values are
 * kept as they are so nothing is lost.
 */
export function canonicalTime(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/** Sort key of an event in every index: time first, the id breaks ties deterministically. */
export function eventSortKey(record: Pick<AuditRecord, 'detectedAt' | 'eventId'>): string {
  return `${canonicalTime(record.detectedAt)}#${record.eventId}`;
}

/** Epoch seconds after which DynamoDB may delete the audit item; undefined when `detectedAt` is unparseable. */
export function auditExpiry(detectedAt: string, retentionDays: number): number | undefined {
  const ms = Date.parse(detectedAt);
  if (Number.isNaN(ms)) return undefined;
  return Math.floor(ms / 1000) + Math.round(retentionDays * 86_400);
}

export function targetStateToItem(state: TargetState): Item {
  const clean = pruneUndefined(redactSecrets(state));
  return {
    ...clean,
    ...targetStateKey(state),
    [indexes.byTarget.partitionKey]: TARGETS_PARTITION,
    [indexes.byTarget.sortKey]: `${state.projectId}#${state.clusterId}`,
    itemType: 'target' satisfies ItemType,
    schemaVersion: ITEM_SCHEMA_VERSION,
  };
}

export function jobStateToItem(target: { projectId: string; clusterId: string }, state: JobState): Item {
  const clean = pruneUndefined(redactSecrets(state));
  return {
    ...clean,
    ...jobStateKey(target, state.snapshot.jobId),
    [indexes.byTarget.partitionKey]: jobsByRequestPartition(target),
    [indexes.byTarget.sortKey]: jobRequestSortKey(state),
    itemType: 'job' satisfies ItemType,
    schemaVersion: ITEM_SCHEMA_VERSION,
  };
}

/** The stored digest, or `undefined` when it cannot be stored (job-digest.ts, D3). */
export function jobDigestToItem(
  target: { projectId: string; clusterId: string },
  digest: JobDigest,
): Item | undefined {
  const bytes = encodeJobDigest(digest);
  if (!bytes) return undefined;
  return {
    ...jobDigestKey(target),
    [DIGEST_ATTRIBUTE]: bytes,
    itemType: 'digest' satisfies ItemType,
    schemaVersion: ITEM_SCHEMA_VERSION,
  };
}

export function itemToJobDigest(item: Item): Map<string, number> | undefined {
  const bytes = item[DIGEST_ATTRIBUTE];
  return bytes instanceof Uint8Array ? decodeJobDigest(bytes) : undefined;
}

export function auditRecordToItem(record: AuditRecord, retentionDays: number): Item {
  const clean = pruneUndefined(redactSecrets(record));
  const sortValue = eventSortKey(record);
  const item: Item = {
    ...clean,
    ...eventKey(record.eventId),
    [indexes.byTarget.partitionKey]: targetPartition(record),
    [indexes.byTarget.sortKey]: sortValue,
    itemType: 'event' satisfies ItemType,
    schemaVersion: ITEM_SCHEMA_VERSION,
  };
  if (record.jobId !== undefined && record.jobId !== '') {
    item[indexes.byJob.partitionKey] = jobPartition(record.jobId);
    item[indexes.byJob.sortKey] = sortValue;
  }
  if (isOwed(record)) {
    item[indexes.owed.partitionKey] = OWED_PARTITION;
    item[indexes.owed.sortKey] = sortValue;
  }
  const expiry = auditExpiry(record.detectedAt, retentionDays);
  if (expiry !== undefined) item[ttlAttribute] = expiry;
  return item;
}

/** An open incident is in the owed index (read by every run); a closed one expires with the audit trail. */
export function incidentToItem(incident: Incident, retentionDays: number): Item {
  const clean = pruneUndefined(redactSecrets(incident));
  const item: Item = {
    ...clean,
    ...incidentItemKey(incident.key),
    itemType: 'incident' satisfies ItemType,
    schemaVersion: ITEM_SCHEMA_VERSION,
  };
  if (incident.resolvedAt === undefined) {
    item[indexes.owed.partitionKey] = OWED_PARTITION;
    item[indexes.owed.sortKey] = `${INCIDENT_SORT_PREFIX}${incident.key}`;
  } else {
    const expiry = auditExpiry(incident.resolvedAt, retentionDays);
    if (expiry !== undefined) item[ttlAttribute] = expiry;
  }
  return item;
}

/** Every silence is in the owed index until TTL removes it, a week after it ends. */
export function silenceToItem(silence: Silence): Item {
  const clean = pruneUndefined(redactSecrets(silence));
  const item: Item = {
    ...clean,
    ...silenceKey(silence.silenceId),
    [indexes.owed.partitionKey]: OWED_PARTITION,
    [indexes.owed.sortKey]: `${SILENCE_SORT_PREFIX}${canonicalTime(silence.endsAt)}#${silence.silenceId}`,
    itemType: 'silence' satisfies ItemType,
    schemaVersion: ITEM_SCHEMA_VERSION,
  };
  const ends = Date.parse(silence.endsAt);
  if (Number.isFinite(ends)) item[ttlAttribute] = Math.floor(ends / 1000) + SILENCE_KEEP_SECONDS;
  return item;
}

export function itemToIncident(item: Item): Incident {
  const incident = domainPart(item) as unknown as Incident;
  if (!Array.isArray(incident.announcedOn)) incident.announcedOn = [];
  if (typeof incident.reminders !== 'number') incident.reminders = 0;
  return incident;
}

export function itemToSilence(item: Item): Silence {
  return domainPart(item) as unknown as Silence;
}

function domainPart(item: Item): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!STORAGE_ATTRIBUTES.has(name)) out[name] = value;
  }
  return out;
}

export function itemToTargetState(item: Item): TargetState {
  return domainPart(item) as unknown as TargetState;
}

export function itemToJobState(item: Item): JobState {
  const state = domainPart(item) as unknown as JobState;
  // Lists written empty come back empty, but be lenient with items written by hand.
  if (!Array.isArray(state.expiryAlerted)) state.expiryAlerted = [];
  return state;
}

export function itemToAuditRecord(item: Item): AuditRecord {
  const record = domainPart(item) as unknown as AuditRecord;
  if (typeof record.publishAttempts !== 'number') record.publishAttempts = 0;
  return record;
}

/**
 * Drops `undefined` properties at every depth: DynamoDB has no undefined, and relying on the shared
 * client's `removeUndefinedValues` would make this store depend on whoever created a DocumentClient last.
 */
export function pruneUndefined<T>(value: T): T {
  return prune(value, 0) as T;
}

function prune(value: unknown, depth: number): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map((v) => prune(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (inner !== undefined) out[key] = prune(inner, depth + 1);
  }
  return out;
}
