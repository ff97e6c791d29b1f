/**
 * The one definition of what the handler emits and the alarms watch. The CDK stack imports these
 * constants (and nothing that loads Powertools), so a renamed metric cannot silently disarm an alarm.
 */

/** Powertools `service` name: a log key, the metrics' only dimension, the X-Ray service name. */
export const SERVICE_NAME = 'restore-watch';

/** CloudWatch namespace of the handler's EMF metrics. */
export const METRICS_NAMESPACE = 'RestoreWatch';

/** Dimensions Powertools puts on every metric (`service` is its default dimension). */
export const METRIC_DIMENSIONS: Readonly<Record<string, string>> = { service: SERVICE_NAME };

/**
 * The dimension a sharded run adds to its own heartbeat data point (`PollsSucceeded`), valued `2/4`:
 * each shard's heartbeat alarm watches its own (lib/monitor-alarms.ts).
 */
export const SHARD_DIMENSION = 'shard';

/** Metric names, one per fact of a poll summary. */
export const METRIC = {
  /** 1 when a run completed and not every polled target failed, else 0: the heartbeat. */
  pollsSucceeded: 'PollsSucceeded',
  /** Targets whose poll failed in this run (alerted separately after `failingAfterPolls`). */
  targetsFailed: 'TargetsFailed',
  /** Targets not started because the time budget ran out; they go first next run. */
  targetsSkipped: 'TargetsSkipped',
  jobsSeen: 'JobsSeen',
  eventsDetected: 'EventsDetected',
  alertsPublished: 'AlertsPublished',
  /** Alerts SNS refused this run; they stay owed and are retried next run. */
  alertsFailed: 'AlertsFailed',
  /** Events PagerDuty accepted this run (only when PagerDuty is configured). */
  pagerDutyEventsSent: 'PagerDutyEventsSent',
  /** Events PagerDuty refused or could not take this run; they stay owed (or are parked after rejections). */
  pagerDutyEventsFailed: 'PagerDutyEventsFailed',
  /** Cloud Manager API requests made by this run (rate-limit budgeting). */
  apiRequests: 'ApiRequests',
  /** Wall time of the poll in milliseconds. */
  pollDuration: 'PollDuration',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
