/**
 * The restore report (`restore-watch report`, issue 12): what the audit trail and job states prove
 * about the restores of a period. This is the `json` format as published: an API others build on.
 *
 * Versioning: `schema` is `restore-watch.report/v1`. Adding a field keeps v1; renaming, removing or
 * changing the meaning of one makes v2. Counts are numbers; every duration is a number whose unit is
 * in its field name (`lowMinutes`), and every time is an ISO 8601 instant in UTC.
 *
 * Precision: the Cloud Manager API dates a restore's request (`created`) but not its finish, its
 * delivery or its download. A poll only learns that something happened since the previous poll, so
 * every such duration is a range, `{ lowMinutes, highMinutes }`, whose width is the poll period
 * (see `PRECISION_STATEMENT`). Statistics of ranges are ranges: the true median lies between the median
 * of the lows and the median of the highs (a quantile is monotone in every value).
 */
import type { EventType } from '../types.ts';

export const REPORT_SCHEMA = 'restore-watch.report/v1';

/** A duration known to lie between two bounds (inclusive), in minutes. */
export interface MinutesRange {
  lowMinutes: number;
  highMinutes: number;
}

/** Median, 90th percentile and maximum of a set of ranged durations. */
export interface RangeStatistics {
  /** How many restores the statistics are computed from. */
  count: number;
  median: MinutesRange;
  p90: MinutesRange;
  max: MinutesRange;
}

/** How durations moved over the period: a least-squares line through the midpoints, by request time. */
export interface DurationTrend {
  restoresMeasured: number;
  /** Change of the duration per 30 days (positive: restores are getting slower). */
  slopeMinutesPer30Days: number;
  /** `slower`/`faster` only when the change over the period is larger than the finish precision. */
  direction: 'slower' | 'faster' | 'flat';
}

/** The job statuses a restore can end the period in; `other` counts statuses the docs do not know. */
export interface RestoreCounts {
  /** Restores requested in the period (and seen by the monitor by its end). */
  requested: number;
  finished: number;
  broken: number;
  killed: number;
  /** Still IN_PROGRESS at the end of the period. */
  running: number;
  other: number;
  /** First seen by the monitor already past IN_PROGRESS: their duration is not known. */
  firstSeenFinished: number;
}

export interface TargetIdentity {
  name: string;
  projectId: string;
  clusterId: string;
}

/** The restore that was in progress longest among those that raised JOB_STUCK. */
export interface LongestStuck {
  jobId: string;
  requestedAt: string | null;
  outcome: string;
  /** Request to outcome (or to the end of the period when still running). */
  inProgress: MinutesRange;
}

export interface TargetSummary {
  /** Absent on `overall`. */
  target?: TargetIdentity;
  restores: RestoreCounts;
  /** finished ÷ (finished + broken + killed) × 100, one decimal; null when none ended. */
  successRatePercent: number | null;
  /** Request to finish of FINISHED restores whose finish the monitor saw. */
  duration: RangeStatistics | null;
  durationTrend: DurationTrend | null;
  /** Delivery READY to backup downloaded, where both were seen with their windows. */
  readyToDownloaded: RangeStatistics | null;
  downloads: {
    /** Backups seen downloaded by the end of the period. */
    downloaded: number;
    /** Download links that expired with the backup never downloaded. */
    expiredUnused: number;
  };
  longestStuck: LongestStuck | null;
  incidents: Record<IncidentKind, number>;
}

/** One row per restore: what `csv` prints. */
export interface RestoreRow {
  target: string;
  projectId: string;
  clusterId: string;
  jobId: string;
  batchId: string | null;
  requestedAt: string | null;
  /** How the monitor first knew the job: its request after the target was watched, or a baseline. */
  firstSeen: 'requested' | 'baseline';
  /** Job status when the monitor first saw it. */
  firstSeenStatus: string;
  /** Job status at the end of the period (`IN_PROGRESS`: still running). */
  outcome: string;
  /** The outcome happened after `outcomeAfter` (the last poll that saw it running) and by `outcomeBy`. */
  outcomeAfter: string | null;
  outcomeBy: string | null;
  /** Request to outcome; null with `noDurationReason`. */
  duration: MinutesRange | null;
  /** Width of the outcome window (`outcomeBy - outcomeAfter`): the precision of `duration`. */
  finishWindowMinutes: number | null;
  noDurationReason: 'running' | 'first-seen-finished' | 'no-request-time' | 'no-finish-window' | null;
  deliveryStatus: string | null;
  readyBy: string | null;
  downloadedBy: string | null;
  readyToDownloaded: MinutesRange | null;
  downloaded: boolean;
  expiredUnused: boolean;
  stuckAlerted: boolean;
}

/** A sharded-cluster restore: one job per shard (and the config server) sharing a `batchId`. */
export interface BatchSummary {
  batchId: string;
  target: string;
  requestedAt: string | null;
  members: number;
  /** The worst member outcome (BROKEN, KILLED, other, IN_PROGRESS, FINISHED). */
  outcome: string;
  /** Request to the last member's finish, when every member has a duration. */
  duration: MinutesRange | null;
  slowestShard: { jobId: string; hostId: string | null; duration: MinutesRange } | null;
}

/**
 * Kinds of incident: what opened it. Followed by incident key (trigger, resolve) for events recorded
 * with one, read from the condition alerts for older events (see `incidentsOf`).
 */
export const INCIDENT_KINDS = [
  'TARGET_FAILING',
  'JOB_STUCK',
  'JOB_BROKEN',
  'JOB_KILLED',
  'DELIVERY_FAILED',
  'DELIVERY_EXPIRING',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export interface Incident {
  kind: IncidentKind;
  target: string;
  jobId: string | null;
  openedAt: string;
  /** When the condition ended, if it did within the period (recovery, the stuck job ending). */
  resolvedAt: string | null;
  /** The audit event it comes from. */
  eventId: string;
}

/**
 * `incident-keys`: every incident followed by its key, trigger to resolve, as `restore-watch
 * incidents` and PagerDuty see it; `condition-alerts`: the trail predates incident keys, so incidents
 * are read from the condition alerts; both when the period spans the upgrade.
 */
export type IncidentsSource = 'incident-keys' | 'condition-alerts' | 'incident-keys+condition-alerts';

export interface IncidentsSection {
  source: IncidentsSource;
  byKind: Record<IncidentKind, number>;
  items: Incident[];
}

export interface AlertsSection {
  /** Events detected in the period, by type. */
  byType: Record<EventType, number>;
  bySeverity: { info: number; warning: number; critical: number };
  published: number;
  /**
   * Not for SNS: below `minSeverity` (recorded, never sent), or the resolve of an incident that was
   * announced on PagerDuty only.
   */
  suppressed: number;
  /** Kept from every channel by a silence (`restore-watch silence`): recorded, never sent. */
  silenced: number;
  /** Still owed to SNS when the report was made. */
  owed: number;
  /** Refused by SNS for good (parked). */
  rejected: number;
  /** The PagerDuty channel's share; null when no event of the period was routed to PagerDuty. */
  pagerduty: ChannelDeliveryCounts | null;
}

/** What one channel other than SNS did with the events routed to it. */
export interface ChannelDeliveryCounts {
  delivered: number;
  /** Still owed when the report was made. */
  owed: number;
  /** Refused for good (parked). */
  rejected: number;
}

export interface RestoreReport {
  schema: typeof REPORT_SCHEMA;
  generatedAt: string;
  /** [since, until): restores requested and events detected in it. */
  period: { since: string; until: string; days: number };
  precision: {
    statement: string;
    /** Widths of the finish windows of the restores measured: the precision of their durations. */
    finishWindowMinutes: { median: number; max: number } | null;
  };
  overall: TargetSummary;
  targets: TargetSummary[];
  restores: RestoreRow[];
  batches: BatchSummary[];
  incidents: IncidentsSection;
  alerts: AlertsSection;
}

/** Said in every format: what the numbers can and cannot know. */
export const PRECISION_STATEMENT =
  'Cloud Manager does not record when a restore finished: a finish happened after the last poll ' +
  'that saw the restore running and by the first poll that saw it finished. Durations are therefore ' +
  'ranges (low-high minutes) as wide as the poll period; the median, p90 and maximum of ranges are ' +
  'ranges too. Restores first seen already finished have no duration and are counted apart.';
