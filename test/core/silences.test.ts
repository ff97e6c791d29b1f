/**
 * Silences (guarantees S1-S3 of functions/core/silences.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  type KnownTarget,
  matchSilence,
  planSilence,
  type Silence,
  type SilenceRequest,
} from '../../functions/core/silences.ts';
import { record } from '../support/alert-records.ts';

const PROJECT = '5f0000000000000000000001';
const CLUSTER = '5f0000000000000000000002';
const OTHER_CLUSTER = '5f0000000000000000000009';
const JOB = '5f3a1b2c0000000000000003';
const NOW = new Date('2026-05-01T10:00:00.000Z');
const HOUR = 3_600_000;

const TARGETS: KnownTarget[] = [
  { projectId: PROJECT, clusterId: CLUSTER, name: 'orders-prod' },
  { projectId: PROJECT, clusterId: OTHER_CLUSTER, name: 'payments' },
];

function silence(matcher: Partial<Silence['matcher']>, overrides: Partial<Silence> = {}): Silence {
  return {
    silenceId: 'sil-1',
    matcher: { projectId: PROJECT, ...matcher },
    target: 'orders-prod',
    startsAt: '2026-05-01T09:00:00.000Z',
    endsAt: '2026-05-01T11:00:00.000Z',
    createdAt: '2026-05-01T09:00:00.000Z',
    createdBy: 'ana',
    reason: 'DR drill',
    ...overrides,
  };
}

describe('matchSilence (S1, S2)', () => {
  it('matches an event of the silenced cluster while the silence is in force, and not before or after', () => {
    // Prepare
    const s = silence({ clusterId: CLUSTER });

    // Act & Assess
    expect(matchSilence(record(), [s], NOW)).toBe(s);
    expect(matchSilence(record(), [s], new Date('2026-05-01T08:59:59.999Z'))).toBeUndefined();
    expect(matchSilence(record(), [s], new Date('2026-05-01T11:00:00.000Z'))).toBeUndefined();
  });

  it('matches only what every given matcher names: cluster, job, event type', () => {
    // Prepare
    const byCluster = silence({ clusterId: OTHER_CLUSTER });
    const byJob = silence({ clusterId: CLUSTER, jobId: 'another-job' });
    const byType = silence({ eventType: 'JOB_STUCK' });

    // Act & Assess
    expect(matchSilence(record(), [byCluster, byJob, byType], NOW)).toBeUndefined();
    expect(matchSilence(record({ eventType: 'JOB_STUCK' }), [byType], NOW)).toBe(byType);
  });

  it('matches a reminder by the type of the alert that opened its incident', () => {
    // Prepare
    const byType = silence({ eventType: 'JOB_STUCK' });
    const reminder = record({ eventType: 'INCIDENT_REMINDER', details: { openedBy: 'JOB_STUCK' } });

    // Act & Assess
    expect(matchSilence(reminder, [byType], NOW)).toBe(byType);
  });

  it('names the silence that ends last when several match, whatever order they come in', () => {
    // Prepare
    const short = silence({}, { silenceId: 'a', endsAt: '2026-05-01T10:30:00.000Z' });
    const long = silence({}, { silenceId: 'b', endsAt: '2026-05-01T12:00:00.000Z' });

    // Act & Assess
    expect(matchSilence(record(), [short, long], NOW)).toBe(long);
    expect(matchSilence(record(), [long, short], NOW)).toBe(long);
  });
});

describe('planSilence (S3)', () => {
  const plan = (request: Partial<SilenceRequest>) =>
    planSilence(
      { target: 'orders-prod', forMs: 2 * HOUR, reason: 'DR drill', createdBy: 'ana', ...request },
      { now: NOW, targets: TARGETS, silenceId: 'sil-new' },
    );

  it('resolves a target name to its project and cluster and starts the silence now', () => {
    // Act
    const result = plan({ job: JOB, event: 'JOB_STUCK' });

    // Assess
    expect(result).toEqual({
      ok: true,
      silence: {
        silenceId: 'sil-new',
        matcher: { projectId: PROJECT, clusterId: CLUSTER, jobId: JOB, eventType: 'JOB_STUCK' },
        target: 'orders-prod',
        startsAt: NOW.toISOString(),
        endsAt: '2026-05-01T12:00:00.000Z',
        createdAt: NOW.toISOString(),
        createdBy: 'ana',
        reason: 'DR drill',
      },
    });
  });

  it('takes a cluster id or a project id for the target', () => {
    // Act
    const cluster = plan({ target: OTHER_CLUSTER });
    const project = plan({ target: PROJECT, forMs: undefined, until: '2026-05-03T00:00:00Z' });

    // Assess
    expect(cluster.ok && cluster.silence.matcher).toEqual({ projectId: PROJECT, clusterId: OTHER_CLUSTER });
    expect(project.ok && project.silence.matcher).toEqual({ projectId: PROJECT });
    expect(project.ok && project.silence.endsAt).toBe('2026-05-03T00:00:00.000Z');
  });

  it.each<[string, Partial<SilenceRequest>, RegExp]>([
    ['no reason', { reason: '  ' }, /--reason is required/],
    ['a zero duration', { forMs: 0 }, /--for must be a positive duration/],
    ['a negative duration', { forMs: -HOUR }, /--for must be a positive duration/],
    ['a duration that is not one', { forMs: Number.NaN }, /--for must be a positive duration/],
    ['a duration over 30 days', { forMs: 31 * 24 * HOUR }, /at most 30 days/],
    ['an until in the past', { forMs: undefined, until: '2026-05-01T09:00:00Z' }, /is in the past/],
    ['an until past 30 days', { forMs: undefined, until: '2026-06-15T00:00:00Z' }, /at most 30 days/],
    ['an until that is no date', { forMs: undefined, until: 'tomorrow' }, /not an ISO 8601 date-time/],
    ['both for and until', { until: '2026-05-02T00:00:00Z' }, /either --for or --until/],
    ['neither for nor until', { forMs: undefined }, /say how long/],
    ['an unknown target', { target: 'billing' }, /"billing" is not a known target/],
    ['an unknown event type', { event: 'JOB_EXPLODED' }, /"JOB_EXPLODED" is not an event type/],
    ['a job id that is not an ObjectId', { job: '../x' }, /is not a restore job id/],
  ])('refuses %s, naming it', (_name, request, problem) => {
    // Act
    const result = plan(request);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual([expect.stringMatching(problem)]);
  });

  it('lists every problem at once', () => {
    // Act
    const result = plan({ reason: '', target: 'billing', event: 'NOPE', forMs: 0 });

    // Assess
    expect(result.ok ? 0 : result.problems.length).toBe(4);
  });

  it('refuses a name that several targets share, pointing at their cluster ids', () => {
    // Act
    const result = planSilence(
      { target: 'orders-prod', forMs: HOUR, reason: 'x', createdBy: 'ana' },
      {
        now: NOW,
        targets: [
          ...TARGETS,
          {
            projectId: '5f0000000000000000000077',
            clusterId: '5f0000000000000000000078',
            name: 'orders-prod',
          },
        ],
        silenceId: 's',
      },
    );

    // Assess
    expect(result.ok ? [] : result.problems).toEqual([
      expect.stringMatching(/names 2 targets; give the cluster id/),
    ]);
  });
});
