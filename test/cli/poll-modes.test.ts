/**
 * Every combination a user can pick for `restore-watch poll`: `--dry-run` or not, `--json` or not, a
 * topic configured (RESTORE_WATCH_TOPIC_ARN, delivered to a real local SNS endpoint) or not. The dry
 * run that published through the production topic was one untested combination; this file is all of
 * them. What must hold in each:
 *
 * - a dry run sends nothing to SNS, writes nothing to the state, and shows every alert it would send;
 * - a live run with a topic publishes every alert to SNS and prints none;
 * - a live run without a topic prints every alert;
 * - with --json, stdout is exactly one JSON document (alerts, if printed, go to stderr).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PollSummary } from '../../functions/core/poll.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { VirtualClock } from '../support/harness.ts';
import { LocalSns } from '../support/local-aws/local-sns.ts';
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
let topicArn: string;
beforeAll(async () => {
  sim = new CloudManagerSimulator({ apiKeys: [{ ...API_KEY }], now: clock.now });
  await sim.start();
  sns = new LocalSns();
  await sns.start();
  topicArn = sns.createTopic('restore-watch-alerts');
});
afterAll(async () => {
  await sim.stop();
  await sns.stop();
});
const dirs = workDirs();
afterEach(async () => {
  vi.unstubAllEnvs();
  sns.reset();
  await dirs.removeAll();
});

/** A baselined target with two new restore jobs since: two alerts are due. */
async function prepare(withTopic: boolean) {
  const cwd = await dirs.make();
  const project = addProject(sim, 'orders-prod');
  await writeConfig(cwd, configFor(sim, project));
  // The CLI's SNS client takes its endpoint, region and credentials from the process environment.
  for (const [name, value] of Object.entries(sns.env())) vi.stubEnv(name, value);
  const env = { ...CREDENTIALS_ENV, ...(withTopic ? { RESTORE_WATCH_TOPIC_ARN: topicArn } : {}) };
  const poll = (...args: string[]) => runCli(['poll', ...args], { cwd, now: clock.now, env });
  expect((await poll('--json')).code).toBe(0);
  sns.reset();
  const cluster = project.clusters[0]?.id ?? '';
  const jobs = [sim.addRestoreJob(project.projectId, cluster), sim.addRestoreJob(project.projectId, cluster)];
  return { cwd, poll, jobs };
}

const snsCalls = () => sns.callCount('Publish') + sns.callCount('PublishBatch');
/** The number of rendered alerts in some output: each Slack card carries the event type keyword. */
const printedAlerts = (text: string) => text.match(/\[info\] \[JOB_CREATED\] \[orders-prod\]/g)?.length ?? 0;

const modes = [false, true].flatMap((dryRun) =>
  [false, true].flatMap((json) => [false, true].map((topic) => ({ dryRun, json, topic }))),
);

describe.each(modes)(
  'restore-watch poll (dry run: $dryRun, --json: $json, topic: $topic)',
  ({ dryRun, json, topic }) => {
    it(
      dryRun
        ? 'sends nothing, writes nothing, and shows every alert it would send'
        : 'delivers every alert once, where it should go',
      async () => {
        // Prepare
        const { cwd, poll, jobs } = await prepare(topic);
        const before = await embeddedItems(cwd);

        // Act
        const result = await poll(...(dryRun ? ['--dry-run'] : []), ...(json ? ['--json'] : []));

        // Assess: exit code, stdout shape
        expect(result.code).toBe(0);
        const summary = json
          ? (JSON.parse(result.stdout) as PollSummary & { wouldPublish?: unknown[] })
          : undefined;
        if (json) expect(summary).toMatchObject({ dryRun, eventsDetected: jobs.length });
        const alertsOut = json ? result.stderr : result.stdout;

        if (dryRun) {
          expect(snsCalls()).toBe(0);
          expect(sns.messages).toEqual([]);
          expect(await embeddedItems(cwd)).toEqual(before);
          expect(printedAlerts(alertsOut)).toBe(jobs.length);
          if (json) {
            expect(summary?.lease).toBe('not-used');
            expect(summary?.wouldPublish).toHaveLength(jobs.length);
          } else {
            expect(result.stdout).toContain(
              topic
                ? `A live poll would publish 2 alerts to ${topicArn}; this dry run sent nothing.`
                : 'A live poll would print 2 alerts (RESTORE_WATCH_TOPIC_ARN is not set); this dry run wrote nothing.',
            );
          }
          return;
        }

        expect(auditItems(await embeddedItems(cwd))).toHaveLength(jobs.length);
        if (topic) {
          expect(sns.messagesFor(topicArn)).toHaveLength(jobs.length);
          expect(printedAlerts(result.stdout + result.stderr)).toBe(0);
        } else {
          expect(snsCalls()).toBe(0);
          expect(printedAlerts(alertsOut)).toBe(jobs.length);
        }
        if (json)
          expect(summary).toMatchObject({ lease: 'acquired', alertsPublished: jobs.length, alertsOwed: 0 });
      },
    );
  },
);
