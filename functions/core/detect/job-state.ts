/**
 * What the monitor remembers of one job between polls, and how it moves forward: first sight, carried
 * over (a returning job loses `goneSince`; a new `expires` starts its warnings over; a download keeps
 * the window it was first seen in), compared.
 */
import { parseInstant } from '../instant.ts';
import { snapshotsEqual } from '../snapshot.ts';
import type { JobSnapshot, JobState } from '../types.ts';
import type { DetectionContext } from './detection-context.ts';

/** Tolerates a stored list that came back as a Set (a DynamoDB number set) or not at all. */
export function alertedThresholds(state: JobState): number[] {
  const stored: unknown = state.expiryAlerted;
  if (Array.isArray(stored)) return stored;
  return stored instanceof Set ? [...stored] : [];
}

/** JOB_STUCK counts from `created`; a job without one counts from when the monitor first saw it. */
export function stuckClockStart(state: JobState): number | undefined {
  return parseInstant(state.snapshot.created) ?? parseInstant(state.firstSeenAt);
}

export function firstSight(snapshot: JobSnapshot, nowIso: string): JobState {
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
export function carryOver(
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
export function sawJobAt(context: DetectionContext, previous: JobState): string | undefined {
  return previous.goneSince === undefined ? context.previousPollAt : undefined;
}

export function jobStatesEqual(a: JobState, b: JobState): boolean {
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
