/**
 * Reduces a restore job, as the API returns it, to the secret-free facts the monitor compares and
 * remembers. The API's shape drifts over time (the docs disagree with their own examples), so every
 * field is taken only when it has the expected type and ignored otherwise: a surprise is data, never
 * a crash.
 */
import { listingFingerprint, snapshotFingerprint } from './job-digest.ts';
import type { JobSnapshot, RestoreJob, Target } from './types.ts';

/**
 * Caps free-text fields. Real ids and status names are short; the cap only protects the state item
 * (400 KB DynamoDB limit) and the alert (256 KiB SNS limit) from a pathological response.
 */
const MAX_TEXT_LENGTH = 256;

/** Every snapshot field, in the order used for canonical serialisation (a Record so none is forgotten). */
const FIELD_ORDER: Readonly<Record<keyof JobSnapshot, true>> = {
  jobId: true,
  projectId: true,
  clusterId: true,
  batchId: true,
  hostId: true,
  snapshotId: true,
  created: true,
  statusName: true,
  pointInTime: true,
  deliveryMethod: true,
  deliveryStatus: true,
  expires: true,
  expirationHours: true,
  maxDownloads: true,
  hasDownloadUrl: true,
  downloaded: true,
  timestampDate: true,
};
export const SNAPSHOT_FIELDS = Object.keys(FIELD_ORDER) as ReadonlyArray<keyof JobSnapshot>;

/** `JobSnapshot.statusName` when the API omitted the job status. */
export const UNKNOWN_STATUS = 'UNKNOWN';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_TEXT_LENGTH) : undefined;
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function jobIdOf(job: Record<string, unknown>): string {
  const id = job.id;
  if (typeof id === 'string') return id.slice(0, MAX_TEXT_LENGTH);
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return '';
}

/**
 * The secret-free snapshot of one job. `delivery.url`, `urlV2` and the auth fields are never copied:
 * only whether a download URL exists. The project and cluster come from the target, which is the
 * identity the monitor polls under.
 */
export function toSnapshot(job: RestoreJob, target: Pick<Target, 'projectId' | 'clusterId'>): JobSnapshot {
  const source: Record<string, unknown> = isRecord(job) ? job : {};
  const delivery = isRecord(source.delivery) ? source.delivery : {};
  const timestamp = isRecord(source.timestamp) ? source.timestamp : {};
  const deliveryStatus = text(delivery.statusName);
  const hashes = source.hashes;

  // Built directly, field by field in `SNAPSHOT_FIELDS` order (a poll snapshots every job it lists:
  // no intermediate object, no keyed stores). Absent fields are left out rather than set to
  // undefined: DynamoDB marshalling rejects undefined.
  const snapshot: Partial<JobSnapshot> = {
    jobId: jobIdOf(source),
    projectId: target.projectId,
    clusterId: target.clusterId,
  };
  const batchId = text(source.batchId);
  if (batchId !== undefined) snapshot.batchId = batchId;
  const hostId = text(source.hostId);
  if (hostId !== undefined) snapshot.hostId = hostId;
  const snapshotId = text(source.snapshotId);
  if (snapshotId !== undefined) snapshot.snapshotId = snapshotId;
  const created = text(source.created);
  if (created !== undefined) snapshot.created = created;
  snapshot.statusName = text(source.statusName) ?? UNKNOWN_STATUS;
  const pointInTime = bool(source.pointInTime);
  if (pointInTime !== undefined) snapshot.pointInTime = pointInTime;
  const deliveryMethod = text(delivery.methodName);
  if (deliveryMethod !== undefined) snapshot.deliveryMethod = deliveryMethod;
  if (deliveryStatus !== undefined) snapshot.deliveryStatus = deliveryStatus;
  const expires = text(delivery.expires);
  if (expires !== undefined) snapshot.expires = expires;
  const expirationHours = finiteNumber(delivery.expirationHours);
  if (expirationHours !== undefined) snapshot.expirationHours = expirationHours;
  const maxDownloads = finiteNumber(delivery.maxDownloads);
  if (maxDownloads !== undefined) snapshot.maxDownloads = maxDownloads;
  // Ops Manager hands out `urlV2` instead of (or besides) `url`: either one is a download link.
  snapshot.hasDownloadUrl = text(delivery.url) !== undefined || text(delivery.urlV2) !== undefined;
  // `hashes[]` appears only after a download; running out of downloads also proves one happened.
  snapshot.downloaded =
    (Array.isArray(hashes) && hashes.length > 0) || deliveryStatus === 'MAX_DOWNLOADS_EXCEEDED';
  const timestampDate = text(timestamp.date);
  if (timestampDate !== undefined) snapshot.timestampDate = timestampDate;
  return snapshot as JobSnapshot;
}

/** Field-by-field equality; a field stored as `null` counts as absent. */
export function snapshotsEqual(a: JobSnapshot, b: JobSnapshot): boolean {
  return SNAPSHOT_FIELDS.every((field) => (a[field] ?? undefined) === (b[field] ?? undefined));
}

/**
 * Order-independent fingerprint of a listing: equal iff every job snapshot is equal (up to the hash's
 * 2^-53, see job-digest.ts). Lets a poll skip loading job states when nothing changed (see
 * `canSkipDiff`). Made of the per-job fingerprints a digest keeps, so the two always agree.
 */
export function fingerprintJobs(snapshots: readonly JobSnapshot[]): string {
  return listingFingerprint(snapshots.map(snapshotFingerprint));
}

/** The fingerprint `detectChanges` stores for a listing: use it for the `canSkipDiff` pre-check. */
export function fingerprintListing(
  fetched: readonly RestoreJob[],
  target: Pick<Target, 'projectId' | 'clusterId'>,
): string {
  return fingerprintJobs(fetched.map((job) => toSnapshot(job, target)));
}
