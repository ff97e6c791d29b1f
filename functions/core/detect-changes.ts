/**
 * Change detection: a pure function of (previous state, fetched jobs, now, settings) to (events, next
 * state). No clock, network or SDK; the poll orchestrator feeds it and persists what it returns.
 *
 * Rules that are easy to get wrong, and why they are the way they are:
 * - The first successful poll of a target records a baseline without JOB_CREATED or *_CHANGED events,
 *   so watching a project with fifty old restores does not page anyone. Time-based events
 *   (DELIVERY_EXPIRING, JOB_STUCK) still fire: they are about now, not about history.
 * - A job missing from one listing is marked `goneSince`, never deleted: listings glitch (pages shift
 *   while a job is created), and a deleted state would make the job "new" when it comes back.
 * - Every event id is derived from the change itself (see `eventId`), so detecting the same change
 *   twice after a crash yields the same id and the audit trail records it once.
 * - The API dates a job's request (`created`) but not its finish, delivery or download: a poll only
 *   learns that something happened since the previous poll. So status events carry that previous
 *   poll (`previousPollAt`) and a first-seen download its window (`downloadObserved`): the report's
 *   durations are ranges of exactly that width, never a false precision.
 *
 * The rules live in `detect/`, one module per kind of event (status, time, batch), with the job-state
 * bookkeeping they share; this module runs them over a listing and assembles the result.
 */

import { checkBatches } from './detect/batch-events.ts';
import {
  compareNumber,
  compareText,
  type DetectionContext,
  type PendingEvent,
} from './detect/detection-context.ts';
import { carryOver, firstSight, jobStatesEqual, sawJobAt } from './detect/job-state.ts';
import { arrival, statusChanges } from './detect/status-events.ts';
import { checkExpiry, checkStuck, nextTimeCheck, normaliseThresholds } from './detect/time-events.ts';
import { EVENT_TYPES } from './event-catalogue.ts';
import { parseInstant } from './instant.ts';
import { fingerprintJobs, toSnapshot } from './snapshot.ts';
import type {
  AlertSettings,
  JobSnapshot,
  JobState,
  MonitorEvent,
  RestoreJob,
  Target,
  TargetState,
} from './types.ts';

export { nextTimeCheck } from './detect/time-events.ts';

interface DetectContext {
  target: Target;
  previousTarget: TargetState | undefined;
  previousJobs: ReadonlyMap<string, JobState>;
  now: Date;
  settings: AlertSettings;
}

/**
 * The listing as fetched, or already reduced to `toSnapshot(job, target)` of each job in the same
 * order (the poll snapshots jobs as their pages arrive, so it need not keep the raw jobs).
 */
export type DetectInput = DetectContext &
  ({ fetched: readonly RestoreJob[] } | { snapshots: readonly JobSnapshot[]; fetched?: never });

export interface DetectOutput {
  /** In a stable order: by job `created`, then job, then catalogue order of the event type. */
  events: MonitorEvent[];
  /** The complete next state of every job (fetched ones and gone ones). */
  jobs: JobState[];
  /** Only the job states whose stored item must be written; an unchanged poll yields []. */
  changedJobs: JobState[];
  /** Next target state: baselined, healthy, with the listing's fingerprint and next time check. */
  target: TargetState;
}

export function detectChanges(input: DetectInput): DetectOutput {
  const { target, previousTarget, previousJobs, settings, now } = input;
  const context: DetectionContext = {
    target,
    now,
    nowMs: now.getTime(),
    nowIso: now.toISOString(),
    settings,
    thresholds: normaliseThresholds(settings.expiryWarningMinutes),
    baselined: previousTarget?.baselined === true,
    previousPollAt: previousTarget?.baselined === true ? previousTarget.lastSuccessAt : undefined,
  };

  const snapshots =
    input.fetched !== undefined ? input.fetched.map((job) => toSnapshot(job, target)) : input.snapshots;
  const pending: PendingEvent[] = [];
  const next = new Map<string, JobState>();

  for (const snapshot of snapshots) {
    // A job without an id cannot be followed from poll to poll (nor stored): it is ignored.
    if (snapshot.jobId === '') continue;
    // The same job on two pages (the listing shifted while paging): the first sighting wins.
    if (next.has(snapshot.jobId)) continue;
    const previous = previousJobs.get(snapshot.jobId);
    const state = previous
      ? carryOver(previous, snapshot, context.nowIso, sawJobAt(context, previous))
      : firstSight(snapshot, context.nowIso);
    if (context.baselined) {
      pending.push(...(previous ? statusChanges(context, previous, snapshot) : arrival(context, snapshot)));
    }
    pending.push(...checkExpiry(context, state), ...checkStuck(context, state));
    next.set(snapshot.jobId, state);
  }
  const listedCount = next.size;
  pending.push(...checkBatches(context, [...next.values()]));

  for (const [jobId, previous] of previousJobs) {
    if (next.has(jobId)) continue;
    next.set(jobId, previous.goneSince ? previous : { ...previous, goneSince: context.nowIso });
  }

  const jobs = [...next.values()];
  const changedJobs = [...next]
    .filter(([jobId, state]) => {
      const previous = previousJobs.get(jobId);
      return previous === undefined || !jobStatesEqual(previous, state);
    })
    .map(([, state]) => state);

  const nextTarget: TargetState = {
    projectId: target.projectId,
    clusterId: target.clusterId,
    name: target.name,
    baselined: true,
    lastPolledAt: context.nowIso,
    lastSuccessAt: context.nowIso,
    failureStreak: 0,
    failingAlerted: false,
    fingerprint: fingerprintJobs(snapshots),
    jobCount: listedCount,
  };
  // Kept after a recovery so `status` can still say what the last problem was and when.
  if (previousTarget?.lastError) nextTarget.lastError = previousTarget.lastError;
  const nextTimeCheckAt = nextTimeCheck(jobs, settings);
  if (nextTimeCheckAt !== undefined) nextTarget.nextTimeCheckAt = nextTimeCheckAt;

  return { events: sortEvents(pending), jobs, changedJobs, target: nextTarget };
}

/**
 * Cheap pre-check that avoids loading job states: true only when the listing cannot produce an event
 * or a state write. Equal fingerprint = no job changed, appeared or vanished; before `nextTimeCheckAt`
 * no expiry or stuck threshold can be crossed; a failing target must be healed by a full pass.
 */
export function canSkipDiff(
  previousTarget: TargetState | undefined,
  fetchedFingerprint: string,
  now: Date,
): boolean {
  if (!previousTarget?.baselined) return false;
  if (previousTarget.fingerprint === undefined || previousTarget.fingerprint !== fetchedFingerprint)
    return false;
  if (previousTarget.failureStreak > 0 || previousTarget.failingAlerted) return false;
  if (previousTarget.nextTimeCheckAt === undefined) return true;
  const dueMs = parseInstant(previousTarget.nextTimeCheckAt);
  return dueMs !== undefined && now.getTime() < dueMs;
}

function sortEvents(pending: readonly PendingEvent[]): MonitorEvent[] {
  return [...pending]
    .sort(
      (a, b) =>
        compareNumber(a.createdMs, b.createdMs) ||
        compareText(a.subject, b.subject) ||
        EVENT_TYPES.indexOf(a.event.eventType) - EVENT_TYPES.indexOf(b.event.eventType) ||
        compareText(a.event.eventId, b.event.eventId),
    )
    .map((item) => item.event);
}
