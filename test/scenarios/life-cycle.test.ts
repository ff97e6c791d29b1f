/**
 * Scenario tests: the real poll over the simulator (HTTP), dynalite (DynamoDB) and the SNS notifier
 * (SDK mock), walking restore jobs through their whole life cycle.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY, type Harness, startHarness } from '../support/harness.ts';

const PROJECT = 'aaaaaaaaaaaaaaaaaaaaaaaa';

describe('a restore job life cycle, end to end', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('records existing jobs as a baseline without alerting them, then alerts each change exactly once', async () => {
    // Prepare: a cluster with one old, finished restore.
    const cluster = h.sim.addCluster({
      projectId: PROJECT,
      clusterName: 'orders-prod',
      typeName: 'REPLICA_SET',
    });
    const old = h.sim.addRestoreJob(PROJECT, cluster.id, { statusName: 'KILLED' });
    const config = h.config({
      targets: [{ projectId: PROJECT, clusterId: cluster.id, name: 'orders-prod' }],
    });

    // Act + Assess: first sight is a baseline.
    const first = await h.poll(config);
    expect(first.targets).toEqual({ total: 1, ok: 1, failed: 0, skipped: 0 });
    expect(first.eventsDetected).toBe(0);
    expect(h.published()).toHaveLength(0);

    // A new restore is requested.
    const job = h.sim.addRestoreJob(PROJECT, cluster.id);
    const second = await h.poll(config);
    expect(second.events.map((e) => e.eventType)).toEqual(['JOB_CREATED']);
    expect(h.published().map((m) => m.eventTypes)).toEqual([['JOB_CREATED']]);
    const created = h.published()[0];
    expect(created?.subject).toMatch(/^\[INFO\] orders-prod /);
    expect(created?.attributes).toMatchObject({
      eventType: { DataType: 'String', StringValue: 'JOB_CREATED' },
      severity: { DataType: 'String', StringValue: 'info' },
      projectId: { DataType: 'String', StringValue: PROJECT },
      clusterId: { DataType: 'String', StringValue: cluster.id },
      jobId: { DataType: 'String', StringValue: job.id },
    });

    // It finishes: the job status and the delivery status change in the same poll.
    h.clock.advanceMinutes(20);
    h.sim.finishJob(job.id, { expirationHours: 2, maxDownloads: 1 });
    const third = await h.poll(config);
    expect(third.events.map((e) => e.eventType).sort()).toEqual([
      'DELIVERY_STATUS_CHANGED',
      'JOB_STATUS_CHANGED',
    ]);
    expect(third.alertsPublished).toBe(2);
    // One message per job per poll: both changes travel together.
    expect(h.published().at(-1)?.eventTypes).toEqual(['JOB_STATUS_CHANGED', 'DELIVERY_STATUS_CHANGED']);

    // 70 minutes before expiry: nothing; 59 minutes before: the 60-minute warning; 14 before: the 15-minute one.
    h.clock.advanceMinutes(50);
    expect((await h.poll(config)).eventsDetected).toBe(0);
    h.clock.advanceMinutes(11);
    const warn60 = await h.poll(config);
    expect(warn60.events.map((e) => [e.eventType, e.severity])).toEqual([['DELIVERY_EXPIRING', 'warning']]);
    h.clock.advanceMinutes(45);
    const warn15 = await h.poll(config);
    expect(warn15.events.map((e) => e.eventType)).toEqual(['DELIVERY_EXPIRING']);
    expect(warn15.events[0]?.eventId).not.toBe(warn60.events[0]?.eventId);

    // The link expires unused: a warning, and the expiring incident the warnings opened is over.
    h.clock.advanceMinutes(15);
    h.sim.expireDelivery(job.id);
    const expired = await h.poll(config);
    expect(expired.events.map((e) => [e.eventType, e.severity, e.action])).toEqual([
      ['DELIVERY_STATUS_CHANGED', 'warning', 'info'],
      ['INCIDENT_RESOLVED', 'info', 'resolve'],
    ]);
    expect(expired.events[1]?.incidentKey).toBe(`job/${job.id}/expiring`);

    // Nothing changes: nothing is published.
    const before = h.published().length;
    const quiet = await h.poll(config);
    expect(quiet.eventsDetected).toBe(0);
    expect(h.published()).toHaveLength(before);
    expect(before).toBe(5);
    expect(old.id).not.toBe(job.id);
  });

  it('groups the events of one sharded-cluster batch in one poll into one message, with a batch summary', async () => {
    const cluster = h.sim.addCluster({
      projectId: PROJECT,
      clusterName: 'payments',
      typeName: 'SHARDED_REPLICA_SET',
    });
    const config = h.config({ targets: [{ projectId: PROJECT, clusterId: cluster.id, name: 'payments' }] });
    await h.poll(config); // baseline: no jobs yet

    const members = h.sim.createBatch(PROJECT, cluster.id, 3);
    await h.poll(config);
    const createdMessages = h.published();
    expect(createdMessages).toHaveLength(1);
    expect(createdMessages[0]?.eventTypes).toEqual(['JOB_CREATED', 'JOB_CREATED', 'JOB_CREATED']);

    h.clock.advanceMinutes(30);
    const [a, b, c] = members;
    h.sim.finishJob(a?.id ?? '');
    h.sim.finishJob(b?.id ?? '');
    h.sim.breakJob(c?.id ?? '');
    const done = await h.poll(config);
    const messages = h.published().slice(1);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.eventTypes[0]).toBe('BATCH_COMPLETED');
    expect(messages[0]?.subject).toMatch(/^\[CRITICAL\] payments /);
    const batchEvent = done.events.find((e) => e.eventType === 'BATCH_COMPLETED');
    expect(batchEvent?.severity).toBe('critical');
    expect(done.alertsPublished).toBe(done.eventsDetected);

    // The batch summary fires once.
    h.clock.advanceMinutes(5);
    expect((await h.poll(config)).events.filter((e) => e.eventType === 'BATCH_COMPLETED')).toHaveLength(0);
  });

  it('warns once about a job stuck IN_PROGRESS longer than stuckAfterMinutes', async () => {
    const cluster = h.sim.addCluster({ projectId: PROJECT, clusterName: 'orders-prod' });
    const config = h.config({
      targets: [{ projectId: PROJECT, clusterId: cluster.id }],
      alerts: { stuckAfterMinutes: 60 },
    });
    await h.poll(config);
    h.sim.addRestoreJob(PROJECT, cluster.id);
    await h.poll(config);
    h.clock.advanceMinutes(59);
    expect((await h.poll(config)).events.map((e) => e.eventType)).toEqual([]);
    h.clock.advanceMinutes(2);
    expect((await h.poll(config)).events.map((e) => [e.eventType, e.severity])).toEqual([
      ['JOB_STUCK', 'warning'],
    ]);
    h.clock.advanceMinutes(30);
    expect((await h.poll(config)).eventsDetected).toBe(0);
  });

  it('raises TARGET_FAILING after failingAfterPolls failures in a row and TARGET_RECOVERED when it works again', async () => {
    const cluster = h.sim.addCluster({ projectId: PROJECT, clusterName: 'orders-prod' });
    const config = h.config({
      targets: [{ projectId: PROJECT, clusterId: cluster.id, name: 'orders-prod' }],
      alerts: { failingAfterPolls: 3 },
    });
    await h.poll(config);
    h.sim.removeCluster(PROJECT, cluster.id);

    const one = await h.poll(config);
    const two = await h.poll(config);
    expect([one.targets.failed, two.targets.failed]).toEqual([1, 1]);
    expect([...one.events, ...two.events]).toEqual([]);
    const three = await h.poll(config);
    expect(three.events.map((e) => [e.eventType, e.severity])).toEqual([['TARGET_FAILING', 'critical']]);
    expect((await h.poll(config)).events).toEqual([]); // once per streak

    h.sim.addCluster({ projectId: PROJECT, clusterId: cluster.id, clusterName: 'orders-prod' });
    const back = await h.poll(config);
    expect(back.targets.ok).toBe(1);
    expect(back.events.map((e) => [e.eventType, e.severity])).toEqual([['TARGET_RECOVERED', 'info']]);
    expect(h.published().map((m) => m.eventTypes[0])).toEqual(['TARGET_FAILING', 'TARGET_RECOVERED']);
  });

  it('raises TARGET_FAILING at once when the API key loses access', async () => {
    const cluster = h.sim.addCluster({ projectId: PROJECT });
    const config = h.config({
      targets: [{ projectId: PROJECT, clusterId: cluster.id }],
      alerts: { failingAfterPolls: 5 },
    });
    await h.poll(config);
    h.sim.revokeAccess(PROJECT, 403);
    const summary = await h.poll(config);
    expect(summary.events.map((e) => e.eventType)).toEqual(['TARGET_FAILING']);
  });

  it('records events below minSeverity in the audit trail without publishing them', async () => {
    const cluster = h.sim.addCluster({ projectId: PROJECT });
    const config = h.config({
      targets: [{ projectId: PROJECT, clusterId: cluster.id }],
      alerts: { minSeverity: 'critical' },
    });
    await h.poll(config);
    const job = h.sim.addRestoreJob(PROJECT, cluster.id);
    await h.poll(config);
    h.sim.breakJob(job.id);
    await h.poll(config);
    expect(h.published().flatMap((m) => m.eventTypes)).toEqual(
      expect.arrayContaining(['JOB_STATUS_CHANGED']),
    );
    expect(h.published().every((m) => m.subject?.startsWith('[CRITICAL]'))).toBe(true);
    const audit = await h.store.queryAudit({ jobId: job.id });
    expect(audit.some((r) => r.eventType === 'JOB_CREATED' && r.suppressed === true && !r.publishedAt)).toBe(
      true,
    );
    expect(await h.store.listOwedEvents()).toEqual([]);
  });

  it('never lets the private key or a download URL reach SNS, logs or DynamoDB', async () => {
    const cluster = h.sim.addCluster({ projectId: PROJECT });
    const config = h.config({ targets: [{ projectId: PROJECT, clusterId: cluster.id }] });
    await h.poll(config);
    const job = h.sim.addRestoreJob(PROJECT, cluster.id);
    await h.poll(config);
    h.sim.finishJob(job.id);
    await h.poll(config);
    const url = h.sim.getRestoreJob(job.id)?.delivery?.url;
    expect(url).toMatch(/^https:\/\//);

    const scan = await h.dynamo.client.send(new ScanCommand({ TableName: h.tableName }));
    const everything = [
      JSON.stringify(h.published()),
      JSON.stringify(h.logs),
      JSON.stringify(scan.Items),
    ].join('\n');
    expect(h.published().length).toBeGreaterThan(0);
    expect(everything).not.toContain(url);
    expect(everything).not.toContain(API_KEY.privateKey);
    expect(everything).toContain('"hasDownloadUrl"');
  });
});
