import { describe, expect, it } from 'vitest';
import {
  recordTargetFailure,
  recordTargetSuccess,
  type TargetFailure,
} from '../../functions/core/target-health.ts';
import type { TargetState } from '../../functions/core/types.ts';
import { at, baselined, iso, SECRET_URL, SETTINGS, T0, TARGET } from './fixtures.ts';

const TIMEOUT: TargetFailure = {
  name: 'CloudManagerTimeoutError',
  message: 'no answer within 15 s',
  auth: false,
};
const UNAVAILABLE: TargetFailure = {
  name: 'CloudManagerHttpError',
  message: 'Cloud Manager answered 503 Service Unavailable',
  status: 503,
  errorCode: 'UNEXPECTED_ERROR',
  auth: false,
};
const REJECTED: TargetFailure = {
  name: 'CloudManagerAuthError',
  message: 'the API key was rejected: check CLOUD_MANAGER_PUBLIC_KEY',
  status: 401,
  errorCode: 'USER_UNAUTHORIZED',
  auth: true,
};

/** Fails `count` polls in a row, one minute apart, starting at T0. */
function failRepeatedly(count: number, failure: TargetFailure = UNAVAILABLE, start?: TargetState) {
  let previous = start;
  const events = [];
  for (let i = 0; i < count; i++) {
    const result = recordTargetFailure({ target: TARGET, previous, failure, now: at(i), settings: SETTINGS });
    previous = result.target;
    events.push(...result.events);
  }
  return { target: previous as TargetState, events };
}

describe('recordTargetFailure', () => {
  it('counts the first failure, remembers when the streak began, and stays quiet', () => {
    // Act
    const result = recordTargetFailure({
      target: TARGET,
      previous: baselined([]).target,
      failure: TIMEOUT,
      now: T0,
      settings: SETTINGS,
    });

    // Assess
    expect(result.events).toEqual([]);
    expect(result.target).toMatchObject({
      failureStreak: 1,
      failingSince: T0.toISOString(),
      failingAlerted: false,
      lastPolledAt: T0.toISOString(),
      baselined: true,
      lastError: { name: 'CloudManagerTimeoutError', message: 'no answer within 15 s', at: T0.toISOString() },
    });
  });

  it('starts a state for a target that was never polled, not baselined', () => {
    // Act
    const result = recordTargetFailure({
      target: TARGET,
      previous: undefined,
      failure: TIMEOUT,
      now: T0,
      settings: SETTINGS,
    });

    // Assess
    expect(result.target).toMatchObject({
      projectId: TARGET.projectId,
      clusterId: TARGET.clusterId,
      name: TARGET.name,
      baselined: false,
      failureStreak: 1,
    });
  });

  it('raises TARGET_FAILING (critical) when the streak reaches failingAfterPolls', () => {
    // Act
    const { target, events } = failRepeatedly(3);

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventType: 'TARGET_FAILING',
      severity: 'critical',
      projectId: TARGET.projectId,
      clusterId: TARGET.clusterId,
      targetName: TARGET.name,
      detectedAt: iso(2),
      summary: 'cannot poll restore jobs: 3 failed polls in a row (HTTP 503 UNEXPECTED_ERROR)',
      details: {
        failureStreak: 3,
        failingSince: T0.toISOString(),
        failingAfterPolls: 3,
        auth: false,
        error: { name: 'CloudManagerHttpError', status: 503, errorCode: 'UNEXPECTED_ERROR' },
      },
    });
    expect(target).toMatchObject({ failureStreak: 3, failingSince: T0.toISOString(), failingAlerted: true });
  });

  it('stays quiet before the streak reaches failingAfterPolls', () => {
    expect(failRepeatedly(2).events).toEqual([]);
  });

  it('raises TARGET_FAILING only once per streak', () => {
    // Act
    const { events, target } = failRepeatedly(7);

    // Assess
    expect(events).toHaveLength(1);
    expect(target.failureStreak).toBe(7);
  });

  it('raises TARGET_FAILING at the first auth failure', () => {
    // Act
    const { events } = failRepeatedly(1, REJECTED);

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventType: 'TARGET_FAILING',
      summary: 'cannot poll restore jobs: credentials rejected (HTTP 401 USER_UNAUTHORIZED)',
      details: { auth: true, failureStreak: 1 },
    });
  });

  it('gives a new streak a new event id', () => {
    // Prepare
    const firstStreak = failRepeatedly(3);
    const healed: TargetState = { ...firstStreak.target, failureStreak: 0, failingAlerted: false };
    delete healed.failingSince;

    // Act
    const result = recordTargetFailure({
      target: TARGET,
      previous: healed,
      failure: REJECTED,
      now: at(60),
      settings: SETTINGS,
    });

    // Assess
    expect(result.target.failingSince).toBe(iso(60));
    expect(result.events[0]?.eventId).not.toBe(firstStreak.events[0]?.eventId);
  });

  it('derives the event id from the streak, so raising it again after a crash gives the same id', () => {
    // Prepare
    const twoFailures = failRepeatedly(2);

    // Act: the third failure detected twice (the state of the first attempt was never saved)
    const once = recordTargetFailure({
      target: TARGET,
      previous: twoFailures.target,
      failure: UNAVAILABLE,
      now: at(2),
      settings: SETTINGS,
    });
    const again = recordTargetFailure({
      target: TARGET,
      previous: twoFailures.target,
      failure: TIMEOUT,
      now: at(3),
      settings: SETTINGS,
    });

    // Assess
    expect(again.events[0]?.eventId).toBe(once.events[0]?.eventId);
  });

  it('scrubs a download URL that slipped into the error message', () => {
    // Act
    const { target, events } = failRepeatedly(1, { ...REJECTED, message: `GET ${SECRET_URL} failed` });

    // Assess
    expect(JSON.stringify({ target, events })).not.toContain('SENTINEL');
    expect(target.lastError?.message).toBe('GET [redacted] failed');
  });

  it('keeps a very long error message short', () => {
    const { target } = failRepeatedly(1, { ...TIMEOUT, message: 'x'.repeat(5000) });
    expect(target.lastError?.message.length).toBe(500);
  });
});

describe('recordTargetSuccess', () => {
  it('raises TARGET_RECOVERED (info) when TARGET_FAILING had been raised', () => {
    // Prepare
    const failing = failRepeatedly(4);

    // Act
    const { events } = recordTargetSuccess({ target: TARGET, previous: failing.target, now: at(10) });

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventType: 'TARGET_RECOVERED',
      severity: 'info',
      detectedAt: iso(10),
      summary: 'polling works again after 4 failed polls',
      details: { failedPolls: 4, failingSince: T0.toISOString() },
    });
  });

  it('stays quiet after failures that never raised TARGET_FAILING', () => {
    // Prepare
    const blip = failRepeatedly(2);

    // Act / Assess
    expect(recordTargetSuccess({ target: TARGET, previous: blip.target, now: at(10) }).events).toEqual([]);
  });

  it('stays quiet for a healthy or unknown target', () => {
    expect(recordTargetSuccess({ target: TARGET, previous: baselined([]).target, now: T0 }).events).toEqual(
      [],
    );
    expect(recordTargetSuccess({ target: TARGET, previous: undefined, now: T0 }).events).toEqual([]);
  });

  it('derives its id from failingSince: the same recovery detected twice has one id', () => {
    // Prepare
    const failing = failRepeatedly(3);

    // Act
    const once = recordTargetSuccess({ target: TARGET, previous: failing.target, now: at(10) });
    const again = recordTargetSuccess({ target: TARGET, previous: failing.target, now: at(15) });

    // Assess
    expect(again.events[0]?.eventId).toBe(once.events[0]?.eventId);
    expect(once.events[0]?.eventId).not.toBe(failing.events[0]?.eventId);
  });
});
