/**
 * A ten-hour history whose report is known in advance: a simulated cluster whose restore jobs follow
 * a plan, polled every 5 minutes by the real `detectChanges` (with a 15-minute outage), the events kept
 * as audit records. `EXPECTED` is worked out by hand from the plan, in the comments next to it.
 *
 * Times are minutes from T0 (the baseline poll). The period is [T0 - 1 day, T0 + 10 h).
 */
import { detectChanges } from '../../../functions/core/detect-changes.ts';
import type { ReportPeriod } from '../../../functions/core/ports.ts';
import type { TargetPeriod } from '../../../functions/core/report/target-period.ts';
import type {
  AuditRecord,
  JobState,
  MonitorEvent,
  RestoreJob,
  Target,
  TargetState,
} from '../../../functions/core/types.ts';
// The scenario's detection settings are the fast tests' own (the incident and PagerDuty fields do not
// change what detectChanges records).
import { SETTINGS } from '../fixtures.ts';

export const T0 = Date.parse('2026-11-28T08:00:00.000Z');
export const PROJECT = '5e2211c17a3e5a48f5497de3';
export const CLUSTER = '5e2211c17a3e5a48f5497de4';
export const TARGET: Target = { projectId: PROJECT, clusterId: CLUSTER, name: 'orders-prod' };
export const BATCH = '6a1b2c3d4e5f6a7b8c9d0e1f';
export const PERIOD: ReportPeriod = { since: at(-24 * 60), until: at(600) };

export function at(minutes: number): string {
  return new Date(T0 + minutes * 60_000).toISOString();
}

interface JobPlan {
  id: string;
  created: number;
  /** When the job leaves IN_PROGRESS, and for what. */
  endsAt?: number;
  outcome?: 'FINISHED' | 'BROKEN';
  expires?: number;
  expiredAt?: number;
  downloadedAt?: number;
  batchId?: string;
  hostId?: string;
}

const id = (n: number) => `5f3a1b2c3d4e5f6a7b8c9d${String(n).padStart(2, '0')}`;
export const JOB = {
  /** Requested before the period: not reported. */
  old: id(1),
  /** Finished and expired unused before the baseline: first seen finished. */
  a: id(2),
  /** Running at the baseline, finishes at +32 (polls +30/+35), link expires unused at +150. */
  b: id(3),
  /** Requested +7, finished +67 (polls +65/+70), downloaded +82 (polls +80/+85). */
  c: id(4),
  /** Requested +12, BROKEN +42 (polls +40/+45). */
  d: id(5),
  /** Requested +2, never ends: JOB_STUCK at +365, still running at the end. */
  e: id(6),
  /** A sharded batch requested +60: two shards end at +92, one at +117. */
  f1: id(7),
  f2: id(8),
  f3: id(9),
  /** Requested +181, finished +183, first listed +185 already FINISHED. */
  g: id(10),
} as const;

const FAR = 48 * 60;
const PLANS: readonly JobPlan[] = [
  {
    id: JOB.old,
    created: -2 * 24 * 60,
    endsAt: -2 * 24 * 60 + 50,
    outcome: 'FINISHED',
    expires: -1000,
    expiredAt: -1000,
  },
  { id: JOB.a, created: -120, endsAt: -70, outcome: 'FINISHED', expires: -10, expiredAt: -10 },
  { id: JOB.b, created: -20, endsAt: 32, outcome: 'FINISHED', expires: 150, expiredAt: 150 },
  { id: JOB.c, created: 7, endsAt: 67, outcome: 'FINISHED', expires: FAR, downloadedAt: 82 },
  { id: JOB.d, created: 12, endsAt: 42, outcome: 'BROKEN' },
  { id: JOB.e, created: 2 },
  {
    id: JOB.f1,
    created: 60,
    endsAt: 92,
    outcome: 'FINISHED',
    expires: FAR,
    batchId: BATCH,
    hostId: 'shard-0:27017',
  },
  {
    id: JOB.f2,
    created: 60,
    endsAt: 117,
    outcome: 'FINISHED',
    expires: FAR,
    batchId: BATCH,
    hostId: 'shard-1:27017',
  },
  {
    id: JOB.f3,
    created: 60,
    endsAt: 92,
    outcome: 'FINISHED',
    expires: FAR,
    batchId: BATCH,
    hostId: 'config:27019',
  },
  { id: JOB.g, created: 181, endsAt: 183, outcome: 'FINISHED', expires: FAR },
];

/** The API's answer at minute `t`: the jobs requested by then, in their state at `t`. */
function listingAt(t: number): RestoreJob[] {
  return PLANS.filter((plan) => plan.created <= t).map((plan) => {
    const ended = plan.endsAt !== undefined && t >= plan.endsAt;
    const status = ended ? (plan.outcome as string) : 'IN_PROGRESS';
    let delivery: RestoreJob['delivery'] = { methodName: 'HTTP', statusName: 'NOT_STARTED', maxDownloads: 2 };
    if (ended && plan.outcome === 'BROKEN') delivery = { ...delivery, statusName: 'FAILED' };
    if (ended && plan.outcome === 'FINISHED') {
      const expired = plan.expiredAt !== undefined && t >= plan.expiredAt;
      delivery = {
        ...delivery,
        statusName: expired ? 'EXPIRED' : 'READY',
        expires: at(plan.expires ?? FAR),
        ...(expired ? {} : { url: 'https://example.invalid/download' }),
      };
    }
    return {
      id: plan.id,
      groupId: PROJECT,
      clusterId: CLUSTER,
      created: at(plan.created),
      statusName: status,
      delivery,
      ...(plan.batchId ? { batchId: plan.batchId } : {}),
      ...(plan.hostId ? { hostId: plan.hostId } : {}),
      ...(plan.downloadedAt !== undefined && t >= plan.downloadedAt
        ? { hashes: [{ fileName: 'restore.tar.gz', hash: 'abc', typeName: 'SHA1' }] }
        : {}),
    };
  });
}

/** Polls at which the target failed (the outage); TARGET_FAILING at the third, recovered at the next. */
const OUTAGE = new Set([240, 245, 250]);

function record(event: MonitorEvent, t: number): AuditRecord {
  return {
    ...event,
    runId: `run-${t}`,
    publishAttempts: 1,
    publishedAt: event.detectedAt,
    snsMessageId: `message-${event.eventId}`,
  };
}

function healthEvent(type: 'TARGET_FAILING' | 'TARGET_RECOVERED', t: number): AuditRecord {
  return record(
    {
      eventId: `${type.toLowerCase()}-${t}`,
      eventType: type,
      severity: type === 'TARGET_FAILING' ? 'critical' : 'info',
      projectId: PROJECT,
      clusterId: CLUSTER,
      targetName: TARGET.name,
      detectedAt: at(t),
      summary: type,
    },
    t,
  );
}

export interface ScenarioHistory {
  /** Everything recorded, whatever the period. */
  events: AuditRecord[];
  jobs: JobState[];
  target: TargetState;
}

/** Runs the plan: a baseline at T0, then a poll every 5 minutes up to +595. */
export function runScenario(): ScenarioHistory {
  let target: TargetState | undefined;
  let jobs = new Map<string, JobState>();
  const events: AuditRecord[] = [];
  for (let t = 0; t < 600; t += 5) {
    if (OUTAGE.has(t)) {
      if (t === 250) events.push(healthEvent('TARGET_FAILING', t));
      continue;
    }
    const output = detectChanges({
      target: TARGET,
      previousTarget: target,
      previousJobs: jobs,
      fetched: listingAt(t),
      now: new Date(at(t)),
      settings: SETTINGS,
    });
    events.push(...output.events.map((event) => record(event, t)));
    if (t === 255) events.push(healthEvent('TARGET_RECOVERED', t));
    target = output.target;
    jobs = new Map(output.jobs.map((state) => [state.snapshot.jobId, state]));
  }
  return { events, jobs: [...jobs.values()], target: target as TargetState };
}

/** What `StateStore.readPeriod` returns for the scenario and `period` (the same filters, in memory). */
export function scenarioPeriod(history: ScenarioHistory, period: ReportPeriod = PERIOD): TargetPeriod {
  const inPeriod = (time: string) => time >= period.since && time < period.until;
  return {
    target: {
      ...TARGET,
      ...(history.target.lastSuccessAt ? { lastSuccessAt: history.target.lastSuccessAt } : {}),
    },
    events: history.events.filter((event) => inPeriod(event.detectedAt)),
    jobs: history.jobs.filter((state) => inPeriod(state.snapshot.created ?? state.firstSeenAt)),
  };
}
