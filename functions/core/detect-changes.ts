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
 */
import { deliveryStatusSeverity, EVENT_TYPES, jobStatusSeverity, worstSeverity } from './event-catalogue.ts';
import { eventId } from './event-id.ts';
import {
  batchCompletedSummary,
  deliveryExpiringSummary,
  deliveryStatusSummary,
  jobCreatedSummary,
  jobStatusSummary,
  jobStuckSummary,
} from './event-summary.ts';
import { instantToIso, MS_PER_MINUTE, parseInstant } from './instant.ts';
import { fingerprintJobs, snapshotsEqual, toSnapshot, UNKNOWN_STATUS } from './snapshot.ts';
import {
  type AlertSettings,
  type BatchMember,
  type EventType,
  type JobSnapshot,
  type JobState,
  type MonitorEvent,
  type RestoreJob,
  SEVERITY_ORDER,
  type Severity,
  type Target,
  type TargetState,
  TERMINAL_JOB_STATUSES,
} from './types.ts';

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

/** Statuses a job or delivery starts in: a job first seen in one of them reports only JOB_CREATED. */
const INITIAL_JOB_STATUSES: ReadonlySet<string> = new Set(['IN_PROGRESS', UNKNOWN_STATUS]);
const INITIAL_DELIVERY_STATUSES: ReadonlySet<string> = new Set(['NOT_STARTED', 'IN_PROGRESS']);

interface Context {
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
interface Pending {
  event: MonitorEvent;
  createdMs: number;
  subject: string;
}

export function detectChanges(input: DetectInput): DetectOutput {
  const { target, previousTarget, previousJobs, settings, now } = input;
  const context: Context = {
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
  const pending: Pending[] = [];
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

/**
 * The earliest instant at which a DELIVERY_EXPIRING or JOB_STUCK could fire for a threshold not yet
 * alerted, or `undefined` when none is pending. Gone jobs are skipped: they raise no time-based events.
 */
export function nextTimeCheck(jobs: readonly JobState[], settings: AlertSettings): string | undefined {
  const thresholds = normaliseThresholds(settings.expiryWarningMinutes);
  let earliest = Number.POSITIVE_INFINITY;
  for (const state of jobs) {
    if (state.goneSince) continue;
    const snapshot = state.snapshot;
    if (snapshot.deliveryStatus === 'READY') {
      const expiresMs = parseInstant(snapshot.expires);
      const alerted = new Set(alertedThresholds(state));
      const widest = thresholds.find((threshold) => !alerted.has(threshold));
      if (expiresMs !== undefined && widest !== undefined) {
        earliest = Math.min(earliest, expiresMs - widest * MS_PER_MINUTE);
      }
    }
    if (snapshot.statusName === 'IN_PROGRESS' && state.stuckAlerted !== true) {
      const startMs = stuckClockStart(state);
      if (startMs !== undefined)
        earliest = Math.min(earliest, startMs + settings.stuckAfterMinutes * MS_PER_MINUTE);
    }
  }
  return instantToIso(earliest);
}

function normaliseThresholds(list: readonly number[]): number[] {
  const valid = list.filter(
    (minutes) => typeof minutes === 'number' && Number.isFinite(minutes) && minutes > 0,
  );
  return [...new Set(valid)].sort((a, b) => b - a);
}

/** Tolerates a stored list that came back as a Set (a DynamoDB number set) or not at all. */
function alertedThresholds(state: JobState): number[] {
  const stored: unknown = state.expiryAlerted;
  if (Array.isArray(stored)) return stored;
  return stored instanceof Set ? [...stored] : [];
}

/** JOB_STUCK counts from `created`; a job without one counts from when the monitor first saw it. */
function stuckClockStart(state: JobState): number | undefined {
  return parseInstant(state.snapshot.created) ?? parseInstant(state.firstSeenAt);
}

function firstSight(snapshot: JobSnapshot, nowIso: string): JobState {
  const state: JobState = {
    snapshot,
    firstSeenAt: nowIso,
    lastChangedAt: nowIso,
    expiryAlerted: [],
    stuckAlerted: false,
    batchCompletedAlerted: false,
  };
  // Downloaded before the monitor knew the job: only an upper bound is known.
  if (snapshot.downloaded) state.downloadObserved = { by: nowIso };
  return state;
}

/**
 * The previous state moved forward to `snapshot`; a returning job loses its `goneSince`. `sawItAt` is
 * the previous poll that listed the job (see `sawJobAt`): a download first seen now happened after it.
 */
function carryOver(
  previous: JobState,
  snapshot: JobSnapshot,
  nowIso: string,
  sawItAt: string | undefined,
): JobState {
  const changed = !snapshotsEqual(previous.snapshot, snapshot);
  // A new `expires` means a new delivery: its warnings start over.
  const sameExpires = (previous.snapshot.expires ?? undefined) === snapshot.expires;
  const state: JobState = {
    snapshot,
    firstSeenAt: previous.firstSeenAt ?? nowIso,
    lastChangedAt: changed ? nowIso : (previous.lastChangedAt ?? nowIso),
    expiryAlerted: sameExpires ? [...alertedThresholds(previous)] : [],
    stuckAlerted: previous.stuckAlerted === true,
    batchCompletedAlerted: previous.batchCompletedAlerted === true,
  };
  if (previous.downloadObserved) {
    state.downloadObserved = previous.downloadObserved;
  } else if (snapshot.downloaded && previous.snapshot.downloaded !== true) {
    state.downloadObserved = sawItAt === undefined ? { by: nowIso } : { after: sawItAt, by: nowIso };
  }
  return state;
}

/**
 * The previous poll that listed this job, when known: the target's previous successful poll, unless
 * the job was missing from it (then when it was last listed is not known).
 */
function sawJobAt(context: Context, previous: JobState): string | undefined {
  return previous.goneSince === undefined ? context.previousPollAt : undefined;
}

function jobStatesEqual(a: JobState, b: JobState): boolean {
  return (
    snapshotsEqual(a.snapshot, b.snapshot) &&
    a.firstSeenAt === b.firstSeenAt &&
    a.lastChangedAt === b.lastChangedAt &&
    (a.goneSince ?? undefined) === (b.goneSince ?? undefined) &&
    a.stuckAlerted === b.stuckAlerted &&
    a.batchCompletedAlerted === b.batchCompletedAlerted &&
    a.downloadObserved?.after === b.downloadObserved?.after &&
    a.downloadObserved?.by === b.downloadObserved?.by &&
    sameNumberSet(alertedThresholds(a), alertedThresholds(b))
  );
}

function sameNumberSet(a: readonly number[], b: readonly number[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((value) => right.has(value));
}

function jobEvent(
  context: Context,
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
): Pending {
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

/**
 * A job first seen after the baseline. Besides JOB_CREATED, a job already past its initial status
 * reports that status: a restore that broke, or became downloadable, between two polls must not go
 * unnoticed just because nobody saw it running.
 */
function arrival(context: Context, snapshot: JobSnapshot): Pending[] {
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

function statusChanges(context: Context, previous: JobState, snapshot: JobSnapshot): Pending[] {
  const before = previous.snapshot;
  // Part of the id: the same from->to transition can recur (a flapping status) and must not be
  // swallowed as a duplicate, while re-detecting it from the same previous state must reproduce it.
  const since = previous.lastChangedAt ?? '';
  const sawItAt = sawJobAt(context, previous);
  const out: Pending[] = [];
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
  context: Context,
  before: JobSnapshot | undefined,
  snapshot: JobSnapshot,
  from: string,
  previousPollAt: string | undefined,
): Pending {
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
  context: Context,
  before: JobSnapshot | undefined,
  snapshot: JobSnapshot,
  from: string,
  previousPollAt: string | undefined,
): Pending {
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

/**
 * DELIVERY_EXPIRING: once per threshold per `expires`. Several thresholds crossed at once (the monitor
 * first saw the delivery late, or was down) give one warning, for the tightest, and mark them all.
 * Mutates `state.expiryAlerted` (the state is this poll's own copy).
 */
function checkExpiry(context: Context, state: JobState): Pending[] {
  const snapshot = state.snapshot;
  if (snapshot.deliveryStatus !== 'READY' || context.thresholds.length === 0) return [];
  const expiresMs = parseInstant(snapshot.expires);
  if (expiresMs === undefined) return [];
  const minutesLeft = (expiresMs - context.nowMs) / MS_PER_MINUTE;
  const alerted = new Set(alertedThresholds(state));
  // Past `expires` the link no longer works: too late to warn. The change to EXPIRED will report it;
  // marking the thresholds keeps a stale READY from forcing a full diff on every poll.
  const crossed = minutesLeft <= 0 ? context.thresholds : context.thresholds.filter((t) => minutesLeft <= t);
  if (crossed.length === 0) return [];
  const tightest = crossed[crossed.length - 1] as number;
  const fire = minutesLeft > 0 && !alerted.has(tightest);
  for (const threshold of crossed) alerted.add(threshold);
  state.expiryAlerted = [...alerted].sort((a, b) => b - a);
  if (!fire) return [];
  return [
    jobEvent(context, {
      eventType: 'DELIVERY_EXPIRING',
      severity: 'warning',
      snapshot,
      discriminator: `${tightest}@${snapshot.expires}`,
      summary: deliveryExpiringSummary(snapshot, minutesLeft),
      details: {
        thresholdMinutes: tightest,
        expires: snapshot.expires,
        minutesLeft: Math.floor(minutesLeft),
      },
    }),
  ];
}

/** JOB_STUCK: once per job. Mutates `state.stuckAlerted`. */
function checkStuck(context: Context, state: JobState): Pending[] {
  const snapshot = state.snapshot;
  if (snapshot.statusName !== 'IN_PROGRESS' || state.stuckAlerted) return [];
  const startMs = stuckClockStart(state);
  if (startMs === undefined) return [];
  const inProgressMinutes = (context.nowMs - startMs) / MS_PER_MINUTE;
  const stuckAfterMinutes = context.settings.stuckAfterMinutes;
  if (!(inProgressMinutes >= stuckAfterMinutes)) return [];
  state.stuckAlerted = true;
  return [
    jobEvent(context, {
      eventType: 'JOB_STUCK',
      severity: 'warning',
      snapshot,
      discriminator: 'stuck',
      summary: jobStuckSummary(snapshot, inProgressMinutes),
      details: { inProgressMinutes: Math.floor(inProgressMinutes), stuckAfterMinutes },
    }),
  ];
}

/**
 * BATCH_COMPLETED: once per sharded-restore batch, when every listed job of it is terminal. A batch
 * complete at baseline is marked without an event. Mutates `batchCompletedAlerted` of the members.
 */
function checkBatches(context: Context, listed: readonly JobState[]): Pending[] {
  const batches = new Map<string, JobState[]>();
  for (const state of listed) {
    const batchId = state.snapshot.batchId;
    if (batchId === undefined) continue;
    const members = batches.get(batchId);
    if (members) members.push(state);
    else batches.set(batchId, [state]);
  }
  const out: Pending[] = [];
  for (const [batchId, members] of batches) {
    if (!members.every((member) => TERMINAL_JOB_STATUSES.has(member.snapshot.statusName))) continue;
    // A shard listed late after the summary went out joins the batch silently.
    const alreadyAlerted = members.some((member) => member.batchCompletedAlerted);
    for (const member of members) member.batchCompletedAlerted = true;
    if (alreadyAlerted || !context.baselined) continue;
    out.push(batchEvent(context, batchId, members));
  }
  return out;
}

function batchEvent(context: Context, batchId: string, members: readonly JobState[]): Pending {
  const { target } = context;
  const snapshots = members.map((member) => member.snapshot).sort(byCreatedThenId);
  const rows: BatchMember[] = snapshots.map((snapshot) => {
    const row: BatchMember = { jobId: snapshot.jobId, statusName: snapshot.statusName };
    if (snapshot.deliveryStatus !== undefined) row.deliveryStatus = snapshot.deliveryStatus;
    if (snapshot.hostId !== undefined) row.hostId = snapshot.hostId;
    return row;
  });
  const severities = snapshots.map((snapshot) => jobStatusSeverity(snapshot.statusName));
  const counts = new Map<string, number>();
  for (const snapshot of snapshots)
    counts.set(snapshot.statusName, (counts.get(snapshot.statusName) ?? 0) + 1);
  const worstFirst = [...counts].sort(
    ([a], [b]) =>
      SEVERITY_ORDER[jobStatusSeverity(b)] - SEVERITY_ORDER[jobStatusSeverity(a)] || compareText(a, b),
  );
  const memberIds = snapshots.map((snapshot) => snapshot.jobId).sort();
  const event: MonitorEvent = {
    eventId: eventId({
      eventType: 'BATCH_COMPLETED',
      projectId: target.projectId,
      clusterId: target.clusterId,
      batchId,
      discriminator: `completed:${memberIds.join(',')}`,
    }),
    eventType: 'BATCH_COMPLETED',
    severity: worstSeverity(severities),
    projectId: target.projectId,
    clusterId: target.clusterId,
    targetName: target.name,
    batchId,
    detectedAt: context.nowIso,
    summary: batchCompletedSummary(batchId, worstFirst),
    details: { members: rows, memberCount: rows.length },
  };
  // Reported after the events of its last member: the summary reads as the end of the story.
  const latest = Math.max(...snapshots.map(createdMs).filter(Number.isFinite), Number.NEGATIVE_INFINITY);
  return {
    event,
    createdMs: Number.isFinite(latest) ? latest : Number.POSITIVE_INFINITY,
    subject: `~${batchId}`,
  };
}

function createdMs(snapshot: JobSnapshot): number {
  // Jobs without a usable `created` sort last rather than first: they are the odd ones.
  return parseInstant(snapshot.created) ?? Number.POSITIVE_INFINITY;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareNumber(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byCreatedThenId(a: JobSnapshot, b: JobSnapshot): number {
  return compareNumber(createdMs(a), createdMs(b)) || compareText(a.jobId, b.jobId);
}

function sortEvents(pending: readonly Pending[]): MonitorEvent[] {
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
