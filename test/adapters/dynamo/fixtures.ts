/** Small builders of domain objects for the DynamoDB adapter tests; override what a test is about. */
import type { AuditRecord, JobState, TargetState } from '../../../functions/core/types.ts';

export const PROJECT = '5f0000000000000000000001';
export const CLUSTER = '5f00000000000000000000c1';
export const OTHER_CLUSTER = '5f00000000000000000000c2';

export function targetState(overrides: Partial<TargetState> = {}): TargetState {
  return {
    projectId: PROJECT,
    clusterId: CLUSTER,
    name: 'orders',
    baselined: true,
    lastPolledAt: '2026-05-01T10:00:00.000Z',
    lastSuccessAt: '2026-05-01T10:00:00.000Z',
    failureStreak: 0,
    failingAlerted: false,
    fingerprint: 'abc123',
    jobCount: 2,
    ...overrides,
  };
}

export function jobState(jobId: string, overrides: Partial<JobState> = {}): JobState {
  return {
    snapshot: {
      jobId,
      projectId: PROJECT,
      clusterId: CLUSTER,
      statusName: 'IN_PROGRESS',
      deliveryMethod: 'HTTP',
      deliveryStatus: 'IN_PROGRESS',
      created: '2026-05-01T09:00:00.000Z',
      expirationHours: 48,
      maxDownloads: 1,
      hasDownloadUrl: false,
      downloaded: false,
    },
    firstSeenAt: '2026-05-01T09:00:05.000Z',
    lastChangedAt: '2026-05-01T09:00:05.000Z',
    expiryAlerted: [],
    stuckAlerted: false,
    batchCompletedAlerted: false,
    ...overrides,
  };
}

export function auditRecord(eventId: string, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    eventId,
    eventType: 'JOB_STATUS_CHANGED',
    severity: 'info',
    projectId: PROJECT,
    clusterId: CLUSTER,
    targetName: 'orders',
    jobId: 'job-1',
    detectedAt: '2026-05-01T10:00:00.000Z',
    summary: `restore job-1 FINISHED (${eventId})`,
    before: { statusName: 'IN_PROGRESS' },
    after: { statusName: 'FINISHED' },
    runId: 'run-1',
    publishAttempts: 0,
    ...overrides,
  };
}
