/**
 * Status events of one job: JOB_CREATED (with the status of a job first seen past its start), and
 * JOB_STATUS_CHANGED / DELIVERY_STATUS_CHANGED between two polls.
 */
import { deliveryStatusSeverity, jobStatusSeverity } from '../event-catalogue.ts';
import { deliveryStatusSummary, jobCreatedSummary, jobStatusSummary } from '../event-summary.ts';
import { UNKNOWN_STATUS } from '../snapshot.ts';
import type { JobSnapshot, JobState } from '../types.ts';
import { type DetectionContext, jobEvent, type PendingEvent } from './detection-context.ts';
import { sawJobAt } from './job-state.ts';

/** Statuses a job or delivery starts in: a job first seen in one of them reports only JOB_CREATED. */
const INITIAL_JOB_STATUSES: ReadonlySet<string> = new Set(['IN_PROGRESS', UNKNOWN_STATUS]);
const INITIAL_DELIVERY_STATUSES: ReadonlySet<string> = new Set(['NOT_STARTED', 'IN_PROGRESS']);

/**
 * A job first seen after the baseline. Besides JOB_CREATED, a job already past its initial status
 * reports that status: a restore that broke, or became downloadable, between two polls must not go
 * unnoticed just because nobody saw it running.
 */
export function arrival(context: DetectionContext, snapshot: JobSnapshot): PendingEvent[] {
  const out = [
    jobEvent(context, {
      eventType: 'JOB_CREATED',
      severity: 'info',
      snapshot,
      discriminator: 'created',
      summary: jobCreatedSummary(snapshot),
      before: null,
      previousPollAt: context.previousPollAt,
    }),
  ];
  if (!INITIAL_JOB_STATUSES.has(snapshot.statusName)) {
    out.push(jobStatusEvent(context, undefined, snapshot, 'new', context.previousPollAt));
  }
  if (snapshot.deliveryStatus !== undefined && !INITIAL_DELIVERY_STATUSES.has(snapshot.deliveryStatus)) {
    out.push(deliveryStatusEvent(context, undefined, snapshot, 'new', context.previousPollAt));
  }
  return out;
}

export function statusChanges(
  context: DetectionContext,
  previous: JobState,
  snapshot: JobSnapshot,
): PendingEvent[] {
  const before = previous.snapshot;
  // Part of the id: the same from->to transition can recur (a flapping status) and must not be
  // swallowed as a duplicate, while re-detecting it from the same previous state must reproduce it.
  const since = previous.lastChangedAt ?? '';
  const sawItAt = sawJobAt(context, previous);
  const out: PendingEvent[] = [];
  const previousStatus = before.statusName ?? UNKNOWN_STATUS;
  if (previousStatus !== snapshot.statusName) {
    out.push(jobStatusEvent(context, before, snapshot, `${previousStatus}@${since}`, sawItAt));
  }
  // A delivery that vanished from the job is recorded in the state but is nothing to act on.
  const previousDelivery = before.deliveryStatus ?? undefined;
  if (snapshot.deliveryStatus !== undefined && previousDelivery !== snapshot.deliveryStatus) {
    out.push(
      deliveryStatusEvent(context, before, snapshot, `${previousDelivery ?? 'none'}@${since}`, sawItAt),
    );
  }
  return out;
}

function jobStatusEvent(
  context: DetectionContext,
  before: JobSnapshot | undefined,
  snapshot: JobSnapshot,
  from: string,
  previousPollAt: string | undefined,
): PendingEvent {
  return jobEvent(context, {
    eventType: 'JOB_STATUS_CHANGED',
    severity: jobStatusSeverity(snapshot.statusName),
    snapshot,
    discriminator: `${from}->${snapshot.statusName}`,
    summary: jobStatusSummary(snapshot, before?.statusName),
    before: before ?? null,
    previousPollAt,
  });
}

function deliveryStatusEvent(
  context: DetectionContext,
  before: JobSnapshot | undefined,
  snapshot: JobSnapshot,
  from: string,
  previousPollAt: string | undefined,
): PendingEvent {
  const status = snapshot.deliveryStatus ?? UNKNOWN_STATUS;
  const details: Record<string, unknown> = {};
  if (status === 'READY' && snapshot.expires !== undefined) details.expires = snapshot.expires;
  return jobEvent(context, {
    eventType: 'DELIVERY_STATUS_CHANGED',
    severity: deliveryStatusSeverity(status, snapshot.downloaded),
    snapshot,
    discriminator: `${from}->${status}`,
    summary: deliveryStatusSummary(snapshot),
    before: before ?? null,
    previousPollAt,
    ...(Object.keys(details).length > 0 ? { details } : {}),
  });
}
