/**
 * `restore-watch demo --fast`: the zero-setup tour (`npm start` without a configuration file) runs to
 * the end and shows every event type it promises, incidents opening and resolving, a silence, then
 * the incidents, status and audit views.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_REPORT_FILE } from '../../functions/cli/commands/demo.ts';
import { type CliResult, hasEmbeddedState, runCli, workDirs } from './cli-harness.ts';

const dirs = workDirs();
let cwd: string;
let result: CliResult;

beforeAll(async () => {
  cwd = await dirs.make();
  // No credentials, no configuration: the demo brings its own simulator and in-memory DynamoDB.
  result = await runCli(['demo', '--fast'], { cwd, env: {}, now: () => new Date('2026-11-28T08:00:00Z') });
});
afterAll(() => dirs.removeAll());

describe('restore-watch demo --fast', () => {
  it('runs to completion with exit 0 and nothing on stderr', () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/That was \d+ audit events from 11 polls\./);
  });

  it.each([
    ['JOB_CREATED'],
    ['JOB_STATUS_CHANGED'],
    ['DELIVERY_STATUS_CHANGED'],
    ['DELIVERY_EXPIRING'],
    ['JOB_STUCK'],
    ['BATCH_COMPLETED'],
    ['TARGET_FAILING'],
    ['TARGET_RECOVERED'],
    ['INCIDENT_RESOLVED'],
  ])('renders a %s alert', (eventType) => {
    // Every rendered Slack card ends with its keywords: [severity] [every eventType] [target].
    expect(result.stdout).toMatch(
      new RegExp(
        `^│ \\[(info|warning|critical)\\]( \\[[A-Z_]+\\])* \\[${eventType}\\]( \\[[A-Z_]+\\])* \\[`,
        'm',
      ),
    );
  });

  it('opens and resolves incidents along the way, and says so after each poll', () => {
    expect(result.stdout).toMatch(/incidents: 2 opened, 0 resolved/);
    expect(result.stdout).toMatch(/incidents: 0 opened, 2 resolved/);
    expect(result.stdout).toMatch(/=== What `restore-watch incidents` shows now .*\nSEVERITY {2}INCIDENT/);
    expect(result.stdout).toMatch(/^warning +job\/[0-9a-f]{24}\/stuck +orders-prod /m);
  });

  it('keeps a DR drill quiet with a silence: recorded as silenced, sent nowhere', () => {
    expect(result.stdout).toMatch(/\$ restore-watch silence add --target payments --for 2h/);
    expect(result.stdout).toMatch(
      /0 alerts published, 0 still owed\n {2}incidents: 1 opened, 0 resolved, 0 reminded; 3 events silenced/,
    );
    expect(result.stdout).toMatch(/^critical +job\/[0-9a-f]{24}\/failed +payments .* nowhere \(silenced\)/m);
    expect(result.stdout).toMatch(/silenced by s-[0-9a-f]{8}/);
  });

  it('shows the first alert as email and Slack, and publishes nothing on the unchanged last poll', () => {
    expect(result.stdout.match(/Email {2}Subject: /g)).toHaveLength(1);
    expect(result.stdout).toMatch(
      /=== Step 11 .* nothing is published\n--- polled 2 targets .* 0 events detected, 0 alerts published, 0 still owed\n/,
    );
  });

  it('ends with the status and audit tables', () => {
    const status = result.stdout.indexOf('=== What `restore-watch status` shows now\nTARGET  ');
    const audit = result.stdout.indexOf(
      '=== What `restore-watch audit` shows now (newest first)\nDETECTED  ',
    );
    expect(status).toBeGreaterThan(0);
    expect(audit).toBeGreaterThan(status);
    expect(result.stdout.slice(status, audit)).toMatch(/^payments +[0-9a-f]{24} +BROKEN +FAILED/m);
    expect(result.stdout.slice(audit)).toMatch(/^\S+ \S+ +critical +BATCH_COMPLETED +payments /m);
  });

  it('ends by writing the HTML report of what it did, and says where', async () => {
    const path = join(cwd, DEMO_REPORT_FILE);
    const section = result.stdout.indexOf('=== What `restore-watch report --format html` makes of it\n');
    expect(section).toBeGreaterThan(result.stdout.indexOf('=== What `restore-watch audit` shows now'));
    expect(result.stdout.slice(section)).toContain(
      `with charts, in one file that needs no network: ${path}\n`,
    );
    const html = await readFile(path, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<script data-library="@observablehq/plot">');
    // Seven restores: the forgotten one, two of orders-prod, a sharded batch of three, and the one
    // that breaks during the silenced DR drill.
    expect(html).toContain('7 restores requested in the period');
  });

  it('keeps no state in the working folder', () => {
    expect(hasEmbeddedState(cwd)).toBe(false);
  });
});
