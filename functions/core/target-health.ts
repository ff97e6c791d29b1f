/**
 * Whether a target can be polled at all. One failed poll is noise (a timeout, a 503); a streak of them,
 * or a single authentication error (which never heals by itself), means nobody is watching the
 * restores of that cluster any more, and that is worth a page.
 */
import { toAuditRecord } from './audit-record.ts';
import { describeError, SourceError } from './errors.ts';
import { eventId } from './event-id.ts';
import { scrubText } from './redact.ts';
import type { AlertSettings, AuditRecord, MonitorEvent, Target, TargetState } from './types.ts';
import { targetKey } from './types.ts';

export interface TargetFailure {
  name: string;
  /** Must already be free of secrets; it is scrubbed again anyway, as a second line of defence. */
  message: string;
  status?: number;
  errorCode?: string;
  /** 401/403-style rejections: alerted at the first failure, since retrying will not fix them. */
  auth: boolean;
  /** The API's certificate is not trusted (`caFile`): also alerted at the first failure. */
  untrusted?: boolean;
}

/**
 * What a failed poll says about the target. A `SourceError` carries its kind (an auth failure alerts
 * at once); anything else (a bug, an unexpected throw) is an ordinary failure, counted in the streak.
 */
export function toTargetFailure(error: unknown): TargetFailure {
  const message = describeError(error);
  if (!(error instanceof SourceError)) {
    return { name: error instanceof Error ? error.name : 'Error', message, auth: false };
  }
  return {
    name: error.name,
    message,
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.errorCode !== undefined ? { errorCode: error.errorCode } : {}),
    auth: error.kind === 'auth',
    ...(error.kind === 'untrusted' ? { untrusted: true } : {}),
  };
}

/** Keeps a hostile or verbose upstream error from bloating the state item and the alert. */
const MAX_ERROR_MESSAGE_LENGTH = 500;

function initialState(target: Target): TargetState {
  return {
    projectId: target.projectId,
    clusterId: target.clusterId,
    name: target.name,
    baselined: false,
    failureStreak: 0,
    failingAlerted: false,
  };
}

function describeFailure(failure: TargetFailure): string {
  const parts = [
    failure.status !== undefined ? `HTTP ${failure.status}` : undefined,
    failure.errorCode,
    failure.status === undefined && failure.errorCode === undefined ? failure.name : undefined,
  ].filter((part): part is string => typeof part === 'string' && part !== '');
  return parts.join(' ') || 'unknown error';
}

/**
 * Records a failed poll: the streak grows, `failingSince` marks its first failure, and TARGET_FAILING
 * fires once per streak when it reaches `failingAfterPolls`, or at once for an auth error.
 */
export function recordTargetFailure(input: {
  target: Target;
  previous: TargetState | undefined;
  failure: TargetFailure;
  now: Date;
  settings: AlertSettings;
}): { target: TargetState; events: MonitorEvent[] } {
  const { target, failure, settings } = input;
  const nowIso = input.now.toISOString();
  const previous = input.previous ?? initialState(target);
  const previousStreak =
    Number.isFinite(previous.failureStreak) && previous.failureStreak > 0 ? previous.failureStreak : 0;
  const failureStreak = previousStreak + 1;
  const failingSince = previousStreak > 0 && previous.failingSince ? previous.failingSince : nowIso;
  const message = scrubText(String(failure.message)).slice(0, MAX_ERROR_MESSAGE_LENGTH);

  const lastError: NonNullable<TargetState['lastError']> = { name: failure.name, message, at: nowIso };
  if (failure.status !== undefined) lastError.status = failure.status;
  if (failure.errorCode !== undefined) lastError.errorCode = failure.errorCode;

  const wasAlerted = previousStreak > 0 && previous.failingAlerted === true;
  const raise =
    !wasAlerted &&
    (failure.auth || failure.untrusted === true || failureStreak >= settings.failingAfterPolls);
  const next: TargetState = {
    ...previous,
    name: target.name,
    lastPolledAt: nowIso,
    failureStreak,
    failingSince,
    failingAlerted: wasAlerted || raise,
    lastError,
  };
  if (!raise) return { target: next, events: [] };

  const error: Record<string, unknown> = { name: failure.name, message };
  if (failure.status !== undefined) error.status = failure.status;
  if (failure.errorCode !== undefined) error.errorCode = failure.errorCode;
  const reason = describeFailure(failure);
  const summary = failure.auth
    ? `cannot poll restore jobs: credentials rejected (${reason})`
    : failure.untrusted
      ? `cannot poll restore jobs: the API's TLS certificate is not trusted (${reason})`
      : `cannot poll restore jobs: ${failureStreak} failed polls in a row (${reason})`;
  const event: MonitorEvent = {
    eventId: eventId({
      eventType: 'TARGET_FAILING',
      projectId: target.projectId,
      clusterId: target.clusterId,
      discriminator: failingStreakId(previous, failingSince),
    }),
    eventType: 'TARGET_FAILING',
    severity: 'critical',
    projectId: target.projectId,
    clusterId: target.clusterId,
    targetName: target.name,
    detectedAt: nowIso,
    summary,
    details: {
      failureStreak,
      failingSince,
      failingAfterPolls: settings.failingAfterPolls,
      auth: failure.auth,
      error,
    },
  };
  return { target: next, events: [event] };
}

/**
 * Names a failure streak for TARGET_FAILING's event id. `failingSince` alone is not stable when the
 * alert is raised by the streak's first failure (an auth error, or `failingAfterPolls: 1`): if the run
 * dies after recording the alert but before saving the target state, the next run starts the streak
 * again at a later `failingSince` and would record (and publish) a second TARGET_FAILING. The last
 * successful poll before the streak is saved state, so it names the streak the same way in both runs.
 * A target that never succeeded keeps `failingSince`.
 */
function failingStreakId(previous: TargetState, failingSince: string): string {
  return previous.lastSuccessAt ? `after-success:${previous.lastSuccessAt}` : failingSince;
}

/**
 * The event side of a successful poll: TARGET_RECOVERED iff TARGET_FAILING was raised for the streak
 * that just ended. The healed target state itself comes from `detectChanges`.
 */
export function recordTargetSuccess(input: {
  target: Target;
  previous: TargetState | undefined;
  now: Date;
}): {
  events: MonitorEvent[];
} {
  const { target, previous } = input;
  if (previous?.failingAlerted !== true) return { events: [] };
  const failedPolls = Number.isFinite(previous.failureStreak) ? previous.failureStreak : 0;
  const failingSince = previous.failingSince ?? '';
  const details: Record<string, unknown> = { failedPolls, failingSince };
  if (previous.lastError) details.lastError = previous.lastError;
  const event: MonitorEvent = {
    eventId: eventId({
      eventType: 'TARGET_RECOVERED',
      projectId: target.projectId,
      clusterId: target.clusterId,
      discriminator: failingSince,
    }),
    eventType: 'TARGET_RECOVERED',
    severity: 'info',
    projectId: target.projectId,
    clusterId: target.clusterId,
    targetName: target.name,
    detectedAt: input.now.toISOString(),
    summary:
      failedPolls > 0
        ? `polling works again after ${failedPolls} failed poll${failedPolls === 1 ? '' : 's'}`
        : 'polling works again',
    details,
  };
  return { events: [event] };
}

/**
 * A TARGET_FAILING that is recorded but still owed may belong to a run that never saved the target's
 * state (it died, or the save failed, between the two writes). The target state then does not say
 * the failure was alerted, and a recovery would go unannounced. The owed record is the proof: the
 * target is treated as alerted from the event's detection time, so TARGET_RECOVERED follows it.
 * Returns the target states with those adopted; `previous` is left as it was.
 */
export function adoptOwedFailures(
  previous: ReadonlyMap<string, TargetState>,
  owed: readonly AuditRecord[],
): Map<string, TargetState> {
  const adopted = new Map(previous);
  for (const record of owed) {
    if (record.eventType !== 'TARGET_FAILING') continue;
    const key = targetKey(record);
    const prev = adopted.get(key);
    if (prev?.failingAlerted) continue;
    // A success saved after the failure was detected means its recovery was already recorded (the
    // event is merely still owed to SNS): nothing to adopt.
    if (prev?.lastSuccessAt !== undefined && prev.lastSuccessAt >= record.detectedAt) continue;
    adopted.set(key, {
      ...(prev ?? {
        projectId: record.projectId,
        clusterId: record.clusterId,
        name: record.targetName,
        baselined: false,
      }),
      failureStreak: Math.max(prev?.failureStreak ?? 0, 1),
      failingSince: prev?.failingSince ?? record.detectedAt,
      failingAlerted: true,
    });
  }
  return adopted;
}

/**
 * A project-wide target whose clusters could not be listed fails as `{project}:*`. Once they list
 * again that pseudo target is no longer polled, so its recovery is settled here: TARGET_RECOVERED if
 * TARGET_FAILING was raised, and a healed state either way.
 */
export function recoverListedProjects(input: {
  listed: readonly Target[];
  previous: ReadonlyMap<string, TargetState>;
  now: Date;
  runId: string;
  settings: Pick<AlertSettings, 'minSeverity'>;
}): Array<{ state: TargetState; records: AuditRecord[] }> {
  const out: Array<{ state: TargetState; records: AuditRecord[] }> = [];
  const nowIso = input.now.toISOString();
  for (const target of input.listed) {
    const prev = input.previous.get(targetKey(target));
    if (!prev || (prev.failureStreak === 0 && !prev.failingAlerted)) continue;
    const { events } = recordTargetSuccess({ target, previous: prev, now: input.now });
    const { failingSince: _since, ...rest } = prev;
    out.push({
      state: {
        ...rest,
        failureStreak: 0,
        failingAlerted: false,
        lastPolledAt: nowIso,
        lastSuccessAt: nowIso,
      },
      records: events.map((event) => toAuditRecord(event, input.runId, input.settings)),
    });
  }
  return out;
}
