/**
 * Time-based events, about now rather than about a change: DELIVERY_EXPIRING (once per threshold per
 * `expires`) and JOB_STUCK (once per job), and the earliest instant either could fire next, which lets
 * a quiet poll skip the diff until then.
 */
import { deliveryExpiringSummary, jobStuckSummary } from '../event-summary.ts';
import { instantToIso, MS_PER_MINUTE, parseInstant } from '../instant.ts';
import type { AlertSettings, JobState } from '../types.ts';
import { type DetectionContext, jobEvent, type PendingEvent } from './detection-context.ts';
import { alertedThresholds, stuckClockStart } from './job-state.ts';

/**
 * The earliest instant at which a DELIVERY_EXPIRING or JOB_STUCK could fire for a threshold not yet
 * alerted, or `undefined` when none is pending. Gone jobs are skipped: they raise no time-based events.
 */
export function nextTimeCheck(jobs: readonly JobState[], settings: AlertSettings): string | undefined {
  const thresholds = normaliseThresholds(settings.expiryWarningMinutes);
  let earliest = Number.POSITIVE_INFINITY;
  for (const state of jobs) {
    if (state.goneSince) continue;
    const snapshot = state.snapshot;
    if (snapshot.deliveryStatus === 'READY') {
      const expiresMs = parseInstant(snapshot.expires);
      const alerted = new Set(alertedThresholds(state));
      const widest = thresholds.find((threshold) => !alerted.has(threshold));
      if (expiresMs !== undefined && widest !== undefined) {
        earliest = Math.min(earliest, expiresMs - widest * MS_PER_MINUTE);
      }
    }
    if (snapshot.statusName === 'IN_PROGRESS' && state.stuckAlerted !== true) {
      const startMs = stuckClockStart(state);
      if (startMs !== undefined)
        earliest = Math.min(earliest, startMs + settings.stuckAfterMinutes * MS_PER_MINUTE);
    }
  }
  return instantToIso(earliest);
}

export function normaliseThresholds(list: readonly number[]): number[] {
  const valid = list.filter(
    (minutes) => typeof minutes === 'number' && Number.isFinite(minutes) && minutes > 0,
  );
  return [...new Set(valid)].sort((a, b) => b - a);
}

/**
 * DELIVERY_EXPIRING: once per threshold per `expires`. Several thresholds crossed at once (the monitor
 * first saw the delivery late, or was down) give one warning, for the tightest, and mark them all.
 * Mutates `state.expiryAlerted` (the state is this poll's own copy).
 */
export function checkExpiry(context: DetectionContext, state: JobState): PendingEvent[] {
  const snapshot = state.snapshot;
  if (snapshot.deliveryStatus !== 'READY' || context.thresholds.length === 0) return [];
  const expiresMs = parseInstant(snapshot.expires);
  if (expiresMs === undefined) return [];
  const minutesLeft = (expiresMs - context.nowMs) / MS_PER_MINUTE;
  const alerted = new Set(alertedThresholds(state));
  // Past `expires` the link no longer works: too late to warn. The change to EXPIRED will report it;
  // marking the thresholds keeps a stale READY from forcing a full diff on every poll.
  const crossed = minutesLeft <= 0 ? context.thresholds : context.thresholds.filter((t) => minutesLeft <= t);
  if (crossed.length === 0) return [];
  const tightest = crossed[crossed.length - 1] as number;
  const fire = minutesLeft > 0 && !alerted.has(tightest);
  for (const threshold of crossed) alerted.add(threshold);
  state.expiryAlerted = [...alerted].sort((a, b) => b - a);
  if (!fire) return [];
  return [
    jobEvent(context, {
      eventType: 'DELIVERY_EXPIRING',
      severity: 'warning',
      snapshot,
      discriminator: `${tightest}@${snapshot.expires}`,
      summary: deliveryExpiringSummary(snapshot, minutesLeft),
      details: {
        thresholdMinutes: tightest,
        expires: snapshot.expires,
        minutesLeft: Math.floor(minutesLeft),
      },
    }),
  ];
}

/** JOB_STUCK: once per job. Mutates `state.stuckAlerted`. */
export function checkStuck(context: DetectionContext, state: JobState): PendingEvent[] {
  const snapshot = state.snapshot;
  if (snapshot.statusName !== 'IN_PROGRESS' || state.stuckAlerted) return [];
  const startMs = stuckClockStart(state);
  if (startMs === undefined) return [];
  const inProgressMinutes = (context.nowMs - startMs) / MS_PER_MINUTE;
  const stuckAfterMinutes = context.settings.stuckAfterMinutes;
  if (!(inProgressMinutes >= stuckAfterMinutes)) return [];
  state.stuckAlerted = true;
  return [
    jobEvent(context, {
      eventType: 'JOB_STUCK',
      severity: 'warning',
      snapshot,
      discriminator: 'stuck',
      summary: jobStuckSummary(snapshot, inProgressMinutes),
      details: { inProgressMinutes: Math.floor(inProgressMinutes), stuckAfterMinutes },
    }),
  ];
}
