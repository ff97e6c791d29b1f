/**
 * Builders for the functional-core tests: a target, settings, restore jobs as the API returns them,
 * and a `poll` helper that feeds one detection's output into the next, the way the orchestrator does.
 */
import { detectChanges } from '../../functions/core/detect-changes.ts';
import type {
  AlertSettings,
  JobState,
  MonitorEvent,
  RestoreJob,
  Target,
  TargetState,
} from '../../functions/core/types.ts';

export const PROJECT_ID = '5e2211c17a3e5a48f5497de3';
export const CLUSTER_ID = '5e2211c17a3e5a48f5497de4';
export const JOB_A = '5f3a1b2c3d4e5f6a7b8c9d01';
export const JOB_B = '5f3a1b2c3d4e5f6a7b8c9d02';
export const JOB_C = '5f3a1b2c3d4e5f6a7b8c9d03';
export const BATCH_ID = '6a1b2c3d4e5f6a7b8c9d0e1f';

/** Sentinels planted in secret fields: they must never show up in any output. */
export const SECRET_URL = 'https://api-backup.mongodb.com/backup/restore/v2/pull/SENTINEL-URL-7d1f/x.tar.gz';
export const SECRET_AUTH = 'SENTINEL-AUTH-VALUE-93ab';

export const TARGET: Target = { projectId: PROJECT_ID, clusterId: CLUSTER_ID, name: 'orders-prod' };

export const SETTINGS: AlertSettings = {
  expiryWarningMinutes: [60, 15],
  stuckAfterMinutes: 360,
  failingAfterPolls: 3,
  minSeverity: 'info',
  includeDownloadUrl: false,
  repeatEveryMinutes: 240,
  pagerduty: { minSeverity: 'warning' },
};

export const T0 = new Date('2026-11-28T10:00:00.000Z');

/** `T0` shifted by whole minutes. */
export function at(minutes: number): Date {
  return new Date(T0.getTime() + minutes * 60_000);
}

/** ISO text of `at(minutes)`. */
export function iso(minutes: number): string {
  return at(minutes).toISOString();
}

export function job(overrides: Partial<RestoreJob> = {}): RestoreJob {
  return {
    id: JOB_A,
    groupId: PROJECT_ID,
    clusterId: CLUSTER_ID,
    created: iso(-30),
    statusName: 'IN_PROGRESS',
    snapshotId: '5e2211c17a3e5a48f5497aaa',
    delivery: { methodName: 'HTTP', statusName: 'NOT_STARTED', expirationHours: 48, maxDownloads: 1 },
    ...overrides,
  };
}

/** A finished job whose download link works until `expiresAt`. */
export function readyJob(expiresAt: string, overrides: Partial<RestoreJob> = {}): RestoreJob {
  return job({
    statusName: 'FINISHED',
    delivery: {
      methodName: 'HTTP',
      statusName: 'READY',
      url: SECRET_URL,
      authValue: SECRET_AUTH,
      expires: expiresAt,
      expirationHours: 48,
      maxDownloads: 1,
    },
    ...overrides,
  });
}

export interface PollState {
  target: TargetState | undefined;
  jobs: Map<string, JobState>;
}

export const EMPTY: PollState = { target: undefined, jobs: new Map() };

/** One detection fed from `state`, returning its output and the state the next poll starts from. */
export function poll(
  state: PollState,
  fetched: readonly RestoreJob[],
  now: Date,
  settings: AlertSettings = SETTINGS,
  target: Target = TARGET,
) {
  const output = detectChanges({
    target,
    previousTarget: state.target,
    previousJobs: state.jobs,
    fetched,
    now,
    settings,
  });
  const next: PollState = {
    target: output.target,
    jobs: new Map(output.jobs.map((jobState) => [jobState.snapshot.jobId, jobState])),
  };
  return { ...output, next };
}

/** A baselined state that already knows `fetched` as of `now`. */
export function baselined(fetched: readonly RestoreJob[], now: Date = at(-5)): PollState {
  return poll(EMPTY, fetched, now).next;
}

export function types(events: readonly MonitorEvent[]): string[] {
  return events.map((event) => event.eventType);
}

export function only(events: readonly MonitorEvent[], type: MonitorEvent['eventType']): MonitorEvent {
  const matching = events.filter((event) => event.eventType === type);
  if (matching.length !== 1) {
    throw new Error(`expected exactly one ${type}, got ${matching.length}: ${types(events).join(', ')}`);
  }
  return matching[0] as MonitorEvent;
}
