/**
 * Polling one target, in two steps so that a dry run can take the first and never the second:
 *
 * - `observeTarget` reads: it streams the listing, reduces each job to its snapshot and fingerprint
 *   as it arrives (a long history is never held raw), skips the diff when nothing changed (guarantee
 *   3 of the poll), otherwise loads the states of the jobs that can produce an event (below) and runs
 *   `detectChanges` over them. It writes nothing.
 * - Which job states a diff reads, and which snapshots a long listing keeps: listing.ts (K1-K4).
 * - `recordObservation` writes what was observed: events first (owed), then job states with the new
 *   digest, so a crash in between re-detects the same event ids (guarantee 2). A digest is usable
 *   only while the target state's fingerprint is its own, so a run that dies before saving the target
 *   state leaves a digest that is never used. A failed poll records TARGET_FAILING and the
 *   target's streak at once, so a run that dies later still knows the failure was alerted.
 *
 * A state-store failure is this target's failure only (guarantee 5): its owed events are held back
 * until a run saves its state. A lost lease is not a target failure: it stops the run, so it is thrown.
 */
import { createHash } from 'node:crypto';
import { toAuditRecord } from './audit-record.ts';
import { canSkipDiff, detectChanges } from './detect-changes.ts';
import { describeError, LeaseLostError } from './errors.ts';
import type { Incident } from './incident-state.ts';
import type { IncidentCounts } from './incidents.ts';
import { type JobDigest, listingFingerprint } from './job-digest.ts';
import { diffInput, LARGE_LISTING_JOBS, type Listing, readListing } from './listing.ts';
import type { Logger } from './logger.ts';
import type { RestoreJobSource, StateReader, StateStore } from './ports.ts';
import { isProjectPseudoTarget } from './resolve-targets.ts';
import {
  recordTargetFailure,
  recordTargetSuccess,
  type TargetFailure,
  toTargetFailure,
} from './target-health.ts';
import type { AlertSettings, AuditRecord, JobState, Target, TargetState } from './types.ts';
import { targetKey } from './types.ts';

export interface ObserveContext {
  source: RestoreJobSource;
  state: StateReader;
  now: () => Date;
  runId: string;
  settings: AlertSettings;
  signal: AbortSignal;
  logger: Logger;
  /** Why a project's clusters could not be listed, keyed by its pseudo target. */
  projectFailures: ReadonlyMap<string, TargetFailure>;
  /** Listings longer than this keep only their changed snapshots. @default LARGE_LISTING_JOBS */
  largeListing?: number;
}

/** What the incident stage (`track-target.ts`) adds to an observation: the incidents to write. */
export interface IncidentChanges {
  incidentChanges?: Incident[];
  incidentCounts?: IncidentCounts;
}

/** What one poll of a target saw, before anything is written. */
export type Observation = IncidentChanges &
  (
    | {
        kind: 'listed';
        target: Target;
        next: TargetState;
        jobsSeen: number;
        records: AuditRecord[];
        changedJobs: JobState[];
        /** The listing's digest, when it differs from the stored one: saved with the job states. */
        digest?: JobDigest;
        /** Job id → download URL (a secret, for alert messages only); empty unless includeDownloadUrl. */
        downloadUrls: ReadonlyMap<string, string>;
      }
    | {
        kind: 'unreachable';
        target: Target;
        next: TargetState;
        records: AuditRecord[];
        failure: TargetFailure;
      }
  );

/** What became of one target in a run. */
export type TargetOutcome =
  | ({
      kind: 'ok';
      target: Target;
      next: TargetState;
      jobsSeen: number;
      records: AuditRecord[];
      downloadUrls: ReadonlyMap<string, string>;
    } & Pick<IncidentChanges, 'incidentCounts'>)
  | ({
      kind: 'failed';
      target: Target;
      /** Absent when the target's state could not be written: the next run starts from the old one. */
      next?: TargetState;
      jobsSeen: number;
      records: AuditRecord[];
      error: string;
      /** Its state writes failed: its owed events wait for a run that saves its state. */
      stateUnsafe: boolean;
    } & Pick<IncidentChanges, 'incidentCounts'>)
  | { kind: 'skipped'; target: Target };

export async function observeTarget(
  target: Target,
  previous: TargetState | undefined,
  context: ObserveContext,
): Promise<Observation> {
  if (isProjectPseudoTarget(target)) {
    const failure = context.projectFailures.get(targetKey(target));
    return unreachable(target, previous, context, {
      name: failure?.name ?? 'ClusterListError',
      message: `the clusters of this project could not be listed: ${failure?.message ?? 'unknown error'}`,
      ...(failure?.status !== undefined ? { status: failure.status } : {}),
      ...(failure?.errorCode !== undefined ? { errorCode: failure.errorCode } : {}),
      auth: failure?.auth ?? false,
      ...(failure?.untrusted ? { untrusted: true } : {}),
    });
  }
  let listing: Listing;
  try {
    listing = await readListing(target, previous, {
      source: context.source,
      state: context.state,
      signal: context.signal,
      includeDownloadUrls: context.settings.includeDownloadUrl,
      largeListing: context.largeListing ?? LARGE_LISTING_JOBS,
    });
  } catch (error) {
    return unreachable(target, previous, context, toTargetFailure(error));
  }

  const now = context.now();
  const jobCount = listing.fingerprints.size;
  const fingerprint = listingFingerprint(listing.fingerprints.values());
  const health = recordTargetSuccess({ target, previous, now });
  const settingsFingerprint = fingerprintSettings(context.settings);
  if (
    previous &&
    health.events.length === 0 &&
    previous.settingsFingerprint === settingsFingerprint &&
    canSkipDiff(previous, fingerprint, now)
  ) {
    return {
      kind: 'listed',
      target,
      next: {
        ...previous,
        name: target.name,
        lastPolledAt: now.toISOString(),
        lastSuccessAt: now.toISOString(),
        failureStreak: 0,
        jobCount,
      },
      jobsSeen: jobCount,
      records: [],
      changedJobs: [],
      downloadUrls: listing.downloadUrls,
    };
  }

  const diff = previous?.baselined
    ? await diffInput(target, previous, listing, context.state)
    : { snapshots: [...listing.snapshots.values()], previousJobs: new Map<string, JobState>() };
  const detected = detectChanges({
    target,
    previousTarget: previous,
    previousJobs: diff.previousJobs,
    snapshots: diff.snapshots,
    now,
    settings: context.settings,
  });
  return {
    kind: 'listed',
    target,
    // The listing's own fingerprint and count: `detectChanges` may have seen only part of it.
    next: { ...detected.target, fingerprint, jobCount, settingsFingerprint },
    jobsSeen: jobCount,
    records: [...health.events, ...detected.events].map((event) =>
      toAuditRecord(event, context.runId, context.settings),
    ),
    changedJobs: detected.changedJobs,
    ...(diff.storedDigest === fingerprint ? {} : { digest: listing.fingerprints }),
    downloadUrls: listing.downloadUrls,
  };
}

/** Writes an observation (live runs only). Throws only `LeaseLostError`. */
export async function recordObservation(
  observation: Observation,
  store: StateStore,
  logger: Logger,
): Promise<TargetOutcome> {
  const { target, records } = observation;
  const incidents = observation.incidentChanges ?? [];
  try {
    if (observation.kind === 'unreachable') {
      if (records.length > 0) await store.recordEvents(records);
      // After the events that announce them (an owed trigger proves its incident: `adoptOwedIncidents`).
      if (incidents.length > 0) await store.saveIncidents(incidents);
      if (records.length > 0) {
        // Saved now, not at the end of the run: if the run died after TARGET_FAILING went out, the
        // next run must still know it was alerted, or TARGET_RECOVERED would never follow.
        await store.saveTargetStates([observation.next]);
      }
      return toOutcome(observation);
    }
    // Record first (owed), then incidents, then the job states: a crash in between re-detects the
    // same event ids, and the incident stage derives the same incidents from them.
    if (records.length > 0) await store.recordEvents(records);
    if (incidents.length > 0) await store.saveIncidents(incidents);
    if (observation.changedJobs.length > 0 || observation.digest) {
      await store.saveJobStates(target, observation.changedJobs, observation.digest);
    }
    return toOutcome(observation);
  } catch (error) {
    if (error instanceof LeaseLostError) throw error;
    logger.error('Could not save the state of a target', {
      target: targetKey(target),
      error: describeError(error),
    });
    return {
      kind: 'failed',
      target,
      jobsSeen: observation.kind === 'listed' ? observation.jobsSeen : 0,
      records,
      error: describeError(error),
      stateUnsafe: true,
      ...(observation.incidentCounts ? { incidentCounts: observation.incidentCounts } : {}),
    };
  }
}

/** An observation as the outcome it would be if it were recorded (what a dry run reports). */
export function toOutcome(observation: Observation): TargetOutcome {
  if (observation.kind === 'unreachable') {
    return {
      kind: 'failed',
      target: observation.target,
      next: observation.next,
      jobsSeen: 0,
      records: observation.records,
      error: observation.failure.message,
      stateUnsafe: false,
      ...(observation.incidentCounts ? { incidentCounts: observation.incidentCounts } : {}),
    };
  }
  const {
    kind: _kind,
    changedJobs: _jobs,
    digest: _digest,
    incidentChanges: _changes,
    ...rest
  } = observation;
  return { kind: 'ok', ...rest };
}

function unreachable(
  target: Target,
  previous: TargetState | undefined,
  context: ObserveContext,
  failure: TargetFailure,
): Observation {
  const result = recordTargetFailure({
    target,
    previous,
    failure,
    now: context.now(),
    settings: context.settings,
  });
  context.logger.warn('Target poll failed', {
    target: targetKey(target),
    name: target.name,
    failureStreak: result.target.failureStreak,
    error: failure.message,
  });
  return {
    kind: 'unreachable',
    target,
    next: result.target,
    records: result.events.map((event) => toAuditRecord(event, context.runId, context.settings)),
    failure,
  };
}

/** Settings that change when time-based events fire; stored so a changed threshold forces a diff. */
function fingerprintSettings(settings: AlertSettings): string {
  return createHash('sha256')
    .update(JSON.stringify([settings.expiryWarningMinutes, settings.stuckAfterMinutes]))
    .digest('hex')
    .slice(0, 16);
}
