/**
 * Incidents of targets no longer watched (guarantees U1-U3 of functions/core/unwatched.ts, I6 of
 * incidents.ts), with incidents opened by the real incident stage and no port at all. Over real peers:
 * test/scenarios/oncall.test.ts ("targets no longer watched").
 */
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../functions/core/errors.ts';
import type { Incident } from '../../functions/core/incident-state.ts';
import { closeIncidents } from '../../functions/core/incidents.ts';
import { ALL_CLUSTERS, type ResolvedTargets } from '../../functions/core/resolve-targets.ts';
import { shardOfProject, UNSHARDED } from '../../functions/core/shard.ts';
import { toTargetFailure } from '../../functions/core/target-health.ts';
import type { Target, TargetState } from '../../functions/core/types.ts';
import { targetKey } from '../../functions/core/types.ts';
import {
  candidateTargets,
  UNWATCHED_MIN_MS,
  UNWATCHED_REASON,
  unwatchedAfterMs,
  unwatchedCandidates,
  unwatchedIncidents,
} from '../../functions/core/unwatched.ts';
import { at, CLUSTER_ID, JOB_A, job, PROJECT_ID, SETTINGS, TARGET } from './fixtures.ts';
import { silenceOf, Watched } from './incident-fixtures.ts';

const STUCK_AT = 331;
const OTHER_CLUSTER = '5e2211c17a3e5a48f5497dee';

/** The job/<A>/stuck incident of TARGET, opened and announced on SNS and PagerDuty. */
function stuckIncident(): Incident {
  const watched = new Watched();
  watched.step([job()], at(-5), { pagerduty: true });
  watched.step([job()], at(STUCK_AT), { pagerduty: true });
  const [incident] = watched.open;
  if (!incident) throw new Error('fixture: no incident opened');
  return incident;
}

function resolvedOf(targets: Target[], extra: Partial<ResolvedTargets> = {}): ResolvedTargets {
  return { targets, projectFailures: new Map(), listedProjects: [], ...extra };
}

const other: Target = { projectId: PROJECT_ID, clusterId: OTHER_CLUSTER, name: 'billing-prod' };

function stateOf(target: Target, lastPolledAt: string): TargetState {
  return { ...target, lastPolledAt, failureStreak: 0 } as TargetState;
}

describe('unwatchedCandidates (U2)', () => {
  it('takes the open incidents of a target the run does not poll, and none of a target it polls', () => {
    // Prepare
    const incident = stuckIncident();

    // Act
    const gone = unwatchedCandidates([incident], resolvedOf([other]), UNSHARDED);
    const kept = unwatchedCandidates([incident], resolvedOf([TARGET, other]), UNSHARDED);

    // Assess
    expect(gone.map((i) => i.key)).toEqual([`job/${JOB_A}/stuck`]);
    expect(kept).toEqual([]);
  });

  it('leaves the incidents of a project whose clusters could not be listed: unknown is not gone', () => {
    // Prepare
    const incident = stuckIncident();
    const pseudo = { projectId: PROJECT_ID, clusterId: ALL_CLUSTERS, name: 'orders (all clusters)' };
    const failure = toTargetFailure(new SourceError('Cloud Manager answered 503', { kind: 'unavailable' }));

    // Act
    const candidates = unwatchedCandidates(
      [incident],
      resolvedOf([pseudo], { projectFailures: new Map([[targetKey(pseudo), failure]]) }),
      UNSHARDED,
    );

    // Assess
    expect(candidates).toEqual([]);
  });

  it('leaves another shard’s projects to that shard, and takes its own', () => {
    // Prepare
    const incident = stuckIncident();
    const mine = shardOfProject(PROJECT_ID, 4);
    const notMine = (mine % 4) + 1;

    // Act
    const byOwner = unwatchedCandidates([incident], resolvedOf([]), { index: mine, count: 4 });
    const byOther = unwatchedCandidates([incident], resolvedOf([]), { index: notMine, count: 4 });

    // Assess
    expect(byOwner).toHaveLength(1);
    expect(byOther).toEqual([]);
  });

  it('ignores incidents already closed', () => {
    const incident = { ...stuckIncident(), resolvedAt: at(400).toISOString() };

    expect(unwatchedCandidates([incident], resolvedOf([]), UNSHARDED)).toEqual([]);
  });
});

describe('unwatchedIncidents (U1, U3)', () => {
  const afterMs = unwatchedAfterMs('rate(5 minutes)');

  it('waits three periods of the schedule, at least 15 minutes', () => {
    expect(unwatchedAfterMs('rate(5 minutes)')).toBe(UNWATCHED_MIN_MS);
    expect(unwatchedAfterMs('rate(1 minute)')).toBe(UNWATCHED_MIN_MS);
    expect(unwatchedAfterMs('rate(1 hour)')).toBe(3 * 3_600_000);
    expect(unwatchedAfterMs('cron(0 6 * * ? *)')).toBe(3 * 86_400_000);
  });

  it('closes nothing while the target was polled within the wait (another run still watches it)', () => {
    // Prepare
    const incident = stuckIncident();
    const states = new Map([[targetKey(TARGET), stateOf(TARGET, at(STUCK_AT + 100).toISOString())]]);

    // Act
    const closedTooSoon = unwatchedIncidents([incident], states, at(STUCK_AT + 114), afterMs);
    const closedAfter = unwatchedIncidents([incident], states, at(STUCK_AT + 115), afterMs);

    // Assess
    expect(closedTooSoon).toEqual([]);
    expect(closedAfter.map((i) => i.key)).toEqual([incident.key]);
  });

  it('counts from the incident’s own last trigger when its target has no saved state', () => {
    // Prepare
    const incident = stuckIncident();

    // Act
    const early = unwatchedIncidents([incident], new Map(), at(STUCK_AT + 14), afterMs);
    const late = unwatchedIncidents([incident], new Map(), at(STUCK_AT + 15), afterMs);

    // Assess
    expect(early).toEqual([]);
    expect(late).toHaveLength(1);
  });

  it('asks for each candidate target’s state once', () => {
    const a = stuckIncident();
    const b = { ...a, key: 'job/x/expiring', kind: 'expiring' as const };

    expect(candidateTargets([a, b])).toEqual([{ projectId: PROJECT_ID, clusterId: CLUSTER_ID }]);
  });
});

describe('closeIncidents (I6)', () => {
  const input = { silences: [], settings: SETTINGS, pagerduty: true, now: at(400), runId: 'run-9' };

  it('closes each with one INCIDENT_RESOLVED saying why, sent where the trigger went', () => {
    // Prepare
    const incident = stuckIncident();

    // Act
    const output = closeIncidents([incident], UNWATCHED_REASON, input);

    // Assess
    expect(output.counts).toEqual({ opened: 0, resolved: 1, reminded: 0, silenced: 0 });
    const [record] = output.records;
    expect(record).toMatchObject({
      eventType: 'INCIDENT_RESOLVED',
      action: 'resolve',
      incidentKey: incident.key,
      targetName: 'orders-prod',
      jobId: JOB_A,
      pagerduty: { attempts: 0 },
      details: { reason: UNWATCHED_REASON, openedBy: 'JOB_STUCK' },
    });
    expect(record?.suppressed).toBeUndefined();
    expect(record?.summary).toContain('no longer watched');
    expect(output.changes).toEqual([
      expect.objectContaining({
        key: incident.key,
        resolvedAt: at(400).toISOString(),
        resolution: UNWATCHED_REASON,
      }),
    ]);
  });

  it('gives the resolve the same id a crash and a re-run would give it', () => {
    const incident = stuckIncident();

    const first = closeIncidents([incident], UNWATCHED_REASON, input).records[0];
    const again = closeIncidents([incident], UNWATCHED_REASON, { ...input, now: at(405), runId: 'run-10' })
      .records[0];

    expect(again?.eventId).toBe(first?.eventId);
  });

  it('still sends the resolve of an announced incident under a silence (D1), counted as silenced', () => {
    // Prepare
    const incident = stuckIncident();
    const silence = silenceOf(at(390), at(500));

    // Act
    const output = closeIncidents([incident], UNWATCHED_REASON, { ...input, silences: [silence] });

    // Assess
    const [record] = output.records;
    expect(record?.silenced).toBeUndefined();
    expect(record?.suppressed).toBeUndefined();
    expect(record?.pagerduty).toEqual({ attempts: 0 });
  });

  it('sends nothing for an incident that was never announced, and still closes it', () => {
    // Prepare
    const incident: Incident = { ...stuckIncident(), announcedOn: [] };

    // Act
    const output = closeIncidents([incident], UNWATCHED_REASON, input);

    // Assess
    expect(output.records[0]).toMatchObject({ suppressed: true });
    expect(output.records[0]?.pagerduty).toBeUndefined();
    expect(output.changes[0]?.resolvedAt).toBeDefined();
  });
});
