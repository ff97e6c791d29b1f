/**
 * Resolving an incident by hand (guarantees M1-M3 of functions/core/manual-resolve.ts), with incidents
 * opened by the real incident stage and no port. As the user types it: test/cli/oncall.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../functions/core/incident-state.ts';
import { closeIncidents } from '../../functions/core/incidents.ts';
import { incidentKeyOf, MAX_RESOLVE_REASON, planManualResolve } from '../../functions/core/manual-resolve.ts';
import { at, JOB_A, job, SETTINGS } from './fixtures.ts';
import { Watched } from './incident-fixtures.ts';

/** A broken restore of job A: job/<A>/failed open, announced on SNS and PagerDuty. */
function brokenRestore(): Watched {
  const watched = new Watched();
  watched.step([], at(-5), { pagerduty: true });
  watched.step([job({ statusName: 'BROKEN' })], at(0), { pagerduty: true });
  return watched;
}
const KEY = `job/${JOB_A}/failed`;
const request = (overrides: Partial<Parameters<typeof planManualResolve>[1]> = {}) => ({
  key: KEY,
  reason: 'not retrying: restored from the nightly snapshot instead',
  by: 'ana',
  now: at(30),
  runId: 'resolve-1',
  settings: SETTINGS,
  ...overrides,
});

describe('planManualResolve: what may be resolved (M1)', () => {
  it('names every problem at once: an unknown key and a missing reason', () => {
    const plan = planManualResolve(brokenRestore().open, request({ key: 'job/nope/failed', reason: '  ' }));

    expect(plan).toEqual({
      ok: false,
      problems: [
        expect.stringContaining(
          'no open incident has the key "job/nope/failed": `restore-watch incidents` lists',
        ),
        expect.stringContaining('--reason is required'),
      ],
    });
  });

  it('refuses a reason longer than 500 characters', () => {
    const plan = planManualResolve(
      brokenRestore().open,
      request({ reason: 'x'.repeat(MAX_RESOLVE_REASON + 1) }),
    );

    expect(plan).toEqual({ ok: false, problems: ['--reason is 501 characters: keep it to 500'] });
  });

  it('refuses an incident that is already closed', () => {
    const [open] = brokenRestore().open;
    const closed = { ...(open as Incident), resolvedAt: at(10).toISOString() };

    expect(planManualResolve([closed], request()).ok).toBe(false);
  });

  it('takes the key as PagerDuty shows it, with the deployment prefix of its dedup_key', () => {
    expect(incidentKeyOf(`restore-watch/restore-watch-prod-StateTable1A2B/${KEY}`)).toBe(KEY);
    expect(incidentKeyOf(` ${KEY} `)).toBe(KEY);
    expect(incidentKeyOf('restore-watch/table/other/thing')).toBe('restore-watch/table/other/thing');
    expect(planManualResolve(brokenRestore().open, request({ key: `restore-watch/t/${KEY}` })).ok).toBe(true);
  });
});

describe('planManualResolve: what it writes (M2)', () => {
  it('closes the incident with an INCIDENT_RESOLVED saying who and why, owed where the trigger went', () => {
    // Act
    const plan = planManualResolve(brokenRestore().open, request());

    // Assess
    if (!plan.ok) throw new Error(plan.problems.join('; '));
    const [record] = plan.output.records;
    expect(record).toMatchObject({
      eventType: 'INCIDENT_RESOLVED',
      action: 'resolve',
      incidentKey: KEY,
      runId: 'resolve-1',
      pagerduty: { attempts: 0 },
      details: {
        reason: 'resolved by hand by ana: not retrying: restored from the nightly snapshot instead',
      },
    });
    expect(record?.suppressed).toBeUndefined();
    expect(plan.output.changes).toEqual([
      expect.objectContaining({
        key: KEY,
        resolvedAt: at(30).toISOString(),
        resolvedByEventId: record?.eventId,
        resolution: 'resolved by hand by ana: not retrying: restored from the nightly snapshot instead',
      }),
    ]);
  });

  it('gives the resolve the id any resolve of the incident gets, so it cannot be announced twice', () => {
    const open = brokenRestore().open;
    const plan = planManualResolve(open, request());
    const byTheMonitor = closeIncidents(open, 'the condition cleared', {
      silences: [],
      settings: SETTINGS,
      pagerduty: true,
      now: at(90),
      runId: 'run-9',
    });

    expect(plan.ok && plan.output.records[0]?.eventId).toBe(byTheMonitor.records[0]?.eventId);
  });

  it('owes nothing to PagerDuty for an incident that never paged, and nothing at all for one never announced', () => {
    const [open] = brokenRestore().open;
    const snsOnly = { ...(open as Incident), announcedOn: ['sns' as const] };
    const nowhere = { ...(open as Incident), announcedOn: [] };

    const a = planManualResolve([snsOnly], request());
    const b = planManualResolve([nowhere], request());

    expect(a.ok && a.output.records[0]?.pagerduty).toBeUndefined();
    expect(a.ok && a.output.records[0]?.suppressed).toBeUndefined();
    expect(b.ok && b.output.records[0]).toMatchObject({ suppressed: true });
  });
});

describe('a resolved incident is over (M3)', () => {
  it('is reminded of no more, where the open one would be every 4 hours', () => {
    // Prepare: the same broken restore, resolved by hand in one copy of the world
    const kept = brokenRestore();
    const resolved = brokenRestore();
    const plan = planManualResolve(resolved.open, request());
    if (!plan.ok) throw new Error(plan.problems.join('; '));
    resolved.open = [];

    // Act: a poll 5 hours later, nothing changed
    const keptLater = kept.step([job({ statusName: 'BROKEN' })], at(300), { pagerduty: true });
    const resolvedLater = resolved.step([job({ statusName: 'BROKEN' })], at(300), { pagerduty: true });

    // Assess
    expect(keptLater.records.map((r) => r.eventType)).toEqual(['INCIDENT_REMINDER']);
    expect(resolvedLater.records).toEqual([]);
  });
});
