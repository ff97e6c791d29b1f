/**
 * Fault matrix, SNS boundary: outages, per-entry failures inside an HTTP 200 and a message SNS rejects
 * for good, injected behind the real notifier during whole poll runs. An alert SNS did not accept stays
 * owed (never dropped), one bad message never holds back the others, and a rejection is loud: an
 * error log line naming the event, the run's `alertsFailed`, and the audit record's `lastPublishError`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PollSummary } from '../../functions/core/poll.ts';
import { MAX_REJECTIONS } from '../../functions/core/publish-owed.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { auditRecords, countBy, newObjectId, SnsGate, snsAccessDenied, snsOutage } from './support/system.ts';

describe('SNS faults in a whole poll run', () => {
  let h: Harness;
  let sns: SnsGate;
  let project: string;
  let cluster: string;
  let config: ReturnType<Harness['config']>;

  beforeEach(async () => {
    h = await startHarness();
    sns = new SnsGate().install(h);
    project = newObjectId();
    cluster = h.sim.addCluster({ projectId: project, clusterName: 'orders' }).id;
    config = h.config({ targets: [{ projectId: project, clusterId: cluster, name: 'orders' }] });
    await h.poll(config);
  });
  afterEach(async () => {
    await h.stop();
  });

  async function pollEvery5Minutes(times: number): Promise<PollSummary[]> {
    const out: PollSummary[] = [];
    for (let i = 0; i < times; i++) {
      out.push(await h.poll(config));
      h.clock.advanceMinutes(5);
    }
    return out;
  }

  /** Every recorded alert delivered exactly once, nothing owed. */
  async function expectAllDeliveredOnce(count: number): Promise<void> {
    const records = await auditRecords(h);
    expect(records).toHaveLength(count);
    expect(records.every((r) => r.publishedAt !== undefined)).toBe(true);
    expect(countBy(sns.deliveredIds())).toEqual(new Map(records.map((r) => [r.eventId, 1])));
    expect(await h.store.listOwedEvents()).toEqual([]);
  }

  it('keeps every alert of a multi-poll outage owed, including changes made during it, and delivers each once in detection order', async () => {
    sns.outage = snsOutage();
    const job = h.sim.addRestoreJob(project, cluster);
    const during: PollSummary[] = [];
    during.push(...(await pollEvery5Minutes(1)));
    h.sim.finishJob(job.id, { expirationHours: 48 });
    during.push(...(await pollEvery5Minutes(2)));
    const second = h.sim.addRestoreJob(project, cluster);
    during.push(...(await pollEvery5Minutes(1)));
    sns.outage = undefined;

    const [recovered] = await pollEvery5Minutes(1);

    expect(during.map((s) => s.alertsOwed)).toEqual([1, 3, 3, 4]);
    expect(during.every((s) => s.alertsPublished === 0)).toBe(true);
    expect(recovered?.alertsPublished).toBe(4);
    // Oldest first; the finished job's two events of one poll are one message.
    const types = sns.accepted.map((m) => m.eventTypes.join('+'));
    expect(types).toEqual(['JOB_CREATED', 'JOB_STATUS_CHANGED+DELIVERY_STATUS_CHANGED', 'JOB_CREATED']);
    expect((await h.store.queryAudit({ jobId: second.id }))[0]?.publishAttempts).toBe(1);
    // Each failed run counted once per alert: 4 runs for the first, 3 for the two detected a poll later.
    expect((await h.store.queryAudit({ jobId: job.id })).map((r) => r.publishAttempts).sort()).toEqual([
      3, 3, 4,
    ]);
    await expectAllDeliveredOnce(4);
  });

  it('keeps alerts owed while the function may not publish (access denied, KMS) and delivers them once fixed', async () => {
    sns.outage = snsAccessDenied();
    h.sim.addRestoreJob(project, cluster);
    const denied = await pollEvery5Minutes(2);
    sns.outage = undefined;
    await pollEvery5Minutes(1);

    expect(denied.map((s) => [s.alertsFailed, s.alertsOwed])).toEqual([
      [1, 1],
      [1, 1],
    ]);
    const logged = h.logs.filter((l) => l.level === 'error' && /Alert not delivered/.test(l.message));
    expect(logged[0]?.extra?.error).toMatch(
      /check the topic ARN and the function's sns:Publish \(and KMS\) permissions/,
    );
    await expectAllDeliveredOnce(1);
  });

  it('retries entries that failed server-side inside a 200 and delivers them in the same run', async () => {
    const jobs = Array.from({ length: 12 }, () => h.sim.addRestoreJob(project, cluster));
    let failures = 0;
    // Every other entry fails once server-side.
    const failedOnce = new Set<string>();
    sns.verdict = (ids) => {
      const id = ids[0] ?? '';
      if (failures < 6 && !failedOnce.has(id)) {
        failedOnce.add(id);
        failures++;
        return 'server-fail';
      }
      return 'accept';
    };

    const [summary] = await pollEvery5Minutes(1);

    expect(failures).toBe(6);
    expect(summary?.alertsPublished).toBe(jobs.length);
    expect(summary?.alertsFailed).toBe(0);
    await expectAllDeliveredOnce(jobs.length);
  });

  it('keeps entries owed when they fail server-side on every attempt of a run, and delivers them next run', async () => {
    const jobs = Array.from({ length: 4 }, () => h.sim.addRestoreJob(project, cluster));
    const stubborn = new Set<string>();
    sns.verdict = (ids) => {
      const id = ids[0] ?? '';
      if (stubborn.size < 2) stubborn.add(id);
      return stubborn.has(id) ? 'server-fail' : 'accept';
    };

    const [first] = await pollEvery5Minutes(1);
    sns.verdict = () => 'accept';
    const [second] = await pollEvery5Minutes(1);

    expect([first?.alertsPublished, first?.alertsFailed, first?.alertsOwed]).toEqual([2, 2, 2]);
    expect([second?.alertsPublished, second?.alertsOwed]).toEqual([2, 0]);
    await expectAllDeliveredOnce(jobs.length);
  });

  it('does not let one message SNS rejects as invalid block the others, and reports it loudly every run', async () => {
    const jobs = Array.from({ length: 5 }, () => h.sim.addRestoreJob(project, cluster));
    let poison: string | undefined;
    sns.verdict = (ids) => {
      poison ??= ids[0];
      return ids[0] === poison ? 'sender-fail' : 'accept';
    };

    const runs = await pollEvery5Minutes(2);

    expect(runs.map((s) => [s.alertsPublished, s.alertsFailed, s.alertsOwed])).toEqual([
      [4, 1, 1],
      [0, 1, 1],
    ]);
    expect(sns.deliveredIds()).toHaveLength(4);
    expect(sns.deliveredIds()).not.toContain(poison);
    // Loud: an error line per run naming the event, and the reason kept on the audit record.
    const rejected = h.logs.filter(
      (l) => l.level === 'error' && /rejected by SNS; it stays owed and needs attention/.test(l.message),
    );
    expect(rejected.map((l) => l.extra?.eventIds)).toEqual([[poison], [poison]]);
    expect(rejected[0]?.extra?.retryable).toBe(false);
    const [record] = (await auditRecords(h)).filter((r) => r.eventId === poison);
    expect(record?.lastPublishError).toMatch(
      /SNS rejected the message \(InvalidParameter: .*\); it will not be retried/,
    );
    expect(record?.publishAttempts).toBe(2);
    expect(jobs).toHaveLength(5);
  });

  it('parks a message SNS rejected as invalid on every one of MAX_REJECTIONS runs, so it stops being retried', async () => {
    h.sim.addRestoreJob(project, cluster);
    h.sim.addRestoreJob(project, cluster);
    let poison: string | undefined;
    sns.verdict = (ids) => {
      poison ??= ids[0];
      return ids[0] === poison ? 'sender-fail' : 'accept';
    };

    const runs = await pollEvery5Minutes(MAX_REJECTIONS + 1);

    expect(runs.map((s) => [s.alertsFailed, s.alertsOwed, s.alertsAbandoned])).toEqual([
      ...Array.from({ length: MAX_REJECTIONS - 1 }, () => [1, 1, 0]),
      [1, 0, 1],
      [0, 0, 0],
    ]);
    expect(await h.store.listOwedEvents()).toEqual([]);
    const [record] = (await auditRecords(h)).filter((r) => r.eventId === poison);
    expect(record).toMatchObject({ rejections: MAX_REJECTIONS, abandonedAt: expect.any(String) });
    expect(record?.publishedAt).toBeUndefined();
    expect(
      h.logs
        .filter((l) => l.level === 'error' && /no longer retried/.test(l.message))
        .map((l) => l.extra?.eventId),
    ).toEqual([poison]);
  });

  it('counts only rejections of the message itself towards parking, not outages', async () => {
    h.sim.addRestoreJob(project, cluster);
    sns.outage = snsOutage();
    await pollEvery5Minutes(MAX_REJECTIONS); // failed attempts, none of them a rejection
    sns.outage = undefined;
    sns.verdict = () => 'sender-fail';

    const [rejectedOnce] = await pollEvery5Minutes(1);
    sns.verdict = () => 'accept';
    const [delivered] = await pollEvery5Minutes(1);

    expect(rejectedOnce).toMatchObject({ alertsFailed: 1, alertsAbandoned: 0, alertsOwed: 1 });
    expect(delivered).toMatchObject({ alertsPublished: 1, alertsOwed: 0 });
    const [record] = await auditRecords(h);
    expect(record).toMatchObject({ publishAttempts: MAX_REJECTIONS + 1, rejections: 1 });
    expect(record?.abandonedAt).toBeUndefined();
  });

  it('announces a recovery once while TARGET_FAILING and TARGET_RECOVERED both wait out an SNS outage', async () => {
    // Failing from the second failed poll on, so the streak began before TARGET_FAILING was detected.
    const two = h.config({
      targets: [{ projectId: project, clusterId: cluster, name: 'orders' }],
      alerts: { failingAfterPolls: 2 },
    });
    const pollTwo = async (times: number) => {
      for (let i = 0; i < times; i++) {
        await h.poll(two);
        h.clock.advanceMinutes(5);
      }
    };
    sns.outage = snsOutage();
    h.sim.removeCluster(project, cluster);
    await pollTwo(2); // failure, then TARGET_FAILING recorded and owed
    h.sim.addCluster({ projectId: project, clusterId: cluster, clusterName: 'orders' });
    await pollTwo(2); // TARGET_RECOVERED recorded; both still owed while SNS is down
    sns.outage = undefined;

    await pollTwo(2);

    const health = (await auditRecords(h)).filter((r) => r.eventType.startsWith('TARGET_'));
    expect(health.map((r) => r.eventType).sort()).toEqual(['TARGET_FAILING', 'TARGET_RECOVERED']);
    expect(sns.accepted.flatMap((m) => m.eventTypes).sort()).toEqual(['TARGET_FAILING', 'TARGET_RECOVERED']);
    expect(await h.store.listOwedEvents()).toEqual([]);
  });

  it('isolates a message that makes SNS refuse the whole PublishBatch call, and delivers the others', async () => {
    const jobs = Array.from({ length: 3 }, () => h.sim.addRestoreJob(project, cluster));
    let poison: string | undefined;
    sns.callFault = (entries) => {
      poison ??= entries[0]?.[0];
      if (!entries.some((ids) => ids.includes(poison ?? ''))) return undefined;
      return Object.assign(new Error('Invalid parameter: Message too long (injected)'), {
        name: 'InvalidParameterException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });
    };

    const [summary] = await pollEvery5Minutes(1);

    expect([summary?.alertsPublished, summary?.alertsFailed, summary?.alertsOwed]).toEqual([2, 1, 1]);
    expect(sns.deliveredIds()).toHaveLength(jobs.length - 1);
    expect(sns.deliveredIds()).not.toContain(poison);
    const [record] = (await auditRecords(h)).filter((r) => r.eventId === poison);
    expect(record?.lastPublishError).toMatch(
      /SNS rejected the message \(InvalidParameterException: .*\); it will not be retried/,
    );
  });
});
