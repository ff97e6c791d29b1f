/**
 * What the records of one target say about each restore of a period: the audit trail (events detected
 * in the period) and the job states (jobs requested in it) reduced to one row per restore, with every
 * instant the API does not give carried as the window in which it happened. Pure: no clock, no I/O.
 *
 * Which restores: those requested (`created`) in [since, until) that the monitor had seen by `until`.
 * A job without `created` counts from when it was first seen. Everything is "as of `until`": a restore
 * that finished after the period is reported as running, from the trail alone.
 *
 * Where each fact comes from:
 * - the status when first seen: JOB_CREATED (the monitor saw the request), else the `before` of the
 *   first status change, else the job state (a job first seen at a target's baseline, with no event);
 * - the outcome: the last status change in the period, else the status when first seen;
 * - the finish window: the status change out of IN_PROGRESS, detected at `outcomeBy`, after
 *   `previousPollAt` (older events: after the job's latest earlier record);
 * - ready: the change of the delivery to READY, windowed the same way; downloaded: the window kept on
 *   the job state (`downloadObserved`), else the first event whose snapshot shows it downloaded.
 */
import type { AuditRecord, JobSnapshot, JobState } from '../types.ts';
import { TERMINAL_JOB_STATUSES } from '../types.ts';
import { minutesBetween, roundMinutes } from './range-statistics.ts';
import type { MinutesRange, RestoreRow } from './report-model.ts';
import { chronological, detectedMs, eventsByJob, ms, type TargetPeriod } from './target-period.ts';

const IN_PROGRESS = 'IN_PROGRESS';
const MS_PER_MINUTE = 60_000;

/** A restore with what the aggregates need besides its row. */
export interface ReconstructedRestore {
  row: RestoreRow;
  requestedMs: number | undefined;
  hostId: string | null;
  /** Request to the end of the period, for a restore still running then. */
  runningFor: MinutesRange | null;
}

interface Bounds {
  sinceMs: number;
  untilMs: number;
}

/** The snapshots a job's records carry, newest last. */
function snapshotsOf(events: readonly AuditRecord[], state: JobState | undefined): Partial<JobSnapshot>[] {
  const out: Partial<JobSnapshot>[] = [];
  for (const event of events) {
    if (event.before) out.push(event.before);
    if (event.after) out.push(event.after);
  }
  if (state) out.push(state.snapshot);
  return out;
}

function firstDefined<K extends keyof JobSnapshot>(
  snapshots: readonly Partial<JobSnapshot>[],
  field: K,
): JobSnapshot[K] | undefined {
  for (const snapshot of snapshots) {
    const value = snapshot[field];
    if (value !== undefined && value !== null && value !== '') return value as JobSnapshot[K];
  }
  return undefined;
}

/** The latest record of the job detected strictly before `beforeMs`: it saw the earlier state. */
function latestEarlier(events: readonly AuditRecord[], beforeMs: number, state: JobState | undefined) {
  let latest: number | undefined;
  for (const event of events) {
    const at = detectedMs(event);
    if (at !== undefined && at < beforeMs && (latest === undefined || at > latest)) latest = at;
  }
  const firstSeen = ms(state?.firstSeenAt);
  if (latest === undefined && firstSeen !== undefined && firstSeen < beforeMs) latest = firstSeen;
  return latest;
}

/** Lower bound of when the change recorded by `event` happened. */
function changedAfter(
  event: AuditRecord,
  events: readonly AuditRecord[],
  state: JobState | undefined,
): number | undefined {
  const previousPoll = ms(event.previousPollAt);
  if (previousPoll !== undefined) return previousPoll;
  return latestEarlier(events, detectedMs(event), state);
}

function iso(value: number | undefined): string | null {
  return value === undefined ? null : new Date(value).toISOString();
}

function reconstruct(
  target: TargetPeriod['target'],
  jobId: string,
  events: readonly AuditRecord[],
  state: JobState | undefined,
  bounds: Bounds,
): ReconstructedRestore {
  const snapshots = snapshotsOf(events, state);
  const requestedMs = ms(firstDefined(snapshots, 'created'));
  const created = events.find((event) => event.eventType === 'JOB_CREATED');
  const statusChanges = events.filter((event) => event.eventType === 'JOB_STATUS_CHANGED');
  const firstSeenStatus =
    created?.after?.statusName ??
    statusChanges.find((event) => event.before)?.before?.statusName ??
    state?.snapshot.statusName ??
    'UNKNOWN';
  const outcome = statusChanges.at(-1)?.after?.statusName ?? firstSeenStatus;
  const seenInProgress =
    firstSeenStatus === IN_PROGRESS ||
    statusChanges.some((event) => event.before?.statusName === IN_PROGRESS);

  // The change that ended the restore, seen from a non-terminal status (a job first seen finished has none).
  const ended = statusChanges.find(
    (event) =>
      TERMINAL_JOB_STATUSES.has(event.after?.statusName ?? '') &&
      event.before?.statusName !== undefined &&
      !TERMINAL_JOB_STATUSES.has(event.before.statusName),
  );
  const endedBy = ms(ended?.detectedAt);
  const endedAfter = ended ? changedAfter(ended, events, state) : undefined;
  const terminal = TERMINAL_JOB_STATUSES.has(outcome);
  let outcomeBy: number | undefined = endedBy;
  if (terminal && outcomeBy === undefined) {
    // First seen finished: all that is known is that it was over by then.
    outcomeBy = ms(created?.detectedAt) ?? ms(statusChanges.at(-1)?.detectedAt) ?? ms(state?.firstSeenAt);
  }

  let noDurationReason: RestoreRow['noDurationReason'] = null;
  if (outcome === IN_PROGRESS) noDurationReason = 'running';
  else if (!seenInProgress) noDurationReason = 'first-seen-finished';
  else if (requestedMs === undefined) noDurationReason = 'no-request-time';
  else if (!terminal || endedBy === undefined || endedAfter === undefined)
    noDurationReason = 'no-finish-window';
  const duration =
    noDurationReason === null && requestedMs !== undefined && endedBy !== undefined
      ? minutesBetween(requestedMs, endedAfter, endedBy)
      : null;

  // Delivery: the latest snapshot of the period says where it stood at its end.
  const latest = [...events].reverse().find((event) => event.after)?.after ?? state?.snapshot;
  const ready = events.find(
    (event) => event.eventType === 'DELIVERY_STATUS_CHANGED' && event.after?.deliveryStatus === 'READY',
  );
  const readyBy = ms(ready?.detectedAt);
  const readyAfter = ready
    ? (ms(ready.previousPollAt) ?? (ready.before ? latestEarlier(events, readyBy ?? 0, state) : undefined))
    : undefined;
  const observed = state?.downloadObserved;
  const observedBy = ms(observed?.by);
  let downloadBy: number | undefined;
  let downloadAfter: number | undefined;
  if (observedBy !== undefined && observedBy < bounds.untilMs) {
    downloadBy = observedBy;
    downloadAfter = ms(observed?.after);
  } else {
    downloadBy = ms(events.find((event) => event.after?.downloaded === true)?.detectedAt);
  }
  const downloaded = downloadBy !== undefined;
  let readyToDownloaded: MinutesRange | null = null;
  if (
    readyBy !== undefined &&
    readyAfter !== undefined &&
    downloadBy !== undefined &&
    downloadAfter !== undefined
  ) {
    const low = Math.max(0, (downloadAfter - readyBy) / MS_PER_MINUTE);
    const high = Math.max(low, (downloadBy - readyAfter) / MS_PER_MINUTE);
    readyToDownloaded = { lowMinutes: roundMinutes(low), highMinutes: roundMinutes(high) };
  }
  // The latest snapshot, so a link that expired before the baseline (no event) counts too.
  const expiredUnused = !downloaded && latest?.deliveryStatus === 'EXPIRED' && latest.downloaded !== true;

  let runningFor: MinutesRange | null = null;
  if (outcome === IN_PROGRESS && requestedMs !== undefined) {
    const lastSeen = Math.min(
      bounds.untilMs,
      ms(target.lastSuccessAt) ?? ms(events.at(-1)?.detectedAt) ?? bounds.untilMs,
    );
    runningFor = minutesBetween(requestedMs, lastSeen, bounds.untilMs);
  }

  return {
    row: {
      target: target.name,
      projectId: target.projectId,
      clusterId: target.clusterId,
      jobId,
      batchId: firstDefined(snapshots, 'batchId') ?? events.find((event) => event.batchId)?.batchId ?? null,
      requestedAt: iso(requestedMs),
      firstSeen: created ? 'requested' : 'baseline',
      firstSeenStatus,
      outcome,
      outcomeAfter: iso(endedAfter),
      outcomeBy: iso(outcomeBy),
      duration,
      finishWindowMinutes:
        duration && endedBy !== undefined && endedAfter !== undefined
          ? roundMinutes((endedBy - endedAfter) / MS_PER_MINUTE)
          : null,
      noDurationReason,
      deliveryStatus: latest?.deliveryStatus ?? null,
      readyBy: iso(readyBy),
      downloadedBy: iso(downloadBy),
      readyToDownloaded,
      downloaded,
      expiredUnused,
      stuckAlerted: events.some((event) => event.eventType === 'JOB_STUCK'),
    },
    requestedMs,
    hostId: firstDefined(snapshots, 'hostId') ?? null,
    runningFor,
  };
}

/** The restores of one target requested in the period, oldest request first. */
export function restoresOf(period: TargetPeriod, bounds: Bounds): ReconstructedRestore[] {
  const events = chronological(period.events);
  const byJob = eventsByJob(events);
  const states = new Map(period.jobs.map((state) => [state.snapshot.jobId, state]));
  const jobIds = new Set([...states.keys(), ...byJob.keys()]);
  const out: ReconstructedRestore[] = [];
  for (const jobId of jobIds) {
    const jobEvents = byJob.get(jobId) ?? [];
    const state = states.get(jobId);
    // Seen by the end of the period: an event in it, or a first sight before its end.
    const seenMs = ms(jobEvents[0]?.detectedAt) ?? ms(state?.firstSeenAt);
    if (seenMs === undefined || seenMs >= bounds.untilMs) continue;
    const restore = reconstruct(period.target, jobId, jobEvents, state, bounds);
    const requested = restore.requestedMs ?? ms(state?.firstSeenAt) ?? seenMs;
    if (requested < bounds.sinceMs || requested >= bounds.untilMs) continue;
    out.push(restore);
  }
  return out.sort(
    (a, b) =>
      (a.requestedMs ?? Number.POSITIVE_INFINITY) - (b.requestedMs ?? Number.POSITIVE_INFINITY) ||
      (a.row.jobId < b.row.jobId ? -1 : a.row.jobId > b.row.jobId ? 1 : 0),
  );
}
