/**
 * Silences, after Prometheus Alertmanager's: matchers, a start and an end, who and why. A silenced event
 * is still detected and recorded (the audit trail says which silence kept it quiet) but owed to no
 * channel. Silences live in the state table, so every run (and every shard of a run) reads them all.
 *
 * Guarantees (test/core/silences.test.ts):
 *
 * S1. A silence matches an event while `startsAt <= now < endsAt`: of its project, of its cluster when
 *     the matcher names one, of its job when it names one, of its type when it names one (a reminder
 *     is matched by the type of the event that triggered its incident).
 * S2. Of several matching silences the one with the latest end wins (the longest quiet), ties by id:
 *     the same inputs always name the same silence.
 * S3. `planSilence` accepts a request only when every part is valid, and lists every problem at once:
 *     no reason, a duration that is zero, negative or longer than `MAX_SILENCE_DAYS`, an `until` in the
 *     past, both or neither of `for` and `until`, an unknown target (or one naming several), a job id
 *     that is not an ObjectId, an unknown event type.
 */
import { EVENT_TYPES } from './event-catalogue.ts';
import type { AuditRecord, EventType, SilenceRef } from './types.ts';

/** The longest silence: a month. Longer quiet is a configuration change (minSeverity), not a silence. */
export const MAX_SILENCE_DAYS = 30;
const DAY_MS = 86_400_000;
const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** What a silence matches: every field given must equal the event's. */
export interface SilenceMatcher {
  projectId: string;
  clusterId?: string;
  jobId?: string;
  eventType?: EventType;
}

export interface Silence {
  silenceId: string;
  matcher: SilenceMatcher;
  /** The target as it was given (a name, cluster id or project id), for people. */
  target: string;
  startsAt: string;
  endsAt: string;
  createdAt: string;
  createdBy: string;
  reason: string;
  /** Ended early by `silence expire`. */
  expiredAt?: string;
  expiredBy?: string;
}

/** S1: in force at `now`. */
export function silenceActive(silence: Pick<Silence, 'startsAt' | 'endsAt'>, now: Date): boolean {
  const at = now.getTime();
  const starts = Date.parse(silence.startsAt);
  const ends = Date.parse(silence.endsAt);
  return Number.isFinite(starts) && Number.isFinite(ends) && starts <= at && at < ends;
}

/** S1, S2: the silence that keeps `event` quiet now, if any. */
export function matchSilence(
  event: Pick<AuditRecord, 'projectId' | 'clusterId' | 'jobId' | 'eventType' | 'details'>,
  silences: readonly Silence[],
  now: Date,
): Silence | undefined {
  const types = new Set<string>([String(event.eventType)]);
  // A reminder is about the incident's own alert: a silence of JOB_STUCK quiets its reminders too.
  const openedBy = event.details?.openedBy;
  if (event.eventType === 'INCIDENT_REMINDER' && typeof openedBy === 'string') types.add(openedBy);
  const matching = silences.filter((silence) => {
    const m = silence.matcher;
    return (
      silenceActive(silence, now) &&
      m.projectId === event.projectId &&
      (m.clusterId === undefined || m.clusterId === event.clusterId) &&
      (m.jobId === undefined || m.jobId === event.jobId) &&
      (m.eventType === undefined || types.has(m.eventType))
    );
  });
  return matching.sort((a, b) =>
    a.endsAt === b.endsAt ? (a.silenceId < b.silenceId ? -1 : 1) : a.endsAt < b.endsAt ? 1 : -1,
  )[0];
}

/** What an audit record keeps of the silence that matched it. */
export function silenceRef(silence: Silence): SilenceRef {
  return {
    silenceId: silence.silenceId,
    reason: silence.reason,
    createdBy: silence.createdBy,
    endsAt: silence.endsAt,
  };
}

/** A target a silence can name: from the configuration, or one the table has seen. */
export interface KnownTarget {
  projectId: string;
  /** Absent for a project-wide configuration entry. */
  clusterId?: string;
  name?: string;
}

export interface SilenceRequest {
  /** A target name, cluster id or project id. */
  target?: string;
  job?: string;
  event?: string;
  /** Milliseconds from now (`--for`); NaN or <= 0 when what was typed is not a positive duration. */
  forMs?: number;
  /** ISO 8601 end (`--until`). */
  until?: string;
  reason?: string;
  createdBy: string;
}

export type SilencePlan = { ok: true; silence: Silence } | { ok: false; problems: string[] };

/** S3: the silence a request asks for, or every problem with it. */
export function planSilence(
  request: SilenceRequest,
  context: { now: Date; targets: readonly KnownTarget[]; silenceId: string },
): SilencePlan {
  const problems: string[] = [];
  const { now } = context;
  const reason = request.reason?.trim() ?? '';
  if (reason === '')
    problems.push('--reason is required: say why, for whoever wonders later why nothing was alerted');

  const maxMs = MAX_SILENCE_DAYS * DAY_MS;
  let endsMs: number | undefined;
  if (request.forMs !== undefined && request.until !== undefined) {
    problems.push('give either --for or --until, not both');
  } else if (request.forMs !== undefined) {
    if (!Number.isFinite(request.forMs) || request.forMs <= 0) {
      problems.push('--for must be a positive duration such as 30m, 2h or 3d');
    } else if (request.forMs > maxMs) {
      problems.push(`--for must be at most ${MAX_SILENCE_DAYS} days`);
    } else {
      endsMs = now.getTime() + request.forMs;
    }
  } else if (request.until !== undefined) {
    const until = /^\d{4}-\d{2}-\d{2}/.test(request.until) ? Date.parse(request.until) : Number.NaN;
    if (!Number.isFinite(until)) {
      problems.push(`--until "${request.until}" is not an ISO 8601 date-time such as 2026-12-01T18:00:00Z`);
    } else if (until <= now.getTime()) {
      problems.push(`--until ${new Date(until).toISOString()} is in the past`);
    } else if (until - now.getTime() > maxMs) {
      problems.push(`--until must be at most ${MAX_SILENCE_DAYS} days from now`);
    } else {
      endsMs = until;
    }
  } else {
    problems.push('say how long: --for 2h, or --until 2026-12-01T18:00:00Z');
  }

  if (request.job !== undefined && !OBJECT_ID.test(request.job)) {
    problems.push(`--job "${request.job}" is not a restore job id (24 hexadecimal characters)`);
  }
  if (request.event !== undefined && !(EVENT_TYPES as readonly string[]).includes(request.event)) {
    problems.push(`--event "${request.event}" is not an event type; one of: ${EVENT_TYPES.join(', ')}`);
  }
  const target = resolveSilenceTarget(request.target, context.targets);
  if (!target.ok) problems.push(target.problem);

  if (problems.length > 0 || endsMs === undefined || !target.ok) return { ok: false, problems };
  const matcher: SilenceMatcher = {
    ...target.matcher,
    ...(request.job !== undefined ? { jobId: request.job.toLowerCase() } : {}),
    ...(request.event !== undefined ? { eventType: request.event as EventType } : {}),
  };
  return {
    ok: true,
    silence: {
      silenceId: context.silenceId,
      matcher,
      target: request.target ?? '',
      startsAt: now.toISOString(),
      endsAt: new Date(endsMs).toISOString(),
      createdAt: now.toISOString(),
      createdBy: request.createdBy,
      reason,
    },
  };
}

type TargetResolution = { ok: true; matcher: SilenceMatcher } | { ok: false; problem: string };

/** A name, a cluster id or a project id, looked up among the known targets. */
function resolveSilenceTarget(value: string | undefined, targets: readonly KnownTarget[]): TargetResolution {
  const text = value?.trim() ?? '';
  if (text === '')
    return { ok: false, problem: '--target is required: a target name, cluster id or project id' };
  const id = text.toLowerCase();
  if (OBJECT_ID.test(text)) {
    const cluster = targets.find((t) => t.clusterId?.toLowerCase() === id);
    if (cluster) return { ok: true, matcher: { projectId: cluster.projectId.toLowerCase(), clusterId: id } };
    if (targets.some((t) => t.projectId.toLowerCase() === id))
      return { ok: true, matcher: { projectId: id } };
  }
  const named = targets.filter((t) => t.name !== undefined && t.name.toLowerCase() === text.toLowerCase());
  const distinct = new Map(named.map((t) => [`${t.projectId}:${t.clusterId ?? '*'}`.toLowerCase(), t]));
  if (distinct.size > 1) {
    return {
      ok: false,
      problem: `--target "${text}" names ${distinct.size} targets; give the cluster id instead (${[...distinct.keys()].join(', ')})`,
    };
  }
  const only = [...distinct.values()][0];
  if (only) {
    return {
      ok: true,
      matcher: {
        projectId: only.projectId.toLowerCase(),
        ...(only.clusterId ? { clusterId: only.clusterId.toLowerCase() } : {}),
      },
    };
  }
  return {
    ok: false,
    problem: `--target "${text}" is not a known target: use a name, cluster id or project id from the configuration (or one \`restore-watch status\` lists)`,
  };
}
