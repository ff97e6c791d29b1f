/**
 * Audit records as the poller hands them to a publisher: one realistic record per event type, batch
 * summaries of any size, and sentinel secrets that must never reach a message unless opted in. Shared
 * by the renderer tests (core) and the channel tests (SNS, console).
 */
import { incidentOf } from '../../functions/core/incident-kinds.ts';
import type { AuditRecord, BatchMember, EventType } from '../../functions/core/types.ts';

export const PROJECT = '5f0000000000000000000001';
export const CLUSTER = '5f0000000000000000000002';
export const JOB = '5f3a1b2c0000000000000003';
export const OTHER_JOB = '5f3a1b2c0000000000000004';
export const BATCH = '5fbbbbbb0000000000000005';
export const RUN = 'run-2026-05-01T10:00:00Z';
export const CONSOLE = 'https://cloud.mongodb.com';

// Sentinel secrets: none of them may appear in any output unless explicitly opted in.
export const URL_SECRET =
  'https://api-backup.mongodb.com/backup/restore/v2/pull/JOB/SENTINEL-URL-A/electron.tar.gz';
export const OTHER_URL_SECRET =
  'https://api-backup.mongodb.com/backup/restore/v2/pull/JOB/SENTINEL-URL-B/electron.tar.gz';
export const AUTH_SECRET = 'SENTINEL-AUTH-VALUE-42';
/** Job id → download URL, as the poller hands them to a publisher. */
export const DOWNLOAD_URLS: ReadonlyMap<string, string> = new Map([
  [JOB, URL_SECRET],
  [OTHER_JOB, OTHER_URL_SECRET],
]);

/** A critical JOB_STATUS_CHANGED (IN_PROGRESS -> BROKEN) of `JOB`, with any field overridden. */
export function record(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    eventId: `evt-${overrides.eventType ?? 'JOB_STATUS_CHANGED'}-${overrides.jobId ?? JOB}`,
    eventType: 'JOB_STATUS_CHANGED',
    severity: 'critical',
    projectId: PROJECT,
    clusterId: CLUSTER,
    targetName: 'orders-prod',
    jobId: JOB,
    detectedAt: '2026-05-01T10:00:00.000Z',
    summary: 'restore 5f3a1b2c… BROKEN (was IN_PROGRESS)',
    before: { jobId: JOB, statusName: 'IN_PROGRESS', hasDownloadUrl: false, downloaded: false },
    after: { jobId: JOB, statusName: 'BROKEN', hasDownloadUrl: false, downloaded: false },
    runId: RUN,
    publishAttempts: 0,
    ...overrides,
  };
}

/** `count` members, every 97th (the first included) BROKEN/FAILED, the others FINISHED/READY. */
export function batchMembers(count: number): BatchMember[] {
  return Array.from({ length: count }, (_, i) => ({
    jobId: `5fcc${String(i).padStart(20, '0')}`,
    statusName: i % 97 === 0 ? 'BROKEN' : 'FINISHED',
    deliveryStatus: i % 97 === 0 ? 'FAILED' : 'READY',
  }));
}

/** A critical BATCH_COMPLETED of `BATCH` with `batchMembers(memberCount)`. */
export function batchCompleted(memberCount: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return record({
    eventId: `evt-batch-${BATCH}`,
    eventType: 'BATCH_COMPLETED',
    severity: 'critical',
    jobId: undefined,
    batchId: BATCH,
    summary: `batch 5fbbbbbb… completed: 1 BROKEN, ${memberCount - 1} FINISHED`,
    before: undefined,
    after: undefined,
    details: { members: batchMembers(memberCount) },
    ...overrides,
  });
}

/** One realistic record per event type, with the details the detector writes. */
export function sampleOf(type: EventType): AuditRecord {
  const base = { eventType: type, eventId: `evt-${type}` };
  switch (type) {
    case 'JOB_CREATED':
      return record({
        ...base,
        severity: 'info',
        summary: 'restore 5f3a1b2c… requested (IN_PROGRESS)',
        before: null,
        after: { jobId: JOB, statusName: 'IN_PROGRESS', hasDownloadUrl: false, downloaded: false },
      });
    case 'JOB_STATUS_CHANGED':
      return record(base);
    case 'DELIVERY_STATUS_CHANGED':
      return record({
        ...base,
        severity: 'info',
        summary: 'restore 5f3a1b2c… download ready until 2026-05-01 11:00 UTC',
        before: { jobId: JOB, statusName: 'FINISHED', deliveryStatus: 'IN_PROGRESS', hasDownloadUrl: false },
        after: {
          jobId: JOB,
          statusName: 'FINISHED',
          deliveryStatus: 'READY',
          deliveryMethod: 'HTTP',
          expires: '2026-05-01T11:00:00Z',
          hasDownloadUrl: true,
          downloaded: false,
        },
        details: { expires: '2026-05-01T11:00:00Z' },
      });
    case 'DELIVERY_EXPIRING':
      return record({
        ...base,
        severity: 'warning',
        summary: 'restore 5f3a1b2c… download link expires in 14 min, not downloaded yet',
        details: { thresholdMinutes: 15, expires: '2026-05-01T10:14:00Z', minutesLeft: 14 },
      });
    case 'JOB_STUCK':
      return record({
        ...base,
        severity: 'warning',
        summary: 'restore 5f3a1b2c… still IN_PROGRESS after 6 h 5 min',
        details: { inProgressMinutes: 365, stuckAfterMinutes: 360 },
      });
    case 'BATCH_COMPLETED':
      return batchCompleted(4, base);
    case 'TARGET_FAILING':
      return record({
        ...base,
        jobId: undefined,
        before: undefined,
        after: undefined,
        summary: 'cannot list restore jobs: 401 USER_UNAUTHORIZED (3 polls)',
        details: {
          failureStreak: 3,
          error: {
            name: 'CloudManagerAuthError',
            message: 'Unauthorized',
            status: 401,
            errorCode: 'USER_UNAUTHORIZED',
          },
        },
      });
    case 'TARGET_RECOVERED':
      return record({
        ...base,
        severity: 'info',
        jobId: undefined,
        before: undefined,
        after: undefined,
        summary: 'restore jobs can be listed again after 3 failed polls',
      });
    case 'INCIDENT_RESOLVED':
      return record({
        ...base,
        severity: 'info',
        before: undefined,
        after: undefined,
        summary:
          'restore …00000003 restore job stuck IN_PROGRESS: over, the job left IN_PROGRESS (now FINISHED)',
        incidentKey: `job/${JOB}/stuck`,
        action: 'resolve',
        details: {
          incidentKey: `job/${JOB}/stuck`,
          kind: 'stuck',
          openedAt: '2026-05-01T04:00:00.000Z',
          openedBy: 'JOB_STUCK',
          reason: 'the job left IN_PROGRESS (now FINISHED)',
        },
      });
    case 'INCIDENT_REMINDER':
      return record({
        ...base,
        severity: 'warning',
        before: undefined,
        after: undefined,
        summary: 'still open after 4 h: restore 5f3a1b2c… still IN_PROGRESS after 6 h 5 min',
        incidentKey: `job/${JOB}/stuck`,
        action: 'reminder',
        details: {
          incidentKey: `job/${JOB}/stuck`,
          kind: 'stuck',
          openedAt: '2026-05-01T06:00:00.000Z',
          openedBy: 'JOB_STUCK',
          lastTriggeredAt: '2026-05-01T06:00:00.000Z',
          reminder: 1,
        },
      });
  }
}

/** What a message carries of a record: everything but the delivery bookkeeping, and its incident. */
export function messageFields(r: AuditRecord) {
  const {
    publishAttempts: _a,
    lastPublishError: _e,
    publishedAt: _p,
    snsMessageId: _m,
    rejections: _r,
    abandonedAt: _d,
    suppressed: _s,
    silenced: _q,
    pagerduty: _pd,
    ...rest
  } = r;
  const incident = incidentOf(r);
  return { ...rest, incidentKey: incident.key, action: incident.action };
}
