/**
 * The seams between the poll logic and the outside world. Each port has one production adapter
 * (`functions/adapters/...`) tested against a real local peer, and the poll code sees only these.
 */
import type { AuditRecord, Cluster, JobState, RestoreJob, Target, TargetState } from './types.ts';

/** Which restore jobs to list: one cluster's, optionally one batch's. */
export interface RestoreJobQuery {
  projectId: string;
  clusterId: string;
  batchId?: string;
  signal?: AbortSignal;
}

/**
 * Where restore jobs come from: `CloudManagerClient` in production, the simulator behind it locally.
 * Failures are `SourceError`s (core/errors.ts), which say what kind of failure it was.
 */
export interface RestoreJobSource {
  /**
   * The jobs of one cluster, streamed as they are read, so a long history is never held raw all at
   * once. A job may come more than once (the list shifted while paging): the last one wins. A listing
   * that cannot be completed throws, possibly after yielding some jobs: the caller must then use none.
   */
  restoreJobs(query: RestoreJobQuery): AsyncIterable<RestoreJob>;
  listClusters(projectId: string, options?: { signal?: AbortSignal }): Promise<Cluster[]>;
}

export type TargetRef = Pick<Target, 'projectId' | 'clusterId'>;

export interface AuditQuery {
  projectId?: string;
  clusterId?: string;
  jobId?: string;
  /** ISO time; only events detected at or after it. */
  since?: string;
  limit?: number;
}

/** SNS accepted the message carrying this event. */
export interface PublishedMark {
  eventId: string;
  publishedAt: string;
  snsMessageId: string;
  /**
   * The record as read from `listOwedEvents`, when the caller has it: lets the store write it back
   * whole in batches instead of one conditional update per event.
   */
  record?: AuditRecord;
}

/** A failed attempt to publish this event. */
export interface PublishFailure {
  eventId: string;
  error: string;
  at: string;
  /** SNS refused the message itself (a sender fault), as opposed to an outage. */
  rejected?: boolean;
  /**
   * Rejected for good: take it out of the owed alerts (so it cannot hold up newer ones) and keep it
   * in the audit trail as rejected.
   */
  abandon?: boolean;
}

/** The reading half of the state: all a dry run gets, so it cannot write by construction. */
export interface StateReader {
  /** Target states keyed by `targetKey`; absent targets were never polled. */
  getTargetStates(targets: readonly TargetRef[]): Promise<Map<string, TargetState>>;
  /** Every known target (for `status` and `audit` without filters). */
  listTargetStates(): Promise<TargetState[]>;
  /** Job states of one target keyed by job id. */
  loadJobStates(target: TargetRef): Promise<Map<string, JobState>>;
  /** Recorded, not suppressed, not yet published; oldest first. */
  listOwedEvents(limit?: number): Promise<AuditRecord[]>;
  /** Newest first. */
  queryAudit(query: AuditQuery): Promise<AuditRecord[]>;
  /**
   * What `restore-watch report` reads of one target: its audit events detected in [since, until) and
   * the states of its jobs requested in [since, until), both by key range, never a scan.
   */
  readPeriod(target: TargetRef, period: ReportPeriod): Promise<PeriodRecords>;
}

/** A half-open time range [since, until) of ISO instants. */
export interface ReportPeriod {
  since: string;
  until: string;
}

export interface PeriodRecords {
  /** Oldest first. */
  events: AuditRecord[];
  /** Requested (`created`) in the period, oldest first; a job without `created` counts from when it was first seen. */
  jobs: JobState[];
}

/**
 * Monitor state and audit trail. Implementations must not need transactions: every write is either
 * idempotent or conditional (see docs in the DynamoDB adapter).
 */
export interface StateStore extends StateReader {
  saveJobStates(target: TargetRef, states: readonly JobState[]): Promise<void>;
  saveTargetStates(states: readonly TargetState[]): Promise<void>;
  /**
   * Records events not yet recorded (same `eventId` = same event). Returns the ids that were new.
   * Suppressed records are stored but never owed.
   */
  recordEvents(records: readonly AuditRecord[]): Promise<{ recorded: string[]; existing: string[] }>;
  /** No longer owed: sent, with SNS's message id. */
  markPublished(updates: ReadonlyArray<PublishedMark>): Promise<void>;
  /** Counts a failed attempt (and a rejection when `rejected`); still owed unless `abandon`. */
  markPublishFailed(updates: ReadonlyArray<PublishFailure>): Promise<void>;
}

/** The methods of `StateStore` that write: each is fenced by the run's lease (see `run-lease.ts`). */
export const STATE_WRITES = [
  'saveJobStates',
  'saveTargetStates',
  'recordEvents',
  'markPublished',
  'markPublishFailed',
] as const satisfies ReadonlyArray<Exclude<keyof StateStore, keyof StateReader>>;

/** One plain-text report, sent as a single message (the monthly digest). */
export interface ReportMessage {
  /** ASCII, at most 99 characters (an email subject). */
  subject: string;
  /** The `text` report, complete or cut at a line with a note saying so. */
  text: string;
  /** A few lines for chat (Slack), where the whole report would not read. */
  headline: string;
  period: ReportPeriod;
}

/** Delivers a report to the people who receive the alerts (`SnsReportPublisher`). */
export interface ReportPublisher {
  publishReport(message: ReportMessage): Promise<{ messageId: string }>;
}

export type LeaseResult =
  | { acquired: true; owner: string; expiresAt: string }
  | { acquired: false; holder: string; expiresAt: string };

/** Serialises poll runs across Lambda and CLI: a conditional put with a short expiry. */
export interface RunLease {
  acquire(owner: string, now: Date, ttlMs: number): Promise<LeaseResult>;
  /** False when the lease was lost (expired and taken by another run). */
  renew(owner: string, now: Date, ttlMs: number): Promise<boolean>;
  release(owner: string): Promise<void>;
}

/** One SNS message: a single event, or the events of one sharded-cluster batch in one poll. */
export interface AlertGroup {
  events: readonly AuditRecord[];
}

export type PublishOutcome =
  | { eventIds: string[]; ok: true; messageId: string }
  | { eventIds: string[]; ok: false; error: string; retryable: boolean };

export interface PublishContext {
  /** Job id → download URL; passed only when `includeDownloadUrl` is on. */
  downloadUrls?: ReadonlyMap<string, string>;
  /**
   * Awaited before every call the publisher makes to its service. It rejects when the run may no
   * longer publish (it lost its lease): the publisher then sends nothing more and reports the groups
   * it did not send as failed and retryable.
   */
  checkpoint?: () => Promise<void>;
}

/** Delivers alerts. Failures are outcomes, not throws: every group gets exactly one outcome. */
export interface AlertPublisher {
  publish(groups: readonly AlertGroup[], context: PublishContext): Promise<PublishOutcome[]>;
}
