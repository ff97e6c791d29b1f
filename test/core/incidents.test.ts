/**
 * The incident stage, rule by rule (guarantees I1-I5 of functions/core/incidents.ts), driven through
 * real detection of restore-job listings and no port at all.
 */
import { describe, expect, it } from 'vitest';
import { toAuditRecord } from '../../functions/core/audit-record.ts';
import { adoptOwedIncidents } from '../../functions/core/incident-state.ts';
import { recordTargetFailure, recordTargetSuccess } from '../../functions/core/target-health.ts';
import type { AlertSettings } from '../../functions/core/types.ts';
import {
  at,
  CLUSTER_ID,
  iso,
  JOB_A,
  JOB_B,
  job,
  PROJECT_ID,
  readyJob,
  SETTINGS,
  TARGET,
} from './fixtures.ts';
import { actions, silenceOf, Watched } from './incident-fixtures.ts';

const STUCK_AT = 331; // minutes after T0: the fixture job was created at -30, stuck after 360
const failing = `target/${PROJECT_ID}:${CLUSTER_ID}/failing`;

/** A target whose job A has been IN_PROGRESS since before the baseline. */
function watchedRunning(): Watched {
  const watched = new Watched();
  watched.step([job()], at(-5));
  return watched;
}

describe('trackIncidents: opening (I1)', () => {
  it('opens job/<id>/stuck with the JOB_STUCK trigger, announced on SNS', () => {
    // Prepare
    const watched = watchedRunning();

    // Act
    const output = watched.step([job()], at(STUCK_AT));

    // Assess
    expect(actions(output)).toEqual([['JOB_STUCK', 'trigger']]);
    expect(output.records[0]?.incidentKey).toBe(`job/${JOB_A}/stuck`);
    expect(output.changes).toMatchObject([
      {
        key: `job/${JOB_A}/stuck`,
        kind: 'stuck',
        severity: 'warning',
        announcedOn: ['sns'],
        openedAt: iso(STUCK_AT),
      },
    ]);
    expect(output.counts.opened).toBe(1);
  });

  it('opens job/<id>/failed for a BROKEN job and keeps the worst severity when its delivery fails too', () => {
    // Prepare
    const watched = watchedRunning();
    watched.step([job({ statusName: 'KILLED' })], at(10));

    // Act: the same job's delivery fails later (same key, a second trigger).
    const output = watched.step(
      [job({ statusName: 'KILLED', delivery: { methodName: 'HTTP', statusName: 'FAILED' } })],
      at(20),
    );

    // Assess
    expect(actions(output)).toEqual([['DELIVERY_STATUS_CHANGED', 'trigger']]);
    expect(output.counts.opened).toBe(0);
    expect(watched.open).toMatchObject([
      { key: `job/${JOB_A}/failed`, severity: 'critical', openedAt: iso(10) },
    ]);
  });

  it('opens nothing for informational events and gives them the key of their job', () => {
    // Prepare
    const watched = new Watched();
    watched.step([], at(-5));

    // Act
    const output = watched.step([job()], at(0));

    // Assess
    expect(actions(output)).toEqual([['JOB_CREATED', 'info']]);
    expect(output.records[0]?.incidentKey).toBe(`job/${JOB_A}`);
    expect(output.changes).toEqual([]);
  });

  it('opens no expiring incident for a link that was downloaded already', () => {
    // Prepare
    const downloaded = readyJob(iso(60), { hashes: [{ fileName: 'x', hash: 'y' }] });
    const watched = new Watched();
    watched.step([downloaded], at(-5));

    // Act: inside the 60-minute threshold
    const output = watched.step([downloaded], at(1));

    // Assess
    expect(actions(output)).toEqual([['DELIVERY_EXPIRING', 'info']]);
    expect(watched.open).toEqual([]);
  });

  it('changes nothing when the same trigger is detected again (a crashed run re-detecting it)', () => {
    // Prepare
    const watched = watchedRunning();
    const before = { ...watched.state };
    const first = watched.step([job()], at(STUCK_AT));
    const openAfterFirst = structuredClone(watched.open);
    watched.state = before;

    // Act
    const again = watched.step([job()], at(STUCK_AT + 5));

    // Assess
    expect(again.records.map((r) => r.eventId)).toEqual(first.records.map((r) => r.eventId));
    expect(again.changes).toEqual([]);
    expect(watched.open).toEqual(openAfterFirst);
  });
});

describe('trackIncidents: resolving (I2)', () => {
  it('closes the stuck incident when the job leaves IN_PROGRESS, with an INCIDENT_RESOLVED after the change', () => {
    // Prepare
    const watched = watchedRunning();
    watched.step([job()], at(STUCK_AT));

    // Act
    const output = watched.step([job({ statusName: 'FINISHED' })], at(400));

    // Assess
    expect(actions(output)).toEqual([
      ['JOB_STATUS_CHANGED', 'info'],
      ['INCIDENT_RESOLVED', 'resolve'],
    ]);
    expect(output.records[1]).toMatchObject({
      incidentKey: `job/${JOB_A}/stuck`,
      jobId: JOB_A,
      severity: 'info',
      details: { reason: 'the job left IN_PROGRESS (now FINISHED)', openedAt: iso(STUCK_AT) },
    });
    expect(watched.open).toEqual([]);
    expect(output.changes[0]).toMatchObject({
      resolvedAt: iso(400),
      resolvedByEventId: output.records[1]?.eventId,
    });
  });

  it('derives the resolution id from the key and the opening, the same in a run that repeats the poll', () => {
    // Prepare
    const watched = watchedRunning();
    watched.step([job()], at(STUCK_AT));
    const open = structuredClone(watched.open);
    const state = watched.state;
    const first = watched.step([job({ statusName: 'FINISHED' })], at(400));
    watched.state = state;
    watched.open = open;

    // Act
    const again = watched.step([job({ statusName: 'FINISHED' })], at(405));

    // Assess
    expect(again.records.map((r) => r.eventId)).toEqual(first.records.map((r) => r.eventId));
  });

  it('closes the expiring incident when the backup is downloaded, though no event reports a download', () => {
    // Prepare
    const watched = new Watched();
    watched.step([readyJob(iso(90))], at(-5));
    watched.step([readyJob(iso(90))], at(31)); // 59 min left: the 60-minute warning

    // Act
    const output = watched.step([readyJob(iso(90), { hashes: [{ fileName: 'a', hash: 'b' }] })], at(40));

    // Assess
    expect(actions(output)).toEqual([['INCIDENT_RESOLVED', 'resolve']]);
    expect(output.records[0]?.details?.reason).toBe('the backup was downloaded');
  });

  it('closes the expiring incident once the link expired, even on a poll that saw no change at all', () => {
    // Prepare
    const watched = new Watched();
    watched.step([readyJob(iso(90))], at(-5));
    watched.step([readyJob(iso(90))], at(80)); // 10 min left: one warning for the tightest threshold

    // Act: past `expires`, Cloud Manager still says READY
    const output = watched.step([readyJob(iso(90))], at(91));

    // Assess
    expect(actions(output)).toEqual([['INCIDENT_RESOLVED', 'resolve']]);
    expect(output.records[0]?.details?.reason).toBe('the download link expired');
  });

  it('closes the failed incident when a later restore of the same target has its download ready', () => {
    // Prepare
    const watched = watchedRunning();
    watched.step([job({ statusName: 'BROKEN' })], at(10));
    const retry = job({ id: JOB_B, created: iso(20) });
    watched.step([job({ statusName: 'BROKEN' }), retry], at(25));

    // Act
    const output = watched.step(
      [job({ statusName: 'BROKEN' }), readyJob(iso(600), { id: JOB_B, created: iso(20) })],
      at(60),
    );

    // Assess
    const resolution = output.records.find((r) => r.eventType === 'INCIDENT_RESOLVED');
    expect(resolution).toMatchObject({ incidentKey: `job/${JOB_A}/failed`, jobId: JOB_A });
    expect(String(resolution?.details?.reason)).toMatch(
      /of the same target finished with its download ready/,
    );
    expect(watched.open).toEqual([]);
  });

  it('does not take an older restore becoming ready for the recovery of a newer failure', () => {
    // Prepare: job B was requested before job A; A breaks, then B becomes ready.
    const older = job({ id: JOB_B, created: iso(-60) });
    const watched = new Watched();
    watched.step([job(), older], at(-5));
    watched.step([job({ statusName: 'BROKEN' }), older], at(10));

    // Act
    const output = watched.step(
      [job({ statusName: 'BROKEN' }), readyJob(iso(600), { id: JOB_B, created: iso(-60) })],
      at(20),
    );

    // Assess
    expect(output.records.some((r) => r.eventType === 'INCIDENT_RESOLVED')).toBe(false);
    expect(watched.open.map((i) => i.key)).toEqual([`job/${JOB_A}/failed`]);
  });

  it('closes the failing incident with TARGET_RECOVERED, the recovery itself being the resolve', () => {
    // Prepare
    const watched = new Watched();
    watched.step([], at(-5));
    const down = recordTargetFailure({
      target: TARGET,
      previous: watched.state.target,
      failure: { name: 'SourceError', message: 'Unauthorized', status: 401, auth: true },
      now: at(0),
      settings: SETTINGS,
    });
    watched.unreachable(down.events, at(0));
    const recovered = recordTargetSuccess({ target: TARGET, previous: down.target, now: at(5) });

    // Act
    const output = watched.step([], at(5), { extra: recovered.events });

    // Assess
    expect(actions(output)).toEqual([['TARGET_RECOVERED', 'resolve']]);
    expect(output.records[0]?.incidentKey).toBe(failing);
    expect(output.counts.resolved).toBe(1);
    expect(watched.open).toEqual([]);
  });

  it('lets a trigger of this poll win over a condition that cleared in it (the latest word)', () => {
    // Prepare: job A failed (KILLED); job B succeeds in the same poll in which A's delivery fails too.
    const watched = watchedRunning();
    watched.step([job({ statusName: 'KILLED' }), job({ id: JOB_B, created: iso(5) })], at(10));

    // Act
    const output = watched.step(
      [
        job({ statusName: 'KILLED', delivery: { methodName: 'HTTP', statusName: 'FAILED' } }),
        readyJob(iso(600), { id: JOB_B, created: iso(5) }),
      ],
      at(30),
    );

    // Assess
    expect(output.records.filter((r) => r.eventType === 'INCIDENT_RESOLVED')).toEqual([]);
    expect(watched.open.map((i) => i.key)).toEqual([`job/${JOB_A}/failed`]);
  });
});

describe('trackIncidents: channels (I3)', () => {
  it('sends the resolve to every channel the trigger went to, even under a silence added meanwhile', () => {
    // Prepare
    const watched = watchedRunning();
    watched.step([job()], at(STUCK_AT), { pagerduty: true });
    const silence = silenceOf(at(STUCK_AT + 1), at(10_000));

    // Act
    const output = watched.step([job({ statusName: 'FINISHED' })], at(400), {
      pagerduty: true,
      silences: [silence],
    });

    // Assess
    const [changed, resolved] = output.records;
    expect(changed?.silenced?.silenceId).toBe('sil-1');
    expect(resolved).toMatchObject({ action: 'resolve', pagerduty: { attempts: 0 } });
    expect(resolved?.silenced).toBeUndefined();
    expect(resolved?.suppressed).toBeUndefined();
  });

  it('keeps a silenced trigger from every channel and its resolve too, but still tracks the incident', () => {
    // Prepare
    const watched = watchedRunning();
    const silence = silenceOf(at(0), at(10_000));
    const trigger = watched.step([job()], at(STUCK_AT), { pagerduty: true, silences: [silence] });

    // Act
    const output = watched.step([job({ statusName: 'FINISHED' })], at(400), {
      pagerduty: true,
      silences: [silence],
    });

    // Assess
    expect(trigger.records[0]).toMatchObject({ silenced: { silenceId: 'sil-1', reason: 'DR drill' } });
    expect(trigger.changes[0]?.announcedOn).toEqual([]);
    expect(trigger.counts.silenced).toBe(1);
    const resolved = output.records.find((r) => r.eventType === 'INCIDENT_RESOLVED');
    expect(resolved?.silenced?.silenceId).toBe('sil-1');
    expect(resolved?.pagerduty).toBeUndefined();
  });

  it('pages only triggers at or above the PagerDuty minimum, and never informational events', () => {
    // Prepare
    const watched = watchedRunning();
    const settings: AlertSettings = { ...SETTINGS, pagerduty: { minSeverity: 'critical' } };

    // Act
    const stuck = watched.step([job()], at(STUCK_AT), { pagerduty: true, settings });
    const broken = watched.step([job({ statusName: 'BROKEN' })], at(400), { pagerduty: true, settings });

    // Assess
    expect(stuck.records[0]?.pagerduty).toBeUndefined();
    const changed = broken.records.find((r) => r.eventType === 'JOB_STATUS_CHANGED');
    expect(changed?.pagerduty).toEqual({ attempts: 0 });
    const resolvedStuck = broken.records.find((r) => r.eventType === 'INCIDENT_RESOLVED');
    expect(resolvedStuck?.pagerduty).toBeUndefined();
  });
});

describe('trackIncidents: reminders (I4)', () => {
  const remindersOf = (output: { records: Array<{ eventType: string }> }) =>
    output.records.filter((r) => r.eventType === 'INCIDENT_REMINDER');

  it('reminds once per interval after the last trigger, not before, with an id per interval', () => {
    // Prepare
    const watched = watchedRunning();
    watched.step([job()], at(STUCK_AT));

    // Act
    const early = watched.step([job()], at(STUCK_AT + 239));
    const first = watched.step([job()], at(STUCK_AT + 240));
    const same = watched.step([job()], at(STUCK_AT + 300));
    const second = watched.step([job()], at(STUCK_AT + 480));

    // Assess
    expect(remindersOf(early)).toEqual([]);
    expect(remindersOf(first)).toHaveLength(1);
    expect(first.records[0]).toMatchObject({
      action: 'reminder',
      severity: 'warning',
      incidentKey: `job/${JOB_A}/stuck`,
    });
    expect(remindersOf(same)).toEqual([]);
    expect(remindersOf(second)).toHaveLength(1);
    expect(second.records[0]?.eventId).not.toBe(first.records[0]?.eventId);
  });

  it('reminds once, not once per missed interval, after a long gap', () => {
    // Prepare
    const watched = watchedRunning();
    watched.step([job()], at(STUCK_AT));

    // Act
    const late = watched.step([job()], at(STUCK_AT + 240 * 3 + 10));

    // Assess
    expect(remindersOf(late)).toHaveLength(1);
    expect(late.records[0]?.details?.reminder).toBe(3);
  });

  it('keeps a reminder quiet under a silence of the incident type, and does not send it later', () => {
    // Prepare
    const watched = watchedRunning();
    watched.step([job()], at(STUCK_AT));
    const silence = silenceOf(at(STUCK_AT), at(STUCK_AT + 300), { eventType: 'JOB_STUCK' });

    // Act
    const quiet = watched.step([job()], at(STUCK_AT + 240), { silences: [silence] });
    const after = watched.step([job()], at(STUCK_AT + 301), { silences: [silence] });

    // Assess
    expect(quiet.records[0]).toMatchObject({
      eventType: 'INCIDENT_REMINDER',
      silenced: { silenceId: 'sil-1' },
    });
    expect(remindersOf(after)).toEqual([]);
  });

  it('never reminds of an incident that was not announced on SNS, nor with reminders off', () => {
    // Prepare
    const silenced = watchedRunning();
    silenced.step([job()], at(STUCK_AT), { silences: [silenceOf(at(0), at(STUCK_AT + 1))] });
    const off = watchedRunning();
    off.step([job()], at(STUCK_AT));

    // Act
    const a = silenced.step([job()], at(STUCK_AT + 250));
    const b = off.step([job()], at(STUCK_AT + 250), { settings: { ...SETTINGS, repeatEveryMinutes: 0 } });

    // Assess
    expect(remindersOf(a)).toEqual([]);
    expect(remindersOf(b)).toEqual([]);
  });

  it('holds back a job’s reminders while its target cannot be polled', () => {
    // Prepare
    const watched = watchedRunning();
    watched.step([job()], at(STUCK_AT));
    const down = recordTargetFailure({
      target: TARGET,
      previous: watched.state.target,
      failure: { name: 'SourceError', message: 'Unauthorized', status: 401, auth: true },
      now: at(STUCK_AT + 10),
      settings: SETTINGS,
    });
    watched.unreachable(down.events, at(STUCK_AT + 10));

    // Act
    const output = watched.unreachable([], at(STUCK_AT + 245));

    // Assess
    expect(remindersOf(output)).toEqual([]);
  });
});

describe('trackIncidents: annotation (I5)', () => {
  it('gives every record its incident key, its action and the team of its target', () => {
    // Prepare
    const watched = new Watched();
    watched.step([], at(-5));

    // Act
    const output = watched.step([job()], at(0), { target: { ...TARGET, team: 'dba' } });

    // Assess
    expect(output.records.every((r) => r.incidentKey && r.action && r.team === 'dba')).toBe(true);
  });
});

describe('adoptOwedIncidents', () => {
  it('adopts the incident of an owed trigger that was never written, and nothing else', () => {
    // Prepare
    const watched = watchedRunning();
    const { records } = watched.step([job()], at(STUCK_AT));
    const info = toAuditRecord(
      {
        ...records[0],
        eventId: 'info',
        eventType: 'JOB_CREATED',
        incidentKey: undefined,
        action: undefined,
      } as never,
      'run-x',
      SETTINGS,
    );

    // Act
    const adopted = adoptOwedIncidents([], [...records, info]);
    const known = adoptOwedIncidents(watched.open, records);

    // Assess
    expect(adopted).toMatchObject([
      { key: `job/${JOB_A}/stuck`, openedAt: iso(STUCK_AT), announcedOn: ['sns'] },
    ]);
    expect(known).toEqual([]);
  });
});
