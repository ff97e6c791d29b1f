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
import { EVENT_TYPES } from '../event-catalogue.ts';
import type { AuditRecord, JobSnapshot, JobState } from '../types.ts';
import { TERMINAL_JOB_STATUSES } from '../types.ts';
import { minutesBetween, roundMinutes } from './range-statistics.ts';
import type { Incident, IncidentsSource, MinutesRange, RestoreRow, TargetIdentity } from './report-model.ts';

const IN_PROGRESS = 'IN_PROGRESS';
const MS_PER_MINUTE = 60_000;

/** The records of one target over the period, as `StateStore.readPeriod` returns them. */
export interface TargetPeriod {
  target: TargetIdentity & {
    /** The target's latest successful poll: a running restore was last seen running then. */
    lastSuccessAt?: string;
  };
  events: readonly AuditRecord[];
  jobs: readonly JobState[];
}

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

function ms(value: string | null | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/**
 * `detectedAt` in milliseconds, parsed once per record: a report compares the times of tens of
 * thousands of events many times over. A WeakMap, so the cache goes with the records.
 */
const detectedTimes = new WeakMap<AuditRecord, number>();
function detectedMs(event: AuditRecord): number {
  let at = detectedTimes.get(event);
  if (at === undefined) {
    at = ms(event.detectedAt) ?? 0;
    detectedTimes.set(event, at);
  }
  return at;
}

/** Oldest first; each time parsed once (a 90-day trail of a busy fleet is tens of thousands). */
/** By detection time; events of one poll in catalogue order, as detection reports them. */
function chronological(events: readonly AuditRecord[]): AuditRecord[] {
  return events
    .map((event) => ({ event, at: detectedMs(event), order: EVENT_TYPES.indexOf(event.eventType) }))
    .sort((a, b) => a.at - b.at || a.order - b.order)
    .map(({ event }) => event);
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

/** The events of each job, in the order given (events without a job are left out). */
function eventsByJob(events: readonly AuditRecord[]): Map<string, AuditRecord[]> {
  const byJob = new Map<string, AuditRecord[]>();
  for (const event of events) {
    if (!event.jobId) continue;
    const list = byJob.get(event.jobId);
    if (list) list.push(event);
    else byJob.set(event.jobId, [event]);
  }
  return byJob;
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

/**
 * The kind of incident an event opens, from what it says (`null`: it opens none).
 */
function incidentKindOf(event: AuditRecord): Incident['kind'] | null {
  switch (event.eventType) {
    case 'TARGET_FAILING':
      return 'TARGET_FAILING';
    case 'JOB_STUCK':
      return 'JOB_STUCK';
    case 'DELIVERY_EXPIRING':
      return 'DELIVERY_EXPIRING';
    case 'JOB_STATUS_CHANGED': {
      const status = event.after?.statusName;
      return status === 'BROKEN' ? 'JOB_BROKEN' : status === 'KILLED' ? 'JOB_KILLED' : null;
    }
    case 'DELIVERY_STATUS_CHANGED': {
      const delivery = event.after?.deliveryStatus;
      return delivery === 'FAILED' || delivery === 'INTERRUPTED' ? 'DELIVERY_FAILED' : null;
    }
    default:
      return null;
  }
}

/**
 * Incidents of one target in the period. Events recorded with an incident key (`incidentKey`,
 * `action`: every event since on-call incidents exist) are followed by key: a trigger opens the
 * incident unless it is already open (a second trigger joins it, as PagerDuty does), the first later
 * resolve of the key closes it. Older events, recorded before incident keys existed, are read as
 * their condition alerts: a failing streak resolved by the recovery, a stuck job resolved when it
 * ended, a link about to expire resolved by the next delivery change, a broken, killed or failed
 * restore left open.
 */
export function incidentsOf(period: TargetPeriod): Incident[] {
  const events = chronological(period.events);
  // Indexes, so that finding what resolved an incident is a short scan, not one over the whole period.
  const recoveries = events.filter((event) => event.eventType === 'TARGET_RECOVERED');
  const byJob = eventsByJob(events);
  const byKey = new Map<string, AuditRecord[]>();
  for (const event of events) {
    if (!event.incidentKey) continue;
    const list = byKey.get(event.incidentKey);
    if (list) list.push(event);
    else byKey.set(event.incidentKey, [event]);
  }
  /** The first later record matching; `sameInstant` also takes one detected at the same instant. */
  const firstAfter = (
    list: readonly AuditRecord[],
    event: AuditRecord,
    match: (next: AuditRecord) => boolean,
    sameInstant = false,
  ) => {
    const from = detectedMs(event);
    const found = list.find((next) => {
      const at = detectedMs(next);
      return next !== event && (at > from || (sameInstant && at === from)) && match(next);
    });
    return found?.detectedAt ?? null;
  };
  /** Keyed incidents still open, so a second trigger of the same key joins the first. */
  const open = new Map<string, Incident>();
  const out: Incident[] = [];
  for (const event of events) {
    const key = event.incidentKey;
    if (key && event.action === 'resolve') {
      open.delete(key);
      continue;
    }
    const kind = incidentKindOf(event);
    if (kind === null) continue;
    if (key && event.action === 'trigger') {
      if (open.has(key)) continue;
      const incident: Incident = {
        kind,
        target: period.target.name,
        jobId: event.jobId ?? null,
        openedAt: event.detectedAt,
        // A trigger and a resolve of one key never share a poll, but two polls can share an instant.
        resolvedAt: firstAfter(byKey.get(key) ?? [], event, (next) => next.action === 'resolve', true),
        eventId: event.eventId,
      };
      open.set(key, incident);
      out.push(incident);
      continue;
    }
    if (key) continue; // keyed, but neither a trigger nor a resolve (a reminder, an info)
    const jobEvents = (event.jobId ? byJob.get(event.jobId) : undefined) ?? [];
    const resolvedAt =
      kind === 'TARGET_FAILING'
        ? firstAfter(recoveries, event, () => true, true)
        : kind === 'JOB_STUCK'
          ? firstAfter(
              jobEvents,
              event,
              (next) =>
                next.eventType === 'JOB_STATUS_CHANGED' &&
                TERMINAL_JOB_STATUSES.has(next.after?.statusName ?? ''),
            )
          : kind === 'DELIVERY_EXPIRING'
            ? firstAfter(jobEvents, event, (next) => next.eventType === 'DELIVERY_STATUS_CHANGED')
            : null;
    out.push({
      kind,
      target: period.target.name,
      jobId: event.jobId ?? null,
      openedAt: event.detectedAt,
      resolvedAt,
      eventId: event.eventId,
    });
  }
  return out;
}

/** Where the incidents of a period come from: incident keys, older condition alerts, or both. */
export function incidentSource(periods: readonly TargetPeriod[]): IncidentsSource {
  let keyed = false;
  let unkeyed = false;
  for (const period of periods) {
    for (const event of period.events) {
      if (incidentKindOf(event) === null) continue;
      if (event.incidentKey) keyed = true;
      else unkeyed = true;
    }
  }
  return keyed && unkeyed ? 'incident-keys+condition-alerts' : unkeyed ? 'condition-alerts' : 'incident-keys';
}
