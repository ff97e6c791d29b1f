/**
 * The on-call life cycle over real peers: the Cloud Manager simulator over HTTP, the DynamoDB store
 * against dynalite, SNS through the real notifier (SDK mock, as every scenario), and PagerDuty through
 * the real notifier against LocalPagerDuty over HTTP. A virtual clock moves hours in microseconds.
 *
 * Each open/resolve rule of the catalogue end to end (SNS sees trigger and resolve under one
 * incident key, PagerDuty opens and closes one alert), one message per job per poll, the routing
 * attributes, silences (a resolve under a silence included), reminders, and PagerDuty outages and
 * rejections never holding up SNS.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PagerDutyNotifier } from '../../functions/adapters/pagerduty/pagerduty-notifier.ts';
import type { PollSummary } from '../../functions/core/poll.ts';
import { newObjectId, SnsGate } from '../reliability/support/system.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { TEST_ROUTING_KEY } from '../support/local-pagerduty/local-pagerduty.ts';
import { useLocalPagerDuty } from '../support/local-pagerduty/use-local-pagerduty.ts';

let h: Harness;
let sns: SnsGate;
const pd = useLocalPagerDuty();
let project: string;
let cluster: string;

// A table per test: a run closes the incidents of targets its configuration no longer watches
// (unwatched.ts), so one test's open incidents would be closed by the next test's polls.
beforeEach(async () => {
  h = await startHarness();
  sns = new SnsGate().install(h);
  project = newObjectId();
  cluster = h.sim.addCluster({ projectId: project, clusterName: 'orders-prod' }).id;
});
afterEach(async () => {
  await h.stop();
});

const pagerduty = () =>
  new PagerDutyNotifier({
    routingKey: TEST_ROUTING_KEY,
    eventsUrl: pd.eventsUrl,
    dedupPrefix: `restore-watch/${h.tableName}`,
    consoleBaseUrl: h.sim.origin,
    sleep: async () => {},
    now: () => h.clock.now().getTime(),
  });

const config = (alerts: Record<string, unknown> = {}) =>
  h.config({
    targets: [{ projectId: project, clusterId: cluster, name: 'orders-prod', team: 'orders' }],
    alerts: { failingAfterPolls: 1, ...alerts },
  });

/** Poll every 5 minutes `times` times, with PagerDuty as a channel. */
async function poll(times = 1, cfg = config()): Promise<PollSummary[]> {
  const out: PollSummary[] = [];
  for (let i = 0; i < times; i++) {
    h.clock.advanceMinutes(5);
    out.push(await h.poll(cfg, { pagerduty: pagerduty() }));
  }
  return out;
}

/** SNS messages accepted since the start of the test, as (eventTypes, action, incidentKey). */
function snsLog() {
  return sns.accepted.map((m) => {
    const attrs = JSON.parse(m.raw).MessageAttributes as Record<string, { StringValue?: string }>;
    return {
      types: m.eventTypes,
      action: attrs.action?.StringValue,
      incidentKey: attrs.incidentKey?.StringValue,
      team: attrs.team?.StringValue,
      attributes: attrs,
    };
  });
}

const pdLog = () => pd.events.map((e) => [e.event_action, e.dedup_key.split('/').slice(-3).join('/')]);

describe('incident rules end to end', () => {
  it('opens job/<id>/stuck with JOB_STUCK, pages, and resolves it on SNS and PagerDuty when the job finishes', async () => {
    // Prepare
    await poll(); // baseline
    const job = h.sim.addRestoreJob(project, cluster);
    await poll();

    // Act
    h.clock.advanceMinutes(360);
    await poll();
    h.sim.finishJob(job.id, { expirationHours: 48 });
    const [finished] = await poll();

    // Assess
    const key = `job/${job.id}/stuck`;
    expect(
      snsLog()
        .filter((m) => m.incidentKey === key)
        .map((m) => m.action),
    ).toEqual(['trigger', 'resolve']);
    const resolved = snsLog().find((m) => m.types.includes('INCIDENT_RESOLVED'));
    expect(resolved?.types).toEqual(['JOB_STATUS_CHANGED', 'DELIVERY_STATUS_CHANGED', 'INCIDENT_RESOLVED']);
    expect(finished?.incidents.resolved).toBe(1);
    expect(pdLog()).toEqual([
      ['trigger', key],
      ['resolve', key],
    ]);
    expect(pd.openAlerts()).toEqual([]);
  });

  it('opens job/<id>/expiring and resolves it when the backup is downloaded (no event reports it)', async () => {
    // Prepare
    await poll();
    const job = h.sim.addRestoreJob(project, cluster);
    await poll();
    h.sim.finishJob(job.id, { expirationHours: 1 });
    await poll();

    // Act
    h.sim.markDownloaded(job.id);
    await poll();

    // Assess
    const key = `job/${job.id}/expiring`;
    expect(pdLog()).toEqual([
      ['trigger', key],
      ['resolve', key],
    ]);
    expect(snsLog().at(-1)).toMatchObject({ action: 'resolve', incidentKey: key });
  });

  it('resolves job/<id>/expiring when the link expires unused, on a poll that saw no change', async () => {
    // Prepare
    await poll();
    const job = h.sim.addRestoreJob(project, cluster);
    await poll();
    h.sim.finishJob(job.id, { expirationHours: 1 });
    await poll();

    // Act: past `expires`, while Cloud Manager still lists the delivery as READY
    h.clock.advanceMinutes(61);
    const [late] = await poll();

    // Assess
    expect(late?.events.map((e) => [e.eventType, e.action])).toEqual([['INCIDENT_RESOLVED', 'resolve']]);
    expect(pd.openAlerts()).toEqual([]);
  });

  it('opens job/<id>/failed for a BROKEN restore and resolves it when a later restore is ready', async () => {
    // Prepare
    await poll();
    const broken = h.sim.addRestoreJob(project, cluster);
    h.sim.breakJob(broken.id);
    await poll();

    // Act
    const retry = h.sim.addRestoreJob(project, cluster);
    h.sim.finishJob(retry.id, { expirationHours: 48 });
    await poll();

    // Assess
    const key = `job/${broken.id}/failed`;
    expect(pdLog().filter(([, k]) => k === key)).toEqual([
      ['trigger', key],
      ['trigger', key],
      ['resolve', key],
    ]);
    expect(pd.alerts().filter((a) => a.dedupKey.endsWith(key))).toMatchObject([
      { status: 'resolved', triggers: 2 },
    ]);
  });

  it('opens target/<id>/failing with TARGET_FAILING and resolves it with TARGET_RECOVERED', async () => {
    // Prepare
    await poll();
    h.sim.revokeAccess(project, 401);
    await poll();

    // Act
    h.sim.restoreAccess(project);
    await poll();

    // Assess
    const key = `target/${project}:${cluster}/failing`;
    expect(snsLog().map((m) => [m.types[0], m.action, m.incidentKey])).toEqual([
      ['TARGET_FAILING', 'trigger', key],
      ['TARGET_RECOVERED', 'resolve', key],
    ]);
    expect(pdLog()).toEqual([
      ['trigger', key],
      ['resolve', key],
    ]);
  });
});

describe('one message per job per poll, and its routing attributes', () => {
  it('sends one message for a restore that finishes with its link expiring within the first threshold', async () => {
    // Prepare
    await poll();
    const job = h.sim.addRestoreJob(project, cluster);
    await poll();

    // Act
    h.sim.finishJob(job.id, { expirationHours: 1 });
    const before = sns.accepted.length;
    const [summary] = await poll();

    // Assess
    expect(summary?.eventsDetected).toBe(3);
    expect(sns.accepted.length - before).toBe(1);
    const [message] = sns.accepted.slice(-1);
    expect(message?.eventTypes).toEqual([
      'JOB_STATUS_CHANGED',
      'DELIVERY_STATUS_CHANGED',
      'DELIVERY_EXPIRING',
    ]);
    expect(message?.subject).toMatch(
      /^\[WARNING\] orders-prod restore \.\.\.\w{8} expires in \d+ min, not downloaded yet; FINISHED, /,
    );
    const attributes = snsLog().at(-1)?.attributes ?? {};
    expect(Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, v.StringValue]))).toEqual({
      eventType: 'DELIVERY_EXPIRING',
      eventTypes: JSON.stringify(['JOB_STATUS_CHANGED', 'DELIVERY_STATUS_CHANGED', 'DELIVERY_EXPIRING']),
      severity: 'warning',
      action: 'trigger',
      incidentKey: `job/${job.id}/expiring`,
      team: 'orders',
      projectId: project,
      clusterId: cluster,
      jobId: job.id,
      eventId: message?.eventIds[0],
    });
  });
});

describe('silences', () => {
  it('keeps a silenced trigger from SNS and PagerDuty, audited with its silence', async () => {
    // Prepare
    await poll();
    await h.store.saveSilence({
      silenceId: 's-0000d411',
      matcher: { projectId: project, clusterId: cluster },
      target: 'orders-prod',
      startsAt: h.clock.now().toISOString(),
      endsAt: new Date(h.clock.ms + 3 * 3_600_000).toISOString(),
      createdAt: h.clock.now().toISOString(),
      createdBy: 'ana',
      reason: 'DR drill',
    });
    const job = h.sim.addRestoreJob(project, cluster);
    h.sim.breakJob(job.id);

    // Act
    const [summary] = await poll();

    // Assess
    expect(summary?.incidents).toMatchObject({ opened: 1, silenced: 3 });
    expect(sns.accepted).toEqual([]);
    expect(pd.events).toEqual([]);
    const audit = await h.store.queryAudit({ jobId: job.id });
    expect(audit.every((r) => r.silenced?.silenceId === 's-0000d411')).toBe(true);
  });

  it('still sends the resolve of an incident announced before the silence, to SNS and PagerDuty', async () => {
    // Prepare: a stuck job paged, then a silence of the whole target.
    await poll();
    const job = h.sim.addRestoreJob(project, cluster);
    await poll();
    h.clock.advanceMinutes(360);
    await poll();
    await h.store.saveSilence({
      silenceId: 's-0000d412',
      matcher: { projectId: project },
      target: project,
      startsAt: h.clock.now().toISOString(),
      endsAt: new Date(h.clock.ms + 3 * 3_600_000).toISOString(),
      createdAt: h.clock.now().toISOString(),
      createdBy: 'ana',
      reason: 'DR drill',
    });

    // Act
    h.sim.finishJob(job.id, { expirationHours: 48 });
    await poll();

    // Assess: the finish itself is silenced; its resolve goes out anyway.
    const last = sns.accepted.at(-1);
    expect(last?.eventTypes).toEqual(['INCIDENT_RESOLVED']);
    expect(pdLog().at(-1)).toEqual(['resolve', `job/${job.id}/stuck`]);
    expect(pd.openAlerts()).toEqual([]);
  });
});

describe('reminders', () => {
  it('reminds of an open incident on SNS once per interval, never on PagerDuty, and not twice in one interval', async () => {
    // Prepare
    await poll();
    h.sim.addRestoreJob(project, cluster);
    await poll();
    h.clock.advanceMinutes(360);
    await poll(); // JOB_STUCK
    const pagesBefore = pd.events.length;

    // Act
    h.clock.advanceMinutes(240);
    const [first] = await poll();
    const again = await poll(3);
    h.clock.advanceMinutes(240);
    const [second] = await poll();

    // Assess
    expect(first?.incidents.reminded).toBe(1);
    expect(again.map((s) => s.incidents.reminded)).toEqual([0, 0, 0]);
    expect(second?.incidents.reminded).toBe(1);
    const reminders = snsLog().filter((m) => m.action === 'reminder');
    expect(reminders).toHaveLength(2);
    expect(reminders[0]?.types).toEqual(['INCIDENT_REMINDER']);
    expect(pd.events).toHaveLength(pagesBefore);
  });
});

describe('targets no longer watched (unwatched.ts)', () => {
  /** A restore of `cluster` stuck IN_PROGRESS: job/<id>/stuck open, announced on SNS and PagerDuty. */
  async function stuckRestore(cfg = config()) {
    await poll(1, cfg);
    const job = h.sim.addRestoreJob(project, cluster);
    await poll(1, cfg);
    h.clock.advanceMinutes(360);
    await poll(1, cfg);
    return { job, key: `job/${job.id}/stuck` };
  }
  const openKeys = async () => (await h.store.readRunState(0)).incidents.map((i) => i.key);
  /** A configuration file that names another cluster of the project instead of orders-prod. */
  const trimmedConfig = () => {
    const other = h.sim.addCluster({ projectId: project, clusterName: 'billing-prod' }).id;
    return h.config({
      targets: [{ projectId: project, clusterId: other, name: 'billing-prod' }],
      alerts: { failingAfterPolls: 1 },
    });
  };

  it('closes the incidents of a target removed from the configuration after three periods, on SNS and PagerDuty', async () => {
    // Prepare
    const { key } = await stuckRestore();
    const trimmed = trimmedConfig();

    // Act: 10 minutes after the target's last poll, then 15 and later
    const early = await poll(2, trimmed);
    const keysEarly = await openKeys();
    const late = await poll(3, trimmed);

    // Assess
    expect(early.map((s) => s.incidents.resolved)).toEqual([0, 0]);
    expect(keysEarly).toEqual([key]);
    expect(late.map((s) => s.incidents.resolved)).toEqual([1, 0, 0]);
    const resolve = snsLog().filter((m) => m.incidentKey === key);
    expect(resolve.map((m) => [m.action, m.types])).toEqual([
      ['trigger', ['JOB_STUCK']],
      ['resolve', ['INCIDENT_RESOLVED']],
    ]);
    expect(pdLog()).toEqual([
      ['trigger', key],
      ['resolve', key],
    ]);
    expect(pd.openAlerts()).toEqual([]);
    expect(await openKeys()).toEqual([]);
    const [record] = (await h.store.queryAudit({ clusterId: cluster })).filter(
      (r) => r.eventType === 'INCIDENT_RESOLVED',
    );
    expect(record?.summary).toContain('no longer watched');
  });

  it('keeps them open while another run still polls the target (a CLI run with a trimmed file)', async () => {
    // Prepare
    const { key } = await stuckRestore();
    const trimmed = trimmedConfig();

    // Act: the deployed configuration and the trimmed one take turns for an hour
    const runs: PollSummary[] = [];
    for (let i = 0; i < 6; i++) runs.push(...(await poll(1, trimmed)), ...(await poll(1)));

    // Assess
    expect(runs.map((s) => s.incidents.resolved)).toEqual(Array(12).fill(0));
    expect(await openKeys()).toEqual([key]);
    expect(pd.openAlerts()).toHaveLength(1);
  });

  it('keeps them open while the project cannot be listed, and closes a deleted cluster’s once it can', async () => {
    // Prepare: the whole project watched; its cluster's restore stuck
    const projectWide = h.config({ targets: [{ projectId: project }], alerts: { failingAfterPolls: 1 } });
    const { key } = await stuckRestore(projectWide);
    h.sim.removeCluster(project, cluster);
    h.sim.revokeAccess(project, 401);

    // Act: half an hour of failed listings, then the key works again
    const blind = await poll(6, projectWide);
    const keysBlind = await openKeys();
    h.sim.restoreAccess(project);
    const [seeing] = await poll(1, projectWide);

    // Assess
    expect(blind.map((s) => s.incidents.resolved)).toEqual(Array(6).fill(0));
    expect(keysBlind).toContain(key);
    expect(seeing?.incidents.resolved).toBe(2); // the stuck restore, and the project's failing listing
    expect(await openKeys()).toEqual([]);
    expect(pdLog().filter(([, k]) => k === key)).toEqual([
      ['trigger', key],
      ['resolve', key],
    ]);
  });
});

describe('PagerDuty failures never hold up SNS', () => {
  it('keeps pages owed through a PagerDuty outage while SNS delivers, then pages once, in order', async () => {
    // Prepare
    await poll();
    const job = h.sim.addRestoreJob(project, cluster);
    await poll();
    h.clock.advanceMinutes(360);
    pd.failNext({ kind: 'status', status: 503 }, 1_000);

    // Act: the stuck trigger and, later, its resolve, both during the outage
    const during = await poll();
    h.sim.finishJob(job.id, { expirationHours: 48 });
    during.push(...(await poll()));
    pd.reset();
    const [after] = await poll();

    // Assess
    expect(during.map((s) => s.alertsOwed)).toEqual([0, 0]);
    expect(during.map((s) => s.pagerduty?.owed)).toEqual([1, 2]);
    expect(snsLog().map((m) => m.action)).toEqual(['info', 'trigger', 'resolve']);
    expect(after?.pagerduty).toMatchObject({ published: 2, owed: 0 });
    expect(pdLog()).toEqual([
      ['trigger', `job/${job.id}/stuck`],
      ['resolve', `job/${job.id}/stuck`],
    ]);
    expect(pd.openAlerts()).toEqual([]);
  });

  it('parks a page PagerDuty rejects as invalid three times, and SNS is not affected', async () => {
    // Prepare
    await poll();
    const job = h.sim.addRestoreJob(project, cluster);
    h.sim.breakJob(job.id);
    pd.failNext(
      { kind: 'status', status: 400, body: { status: 'invalid event', message: 'Event object is invalid' } },
      6,
    );

    // Act
    const runs = await poll(4);

    // Assess
    expect(runs[0]?.alertsPublished).toBe(3);
    expect(runs.map((s) => s.pagerduty?.abandoned)).toEqual([0, 0, 2, 0]);
    expect(runs.at(-1)?.pagerduty?.owed).toBe(0);
    const audit = await h.store.queryAudit({ jobId: job.id });
    const parked = audit.filter((r) => r.pagerduty?.abandonedAt);
    expect(parked).toHaveLength(2);
    expect(parked.every((r) => r.pagerduty?.rejections === 3 && r.publishedAt)).toBe(true);
  });
});
