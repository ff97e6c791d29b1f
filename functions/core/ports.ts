/**
 * The seams between the poll logic and the outside world. Each port has one production adapter
 * (`functions/adapters/...`) tested against a real local peer, and the poll code sees only these.
 */
import type { Incident } from './incident-state.ts';
import type { JobDigest } from './job-digest.ts';
import type { Silence } from './silences.ts';
import type { AuditRecord, Channel, Cluster, JobState, RestoreJob, Target, TargetState } from './types.ts';

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

/** A channel accepted the message carrying this event. */
export interface PublishedMark {
  eventId: string;
  /** Which channel. @default 'sns' */
  channel?: Channel;
  publishedAt: string;
  /** The channel's reference: SNS's MessageId, the dedup_key PagerDuty answered with. */
  messageId: string;
  /**
   * The record as read from `listOwedEvents`, when the caller has it: lets the store write it back
   * whole in batches instead of one conditional update per event.
   */
  record?: AuditRecord;
}

/** A failed attempt to publish this event to one channel. */
export interface PublishFailure {
  eventId: string;
  /** Which channel. @default 'sns' */
  channel?: Channel;
  error: string;
  at: string;
  /** The channel refused the message itself (an invalid message), as opposed to an outage. */
  rejected?: boolean;
  /**
   * Rejected for good: no longer owed to this channel (so it cannot hold up newer ones), kept in the
   * audit trail as rejected.
   */
  abandon?: boolean;
}

/**
 * What every run starts from, in one read (one query of the owed index in DynamoDB): the events still
 * owed to some channel, the open incidents, the silences.
 */
/** Which owed events a reader wants (a shard: those of its projects). */
export type OwedFilter = (record: AuditRecord) => boolean;

export interface RunState {
  /** Owed to at least one channel, oldest first, at most the limit asked for. */
  owed: AuditRecord[];
  /** Every open incident. */
  incidents: Incident[];
  /** Every stored silence that has not been deleted yet; `silenceActive` says which are in force. */
  silences: Silence[];
}

/** The reading half of the state: all a dry run gets, so it cannot write by construction. */
export interface StateReader {
  /** Target states keyed by `targetKey`; absent targets were never polled. */
  getTargetStates(targets: readonly TargetRef[]): Promise<Map<string, TargetState>>;
  /** Every known target (for `status` and `audit` without filters). */
  listTargetStates(): Promise<TargetState[]>;
  /**
   * Job states of one target keyed by job id: all of them, or only those of `jobIds` (the ones a
   * digest says changed; ids without a state are simply absent).
   */
  loadJobStates(target: TargetRef, jobIds?: readonly string[]): Promise<Map<string, JobState>>;
  /** The digest stored with the target's job states (job-digest.ts), if any. */
  loadJobDigest(target: TargetRef): Promise<JobDigest | undefined>;
  /**
   * Owed to at least one channel (`isOwed`), or to `channel` when given (`owedTo`); oldest first. Per
   * channel, so that one channel's backlog (a long PagerDuty outage) never hides the other's owed
   * events behind it. With `keep`, only the records it accepts, up to `limit` of them: a shard lists
   * its own projects' alerts past the others' (shard.ts).
   */
  listOwedEvents(limit?: number, channel?: Channel, keep?: OwedFilter): Promise<AuditRecord[]>;
  /** Owed events (at most `owedLimit`, those `keep` accepts), open incidents and silences together. */
  readRunState(owedLimit: number, keep?: OwedFilter): Promise<RunState>;
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
  /**
   * Writes job states, and with `digest` the target's digest in the same batch (replacing the one
   * stored). A digest the store cannot hold (job-digest.ts, D3) is left out: the one stored then no
   * longer matches the target's fingerprint, and so is never used.
   */
  saveJobStates(target: TargetRef, states: readonly JobState[], digest?: JobDigest): Promise<void>;
  saveTargetStates(states: readonly TargetState[]): Promise<void>;
  /**
   * Records events not yet recorded (same `eventId` = same event). Returns the ids that were new.
   * A record is owed to the channels `owedChannels` names (none when suppressed and silenced).
   */
  recordEvents(records: readonly AuditRecord[]): Promise<{ recorded: string[]; existing: string[] }>;
  /**
   * No longer owed to the mark's channel: sent, with the channel's reference. The event stays owed
   * while another channel still waits for it.
   */
  markPublished(updates: ReadonlyArray<PublishedMark>): Promise<void>;
  /**
   * Counts a failed attempt on the failure's channel (and a rejection when `rejected`); still owed to
   * it unless `abandon`. Ignored when that channel delivered it meanwhile.
   */
  markPublishFailed(updates: ReadonlyArray<PublishFailure>): Promise<void>;
  /** Writes incidents whole: open ones are listed by `readRunState`, closed ones (`resolvedAt`) are not. */
  saveIncidents(incidents: readonly Incident[]): Promise<void>;
  /** Stores a new silence; throws if its id is taken. */
  saveSilence(silence: Silence): Promise<void>;
  /** Ends a silence now; undefined when no silence has that id. */
  expireSilence(silenceId: string, at: string, by: string): Promise<Silence | undefined>;
}

/** The methods of `StateStore` that write: each is fenced by the run's lease (see `run-lease.ts`). */
export const STATE_WRITES = [
  'saveJobStates',
  'saveTargetStates',
  'recordEvents',
  'markPublished',
  'markPublishFailed',
  'saveIncidents',
  'saveSilence',
  'expireSilence',
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

/**
 * Serialises poll runs across Lambda and CLI: a conditional put with a short expiry. Leases are
 * named, one per shard of the fleet (`shardLeaseName`): leases of different names never block each
 * other. Without a name, the unsharded run's lease (`POLL_LEASE`).
 */
export interface RunLease {
  acquire(owner: string, now: Date, ttlMs: number, name?: string): Promise<LeaseResult>;
  /** False when the lease was lost (expired and taken by another run). */
  renew(owner: string, now: Date, ttlMs: number, name?: string): Promise<boolean>;
  release(owner: string, name?: string): Promise<void>;
}

/**
 * One message: a single event, or the events of one job (or one sharded-cluster batch) in one poll
 * (`groupForPublishing`); a channel that takes one event per message gets groups of one.
 */
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
  /**
   * No call may start after this instant (the Lambda time budget): a publisher that would have to wait
   * past it (a rate limit) reports what it did not send as failed and retryable instead.
   */
  deadline?: Date;
}

/** Delivers alerts. Failures are outcomes, not throws: every group gets exactly one outcome. */
export interface AlertPublisher {
  publish(groups: readonly AlertGroup[], context: PublishContext): Promise<PublishOutcome[]>;
}
