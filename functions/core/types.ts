/**
 * Domain types shared by every part of restore-watch: what Cloud Manager returns, what the monitor
 * remembers, and what it tells people. Nothing here touches the network, a clock or an SDK.
 */

/** Job life cycle as documented; other values appear over time and are kept as data. */
export const KNOWN_JOB_STATUSES = ['IN_PROGRESS', 'FINISHED', 'BROKEN', 'KILLED'] as const;
/** Delivery life cycle as documented; other values appear over time and are kept as data. */
export const KNOWN_DELIVERY_STATUSES = [
  'NOT_STARTED',
  'IN_PROGRESS',
  'READY',
  'FAILED',
  'INTERRUPTED',
  'EXPIRED',
  'MAX_DOWNLOADS_EXCEEDED',
] as const;

/** Terminal states are inferred, not documented (see the API reference). */
export const TERMINAL_JOB_STATUSES: ReadonlySet<string> = new Set(['FINISHED', 'BROKEN', 'KILLED']);
export const TERMINAL_DELIVERY_STATUSES: ReadonlySet<string> = new Set([
  'FAILED',
  'INTERRUPTED',
  'EXPIRED',
  'MAX_DOWNLOADS_EXCEEDED',
]);

/** `delivery` of a restore job, as the API returns it. Unknown fields pass through. */
export interface RestoreDelivery {
  methodName?: string;
  statusName?: string;
  /** A bearer secret: whoever has it can download the backup. Never log, store or alert it by default. */
  url?: string;
  expires?: string;
  expirationHours?: number;
  maxDownloads?: number;
  urlV2?: string;
  authHeader?: string;
  authBearer?: string;
  /** Ops Manager download token: a secret, always redacted. */
  authValue?: string;
  [field: string]: unknown;
}

/** A restore job as the Cloud Manager Public API returns it (validated structurally; unknown fields kept). */
export interface RestoreJob {
  id: string;
  groupId?: string;
  clusterId?: string;
  batchId?: string;
  hostId?: string;
  snapshotId?: string;
  created?: string;
  /** `IN_PROGRESS`, `FINISHED`, `BROKEN`, `KILLED`, or a value the docs do not know yet. */
  statusName?: string;
  pointInTime?: boolean;
  encryptionEnabled?: boolean;
  masterKeyUUID?: string;
  /** `increment` is documented as a string and shown as a number: both are accepted. */
  timestamp?: { date?: string; increment?: number | string; [field: string]: unknown };
  delivery?: RestoreDelivery;
  hashes?: Array<{ fileName?: string; hash?: string; typeName?: string; [field: string]: unknown }>;
  links?: Array<{ href?: string; rel?: string; [field: string]: unknown }>;
  [field: string]: unknown;
}

/** A cluster as `GET /groups/{id}/clusters` returns it. */
export interface Cluster {
  id: string;
  groupId?: string;
  clusterName?: string;
  /** `REPLICA_SET`, `SHARDED_REPLICA_SET`, `CONFIG_SERVER_REPLICA_SET`, ... */
  typeName?: string;
  replicaSetName?: string;
  /** Set on the replica sets that are shards of a sharded cluster. */
  shardName?: string;
  [field: string]: unknown;
}

/** One cluster the monitor watches, after project-wide targets have been expanded. */
export interface Target {
  projectId: string;
  clusterId: string;
  /** Human name used in alerts; defaults to the cluster name, then the cluster id. */
  name: string;
  /** Restrict the watch to one batch of a sharded cluster. */
  batchId?: string;
  /** Who owns it (`targets[].team`): every alert about it carries a `team` attribute to route on. */
  team?: string;
}

/** Stable identity of a target, used as a key everywhere (state, audit, lease reporting). */
export function targetKey(target: Pick<Target, 'projectId' | 'clusterId'>): string {
  return `${target.projectId}:${target.clusterId}`;
}

/**
 * The part of a restore job the monitor remembers and compares. Secrets are never part of it:
 * the download URL is reduced to `hasDownloadUrl`.
 */
export interface JobSnapshot {
  jobId: string;
  projectId: string;
  clusterId: string;
  batchId?: string;
  hostId?: string;
  snapshotId?: string;
  created?: string;
  /** `UNKNOWN` when the API omitted it. */
  statusName: string;
  pointInTime?: boolean;
  deliveryMethod?: string;
  deliveryStatus?: string;
  expires?: string;
  expirationHours?: number;
  maxDownloads?: number;
  hasDownloadUrl: boolean;
  /** `hashes[]` appears only after a download: the one signal that the backup was fetched. */
  downloaded: boolean;
  timestampDate?: string;
}

/**
 * When a poll first saw something, and the previous poll of the target, which had not: it happened
 * in between. The API gives no time for most changes, so this window is the precision of every
 * duration the report computes from it.
 */
export interface ObservedWindow {
  /** The previous successful poll (it saw the old state); absent when there was none to compare. */
  after?: string;
  /** The first poll that saw it. */
  by: string;
}

/** What the monitor remembers about one job between polls. */
export interface JobState {
  snapshot: JobSnapshot;
  firstSeenAt: string;
  lastChangedAt: string;
  /**
   * When the backup was first seen downloaded (`snapshot.downloaded` turned true). No event records
   * a download, so this is where the report's "ready to downloaded" comes from. Absent for jobs
   * downloaded before this was recorded.
   */
  downloadObserved?: ObservedWindow;
  /** Set when a job that was listed before is no longer listed. */
  goneSince?: string;
  /** `DELIVERY_EXPIRING` thresholds (minutes) already alerted for the current `expires`. */
  expiryAlerted: number[];
  /** `JOB_STUCK` already alerted. */
  stuckAlerted: boolean;
  /** `BATCH_COMPLETED` already alerted for this job's batch. */
  batchCompletedAlerted: boolean;
}

/** What the monitor remembers about one target between polls. */
export interface TargetState {
  projectId: string;
  clusterId: string;
  name: string;
  /** False until the first successful poll recorded a baseline. */
  baselined: boolean;
  lastPolledAt?: string;
  lastSuccessAt?: string;
  /** Consecutive failed polls; 0 when the last poll worked. */
  failureStreak: number;
  /** When the current failure streak began (part of the failing/recovered event identity). */
  failingSince?: string;
  /** `TARGET_FAILING` has been raised for the current streak. */
  failingAlerted: boolean;
  lastError?: { name: string; message: string; status?: number; errorCode?: string; at: string };
  /** Hash of every job snapshot of the last successful poll: equal hash means no job changed. */
  fingerprint?: string;
  /** Earliest time a time-based event (expiry warning, stuck job) could fire; absent: none pending. */
  nextTimeCheckAt?: string;
  jobCount?: number;
  /** Hash of the alert settings `nextTimeCheckAt` was computed with: a changed setting forces a diff. */
  settingsFingerprint?: string;
}

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };

export type EventType =
  | 'JOB_CREATED'
  | 'JOB_STATUS_CHANGED'
  | 'DELIVERY_STATUS_CHANGED'
  | 'DELIVERY_EXPIRING'
  | 'JOB_STUCK'
  | 'BATCH_COMPLETED'
  | 'TARGET_FAILING'
  | 'TARGET_RECOVERED'
  | 'INCIDENT_RESOLVED'
  | 'INCIDENT_REMINDER';

/**
 * What an event does to an incident (`functions/core/incidents.ts`): opens or re-triggers it, closes it,
 * re-announces it while it stays open, or nothing (an informational event).
 */
export type IncidentAction = 'trigger' | 'resolve' | 'reminder' | 'info';

/** The channels an alert can be owed to, each delivered and marked separately. */
export type Channel = 'sns' | 'pagerduty';

/** One row of a `BATCH_COMPLETED` summary. */
export interface BatchMember {
  jobId: string;
  statusName: string;
  deliveryStatus?: string;
  hostId?: string;
}

/** Something that happened and that people may need to know. Deterministic id: see `eventId`. */
export interface MonitorEvent {
  /** Deterministic: the same change detected twice has the same id, which makes recording idempotent. */
  eventId: string;
  eventType: EventType;
  severity: Severity;
  projectId: string;
  clusterId: string;
  targetName: string;
  jobId?: string;
  batchId?: string;
  detectedAt: string;
  /**
   * The previous successful poll of the target, which saw the state before this change: the change
   * happened after it and by `detectedAt`. Set on JOB_CREATED and status changes once a target is
   * baselined (absent on events recorded before it existed, and when the job was not listed then).
   */
  previousPollAt?: string;
  /** One-line human summary without secrets, e.g. `restore 5f3a... BROKEN`. */
  summary: string;
  before?: Partial<JobSnapshot> | null;
  after?: Partial<JobSnapshot> | null;
  /** Event-specific facts: threshold minutes, batch members, error details, ... */
  details?: Record<string, unknown>;
  /**
   * The incident it belongs to (`target/<project>:<cluster>/failing`, `job/<jobId>/stuck`, ...; for an
   * informational event the key of its subject: `job/<jobId>`, `batch/<batchId>`, `target/<id>`) and
   * what it does to that incident. Set by the incident stage; records written before it existed lack
   * them and are read through `incidentOf` (the catalogue's rule).
   */
  incidentKey?: string;
  action?: IncidentAction;
  /** `targets[].team` of its target, when configured. */
  team?: string;
}

/** Which silence kept an event from every channel, copied onto the record so the audit outlives it. */
export interface SilenceRef {
  silenceId: string;
  reason: string;
  createdBy: string;
  endsAt: string;
}

/**
 * The delivery of one event to one channel other than SNS (SNS keeps its historical top-level fields
 * on the record). Present only when the event is owed, or was delivered, to that channel.
 */
export interface ChannelDelivery {
  /** When the channel accepted it; absent while owed. */
  deliveredAt?: string;
  /** The channel's reference for it (PagerDuty: the dedup_key it answered with). */
  reference?: string;
  attempts: number;
  lastError?: string;
  /** Times the channel refused the message itself as invalid (not an outage). */
  rejections?: number;
  /** Refused as invalid `MAX_REJECTIONS` times: no longer owed to this channel, kept as evidence. */
  abandonedAt?: string;
}

/** An event as kept in the audit trail. */
export interface AuditRecord extends MonitorEvent {
  runId: string;
  /** Absent while the alert is still owed. */
  publishedAt?: string;
  snsMessageId?: string;
  /** Events published together (a batch) share one message. */
  publishAttempts: number;
  lastPublishError?: string;
  /** Below `minSeverity`: recorded for the audit, never published. */
  suppressed?: boolean;
  /** Times SNS rejected the message as invalid (a sender fault, not an outage). */
  rejections?: number;
  /** SNS rejected the message as invalid `MAX_REJECTIONS` times: no longer owed, kept as evidence. */
  abandonedAt?: string;
  /** A silence matched it when it was detected: it is owed to no channel (`functions/core/silences.ts`). */
  silenced?: SilenceRef;
  /** Its PagerDuty delivery, when it is owed (or was delivered) to PagerDuty. */
  pagerduty?: ChannelDelivery;
}

/** Alert behaviour, from the `alerts` section of the configuration. */
export interface AlertSettings {
  /** Descending minutes before `expires` at which to warn, e.g. [60, 15]. */
  expiryWarningMinutes: number[];
  stuckAfterMinutes: number;
  failingAfterPolls: number;
  minSeverity: Severity;
  includeDownloadUrl: boolean;
  /** An open incident at warning or above is re-announced on SNS after this long; 0: never. */
  repeatEveryMinutes: number;
  /** Which triggers page through PagerDuty (when a routing key is configured). */
  pagerduty: { minSeverity: Severity };
}
