/**
 * What every detection rule works with: the target, the clock of this poll, the settings, and how an
 * event about one job is built. Rules produce `PendingEvent`s, which `detectChanges` sorts.
 */
import { eventId } from '../event-id.ts';
import { parseInstant } from '../instant.ts';
import type { AlertSettings, EventType, JobSnapshot, MonitorEvent, Severity, Target } from '../types.ts';

export interface DetectionContext {
  target: Target;
  now: Date;
  nowMs: number;
  nowIso: string;
  settings: AlertSettings;
  /** Distinct positive thresholds, descending. */
  thresholds: number[];
  baselined: boolean;
  /**
   * The target's previous successful poll, once baselined: every change this poll sees happened after
   * it (for a job it listed). Recorded on events so that the report can say how precisely it knows when.
   */
  previousPollAt: string | undefined;
}

/** An event with what it is sorted by. */
export interface PendingEvent {
  event: MonitorEvent;
  createdMs: number;
  subject: string;
}

export function jobEvent(
  context: DetectionContext,
  parts: {
    eventType: EventType;
    severity: Severity;
    snapshot: JobSnapshot;
    discriminator: string;
    summary: string;
    before?: JobSnapshot | null;
    details?: Record<string, unknown>;
    /** See `MonitorEvent.previousPollAt`. */
    previousPollAt?: string | undefined;
  },
): PendingEvent {
  const { target } = context;
  const { snapshot } = parts;
  const event: MonitorEvent = {
    eventId: eventId({
      eventType: parts.eventType,
      projectId: target.projectId,
      clusterId: target.clusterId,
      jobId: snapshot.jobId,
      discriminator: parts.discriminator,
    }),
    eventType: parts.eventType,
    severity: parts.severity,
    projectId: target.projectId,
    clusterId: target.clusterId,
    targetName: target.name,
    jobId: snapshot.jobId,
    detectedAt: context.nowIso,
    summary: parts.summary,
    after: snapshot,
  };
  if (parts.previousPollAt !== undefined) event.previousPollAt = parts.previousPollAt;
  // The batch id lets the notifier put the events of one sharded restore in one message.
  if (snapshot.batchId !== undefined) event.batchId = snapshot.batchId;
  if (parts.before !== undefined) event.before = parts.before;
  if (parts.details !== undefined) event.details = parts.details;
  return { event, createdMs: createdMs(snapshot), subject: snapshot.jobId };
}

export function createdMs(snapshot: JobSnapshot): number {
  // Jobs without a usable `created` sort last rather than first: they are the odd ones.
  return parseInstant(snapshot.created) ?? Number.POSITIVE_INFINITY;
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareNumber(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function byCreatedThenId(a: JobSnapshot, b: JobSnapshot): number {
  return compareNumber(createdMs(a), createdMs(b)) || compareText(a.jobId, b.jobId);
}
