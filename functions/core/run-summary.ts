/**
 * The run summary: what the CLI prints, the handler logs and turns into metrics, and tests assert on.
 * Built from the stages' results in one place, after the run, from values (nothing accumulates it).
 */
import { type IncidentCounts, sumIncidentCounts } from './incidents.ts';
import type { TargetOutcome } from './poll-target.ts';
import type { PublishCounts } from './publish-owed.ts';
import type { AuditRecord } from './types.ts';
import { targetKey } from './types.ts';

/**
 * - `acquired`: this run held the lease throughout;
 * - `held-by-other`: another run held it, so this one did nothing;
 * - `lost`: another run took it over while this one worked; this one stopped writing and publishing;
 * - `not-used`: a dry run, which writes nothing and so needs no lease.
 */
export type LeaseState = 'acquired' | 'held-by-other' | 'lost' | 'not-used';

export interface DetectedEventSummary {
  eventId: string;
  eventType: string;
  severity: string;
  target: string;
  jobId?: string;
  summary: string;
  suppressed: boolean;
  /** Its incident and what it does to it (`trigger`, `resolve`, `reminder`, `info`). */
  incidentKey?: string;
  action?: string;
  /** The silence that kept it from every channel. */
  silencedBy?: string;
}

export interface PollSummary {
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  dryRun: boolean;
  lease: LeaseState;
  /** Who held (or took over) the lease, when `lease` is `held-by-other` or `lost`. */
  leaseHolder?: string;
  /** The partition polled (`2/4`), when the fleet is sharded (functions/core/shard.ts). */
  shard?: string;
  targets: { total: number; ok: number; failed: number; skipped: number };
  /** Targets not reached because the time budget ran out; they go first next run. */
  skippedTargets: string[];
  failedTargets: Array<{ target: string; name: string; error: string }>;
  jobsSeen: number;
  eventsDetected: number;
  events: DetectedEventSummary[];
  alertsPublished: number;
  alertsFailed: number;
  /** Still owed after this run (SNS failed or no time left); the next run publishes them. */
  alertsOwed: number;
  /** Rejected by SNS as invalid `MAX_REJECTIONS` times: parked in the audit trail, not retried. */
  alertsAbandoned: number;
  /** Incidents this run opened and resolved, reminders it raised, events a silence kept quiet. */
  incidents: IncidentCounts;
  /** The PagerDuty channel's counts, when it is configured (same meaning as the alert counts). */
  pagerduty?: { published: number; failed: number; abandoned: number; owed: number };
}

export interface RunFacts {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  dryRun: boolean;
  lease: LeaseState;
  leaseHolder?: string;
  shard?: string;
  outcomes?: readonly TargetOutcome[];
  /** Events recorded outside a target's own poll (a project-wide target's recovery). */
  extraRecords?: readonly AuditRecord[];
  /** What the incident stage counted for those. */
  extraIncidents?: IncidentCounts | undefined;
  publish?: PublishCounts & { owed?: number; pagerduty?: PublishCounts & { owed?: number } };
}

export function summarizeRun(facts: RunFacts): PollSummary {
  const outcomes = facts.outcomes ?? [];
  const records = [
    ...outcomes.flatMap((o) => (o.kind === 'skipped' ? [] : o.records)),
    ...(facts.extraRecords ?? []),
  ];
  const count = (kind: TargetOutcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
  return {
    runId: facts.runId,
    startedAt: facts.startedAt.toISOString(),
    finishedAt: facts.finishedAt.toISOString(),
    durationMs: facts.finishedAt.getTime() - facts.startedAt.getTime(),
    dryRun: facts.dryRun,
    lease: facts.lease,
    ...(facts.leaseHolder !== undefined ? { leaseHolder: facts.leaseHolder } : {}),
    ...(facts.shard !== undefined ? { shard: facts.shard } : {}),
    targets: { total: outcomes.length, ok: count('ok'), failed: count('failed'), skipped: count('skipped') },
    skippedTargets: outcomes.flatMap((o) => (o.kind === 'skipped' ? [o.target.name] : [])),
    failedTargets: outcomes.flatMap((o) =>
      o.kind === 'failed' ? [{ target: targetKey(o.target), name: o.target.name, error: o.error }] : [],
    ),
    jobsSeen: outcomes.reduce((sum, o) => sum + (o.kind === 'skipped' ? 0 : o.jobsSeen), 0),
    eventsDetected: records.length,
    events: records.map(eventSummary),
    alertsPublished: facts.publish?.published ?? 0,
    alertsFailed: facts.publish?.failed ?? 0,
    alertsOwed: facts.publish?.owed ?? 0,
    alertsAbandoned: facts.publish?.abandoned ?? 0,
    incidents: sumIncidentCounts([
      ...outcomes.flatMap((o) => (o.kind !== 'skipped' && o.incidentCounts ? [o.incidentCounts] : [])),
      ...(facts.extraIncidents ? [facts.extraIncidents] : []),
    ]),
    ...(facts.publish?.pagerduty
      ? {
          pagerduty: {
            published: facts.publish.pagerduty.published,
            failed: facts.publish.pagerduty.failed,
            abandoned: facts.publish.pagerduty.abandoned,
            owed: facts.publish.pagerduty.owed ?? 0,
          },
        }
      : {}),
  };
}

function eventSummary(record: AuditRecord): DetectedEventSummary {
  return {
    eventId: record.eventId,
    eventType: record.eventType,
    severity: record.severity,
    target: record.targetName,
    ...(record.jobId ? { jobId: record.jobId } : {}),
    summary: record.summary,
    suppressed: record.suppressed === true,
    ...(record.incidentKey ? { incidentKey: record.incidentKey } : {}),
    ...(record.action ? { action: record.action } : {}),
    ...(record.silenced ? { silencedBy: record.silenced.silenceId } : {}),
  };
}
