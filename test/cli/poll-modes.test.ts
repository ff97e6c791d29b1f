/**
 * Every combination a user can pick for `restore-watch poll`: `--dry-run` or not, `--json` or not, a
 * topic configured (RESTORE_WATCH_TOPIC_ARN, delivered to a real local SNS endpoint) or not, a
 * PagerDuty routing key configured (PAGERDUTY_ROUTING_KEY, delivered to a local Events API v2
 * endpoint) or not. The dry run that published through the production topic was one untested
 * combination; this file is all of them. What must hold in each:
 *
 * - a dry run sends nothing to SNS or PagerDuty, writes nothing to the state, shows every alert it
 *   would send, and with PagerDuty every event PagerDuty would receive, the routing key redacted;
 * - a live run with a topic publishes every alert to SNS and prints none;
 * - a live run without a topic prints every alert;
 * - a live run with PagerDuty pages the broken restore, once per event, under one dedup key;
 * - with --json, stdout is exactly one JSON document (alerts, if printed, go to stderr);
 * - the routing key is printed nowhere.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PollSummary } from '../../functions/core/poll.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { VirtualClock } from '../support/harness.ts';
import { LocalSns } from '../support/local-aws/local-sns.ts';
import { LocalPagerDuty, TEST_ROUTING_KEY } from '../support/local-pagerduty/local-pagerduty.ts';
import {
  API_KEY,
  addProject,
  auditItems,
  CREDENTIALS_ENV,
  configFor,
  embeddedItems,
  runCli,
  workDirs,
  writeConfig,
} from './cli-harness.ts';

const clock = new VirtualClock();
let sim: CloudManagerSimulator;
let sns: LocalSns;
let pd: LocalPagerDuty;
let topicArn: string;
beforeAll(async () => {
  sim = new CloudManagerSimulator({ apiKeys: [{ ...API_KEY }], now: clock.now });
  await sim.start();
  sns = new LocalSns();
  await sns.start();
  topicArn = sns.createTopic('restore-watch-alerts');
  pd = new LocalPagerDuty();
  await pd.start();
});
afterAll(async () => {
  await sim.stop();
  await sns.stop();
  await pd.stop();
});
const dirs = workDirs();
afterEach(async () => {
  vi.unstubAllEnvs();
  sns.reset();
  pd.reset();
  await dirs.removeAll();
});

/**
 * A baselined target with two new restore jobs since, one of them broken: two messages are due (one
 * per job), four events, and the broken one pages (two triggers of one incident).
 */
async function prepare(withTopic: boolean, withPagerDuty: boolean) {
  const cwd = await dirs.make();
  const project = addProject(sim, 'orders-prod');
  await writeConfig(cwd, configFor(sim, project));
  // The CLI's SNS client takes its endpoint, region and credentials from the process environment.
  for (const [name, value] of Object.entries(sns.env())) vi.stubEnv(name, value);
  const env = {
    ...CREDENTIALS_ENV,
    ...(withTopic ? { RESTORE_WATCH_TOPIC_ARN: topicArn } : {}),
    ...(withPagerDuty ? { PAGERDUTY_ROUTING_KEY: TEST_ROUTING_KEY, PAGERDUTY_EVENTS_URL: pd.eventsUrl } : {}),
  };
  const poll = (...args: string[]) => runCli(['poll', ...args], { cwd, now: clock.now, env });
  expect((await poll('--json')).code).toBe(0);
  sns.reset();
  pd.reset();
  const cluster = project.clusters[0]?.id ?? '';
  const jobs = [sim.addRestoreJob(project.projectId, cluster), sim.addRestoreJob(project.projectId, cluster)];
  sim.breakJob(jobs[1]?.id ?? '');
  return { cwd, poll, jobs };
}

const EVENTS = 4;
const MESSAGES = 2;
const snsCalls = () => sns.callCount('Publish') + sns.callCount('PublishBatch');
/** The number of rendered messages in some output: each Slack card ends with its keywords. */
const printedAlerts = (text: string) =>
  text.match(/\[(info|warning|critical)\]( \[[A-Z_]+\])+ \[orders-prod\]/g)?.length ?? 0;

const modes = [false, true].flatMap((dryRun) =>
  [false, true].flatMap((json) =>
    [false, true].flatMap((topic) => [false, true].map((pagerduty) => ({ dryRun, json, topic, pagerduty }))),
  ),
);

describe.each(modes)(
  'restore-watch poll (dry run: $dryRun, --json: $json, topic: $topic, PagerDuty: $pagerduty)',
  ({ dryRun, json, topic, pagerduty }) => {
    it(
      dryRun
        ? 'sends nothing, writes nothing, and shows every alert it would send'
        : 'delivers every alert once, where it should go',
      async () => {
        // Prepare
        const { cwd, poll, jobs } = await prepare(topic, pagerduty);
        const before = await embeddedItems(cwd);

        // Act
        const result = await poll(...(dryRun ? ['--dry-run'] : []), ...(json ? ['--json'] : []));

        // Assess: exit code, stdout shape, the routing key nowhere
        expect(result.code).toBe(0);
        expect(result.stdout + result.stderr).not.toContain(TEST_ROUTING_KEY);
        const summary = json
          ? (JSON.parse(result.stdout) as PollSummary & { wouldPublish?: unknown[]; wouldPage?: unknown[] })
          : undefined;
        if (json) expect(summary).toMatchObject({ dryRun, eventsDetected: EVENTS });
        const alertsOut = json ? result.stderr : result.stdout;
        const brokenKey = `job/${jobs[1]?.id}/failed`;

        if (dryRun) {
          expect(snsCalls()).toBe(0);
          expect(sns.messages).toEqual([]);
          expect(pd.calls).toBe(0);
          expect(await embeddedItems(cwd)).toEqual(before);
          expect(printedAlerts(alertsOut)).toBe(MESSAGES);
          if (pagerduty) {
            // What PagerDuty would receive: the broken job's two triggers, one dedup key, key redacted.
            const pages = json
              ? (summary?.wouldPage as Array<Record<string, unknown>>)
              : [...alertsOut.matchAll(/"dedup_key": "([^"]+)"/g)].map((m) => ({ dedup_key: m[1] }));
            expect(pages).toHaveLength(2);
            for (const page of pages) expect(String(page.dedup_key)).toMatch(new RegExp(`/${brokenKey}$`));
            if (json) expect(pages.every((page) => page.routing_key === '[redacted]')).toBe(true);
            else expect(alertsOut).toContain('"routing_key": "[redacted]"');
          } else {
            expect(summary?.wouldPage).toBeUndefined();
            expect(alertsOut).not.toContain('PagerDuty would receive');
          }
          if (json) {
            expect(summary?.lease).toBe('not-used');
            expect(summary?.wouldPublish).toHaveLength(MESSAGES);
          } else {
            expect(result.stdout).toContain(
              topic
                ? `A live poll would publish 2 alerts to ${topicArn}; this dry run sent nothing.`
                : 'A live poll would print 2 alerts (RESTORE_WATCH_TOPIC_ARN is not set); this dry run wrote nothing.',
            );
            if (pagerduty)
              expect(result.stdout).toContain('It would send 2 events to PagerDuty; this dry run sent none.');
          }
          return;
        }

        expect(auditItems(await embeddedItems(cwd))).toHaveLength(EVENTS);
        if (topic) {
          expect(sns.messagesFor(topicArn)).toHaveLength(MESSAGES);
          expect(printedAlerts(result.stdout + result.stderr)).toBe(0);
        } else {
          expect(snsCalls()).toBe(0);
          expect(printedAlerts(alertsOut)).toBe(MESSAGES);
        }
        if (pagerduty) {
          expect(pd.events.map((e) => [e.event_action, e.dedup_key.endsWith(`/${brokenKey}`)])).toEqual([
            ['trigger', true],
            ['trigger', true],
          ]);
          expect(pd.openAlerts()).toHaveLength(1);
        } else {
          expect(pd.calls).toBe(0);
        }
        if (json) {
          expect(summary).toMatchObject({ lease: 'acquired', alertsPublished: EVENTS, alertsOwed: 0 });
          if (pagerduty)
            expect(summary?.pagerduty).toEqual({ published: 2, failed: 0, abandoned: 0, owed: 0 });
        }
      },
    );
  },
);
