/**
 * One-line summaries of events, written for a phone lock screen: short, human, no secrets. They are
 * built only from snapshot fields and numbers, never from the raw job, so a download URL cannot leak.
 */
import { formatMinutes, formatUtcMinute } from './instant.ts';
import type { JobSnapshot } from './types.ts';

/**
 * `…9a3f1c07`: the END of an ObjectId. Its first 8 hex digits are a creation timestamp, so jobs
 * requested in the same second (every shard of a batch) share them; the tail (random + counter) differs.
 */
export function shortId(id: string): string {
  return id.length > 8 ? `…${id.slice(-8)}` : id || '(no id)';
}

const restore = (snapshot: JobSnapshot) => `restore ${shortId(snapshot.jobId)}`;

export function jobCreatedSummary(snapshot: JobSnapshot): string {
  const kind = snapshot.pointInTime ? 'point-in-time restore' : 'restore';
  return `${kind} ${shortId(snapshot.jobId)} requested (${snapshot.statusName})`;
}

export function jobStatusSummary(snapshot: JobSnapshot, from: string | undefined): string {
  return from === undefined
    ? `${restore(snapshot)} ${snapshot.statusName}`
    : `${restore(snapshot)} ${snapshot.statusName} (was ${from})`;
}

export function deliveryStatusSummary(snapshot: JobSnapshot): string {
  const status = snapshot.deliveryStatus ?? 'UNKNOWN';
  switch (status) {
    case 'READY':
      return snapshot.expires === undefined
        ? `${restore(snapshot)} download ready`
        : `${restore(snapshot)} download ready until ${formatUtcMinute(snapshot.expires)}`;
    case 'EXPIRED':
      return snapshot.downloaded
        ? `${restore(snapshot)} download link expired (backup was downloaded)`
        : `${restore(snapshot)} download link expired, never downloaded`;
    case 'MAX_DOWNLOADS_EXCEEDED':
      return `${restore(snapshot)} download limit reached (backup was downloaded)`;
    default:
      return `${restore(snapshot)} delivery ${status}`;
  }
}

export function deliveryExpiringSummary(snapshot: JobSnapshot, minutesLeft: number): string {
  const suffix = snapshot.downloaded ? ' (downloaded already)' : ', not downloaded yet';
  return `${restore(snapshot)} download link expires in ${formatMinutes(minutesLeft)}${suffix}`;
}

export function jobStuckSummary(snapshot: JobSnapshot, inProgressMinutes: number): string {
  return `${restore(snapshot)} still IN_PROGRESS after ${formatMinutes(inProgressMinutes)}`;
}

/** `batch …5f3a1b2c completed: 1 BROKEN, 3 FINISHED` (worst first). */
export function batchCompletedSummary(
  batchId: string,
  counts: ReadonlyArray<[status: string, count: number]>,
): string {
  return `batch ${shortId(batchId)} completed: ${counts.map(([status, count]) => `${count} ${status}`).join(', ')}`;
}
