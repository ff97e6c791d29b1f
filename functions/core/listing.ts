/**
 * A target's listing as a poll reads it, and which stored job states a diff of it needs: the part of
 * polling one target that keeps long histories within a function's memory.
 *
 * Guarantees (test/core/job-digest.test.ts):
 *
 * K1. Every listed job is reduced to its snapshot and fingerprint as its page arrives (the raw jobs
 *     are never held), the last sighting of a job winning; the listing's digest (job id →
 *     fingerprint) and fingerprint cover every listed job.
 * K2. A long listing (more jobs than `largeListing` at the last poll) whose stored digest still
 *     matches the target's fingerprint is compared with that digest while it is read, and keeps the
 *     snapshots of the jobs that differ from it only: a 5,000-job history that did not change holds
 *     5,000 fingerprints, not 5,000 snapshots. Shorter listings keep every snapshot (no extra read).
 * K3. With a usable digest, a diff reads the states of the jobs that can produce an event only: the
 *     changed, the new and the gone, every job time can move (`canFireByTime`), and every listed
 *     member of a batch one of those belongs to or one of them left. An unchanged job's current
 *     snapshot is its stored one (equal fingerprints), so it need not have been kept (K2).
 * K4. Without a usable digest (none stored, too large to store, stored by a run that died before
 *     saving the target, a fingerprint of an earlier release), a diff reads every job state of the
 *     target and runs over every snapshot, as before digests existed.
 */
import { canFireByTime } from './detect/time-events.ts';
import { digestFingerprint, type JobDigest, snapshotFingerprint } from './job-digest.ts';
import type { RestoreJobSource, StateReader } from './ports.ts';
import { toSnapshot } from './snapshot.ts';
import type { JobSnapshot, JobState, Target, TargetState } from './types.ts';

/** Listings longer than this at the last poll are compared with their digest while read (K2). */
export const LARGE_LISTING_JOBS = 1_000;

export interface Listing {
  /** The listing's digest: every listed job's fingerprint, by job id (K1). */
  fingerprints: Map<string, number>;
  /** Snapshots by job id: all of them, or, read against a digest, those that differ from it (K2). */
  snapshots: Map<string, JobSnapshot>;
  /** Read against a digest (K2): that digest, and what the dropped snapshots said that a diff needs. */
  against?: {
    digest: JobDigest;
    /** Unchanged jobs time can move. */
    timeMovable: Set<string>;
    /** Unchanged jobs' batches. */
    batchOf: Map<string, string>;
  };
  /** Job id → download URL (a secret, for alert messages only); empty unless asked for. */
  downloadUrls: Map<string, string>;
}

export interface ListingContext {
  source: RestoreJobSource;
  state: StateReader;
  signal: AbortSignal;
  includeDownloadUrls: boolean;
  /** `LARGE_LISTING_JOBS` unless a test lowers it. */
  largeListing: number;
}

/** Reads a target's listing, against its stored digest when the listing is long (K1, K2). */
export async function readListing(
  target: Target,
  previous: TargetState | undefined,
  context: ListingContext,
): Promise<Listing> {
  const against = await digestToReadAgainst(target, previous, context);
  const fingerprints = new Map<string, number>();
  const snapshots = new Map<string, JobSnapshot>();
  const downloadUrls = new Map<string, string>();
  const timeMovable = new Set<string>();
  const batchOf = new Map<string, string>();
  const jobs = context.source.restoreJobs({
    projectId: target.projectId,
    clusterId: target.clusterId,
    ...(target.batchId ? { batchId: target.batchId } : {}),
    signal: context.signal,
  });
  for await (const job of jobs) {
    const snapshot = toSnapshot(job, target);
    const fingerprint = snapshotFingerprint(snapshot);
    // A job seen again (the list shifted while paging): its last sighting replaces the first.
    if (fingerprints.has(job.id)) {
      snapshots.delete(job.id);
      timeMovable.delete(job.id);
      batchOf.delete(job.id);
    }
    fingerprints.set(job.id, fingerprint);
    if (!against || against.get(job.id) !== fingerprint) {
      snapshots.set(job.id, snapshot);
    } else {
      if (canFireByTime(snapshot)) timeMovable.add(job.id);
      if (snapshot.batchId !== undefined) batchOf.set(job.id, snapshot.batchId);
    }
    if (!context.includeDownloadUrls) continue;
    const url = job.delivery?.url;
    if (typeof url === 'string' && url !== '') downloadUrls.set(job.id, url);
    else downloadUrls.delete(job.id);
  }
  return {
    fingerprints,
    snapshots,
    ...(against ? { against: { digest: against, timeMovable, batchOf } } : {}),
    downloadUrls,
  };
}

/** The stored digest a long listing is read against (K2): only when it matches the target. */
async function digestToReadAgainst(
  target: Target,
  previous: TargetState | undefined,
  context: ListingContext,
): Promise<JobDigest | undefined> {
  if (!previous?.baselined || previous.fingerprint === undefined) return undefined;
  if ((previous.jobCount ?? 0) <= context.largeListing) return undefined;
  // Only an optimisation: a failed read keeps every snapshot, and the diff reads the digest again.
  const digest = await context.state.loadJobDigest(target).catch(() => undefined);
  return digest && digestFingerprint(digest) === previous.fingerprint ? digest : undefined;
}

export interface DiffInput {
  /** What `detectChanges` runs over: every snapshot (K4), or those of the jobs a diff needs (K3). */
  snapshots: JobSnapshot[];
  /** The stored states they are compared with, and those of the jobs gone since. */
  previousJobs: Map<string, JobState>;
  /** The listing fingerprint of the digest found, so an unchanged digest is not written again. */
  storedDigest?: string;
}

/** What a diff of a baselined target needs (K3, K4). */
export async function diffInput(
  target: Target,
  previous: TargetState,
  listing: Listing,
  state: StateReader,
): Promise<DiffInput> {
  let digest = listing.against?.digest;
  if (!digest) {
    const stored = await state.loadJobDigest(target);
    const storedDigest = stored ? digestFingerprint(stored) : undefined;
    if (!stored || storedDigest !== previous.fingerprint) {
      return {
        snapshots: [...listing.snapshots.values()],
        previousJobs: await state.loadJobStates(target),
        ...(storedDigest ? { storedDigest } : {}),
      };
    }
    digest = stored;
  }
  const view = listingView(listing, digest);
  const needed = new Set<string>();
  const batches = new Set<string>();
  for (const jobId of listing.fingerprints.keys()) {
    if (view.changed(jobId) || view.timeMovable(jobId)) {
      needed.add(jobId);
      const batchId = view.batchOf(jobId);
      if (batchId !== undefined) batches.add(batchId);
    }
  }
  const gone = [...digest.keys()].filter((jobId) => !listing.fingerprints.has(jobId));
  // A batch completes when its last listed member does, or when the members still running leave it
  // (they vanish, or the API moves them out): every listed member of a batch touched by a change says
  // whether it was already reported, and is marked with it. The batches jobs leave are known once
  // their stored states are read.
  const touched = view.withBatchMates(needed, batches);
  const previousJobs = await state.loadJobStates(target, [...touched, ...gone]);
  const leftBatches = new Set<string>();
  for (const job of previousJobs.values()) {
    const batchId = job.snapshot.batchId;
    if (batchId !== undefined && !batches.has(batchId)) leftBatches.add(batchId);
  }
  const mates = [...view.withBatchMates(new Set(), leftBatches)].filter((jobId) => !touched.has(jobId));
  if (mates.length > 0) {
    for (const [jobId, job] of await state.loadJobStates(target, mates)) previousJobs.set(jobId, job);
  }
  // An unchanged job's snapshot is its stored one (K3); one whose state is missing from the store
  // cannot be compared, and waits for its next change.
  const snapshots: JobSnapshot[] = [];
  for (const jobId of [...touched, ...mates]) {
    const snapshot = listing.snapshots.get(jobId) ?? previousJobs.get(jobId)?.snapshot;
    if (snapshot) snapshots.push(snapshot);
  }
  return { snapshots, previousJobs, storedDigest: previous.fingerprint };
}

/** Questions about a listed job, whether its snapshot was kept or only its fingerprint. */
function listingView(listing: Listing, digest: JobDigest) {
  const kept = (jobId: string) => listing.snapshots.get(jobId);
  const batchOf = (jobId: string) => kept(jobId)?.batchId ?? listing.against?.batchOf.get(jobId);
  return {
    changed: (jobId: string) => digest.get(jobId) !== listing.fingerprints.get(jobId),
    timeMovable: (jobId: string) => {
      const snapshot = kept(jobId);
      return snapshot ? canFireByTime(snapshot) : (listing.against?.timeMovable.has(jobId) ?? false);
    },
    batchOf,
    /** `jobIds` and every listed job of one of `batches`. */
    withBatchMates(jobIds: ReadonlySet<string>, batches: ReadonlySet<string>): Set<string> {
      const out = new Set(jobIds);
      if (batches.size === 0) return out;
      for (const jobId of listing.fingerprints.keys()) {
        const batchId = batchOf(jobId);
        if (batchId !== undefined && batches.has(batchId)) out.add(jobId);
      }
      return out;
    },
  };
}
