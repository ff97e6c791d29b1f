/**
 * The report's numbers against a history whose answer is known (report-scenario.ts): restores in
 * progress, broken, first seen finished, a sharded batch, an outage, a stuck job, a download.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRestoreReport } from '../../../functions/core/report/build-report.ts';
import {
  PRECISION_STATEMENT,
  type RestoreReport,
  type RestoreRow,
} from '../../../functions/core/report/report-model.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import { at, BATCH, JOB, PERIOD, runScenario, scenarioPeriod, TARGET } from './report-scenario.ts';

let report: RestoreReport;
const row = (jobId: string): RestoreRow => {
  const found = report.restores.find((restore) => restore.jobId === jobId);
  if (!found) throw new Error(`no row for ${jobId}`);
  return found;
};

beforeAll(() => {
  // Prepare
  const history = runScenario();

  // Act
  report = buildRestoreReport({
    period: PERIOD,
    generatedAt: at(601),
    targets: [scenarioPeriod(history)],
  });
});

describe('buildRestoreReport on a known history', () => {
  it('counts the restores requested in the period by outcome, and leaves older ones out', () => {
    // Assess: a, b, c, d, e, f1-f3, g requested in the period; "old" two days before it.
    expect(report.overall.restores).toEqual({
      requested: 9,
      finished: 7,
      broken: 1,
      killed: 0,
      running: 1,
      other: 0,
      firstSeenFinished: 2,
    });
    expect(report.restores.map((restore) => restore.jobId)).not.toContain(JOB.old);
    expect(report.overall.successRatePercent).toBe(87.5); // 7 finished of 8 ended
  });

  it('gives every measured duration as the range between the two polls around the finish', () => {
    // Assess: request to (last poll running, first poll finished].
    expect(row(JOB.b).duration).toEqual({ lowMinutes: 50, highMinutes: 55 }); // -20 -> (30, 35]
    expect(row(JOB.c).duration).toEqual({ lowMinutes: 58, highMinutes: 63 }); // 7 -> (65, 70]
    expect(row(JOB.f2).duration).toEqual({ lowMinutes: 55, highMinutes: 60 }); // 60 -> (115, 120]
    expect(row(JOB.b)).toMatchObject({ outcomeAfter: at(30), outcomeBy: at(35), finishWindowMinutes: 5 });
    expect(report.precision).toEqual({
      statement: PRECISION_STATEMENT,
      finishWindowMinutes: { median: 5, max: 5 },
    });
  });

  it('computes median, p90 and max of the FINISHED durations as ranges of lows and highs', () => {
    // Assess: lows 30 30 50 55 58, highs 35 35 55 60 63 (b, c, f1, f2, f3; d BROKEN is not a finish).
    expect(report.overall.duration).toEqual({
      count: 5,
      median: { lowMinutes: 50, highMinutes: 55 },
      p90: { lowMinutes: 56.8, highMinutes: 61.8 }, // rank 3.6: 55 + 0.6 x 3, 60 + 0.6 x 3
      max: { lowMinutes: 58, highMinutes: 63 },
    });
    expect(row(JOB.d)).toMatchObject({ outcome: 'BROKEN', duration: { lowMinutes: 28, highMinutes: 33 } });
  });

  it('counts restores first seen already finished, with no duration and the reason', () => {
    // Assess
    expect(row(JOB.a)).toMatchObject({
      firstSeen: 'baseline',
      firstSeenStatus: 'FINISHED',
      duration: null,
      noDurationReason: 'first-seen-finished',
      outcomeBy: at(0),
    });
    expect(row(JOB.g)).toMatchObject({
      firstSeen: 'requested',
      duration: null,
      noDurationReason: 'first-seen-finished',
      outcomeBy: at(185),
    });
  });

  it('reports the restore still running at the end as running, for at least as long as it was seen', () => {
    // Assess: requested +2, last poll +595, period ends +600.
    expect(row(JOB.e)).toMatchObject({
      outcome: 'IN_PROGRESS',
      noDurationReason: 'running',
      stuckAlerted: true,
    });
    expect(report.overall.longestStuck).toEqual({
      jobId: JOB.e,
      requestedAt: at(2),
      outcome: 'IN_PROGRESS',
      inProgress: { lowMinutes: 593, highMinutes: 598 },
    });
  });

  it('measures ready to downloaded from the two windows, and counts links that expired unused', () => {
    // Assess: READY in (65, 70], downloaded in (80, 85] -> 10 to 20 minutes.
    expect(row(JOB.c)).toMatchObject({
      readyBy: at(70),
      downloadedBy: at(85),
      readyToDownloaded: { lowMinutes: 10, highMinutes: 20 },
      downloaded: true,
    });
    expect(report.overall.readyToDownloaded?.median).toEqual({ lowMinutes: 10, highMinutes: 20 });
    // a expired before the baseline (known from its job state), b at +150 (an event).
    expect(report.overall.downloads).toEqual({ downloaded: 1, expiredUnused: 2 });
    expect(row(JOB.a).expiredUnused).toBe(true);
    expect(row(JOB.b).expiredUnused).toBe(true);
  });

  it('summarises the sharded batch with its slowest shard', () => {
    // Assess
    expect(report.batches).toEqual([
      {
        batchId: BATCH,
        target: TARGET.name,
        requestedAt: at(60),
        members: 3,
        outcome: 'FINISHED',
        duration: { lowMinutes: 55, highMinutes: 60 },
        slowestShard: {
          jobId: JOB.f2,
          hostId: 'shard-1:27017',
          duration: { lowMinutes: 55, highMinutes: 60 },
        },
      },
    ]);
  });

  it('derives incidents from the condition alerts, resolved where the trail shows the end', () => {
    // Assess
    expect(report.incidents.byKind).toEqual({
      TARGET_FAILING: 1,
      JOB_STUCK: 1,
      JOB_BROKEN: 1,
      JOB_KILLED: 0,
      DELIVERY_FAILED: 1,
      DELIVERY_EXPIRING: 2, // b's link: 60 and 15 minutes before it expired
    });
    const failing = report.incidents.items.find((item) => item.kind === 'TARGET_FAILING');
    expect(failing).toMatchObject({ openedAt: at(250), resolvedAt: at(255), jobId: null });
    const expiring = report.incidents.items.filter((item) => item.kind === 'DELIVERY_EXPIRING');
    expect(expiring.map((item) => [item.openedAt, item.resolvedAt])).toEqual([
      [at(90), at(150)],
      [at(135), at(150)],
    ]);
    expect(report.incidents.items.find((item) => item.kind === 'JOB_STUCK')?.resolvedAt).toBeNull();
  });

  it('counts the alerts of the period by type and delivery', () => {
    // Assess: c d e f1 f2 f3 g requested after the baseline; every record was published.
    expect(report.alerts.byType).toMatchObject({
      JOB_CREATED: 7,
      JOB_STUCK: 1,
      BATCH_COMPLETED: 1,
      TARGET_FAILING: 1,
      TARGET_RECOVERED: 1,
      DELIVERY_EXPIRING: 2,
    });
    const total = Object.values(report.alerts.byType).reduce((sum, n) => sum + n, 0);
    expect(report.alerts).toMatchObject({
      published: total,
      suppressed: 0,
      silenced: 0,
      owed: 0,
      rejected: 0,
      pagerduty: null,
    });
  });

  it('counts silenced events apart, and what the PagerDuty channel did with the events routed to it', () => {
    // Prepare: the same records, the first five routed and delivered as issue 10's channels record it.
    const period = scenarioPeriod(runScenario());
    const silence = { silenceId: 's-1', reason: 'DR drill', createdBy: 'ops', endsAt: at(600) };
    const routes: Array<{ toSns: boolean; record: Partial<AuditRecord> }> = [
      // Silenced: owed to no channel, whatever else it carries.
      { toSns: false, record: { suppressed: true, silenced: silence, pagerduty: { attempts: 0 } } },
      // The resolve of an incident announced on PagerDuty only.
      { toSns: false, record: { suppressed: true, pagerduty: { attempts: 1, deliveredAt: at(1) } } },
      { toSns: true, record: { pagerduty: { attempts: 1, deliveredAt: at(1) } } },
      { toSns: true, record: { pagerduty: { attempts: 2, lastError: 'PagerDuty failed (HTTP 503)' } } },
      { toSns: true, record: { pagerduty: { attempts: 3, rejections: 3, abandonedAt: at(2) } } },
    ];
    const events = period.events.map((event, i): AuditRecord => {
      const route = routes[i];
      if (!route) return event;
      const { publishedAt: _at, snsMessageId: _id, ...unsent } = event;
      return { ...(route.toSns ? event : unsent), ...route.record };
    });

    // Act
    const channels = buildRestoreReport({
      period: PERIOD,
      generatedAt: at(601),
      targets: [{ ...period, events }],
    }).alerts;

    // Assess: a silenced event is owed to no channel, whatever it carried; every other record is
    // counted once on SNS and, when routed there, once on PagerDuty.
    expect(channels).toMatchObject({
      published: events.length - 2,
      suppressed: 1,
      silenced: 1,
      owed: 0,
      rejected: 0,
      pagerduty: { delivered: 2, owed: 1, rejected: 1 },
    });
  });

  it('keeps the per-target summary equal to the overall one for a single target', () => {
    // Assess
    expect(report.targets).toHaveLength(1);
    const { target, ...perTarget } = report.targets[0] as RestoreReport['targets'][number];
    expect(target).toEqual({ name: TARGET.name, projectId: TARGET.projectId, clusterId: TARGET.clusterId });
    expect(perTarget).toEqual(report.overall);
  });
});

describe('buildRestoreReport as of the end of the period', () => {
  it('reports a restore that finished after the period as running, from the trail alone', () => {
    // Prepare: the period ends at +50, after b's finish (+35) and before c's (+70).
    const history = runScenario();
    const period = { since: PERIOD.since, until: at(50) };

    // Act
    const early = buildRestoreReport({
      period,
      generatedAt: at(601),
      targets: [scenarioPeriod(history, period)],
    });

    // Assess
    const outcomes = Object.fromEntries(early.restores.map((restore) => [restore.jobId, restore.outcome]));
    expect(outcomes).toEqual({
      [JOB.a]: 'FINISHED',
      [JOB.b]: 'FINISHED',
      [JOB.c]: 'IN_PROGRESS',
      [JOB.d]: 'BROKEN',
      [JOB.e]: 'IN_PROGRESS',
    });
  });
});

describe('buildRestoreReport incidents', () => {
  it('counts a failing target as resolved by a recovery detected at the same instant', () => {
    // Prepare: two polls at one instant (the second one recovered).
    const base = {
      severity: 'critical' as const,
      projectId: TARGET.projectId,
      clusterId: TARGET.clusterId,
      targetName: TARGET.name,
      detectedAt: at(10),
      summary: 'x',
      runId: 'run',
      publishAttempts: 1,
    };
    const events = [
      { ...base, eventId: 'failing', eventType: 'TARGET_FAILING' as const },
      { ...base, eventId: 'recovered', eventType: 'TARGET_RECOVERED' as const, severity: 'info' as const },
    ];

    // Act
    const result = buildRestoreReport({
      period: PERIOD,
      generatedAt: at(601),
      targets: [{ target: TARGET, events, jobs: [] }],
    });

    // Assess
    expect(result.incidents.items).toEqual([
      {
        kind: 'TARGET_FAILING',
        target: TARGET.name,
        jobId: null,
        openedAt: at(10),
        resolvedAt: at(10),
        eventId: 'failing',
      },
    ]);
  });

  describe('followed by incident key', () => {
    const base = {
      projectId: TARGET.projectId,
      clusterId: TARGET.clusterId,
      targetName: TARGET.name,
      summary: 'x',
      runId: 'run',
      publishAttempts: 1,
    };
    const broken = (eventId: string, minutes: number): AuditRecord => ({
      ...base,
      eventId,
      eventType: 'JOB_STATUS_CHANGED',
      severity: 'critical',
      jobId: JOB.d,
      detectedAt: at(minutes),
      after: { jobId: JOB.d, statusName: 'BROKEN', hasDownloadUrl: false, downloaded: false },
      incidentKey: `job/${JOB.d}/failed`,
      action: 'trigger',
    });
    const keyed: AuditRecord[] = [
      broken('broken', 10),
      // The delivery failing too, in a later poll: the same incident, not a second one.
      {
        ...broken('delivery-failed', 15),
        eventType: 'DELIVERY_STATUS_CHANGED',
        after: {
          jobId: JOB.d,
          statusName: 'BROKEN',
          deliveryStatus: 'FAILED',
          hasDownloadUrl: false,
          downloaded: false,
        },
      },
      { ...broken('reminder', 250), eventType: 'INCIDENT_REMINDER', action: 'reminder' },
      // Resolved by a later restore of the target that finished ready: an event of its own kind.
      {
        ...base,
        eventId: 'resolved',
        eventType: 'INCIDENT_RESOLVED',
        severity: 'info',
        jobId: JOB.d,
        detectedAt: at(300),
        incidentKey: `job/${JOB.d}/failed`,
        action: 'resolve',
      },
      // A link about to expire that nothing resolved within the period.
      {
        ...base,
        eventId: 'expiring',
        eventType: 'DELIVERY_EXPIRING',
        severity: 'warning',
        jobId: JOB.e,
        detectedAt: at(400),
        incidentKey: `job/${JOB.e}/expiring`,
        action: 'trigger',
      },
    ];

    it('counts one incident per key from trigger to resolve, joining a second trigger of an open key', () => {
      // Act
      const result = buildRestoreReport({
        period: PERIOD,
        generatedAt: at(601),
        targets: [{ target: TARGET, events: keyed, jobs: [] }],
      });

      // Assess
      expect(result.incidents.source).toBe('incident-keys');
      expect(result.incidents.items.map((i) => [i.kind, i.eventId, i.openedAt, i.resolvedAt])).toEqual([
        ['JOB_BROKEN', 'broken', at(10), at(300)],
        ['DELIVERY_EXPIRING', 'expiring', at(400), null],
      ]);
    });

    it('reads older, unkeyed events from their condition alerts, and says the period spans both', () => {
      // Prepare: the same trail, with a TARGET_FAILING recorded before incident keys existed
      const older: AuditRecord = {
        ...base,
        eventId: 'old-failing',
        eventType: 'TARGET_FAILING',
        severity: 'critical',
        detectedAt: at(-60),
      };

      // Act
      const result = buildRestoreReport({
        period: PERIOD,
        generatedAt: at(601),
        targets: [{ target: TARGET, events: [older, ...keyed], jobs: [] }],
      });

      // Assess
      expect(result.incidents.source).toBe('incident-keys+condition-alerts');
      expect(result.incidents.byKind).toMatchObject({ TARGET_FAILING: 1, JOB_BROKEN: 1, DELIVERY_FAILED: 0 });
    });
  });
});
