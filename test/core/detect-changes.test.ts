import { describe, expect, it } from 'vitest';
import { canSkipDiff, detectChanges, nextTimeCheck } from '../../functions/core/detect-changes.ts';
import { fingerprintListing } from '../../functions/core/snapshot.ts';
import type { JobState, RestoreJob, Severity, TargetState } from '../../functions/core/types.ts';
import {
  at,
  BATCH_ID,
  baselined,
  EMPTY,
  iso,
  JOB_A,
  JOB_B,
  JOB_C,
  job,
  only,
  poll,
  readyJob,
  SETTINGS,
  T0,
  TARGET,
  types,
} from './fixtures.ts';

describe('detectChanges: first sight of a target (baseline)', () => {
  it('records every listed job without JOB_CREATED or status-change events', () => {
    // Prepare
    const fetched = [job({ id: JOB_A }), job({ id: JOB_B, statusName: 'BROKEN' })];

    // Act
    const result = poll(EMPTY, fetched, T0);

    // Assess
    expect(result.events).toEqual([]);
    expect(result.jobs.map((state) => state.snapshot.jobId)).toEqual([JOB_A, JOB_B]);
    expect(result.changedJobs).toHaveLength(2);
  });

  it('treats a target state with baselined: false as first sight even when job states exist', () => {
    // Prepare
    const known = baselined([job({ id: JOB_A })]);
    const notBaselined: TargetState = { ...(known.target as TargetState), baselined: false };

    // Act
    const result = poll(
      { target: notBaselined, jobs: known.jobs },
      [job({ id: JOB_A, statusName: 'BROKEN' })],
      T0,
    );

    // Assess
    expect(result.events).toEqual([]);
    expect(result.jobs[0]?.snapshot.statusName).toBe('BROKEN');
  });

  it('still warns about a READY delivery that expires within a threshold', () => {
    // Act
    const result = poll(EMPTY, [readyJob(iso(30))], T0);

    // Assess
    expect(types(result.events)).toEqual(['DELIVERY_EXPIRING']);
  });

  it('still reports a job that has been IN_PROGRESS for longer than stuckAfterMinutes', () => {
    // Act
    const result = poll(EMPTY, [job({ created: iso(-400) })], T0);

    // Assess
    expect(types(result.events)).toEqual(['JOB_STUCK']);
  });

  it('marks a sharded batch that is already complete as alerted without BATCH_COMPLETED', () => {
    // Prepare
    const fetched = [
      job({ id: JOB_A, batchId: BATCH_ID, statusName: 'FINISHED' }),
      job({ id: JOB_B, batchId: BATCH_ID, statusName: 'FINISHED' }),
    ];

    // Act
    const first = poll(EMPTY, fetched, T0);
    const second = poll(first.next, fetched, at(5));

    // Assess
    expect(first.events).toEqual([]);
    expect(first.jobs.every((state) => state.batchCompletedAlerted)).toBe(true);
    expect(second.events).toEqual([]);
  });

  it('returns a baselined, healthy target state with the fingerprint of the listing', () => {
    // Prepare
    const fetched = [job({ id: JOB_A }), job({ id: JOB_B })];

    // Act
    const result = poll(EMPTY, fetched, T0);

    // Assess
    expect(result.target).toEqual({
      projectId: TARGET.projectId,
      clusterId: TARGET.clusterId,
      name: TARGET.name,
      baselined: true,
      lastPolledAt: T0.toISOString(),
      lastSuccessAt: T0.toISOString(),
      failureStreak: 0,
      failingAlerted: false,
      fingerprint: fingerprintListing(fetched, TARGET),
      jobCount: 2,
      nextTimeCheckAt: iso(-30 + 360),
    });
  });
});

describe('detectChanges: JOB_CREATED', () => {
  it('fires (info) for a job that was not listed at the previous poll', () => {
    // Prepare
    const state = baselined([job({ id: JOB_A })]);

    // Act
    const result = poll(state, [job({ id: JOB_A }), job({ id: JOB_B })], T0);

    // Assess
    const event = only(result.events, 'JOB_CREATED');
    expect(types(result.events)).toEqual(['JOB_CREATED']);
    expect(event).toMatchObject({
      severity: 'info',
      jobId: JOB_B,
      projectId: TARGET.projectId,
      clusterId: TARGET.clusterId,
      targetName: TARGET.name,
      detectedAt: T0.toISOString(),
      summary: 'restore …7b8c9d02 requested (IN_PROGRESS)',
      before: null,
    });
    expect(event.after).toMatchObject({ jobId: JOB_B, statusName: 'IN_PROGRESS' });
  });

  it('also reports the status of a new job that broke before it was first seen', () => {
    // Prepare
    const state = baselined([]);

    // Act
    const result = poll(state, [job({ id: JOB_B, statusName: 'BROKEN' })], T0);

    // Assess
    expect(types(result.events)).toEqual(['JOB_CREATED', 'JOB_STATUS_CHANGED']);
    expect(only(result.events, 'JOB_STATUS_CHANGED')).toMatchObject({
      severity: 'critical',
      summary: 'restore …7b8c9d02 BROKEN',
      before: null,
    });
  });

  it('also reports a new job whose download is already READY', () => {
    // Prepare
    const state = baselined([]);

    // Act
    const result = poll(state, [readyJob('2026-11-30T14:00:00Z')], T0);

    // Assess
    expect(types(result.events)).toEqual(['JOB_CREATED', 'JOB_STATUS_CHANGED', 'DELIVERY_STATUS_CHANGED']);
    expect(only(result.events, 'DELIVERY_STATUS_CHANGED').details).toEqual({
      expires: '2026-11-30T14:00:00Z',
    });
  });

  it('does not fire again for a job that stays listed', () => {
    // Prepare
    const state = baselined([]);
    const first = poll(state, [job({ id: JOB_B })], T0);

    // Act
    const second = poll(first.next, [job({ id: JOB_B })], at(5));

    // Assess
    expect(types(first.events)).toEqual(['JOB_CREATED']);
    expect(second.events).toEqual([]);
  });
});

describe('detectChanges: JOB_STATUS_CHANGED', () => {
  it.each<[string, Severity]>([
    ['FINISHED', 'info'],
    ['KILLED', 'warning'],
    ['BROKEN', 'critical'],
    ['RESTORE_PAUSED', 'warning'],
  ])('fires when IN_PROGRESS becomes %s, with severity %s', (status, severity) => {
    // Prepare
    const state = baselined([job()]);

    // Act
    const result = poll(state, [job({ statusName: status })], T0);

    // Assess
    const event = only(result.events, 'JOB_STATUS_CHANGED');
    expect(event.severity).toBe(severity);
    expect(event.summary).toBe(`restore …7b8c9d01 ${status} (was IN_PROGRESS)`);
  });

  it('fires (info) when a job goes back to IN_PROGRESS', () => {
    // Prepare
    const state = baselined([job({ statusName: 'RESTORE_PAUSED' })]);

    // Act
    const result = poll(state, [job({ statusName: 'IN_PROGRESS' })], T0);

    // Assess
    expect(only(result.events, 'JOB_STATUS_CHANGED').severity).toBe('info');
  });

  it('carries the snapshot before and after the change', () => {
    // Prepare
    const state = baselined([job()]);

    // Act
    const event = only(poll(state, [job({ statusName: 'BROKEN' })], T0).events, 'JOB_STATUS_CHANGED');

    // Assess
    expect(event.before).toMatchObject({ jobId: JOB_A, statusName: 'IN_PROGRESS' });
    expect(event.after).toMatchObject({ jobId: JOB_A, statusName: 'BROKEN' });
  });

  it('reports a status that disappeared as UNKNOWN (warning) without failing', () => {
    // Prepare
    const state = baselined([job()]);
    const { statusName: _dropped, ...withoutStatus } = job();

    // Act
    const result = poll(state, [withoutStatus as RestoreJob], T0);

    // Assess
    expect(only(result.events, 'JOB_STATUS_CHANGED')).toMatchObject({
      severity: 'warning',
      after: { statusName: 'UNKNOWN' },
    });
  });

  it('stays quiet while the status is unchanged', () => {
    // Prepare
    const state = baselined([job()]);

    // Act
    const result = poll(state, [job()], T0);

    // Assess
    expect(result.events).toEqual([]);
  });
});

describe('detectChanges: DELIVERY_STATUS_CHANGED', () => {
  const finished = (delivery: RestoreJob['delivery'], extra: Partial<RestoreJob> = {}) =>
    job({ statusName: 'FINISHED', delivery, ...extra });

  it.each<[string, Severity]>([
    ['IN_PROGRESS', 'info'],
    ['READY', 'info'],
    ['FAILED', 'critical'],
    ['INTERRUPTED', 'critical'],
    ['SOMETHING_NEW', 'warning'],
  ])('fires when NOT_STARTED becomes %s, with severity %s', (status, severity) => {
    // Prepare
    const state = baselined([finished({ statusName: 'NOT_STARTED' })]);

    // Act
    const result = poll(state, [finished({ statusName: status })], T0);

    // Assess
    expect(only(result.events, 'DELIVERY_STATUS_CHANGED').severity).toBe(severity);
  });

  it('fires (info) when a delivery that had none becomes NOT_STARTED', () => {
    // Prepare
    const state = baselined([job({ delivery: undefined })]);

    // Act
    const result = poll(state, [job({ delivery: { statusName: 'NOT_STARTED' } })], T0);

    // Assess
    expect(only(result.events, 'DELIVERY_STATUS_CHANGED')).toMatchObject({
      severity: 'info',
      summary: 'restore …7b8c9d01 delivery NOT_STARTED',
    });
  });

  it('says until when a READY download works', () => {
    // Prepare
    const state = baselined([finished({ statusName: 'IN_PROGRESS' })]);

    // Act
    const result = poll(state, [readyJob('2026-11-29T14:00:00Z')], T0);

    // Assess
    expect(only(result.events, 'DELIVERY_STATUS_CHANGED')).toMatchObject({
      severity: 'info',
      summary: 'restore …7b8c9d01 download ready until 2026-11-29 14:00 UTC',
      details: { expires: '2026-11-29T14:00:00Z' },
    });
  });

  it('reports an automated restore that is READY without expires or URL, and never warns of expiry', () => {
    // Prepare
    const state = baselined([finished({ methodName: 'HTTP', statusName: 'IN_PROGRESS' })]);

    // Act
    const result = poll(state, [finished({ methodName: 'HTTP', statusName: 'READY' })], T0);

    // Assess
    const event = only(result.events, 'DELIVERY_STATUS_CHANGED');
    expect(types(result.events)).toEqual(['DELIVERY_STATUS_CHANGED']);
    expect(event.summary).toBe('restore …7b8c9d01 download ready');
    expect(event.details).toBeUndefined();
    expect(result.target.nextTimeCheckAt).toBeUndefined();
  });

  it('warns when the link expired and the backup was never downloaded', () => {
    // Prepare
    const state = baselined([readyJob(iso(-1))]);

    // Act
    const result = poll(state, [finished({ statusName: 'EXPIRED', expires: iso(-1) })], T0);

    // Assess
    expect(only(result.events, 'DELIVERY_STATUS_CHANGED')).toMatchObject({
      severity: 'warning',
      summary: 'restore …7b8c9d01 download link expired, never downloaded',
    });
  });

  it('reports an expired link as info when the backup was downloaded', () => {
    // Prepare
    const hashes = [{ fileName: 'a.tar.gz', hash: 'abc', typeName: 'SHA1' }];
    const state = baselined([readyJob(iso(-1), { hashes })]);

    // Act
    const result = poll(state, [finished({ statusName: 'EXPIRED', expires: iso(-1) }, { hashes })], T0);

    // Assess
    expect(only(result.events, 'DELIVERY_STATUS_CHANGED').severity).toBe('info');
  });

  it('reports MAX_DOWNLOADS_EXCEEDED as info', () => {
    // Prepare
    const state = baselined([readyJob(iso(600))]);

    // Act
    const result = poll(state, [finished({ statusName: 'MAX_DOWNLOADS_EXCEEDED', expires: iso(600) })], T0);

    // Assess
    expect(only(result.events, 'DELIVERY_STATUS_CHANGED')).toMatchObject({
      severity: 'info',
      summary: 'restore …7b8c9d01 download limit reached (backup was downloaded)',
    });
  });

  it('reports a job status change and a delivery status change of one poll as two events', () => {
    // Prepare
    const state = baselined([job()]);

    // Act
    const result = poll(state, [readyJob(iso(2000))], T0);

    // Assess
    expect(types(result.events)).toEqual(['JOB_STATUS_CHANGED', 'DELIVERY_STATUS_CHANGED']);
  });
});

describe('detectChanges: DELIVERY_EXPIRING', () => {
  it('warns once the expiry is within the widest threshold, with threshold, expires and minutes left', () => {
    // Prepare
    const expires = iso(50);
    const state = baselined([readyJob(expires)], at(-20));

    // Act
    const result = poll(state, [readyJob(expires)], T0);

    // Assess
    expect(only(result.events, 'DELIVERY_EXPIRING')).toMatchObject({
      severity: 'warning',
      summary: 'restore …7b8c9d01 download link expires in 50 min, not downloaded yet',
      details: { thresholdMinutes: 60, expires, minutesLeft: 50 },
    });
    expect(result.jobs[0]?.expiryAlerted).toEqual([60]);
  });

  it('does not warn twice for the same threshold', () => {
    // Prepare
    const expires = iso(50);
    const first = poll(baselined([readyJob(expires)], at(-20)), [readyJob(expires)], T0);

    // Act
    const second = poll(first.next, [readyJob(expires)], at(5));

    // Assess
    expect(second.events).toEqual([]);
  });

  it('warns again when the next, tighter threshold is crossed', () => {
    // Prepare
    const expires = iso(50);
    const first = poll(baselined([readyJob(expires)], at(-20)), [readyJob(expires)], T0);

    // Act
    const second = poll(first.next, [readyJob(expires)], at(36));

    // Assess
    expect(only(second.events, 'DELIVERY_EXPIRING')).toMatchObject({
      summary: 'restore …7b8c9d01 download link expires in 14 min, not downloaded yet',
      details: { thresholdMinutes: 15, minutesLeft: 14 },
    });
    expect(second.jobs[0]?.expiryAlerted).toEqual([60, 15]);
  });

  it('gives one warning for the tightest threshold when several are crossed at once', () => {
    // Prepare: first seen 10 minutes before expiry, thresholds [60, 15]
    const state = baselined([job({ statusName: 'FINISHED' })], at(-60));

    // Act
    const result = poll(state, [readyJob(iso(10))], T0);

    // Assess
    expect(result.events.filter((event) => event.eventType === 'DELIVERY_EXPIRING')).toHaveLength(1);
    expect(only(result.events, 'DELIVERY_EXPIRING').details).toMatchObject({ thresholdMinutes: 15 });
    expect(result.jobs[0]?.expiryAlerted).toEqual([60, 15]);
  });

  it('starts the thresholds over when expires changes (a new delivery)', () => {
    // Prepare
    const first = poll(baselined([readyJob(iso(50))], at(-20)), [readyJob(iso(50))], T0);

    // Act
    const second = poll(first.next, [readyJob(iso(55))], at(1));

    // Assess
    expect(only(second.events, 'DELIVERY_EXPIRING').details).toMatchObject({
      thresholdMinutes: 60,
      expires: iso(55),
    });
    expect(only(second.events, 'DELIVERY_EXPIRING').eventId).not.toBe(
      only(first.events, 'DELIVERY_EXPIRING').eventId,
    );
  });

  it('says so when the backup was downloaded already', () => {
    // Prepare
    const hashes = [{ fileName: 'a.tar.gz', hash: 'abc', typeName: 'SHA1' }];

    // Act
    const result = poll(EMPTY, [readyJob(iso(10), { hashes })], T0);

    // Assess
    expect(only(result.events, 'DELIVERY_EXPIRING').summary).toBe(
      'restore …7b8c9d01 download link expires in 10 min (downloaded already)',
    );
  });

  it('does not warn for a delivery that is not READY', () => {
    // Act
    const result = poll(
      EMPTY,
      [job({ statusName: 'FINISHED', delivery: { statusName: 'IN_PROGRESS', expires: iso(10) } })],
      T0,
    );

    // Assess
    expect(result.events).toEqual([]);
  });

  it('does not warn for a READY delivery without expires', () => {
    // Act
    const result = poll(EMPTY, [job({ statusName: 'FINISHED', delivery: { statusName: 'READY' } })], T0);

    // Assess
    expect(result.events).toEqual([]);
  });

  it('does not warn for a READY delivery whose expires cannot be parsed', () => {
    // Act
    const result = poll(EMPTY, [readyJob('next tuesday')], T0);

    // Assess
    expect(result.events).toEqual([]);
  });

  it('does not warn while the expiry is further away than every threshold', () => {
    // Act
    const result = poll(EMPTY, [readyJob(iso(61))], T0);

    // Assess
    expect(result.events).toEqual([]);
    expect(result.target.nextTimeCheckAt).toBe(iso(1));
  });

  it('does not warn once expires has passed, and marks the thresholds so no recheck is pending', () => {
    // Act
    const result = poll(EMPTY, [readyJob(iso(-5))], T0);

    // Assess
    expect(result.events).toEqual([]);
    expect(result.jobs[0]?.expiryAlerted).toEqual([60, 15]);
    expect(result.target.nextTimeCheckAt).toBeUndefined();
  });

  it('does not warn when no thresholds are configured', () => {
    // Act
    const result = poll(EMPTY, [readyJob(iso(5))], T0, { ...SETTINGS, expiryWarningMinutes: [] });

    // Assess
    expect(result.events).toEqual([]);
  });
});

describe('detectChanges: JOB_STUCK', () => {
  it('fires once a job has been IN_PROGRESS for stuckAfterMinutes since it was created', () => {
    // Prepare
    const state = baselined([job({ created: iso(-359) })], at(-1));

    // Act
    const result = poll(state, [job({ created: iso(-359) })], at(1));

    // Assess
    expect(only(result.events, 'JOB_STUCK')).toMatchObject({
      severity: 'warning',
      summary: 'restore …7b8c9d01 still IN_PROGRESS after 6 h',
      details: { inProgressMinutes: 360, stuckAfterMinutes: 360 },
    });
    expect(result.jobs[0]?.stuckAlerted).toBe(true);
  });

  it('does not fire again for the same job', () => {
    // Prepare
    const first = poll(EMPTY, [job({ created: iso(-400) })], T0);

    // Act
    const second = poll(first.next, [job({ created: iso(-400) })], at(60));

    // Assess
    expect(types(first.events)).toEqual(['JOB_STUCK']);
    expect(second.events).toEqual([]);
  });

  it('counts from when the job was first seen when created is missing', () => {
    // Prepare
    const { created: _missing, ...noCreated } = job();
    const first = poll(EMPTY, [noCreated as RestoreJob], T0);

    // Act
    const early = poll(first.next, [noCreated as RestoreJob], at(359));
    const late = poll(first.next, [noCreated as RestoreJob], at(360));

    // Assess
    expect(first.target.nextTimeCheckAt).toBe(iso(360));
    expect(early.events).toEqual([]);
    expect(types(late.events)).toEqual(['JOB_STUCK']);
  });

  it('does not fire for a job in a terminal status', () => {
    // Act
    const result = poll(EMPTY, [job({ statusName: 'FINISHED', created: iso(-4000) })], T0);

    // Assess
    expect(result.events).toEqual([]);
  });

  it('does not fire before stuckAfterMinutes have passed', () => {
    // Act
    const result = poll(EMPTY, [job({ created: iso(-359) })], T0);

    // Assess
    expect(result.events).toEqual([]);
    expect(result.target.nextTimeCheckAt).toBe(iso(1));
  });
});

describe('detectChanges: BATCH_COMPLETED', () => {
  const shard = (id: string, statusName: string, extra: Partial<RestoreJob> = {}) =>
    job({ id, batchId: BATCH_ID, statusName, ...extra });

  it('sends one summary with a row per shard once every job of the batch is terminal', () => {
    // Prepare
    const state = baselined([
      shard(JOB_A, 'FINISHED'),
      shard(JOB_B, 'IN_PROGRESS'),
      shard(JOB_C, 'IN_PROGRESS'),
    ]);
    const fetched = [
      shard(JOB_A, 'FINISHED', { created: iso(-30) }),
      shard(JOB_B, 'FINISHED', { created: iso(-29), hostId: 'cfg-1' }),
      shard(JOB_C, 'FINISHED', { created: iso(-28), delivery: { statusName: 'READY' } }),
    ];

    // Act
    const result = poll(state, fetched, T0);

    // Assess
    const event = only(result.events, 'BATCH_COMPLETED');
    expect(event).toMatchObject({
      severity: 'info',
      batchId: BATCH_ID,
      summary: 'batch …8c9d0e1f completed: 3 FINISHED',
      details: {
        memberCount: 3,
        members: [
          { jobId: JOB_A, statusName: 'FINISHED', deliveryStatus: 'NOT_STARTED' },
          { jobId: JOB_B, statusName: 'FINISHED', deliveryStatus: 'NOT_STARTED', hostId: 'cfg-1' },
          { jobId: JOB_C, statusName: 'FINISHED', deliveryStatus: 'READY' },
        ],
      },
    });
    expect(event.jobId).toBeUndefined();
    expect(result.events.at(-1)?.eventType).toBe('BATCH_COMPLETED');
  });

  it('takes the worst severity of its jobs: one BROKEN shard makes it critical', () => {
    // Prepare
    const state = baselined([shard(JOB_A, 'IN_PROGRESS'), shard(JOB_B, 'IN_PROGRESS')]);

    // Act
    const result = poll(state, [shard(JOB_A, 'FINISHED'), shard(JOB_B, 'BROKEN')], T0);

    // Assess
    expect(only(result.events, 'BATCH_COMPLETED')).toMatchObject({
      severity: 'critical',
      summary: 'batch …8c9d0e1f completed: 1 BROKEN, 1 FINISHED',
    });
  });

  it('waits while any job of the batch is still running', () => {
    // Prepare
    const state = baselined([shard(JOB_A, 'IN_PROGRESS'), shard(JOB_B, 'IN_PROGRESS')]);

    // Act
    const result = poll(state, [shard(JOB_A, 'FINISHED'), shard(JOB_B, 'IN_PROGRESS')], T0);

    // Assess
    expect(types(result.events)).toEqual(['JOB_STATUS_CHANGED']);
  });

  it('fires only once and marks every member as alerted', () => {
    // Prepare
    const state = baselined([shard(JOB_A, 'IN_PROGRESS'), shard(JOB_B, 'FINISHED')]);
    const done = [shard(JOB_A, 'FINISHED'), shard(JOB_B, 'FINISHED')];
    const first = poll(state, done, T0);

    // Act
    const second = poll(first.next, done, at(5));

    // Assess
    expect(first.jobs.every((member) => member.batchCompletedAlerted)).toBe(true);
    expect(types(first.events)).toContain('BATCH_COMPLETED');
    expect(second.events).toEqual([]);
  });

  it('lets a shard listed after the summary join the batch silently', () => {
    // Prepare
    const done = [shard(JOB_A, 'FINISHED'), shard(JOB_B, 'FINISHED')];
    const first = poll(baselined([shard(JOB_A, 'IN_PROGRESS'), shard(JOB_B, 'IN_PROGRESS')]), done, T0);

    // Act
    const second = poll(first.next, [...done, shard(JOB_C, 'FINISHED')], at(5));

    // Assess
    expect(types(second.events)).toEqual(['JOB_CREATED', 'JOB_STATUS_CHANGED']);
    expect(second.jobs.every((member) => member.batchCompletedAlerted)).toBe(true);
  });

  it('puts the batch id on the job events of its members', () => {
    // Prepare
    const state = baselined([shard(JOB_A, 'IN_PROGRESS'), shard(JOB_B, 'IN_PROGRESS')]);

    // Act
    const result = poll(state, [shard(JOB_A, 'BROKEN'), shard(JOB_B, 'IN_PROGRESS')], T0);

    // Assess
    expect(only(result.events, 'JOB_STATUS_CHANGED').batchId).toBe(BATCH_ID);
  });
});

describe('detectChanges: jobs that vanish from the listing', () => {
  it('marks a job that is no longer listed as gone, without an event', () => {
    // Prepare
    const state = baselined([job({ id: JOB_A }), job({ id: JOB_B })]);

    // Act
    const result = poll(state, [job({ id: JOB_A })], T0);

    // Assess
    expect(result.events).toEqual([]);
    expect(result.jobs.find((s) => s.snapshot.jobId === JOB_B)?.goneSince).toBe(T0.toISOString());
    expect(result.changedJobs.map((s) => s.snapshot.jobId)).toEqual([JOB_B]);
  });

  it('sets goneSince once: later polls keep it and write nothing', () => {
    // Prepare
    const gone = poll(baselined([job({ id: JOB_A }), job({ id: JOB_B })]), [job({ id: JOB_A })], T0);

    // Act
    const later = poll(gone.next, [job({ id: JOB_A })], at(5));

    // Assess
    expect(later.jobs.find((s) => s.snapshot.jobId === JOB_B)?.goneSince).toBe(T0.toISOString());
    expect(later.changedJobs).toEqual([]);
  });

  it('clears goneSince without JOB_CREATED when the job is listed again', () => {
    // Prepare
    const gone = poll(baselined([job({ id: JOB_A }), job({ id: JOB_B })]), [job({ id: JOB_A })], T0);

    // Act
    const back = poll(gone.next, [job({ id: JOB_A }), job({ id: JOB_B })], at(5));

    // Assess
    expect(back.events).toEqual([]);
    const jobB = back.jobs.find((s) => s.snapshot.jobId === JOB_B);
    expect(jobB?.goneSince).toBeUndefined();
    expect(back.changedJobs).toEqual([jobB]);
  });

  it('reports a status change that happened while the job was not listed', () => {
    // Prepare
    const gone = poll(baselined([job({ id: JOB_A }), job({ id: JOB_B })]), [job({ id: JOB_A })], T0);

    // Act
    const back = poll(gone.next, [job({ id: JOB_A }), job({ id: JOB_B, statusName: 'KILLED' })], at(5));

    // Assess
    expect(only(back.events, 'JOB_STATUS_CHANGED')).toMatchObject({ jobId: JOB_B, severity: 'warning' });
  });

  it('raises no time-based events for a gone job', () => {
    // Prepare
    const gone = poll(baselined([job({ id: JOB_A, created: iso(-300) })]), [], T0);

    // Act
    const later = poll(gone.next, [], at(600));

    // Assess
    expect(later.events).toEqual([]);
    expect(gone.target.nextTimeCheckAt).toBeUndefined();
  });
});

describe('detectChanges: when a change happened (the precision of the report)', () => {
  const HASHES = [{ fileName: 'a.tar.gz', hash: 'abc', typeName: 'SHA1' }];

  it('records the previous poll on a status change: the job finished after it and by this poll', () => {
    // Prepare
    const state = baselined([job()], at(-5));

    // Act
    const result = poll(state, [readyJob(iso(600))], T0);

    // Assess
    expect(only(result.events, 'JOB_STATUS_CHANGED')).toMatchObject({
      previousPollAt: iso(-5),
      detectedAt: T0.toISOString(),
    });
    expect(only(result.events, 'DELIVERY_STATUS_CHANGED').previousPollAt).toBe(iso(-5));
  });

  it('records the previous poll on JOB_CREATED and on the status of a job first seen finished', () => {
    // Prepare
    const state = baselined([], at(-5));

    // Act
    const result = poll(state, [readyJob(iso(600))], T0);

    // Assess
    expect(result.events.map((event) => [event.eventType, event.previousPollAt])).toEqual([
      ['JOB_CREATED', iso(-5)],
      ['JOB_STATUS_CHANGED', iso(-5)],
      ['DELIVERY_STATUS_CHANGED', iso(-5)],
    ]);
  });

  it('leaves previousPollAt out for a job that was missing from the previous poll', () => {
    // Prepare
    const gone = poll(baselined([job({ id: JOB_A }), job({ id: JOB_B })]), [job({ id: JOB_A })], at(-5));

    // Act
    const back = poll(gone.next, [job({ id: JOB_A }), job({ id: JOB_B, statusName: 'KILLED' })], T0);

    // Assess
    expect(only(back.events, 'JOB_STATUS_CHANGED').previousPollAt).toBeUndefined();
  });

  it('records the window in which a backup was first seen downloaded, and keeps it', () => {
    // Prepare
    const ready = poll(baselined([job()], at(-10)), [readyJob(iso(600))], at(-5)).next;

    // Act
    const downloaded = poll(ready, [readyJob(iso(600), { hashes: HASHES })], T0);
    const later = poll(downloaded.next, [readyJob(iso(600), { hashes: HASHES })], at(5));

    // Assess
    expect(downloaded.jobs[0]?.downloadObserved).toEqual({ after: iso(-5), by: T0.toISOString() });
    expect(downloaded.changedJobs).toHaveLength(1);
    expect(later.jobs[0]?.downloadObserved).toEqual({ after: iso(-5), by: T0.toISOString() });
    expect(later.changedJobs).toEqual([]);
  });

  it('knows only an upper bound for a backup already downloaded when the job is first seen', () => {
    // Act
    const result = poll(EMPTY, [readyJob(iso(600), { hashes: HASHES })], T0);

    // Assess
    expect(result.jobs[0]?.downloadObserved).toEqual({ by: T0.toISOString() });
  });

  it('records no previous poll on the first poll of a target (there is none)', () => {
    // Act
    const result = poll(EMPTY, [job({ created: iso(-400) })], T0);

    // Assess
    expect(only(result.events, 'JOB_STUCK').previousPollAt).toBeUndefined();
  });
});

describe('detectChanges: state writes and ordering', () => {
  it('writes nothing when nothing changed', () => {
    // Prepare
    const fetched = [job({ id: JOB_A }), readyJob(iso(3000), { id: JOB_B })];
    const state = baselined(fetched);

    // Act
    const result = poll(state, fetched, T0);

    // Assess
    expect(result.events).toEqual([]);
    expect(result.changedJobs).toEqual([]);
  });

  it('writes a job whose snapshot changed and moves its lastChangedAt', () => {
    // Prepare
    const state = baselined([job()], at(-5));

    // Act
    const result = poll(state, [job({ delivery: { statusName: 'NOT_STARTED', maxDownloads: 2 } })], T0);

    // Assess
    expect(result.changedJobs).toHaveLength(1);
    expect(result.changedJobs[0]).toMatchObject({ firstSeenAt: iso(-5), lastChangedAt: T0.toISOString() });
  });

  it('keeps the first sighting of a job listed twice', () => {
    // Prepare
    const state = baselined([job()]);

    // Act
    const result = poll(state, [job({ statusName: 'FINISHED' }), job({ statusName: 'BROKEN' })], T0);

    // Assess
    expect(result.jobs).toHaveLength(1);
    expect(only(result.events, 'JOB_STATUS_CHANGED').after).toMatchObject({ statusName: 'FINISHED' });
    expect(result.target.jobCount).toBe(1);
  });

  it('ignores a listed job without an id: it cannot be followed from poll to poll', () => {
    // Prepare
    const state = baselined([]);

    // Act
    const result = poll(state, [{ statusName: 'BROKEN' } as unknown as RestoreJob, job({ id: JOB_B })], T0);

    // Assess
    expect(result.jobs.map((s) => s.snapshot.jobId)).toEqual([JOB_B]);
    expect(result.events.map((event) => event.jobId)).toEqual([JOB_B]);
  });

  it('reads alerted thresholds stored as a set (a DynamoDB number set) without re-alerting', () => {
    // Prepare
    const expires = iso(50);
    const first = poll(baselined([readyJob(expires)], at(-20)), [readyJob(expires)], T0);
    const stored = new Map(
      [...first.next.jobs].map(([id, s]) => [
        id,
        { ...s, expiryAlerted: new Set(s.expiryAlerted) as unknown as number[] },
      ]),
    );

    // Act
    const second = poll({ target: first.next.target, jobs: stored }, [readyJob(expires)], at(5));

    // Assess
    expect(second.events).toEqual([]);
    expect(second.changedJobs).toEqual([]);
  });

  it('orders events by job creation time, then by catalogue order of the type', () => {
    // Prepare
    const state = baselined([job({ id: JOB_A, created: iso(-10) })]);
    const fetched = [
      job({ id: JOB_A, created: iso(-10), statusName: 'BROKEN' }),
      job({ id: JOB_B, created: iso(-60), statusName: 'FINISHED' }),
    ];

    // Act
    const result = poll(state, fetched, T0);

    // Assess
    expect(result.events.map((event) => [event.jobId, event.eventType])).toEqual([
      [JOB_B, 'JOB_CREATED'],
      [JOB_B, 'JOB_STATUS_CHANGED'],
      [JOB_A, 'JOB_STATUS_CHANGED'],
    ]);
  });

  it('clears the failure flags of a target that works again but keeps its last error', () => {
    // Prepare
    const failing: TargetState = {
      ...(baselined([]).target as TargetState),
      failureStreak: 4,
      failingSince: iso(-20),
      failingAlerted: true,
      lastError: { name: 'CloudManagerHttpError', message: 'HTTP 503', status: 503, at: iso(-5) },
    };

    // Act
    const result = detectChanges({
      target: TARGET,
      previousTarget: failing,
      previousJobs: new Map<string, JobState>(),
      fetched: [],
      now: T0,
      settings: SETTINGS,
    });

    // Assess
    expect(result.target).toMatchObject({
      failureStreak: 0,
      failingAlerted: false,
      lastError: failing.lastError,
    });
    expect(result.target.failingSince).toBeUndefined();
  });

  it('uses the configured name of the target in the state and the events', () => {
    // Prepare
    const renamed = { ...TARGET, name: 'orders-prod-eu' };

    // Act
    const result = poll(baselined([]), [job()], T0, SETTINGS, renamed);

    // Assess
    expect(result.target.name).toBe('orders-prod-eu');
    expect(result.events[0]?.targetName).toBe('orders-prod-eu');
  });
});

describe('canSkipDiff', () => {
  const fetched = [job({ created: iso(-30) })];
  const skippable = (): TargetState => baselined(fetched, T0).target as TargetState;
  const fingerprint = fingerprintListing(fetched, TARGET);

  it('is true for a baselined target with the same fingerprint before its next time check', () => {
    expect(canSkipDiff(skippable(), fingerprint, at(100))).toBe(true);
  });

  it('is true when no time check is pending at all', () => {
    const { nextTimeCheckAt: _none, ...noCheck } = skippable();
    expect(canSkipDiff(noCheck, fingerprint, at(100_000))).toBe(true);
  });

  it('is false when the listing changed', () => {
    expect(
      canSkipDiff(skippable(), fingerprintListing([job({ statusName: 'FINISHED' })], TARGET), at(1)),
    ).toBe(false);
  });

  it('is false for a target never polled or not baselined', () => {
    expect(canSkipDiff(undefined, fingerprint, at(1))).toBe(false);
    expect(canSkipDiff({ ...skippable(), baselined: false }, fingerprint, at(1))).toBe(false);
  });

  it('is false once the next time check is due', () => {
    expect(canSkipDiff(skippable(), fingerprint, at(330))).toBe(false);
  });

  it('is false while the target is failing', () => {
    expect(canSkipDiff({ ...skippable(), failureStreak: 1 }, fingerprint, at(1))).toBe(false);
    expect(canSkipDiff({ ...skippable(), failingAlerted: true }, fingerprint, at(1))).toBe(false);
  });

  it('is false when the stored next time check cannot be read', () => {
    expect(canSkipDiff({ ...skippable(), nextTimeCheckAt: 'soon' }, fingerprint, at(1))).toBe(false);
  });

  it('is false when no fingerprint was stored', () => {
    const { fingerprint: _none, ...noFingerprint } = skippable();
    expect(canSkipDiff(noFingerprint, fingerprint, at(1))).toBe(false);
  });
});

describe('nextTimeCheck', () => {
  const stateOf = (fetched: RestoreJob[]) => poll(EMPTY, fetched, T0).jobs;

  it('is the earliest of the widest pending expiry threshold and the stuck limit', () => {
    // Prepare
    const jobs = stateOf([readyJob(iso(200), { id: JOB_A }), job({ id: JOB_B, created: iso(-300) })]);

    // Act / Assess
    expect(nextTimeCheck(jobs, SETTINGS)).toBe(iso(60));
    expect(nextTimeCheck(jobs, { ...SETTINGS, stuckAfterMinutes: 400 })).toBe(iso(100));
  });

  it('skips thresholds already alerted', () => {
    // Prepare
    const jobs = stateOf([readyJob(iso(30))]);

    // Act / Assess
    expect(jobs[0]?.expiryAlerted).toEqual([60]);
    expect(nextTimeCheck(jobs, SETTINGS)).toBe(iso(15));
  });

  it('is undefined when nothing can fire any more', () => {
    // Prepare
    const jobs = stateOf([readyJob(iso(10)), job({ id: JOB_B, created: iso(-4000) })]);

    // Act / Assess
    expect(nextTimeCheck(jobs, SETTINGS)).toBeUndefined();
  });

  it('ignores jobs in a terminal status and deliveries that are not READY', () => {
    // Prepare
    const jobs = stateOf([
      job({ statusName: 'KILLED', delivery: { statusName: 'FAILED', expires: iso(100) } }),
    ]);

    // Act / Assess
    expect(nextTimeCheck(jobs, SETTINGS)).toBeUndefined();
  });

  it('ignores instants a Date cannot represent instead of failing', () => {
    // Prepare
    const jobs = stateOf([job({ created: '+275760-09-13T00:00:00.000Z' })]);

    // Act / Assess
    expect(nextTimeCheck(jobs, SETTINGS)).toBeUndefined();
  });
});
