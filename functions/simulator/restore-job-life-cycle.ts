/**
 * How a restore job changes over its life, as pure functions of (job, time). The shapes follow the
 * reference: a finished HTTP restore carries `url`, `expires`, `expirationHours` and `maxDownloads`;
 * `hashes[]` appear only after a download.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RestoreJob } from '../core/types.ts';

/** Cloud Manager's defaults for a restore link: valid one hour, one download. */
export const DEFAULT_EXPIRATION_HOURS = 1;
export const DEFAULT_MAX_DOWNLOADS = 1;

/** ISO 8601 UTC at second precision, as the API prints times (`2017-04-21T03:49:57Z`). */
export function apiTime(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** A realistic, unguessable download link (a bearer secret, like the real one). */
export function downloadUrl(jobId: string): string {
  const token = Buffer.from(randomBytes(30).toString('hex'), 'utf8').toString('base64url');
  return `https://api-backup.mongodb.com/backup/restore/v2/pull/${jobId}/${token}/restore-${jobId}.tar.gz`;
}

export function finishedJob(
  job: RestoreJob,
  completedAt: Date,
  options: { expirationHours?: number; maxDownloads?: number; url?: string } = {},
): RestoreJob {
  const expirationHours = options.expirationHours ?? DEFAULT_EXPIRATION_HOURS;
  const maxDownloads = options.maxDownloads ?? DEFAULT_MAX_DOWNLOADS;
  return {
    ...job,
    statusName: 'FINISHED',
    delivery: {
      ...job.delivery,
      methodName: job.delivery?.methodName ?? 'HTTP',
      statusName: 'READY',
      url: options.url ?? downloadUrl(job.id),
      expires: apiTime(new Date(completedAt.getTime() + expirationHours * 3_600_000)),
      expirationHours,
      maxDownloads,
    },
  };
}

/** The restore failed: nothing to download. */
export function brokenJob(job: RestoreJob): RestoreJob {
  const { url: _url, expires: _expires, ...delivery } = job.delivery ?? {};
  return {
    ...job,
    statusName: 'BROKEN',
    delivery: { ...delivery, methodName: delivery.methodName ?? 'HTTP', statusName: 'FAILED' },
  };
}

/** Someone cancelled the restore; the reference documents no delivery change for it. */
export function killedJob(job: RestoreJob): RestoreJob {
  return { ...job, statusName: 'KILLED' };
}

/** The backup was fetched as often as allowed: `hashes[]` appear and the link is used up. */
export function downloadedJob(job: RestoreJob): RestoreJob {
  return {
    ...job,
    hashes: [
      {
        fileName: `restore-${job.id}.tar.gz`,
        hash: createHash('sha1').update(randomBytes(16)).digest('hex'),
        typeName: 'SHA1',
      },
    ],
    delivery: { ...job.delivery, statusName: 'MAX_DOWNLOADS_EXCEEDED' },
  };
}

/** The link passed `expires` without being used up. */
export function expiredJob(job: RestoreJob): RestoreJob {
  return { ...job, delivery: { ...job.delivery, statusName: 'EXPIRED' } };
}
