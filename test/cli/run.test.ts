/**
 * `restore-watch run` polls on a schedule until interrupted. The test drives the interrupt signal:
 * it aborts as soon as the first poll's summary is printed, which is what Ctrl-C does mid-wait.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PollSummary } from '../../functions/core/poll.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import {
  API_KEY,
  addProject,
  configFor,
  embeddedItems,
  hasEmbeddedState,
  runCli,
  workDirs,
  writeConfig,
} from './cli-harness.ts';

let sim: CloudManagerSimulator;
beforeAll(async () => {
  sim = new CloudManagerSimulator({ apiKeys: [{ ...API_KEY }] });
  await sim.start();
});
afterAll(() => sim.stop());
const dirs = workDirs();
afterEach(() => dirs.removeAll());

describe('restore-watch run', () => {
  it('stops with exit 0 when interrupted while waiting for the next poll', async () => {
    // Prepare
    const cwd = await dirs.make();
    const project = addProject(sim, 'orders-prod');
    await writeConfig(cwd, configFor(sim, project));
    const interrupt = new AbortController();

    // Act: Ctrl-C as soon as the first poll reports.
    const result = await runCli(['run', '--every', '10s'], {
      cwd,
      interrupted: interrupt.signal,
      onStdout: (text) => {
        if (/^\[\S+\] polled /m.test(text)) interrupt.abort();
      },
    });

    // Assess: exactly one poll ran, its state was saved, and the embedded database was closed.
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^restore-watch: polling 1 configured target\(s\) every 10 s; state in embedded DynamoDB under \.restore-watch\/; alerts printed here\. Ctrl-C stops\.\n$/,
    );
    expect(result.stdout.match(/polled 1 target/g)).toHaveLength(1);
    expect(result.stdout).toMatch(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] polled 1 target .* 1 ok, 0 failed/);
    expect(hasEmbeddedState(cwd)).toBe(true);
    const items = await embeddedItems(cwd);
    expect(items.map((item) => item.pk?.S)).toContain(
      `TARGET#${project.projectId}#${project.clusters[0]?.id}`,
    );
  });

  it('prints one JSON summary line per poll with --json, alerts going to stderr', async () => {
    // Prepare: a downloadable link expiring within the hour warns even on the first (baseline) poll.
    const cwd = await dirs.make();
    const project = addProject(sim, 'orders-prod');
    const job = sim.addRestoreJob(project.projectId, project.clusters[0]?.id ?? '');
    sim.finishJob(job.id, { expirationHours: 1 });
    await writeConfig(cwd, configFor(sim, project));
    const interrupt = new AbortController();

    const result = await runCli(['run', '--every', '10s', '--json'], {
      cwd,
      interrupted: interrupt.signal,
      onStdout: () => interrupt.abort(),
    });

    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0] ?? '') as PollSummary;
    expect(summary.targets).toEqual({ total: 1, ok: 1, failed: 0, skipped: 0 });
    expect(summary.events.map((e) => e.eventType)).toEqual(['DELIVERY_EXPIRING']);
    expect(result.stderr).toContain('[warning] [DELIVERY_EXPIRING] [orders-prod]');
  });

  it('does not poll at all when interrupted before it starts', async () => {
    const cwd = await dirs.make();
    await writeConfig(cwd, configFor(sim, addProject(sim, 'orders-prod')));
    const interrupt = new AbortController();
    interrupt.abort();
    const requestsBefore = sim.requests.length;

    const result = await runCli(['run'], { cwd, interrupted: interrupt.signal });

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(sim.requests.length).toBe(requestsBefore);
  });
});
