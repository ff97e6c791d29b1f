/**
 * `restore-watch report` over a real DynamoDB table (dynalite) holding the known history of
 * report-scenario.ts, written through the real store: the numbers come back through `readPeriod`,
 * in every format; bad input is exit 2 with nothing written.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateTrail } from '../../bench/report-trail.ts';
import { DynamoStateStore } from '../../functions/adapters/dynamo/dynamo-state-store.ts';
import { buildRestoreReport } from '../../functions/core/report/build-report.ts';
import { CSV_HEADERS } from '../../functions/core/report/render-csv.ts';
import { REPORT_SCHEMA, type RestoreReport } from '../../functions/core/report/report-model.ts';
import { at, JOB, PERIOD, runScenario, scenarioPeriod, TARGET } from '../core/report/report-scenario.ts';
import { createTestTable, startDynalite, type TestDynamo } from '../support/dynalite.ts';
import { hasEmbeddedState, runCli, workDirs } from './cli-harness.ts';

let dynamo: TestDynamo;
let tableName: string;
const history = runScenario();
const NOW = () => new Date(at(601));
const PERIOD_ARGS = ['--since', PERIOD.since, '--until', PERIOD.until];

beforeAll(async () => {
  dynamo = await startDynalite();
  tableName = await createTestTable(dynamo.client);
  const store = new DynamoStateStore({ client: dynamo.client, tableName });
  await store.saveTargetStates([history.target]);
  await store.recordEvents(history.events);
  await store.saveJobStates(TARGET, history.jobs);
});
afterAll(() => dynamo.stop());
const dirs = workDirs();
afterEach(async () => {
  vi.unstubAllEnvs();
  await dirs.removeAll();
});

/**
 * The CLI on the scenario's table (see init.test.ts for why the SDK settings go on process.env), or
 * with `embedded`, on the embedded state of an empty folder: it must not even be created.
 */
async function report(args: readonly string[], options: { embedded?: boolean } = {}) {
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  vi.stubEnv('AWS_REGION', 'local');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  const cwd = await dirs.make();
  const env = options.embedded ? {} : { RESTORE_WATCH_TABLE: tableName };
  const result = await runCli(['report', ...args], { cwd, env, now: NOW });
  return { ...result, cwd };
}

describe('restore-watch report on a known history', () => {
  it('prints in JSON exactly the report built from the same records in memory', async () => {
    // Act
    const result = await report([...PERIOD_ARGS, '--format', 'json']);

    // Assess
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as RestoreReport;
    const expected = buildRestoreReport({
      period: PERIOD,
      generatedAt: NOW().toISOString(),
      targets: [scenarioPeriod(history)],
    });
    expect(printed).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(printed.schema).toBe(REPORT_SCHEMA);
    expect(printed.overall.restores).toMatchObject({ requested: 9, finished: 7, broken: 1, running: 1 });
    expect(printed.overall.duration?.median).toEqual({ lowMinutes: 50, highMinutes: 55 });
  });

  it('writes a CSV file with a header and one row per restore, and says where', async () => {
    // Act
    const result = await report([...PERIOD_ARGS, '--format', 'csv', '--output', 'restores.csv']);

    // Assess
    expect(result.code).toBe(0);
    const lines = (await readFile(join(result.cwd, 'restores.csv'), 'utf8')).trimEnd().split('\r\n');
    expect(lines[0]).toBe(CSV_HEADERS.join(','));
    expect(lines).toHaveLength(1 + 9);
    expect(result.stdout).toMatch(
      /^Wrote the csv report of 9 restores requested .* \(1 target\) to .*restores\.csv\n$/,
    );
  });

  it('prints text and Markdown that state the precision', async () => {
    // Act
    const text = await report([...PERIOD_ARGS]);
    const markdown = await report([...PERIOD_ARGS, '--format', 'md']);

    // Assess
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Precision: Cloud Manager does not record when a restore finished/m);
    expect(markdown.stdout).toContain('> **Precision.**');
  });

  it('writes one self-contained HTML file with the chart code inlined and no external reference', async () => {
    // Act
    const result = await report([...PERIOD_ARGS, '--format', 'html', '--output', 'report.html']);

    // Assess
    expect(result.code).toBe(0);
    const html = await readFile(join(result.cwd, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<script data-library="@observablehq/plot">');
    expect(html).not.toMatch(/\s(?:src|href)="(?!data:|#)/);
    expect(html).toContain(JOB.e);
  });

  it('reports one target when --target names it, and every target without it', async () => {
    // Act
    const one = await report([...PERIOD_ARGS, '--format', 'json', '--target', 'orders-prod']);

    // Assess
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as RestoreReport).targets.map((t) => t.target?.name)).toEqual([
      'orders-prod',
    ]);
  });
});

describe('restore-watch report with bad input', () => {
  it.each([
    [['--since', 'last tuesday'], '--since "last tuesday": use a duration back from now such as 90d'],
    [['--until', 'soon'], '--until "soon": use an ISO time'],
    [['--since', '2026-11-28T00:00:00Z', '--until', '2026-11-01T00:00:00Z'], 'must be before --until'],
    [['--format', 'pdf'], '--format "pdf": use one of text, md, csv, json, html'],
    [['--output', 'missing-folder/report.html'], 'the folder'],
    [['--json'], '--json does not apply to "report"'],
  ])('exits 2 for %j before opening any state', async (args, message) => {
    // Act
    const result = await report(args, { embedded: true });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
    expect(hasEmbeddedState(result.cwd)).toBe(false);
  });

  it('exits 2 naming the known targets when --target matches none', async () => {
    // Act
    const result = await report(['--target', 'billing', '--output', 'report.txt']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--target "billing": no known target has that cluster id');
    expect(result.stderr).toContain('(known: orders-prod)');
    expect(existsSync(join(result.cwd, 'report.txt'))).toBe(false);
  });

  it('lists every problem of the period and format at once', async () => {
    // Act
    const result = await report(['--since', 'x', '--until', 'y', '--format', 'pdf'], { embedded: true });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--since "x"');
    expect(result.stderr).toContain('--until "y"');
    expect(result.stderr).toContain('--format "pdf"');
  });
});

describe('restore-watch report on a generated 400-day trail', () => {
  const END = Date.parse('2026-11-28T08:00:00.000Z');
  const trail = generateTrail({ targets: 3, days: 400, events: 3_000, endMs: END, seed: 5 });
  let trailTable: string;

  beforeAll(async () => {
    trailTable = await createTestTable(dynamo.client);
    const store = new DynamoStateStore({ client: dynamo.client, tableName: trailTable });
    await store.saveTargetStates(trail.targets);
    await store.recordEvents(trail.events);
    for (const target of trail.targets) {
      await store.saveJobStates(
        target,
        trail.jobs.filter((job) => job.target.clusterId === target.clusterId).map((job) => job.state),
      );
    }
  }, 60_000);

  async function trailReport(format: string) {
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
    vi.stubEnv('AWS_REGION', 'local');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    const cwd = await dirs.make();
    return runCli(['report', '--since', '90d', '--format', format], {
      cwd,
      env: { RESTORE_WATCH_TABLE: trailTable },
      now: () => new Date(END),
    });
  }

  it('reports, in every format, exactly the restores requested in the last 90 days', async () => {
    // Prepare: what the trail holds for the period, counted from the generator's own records.
    const since = new Date(END - 90 * 86_400_000).toISOString();
    const requested = trail.jobs.filter(
      (job) =>
        (job.state.snapshot.created ?? '') >= since && job.state.firstSeenAt < new Date(END).toISOString(),
    ).length;

    // Act
    const results = Object.fromEntries(
      await Promise.all(
        ['text', 'md', 'csv', 'json', 'html'].map(async (f) => [f, await trailReport(f)] as const),
      ),
    );

    // Assess
    for (const result of Object.values(results)) expect(result.code).toBe(0);
    const json = JSON.parse(results.json?.stdout ?? '') as RestoreReport;
    expect(requested).toBeGreaterThan(100);
    expect(json.overall.restores.requested).toBe(requested);
    expect(json.targets).toHaveLength(3);
    expect(json.overall.duration?.count).toBeGreaterThan(50);
    expect(json.batches.length).toBeGreaterThan(0);
    expect(results.csv?.stdout.trimEnd().split('\r\n')).toHaveLength(1 + requested);
    expect(results.text?.stdout).toContain(`all targets  ${requested} `);
    expect(results.md?.stdout).toContain(`| **all targets** | ${requested} |`);
    expect(results.html?.stdout).toContain(`${requested} restores requested in the period`);
  }, 60_000);
});
