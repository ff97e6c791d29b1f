/**
 * `npm run bench`: the poll's cost, measured against the simulator and dynalite on loopback. Not a
 * test: it asserts nothing and never fails on a missed target; it prints one table, the targets of
 * issue 6 with their margins, and writes `bench/results.json`.
 *
 *   node bench/run.ts                      every scenario, full size (a few minutes)
 *   node bench/run.ts --quick              the same, scaled down (seconds); results not saved
 *   node bench/run.ts --scenario steady    one scenario (repeat the flag or use commas for more)
 *   node bench/run.ts --latency 50 --concurrency 16
 *   node bench/run.ts --cpu-prof /tmp/prof CPU profiles of each poll process (readable names)
 *
 * See bench/README.md for what each column means and the last results on the reference machine.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MEMORY_MB } from '../lib/monitor-function.ts';
import {
  bundleHandler,
  bundlePollChild,
  median,
  REPO_ROOT,
  removeTempDirs,
  tempDir,
  timeImports,
} from './bundle.ts';
import {
  type ColdStart,
  checkColdStart,
  checkFleetLatency,
  checkPoll,
  checkReport,
  checkShards,
  formatChecks,
  formatReportTable,
  formatShards,
  formatTable,
  type TargetCheck,
} from './report.ts';
import { measureReport, REPORT_FULL, REPORT_QUICK, type ReportRecord } from './report-bench.ts';
import {
  type BenchEnvironment,
  type BenchSizes,
  type Fleet,
  type FleetSpec,
  FULL_SIZES,
  finishJobs,
  forkedPoll,
  lambdaHeapFlags,
  type MeasureOptions,
  measurePoll,
  measureShards,
  type PollRecord,
  type PollRunner,
  QUICK_SIZES,
  type ShardsRecord,
  seedFleet,
  startBenchEnvironment,
} from './scenarios.ts';

export const SCENARIOS = [
  'steady',
  'first-poll',
  'storm',
  'long-history',
  'fleet-latency',
  'shards',
  'cold-start',
  'report',
] as const;
type ScenarioId = (typeof SCENARIOS)[number];

const USAGE = `Usage: node bench/run.ts [options]
  --scenario ID          ${SCENARIOS.join(' | ')} (repeatable, or comma-separated; default: all)
  --quick                scaled-down sizes for a smoke run; results are not written unless --out is given
  --latency MS           simulated Cloud Manager latency per request (default 25)
  --concurrency N        targets polled at once (default: the poll's own default)
  --requests-per-minute N  the client's per-project limit (default 100, as the configuration)
  --import-runs N        fresh processes for the import timing (default 5)
  --out FILE             where to write the results (default bench/results.json for full runs)
  --cpu-prof DIR         write a CPU profile of every poll process into DIR
  --lambda-memory MB     run each poll with the V8 limits Lambda sets for a function of this memory
                         (default: the stack's, ${DEFAULT_MEMORY_MB}; 0: Node's own limits)
  --max-old-space MB     V8 old-space limit of the poll processes instead (overrides --lambda-memory)
  --help`;

interface Options {
  scenarios: Set<ScenarioId>;
  quick: boolean;
  latencyMs: number;
  concurrency?: number;
  requestsPerMinute: number;
  importRuns: number;
  out?: string;
  cpuProf?: string;
  maxOldSpaceMb?: number;
  lambdaMemoryMb: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      latency: { type: 'string', default: '25' },
      concurrency: { type: 'string' },
      'requests-per-minute': { type: 'string', default: '100' },
      'import-runs': { type: 'string', default: '5' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'max-old-space': { type: 'string' },
      'lambda-memory': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const number = (name: string, text: string | undefined, min: number): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min)
      throw new Error(`--${name} must be a number ≥ ${min}, got "${text}"`);
    return value;
  };
  const requested = (values.scenario ?? []).flatMap((s) => s.split(',')).map((s) => s.trim());
  const unknown = requested.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new Error(`unknown scenario ${unknown.join(', ')}: use ${SCENARIOS.join(', ')}`);
  const concurrency = number('concurrency', values.concurrency, 1);
  const maxOldSpaceMb = number('max-old-space', values['max-old-space'], 16);
  const all = requested.length === 0;
  return {
    scenarios: new Set((all ? SCENARIOS : requested) as ScenarioId[]),
    quick: values.quick === true,
    latencyMs: number('latency', values.latency, 0) ?? 25,
    ...(concurrency !== undefined ? { concurrency } : {}),
    requestsPerMinute: number('requests-per-minute', values['requests-per-minute'], 1) ?? 100,
    importRuns: number('import-runs', values['import-runs'], 1) ?? 5,
    // Only a full run of everything replaces the committed results by default.
    ...(values.out
      ? { out: values.out }
      : all && !values.quick
        ? { out: join(REPO_ROOT, 'bench', 'results.json') }
        : {}),
    ...(values['cpu-prof'] ? { cpuProf: values['cpu-prof'] } : {}),
    ...(maxOldSpaceMb !== undefined ? { maxOldSpaceMb } : {}),
    lambdaMemoryMb: number('lambda-memory', values['lambda-memory'], 0) ?? DEFAULT_MEMORY_MB,
  };
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function measureColdStart(options: Options): Promise<ColdStart> {
  log('cold start: bundling functions/handler.ts as the stack does');
  const bundled = await bundleHandler(tempDir('restore-watch-bench-bundle-'), false);
  const external = await bundleHandler(tempDir('restore-watch-bench-bundle-sdk-'), true);
  log(`cold start: importing the bundle in ${options.importRuns} fresh processes`);
  const runs = await timeImports(bundled.file, options.importRuns);
  const externalRuns = await timeImports(external.file, options.importRuns);
  const round1 = (value: number) => Math.round(value * 10) / 10;
  return {
    entry: bundled.entry,
    bundleBytes: bundled.bytes,
    bundleBytesExternalSdk: external.bytes,
    importMsMedian: round1(median(runs.map((r) => r.importMs))),
    importMsRuns: runs.map((r) => round1(r.importMs)),
    processMsMedian: round1(median(runs.map((r) => r.processMs))),
    importMsMedianExternalSdk: round1(median(externalRuns.map((r) => r.importMs))),
    largest: bundled.largest,
  };
}

interface FleetStep {
  scenario: string;
  title: string;
  hasTargets: boolean;
  /** Report this poll (otherwise it only prepares the next one). */
  report: boolean;
  /** Unmeasured polls in the same process first (a warm container); 0 for a cold one. */
  warmups: number;
  before?: (fleet: Fleet, env: Awaited<ReturnType<typeof startBenchEnvironment>>) => void;
  /** Simulated latency from this step on (default: `--latency`). */
  latencyMs?: number;
}

async function runFleet(
  spec: FleetSpec,
  steps: FleetStep[],
  options: Options,
  runner: PollRunner,
  extra: {
    requestsPerMinutePerProject?: number;
    /** More measurements in the same environment, after the steps. */
    after?: (fleet: Fleet, env: BenchEnvironment) => Promise<void>;
  } = {},
): Promise<PollRecord[]> {
  const env = await startBenchEnvironment({
    latencyMs: options.latencyMs,
    ...(extra.requestsPerMinutePerProject !== undefined
      ? { requestsPerMinutePerProject: extra.requestsPerMinutePerProject }
      : {}),
  });
  const records: PollRecord[] = [];
  try {
    const seeded = performance.now();
    const fleet = seedFleet(env.sim, spec);
    log(
      `seeded ${fleet.targets.length} targets × ${spec.jobsPerTarget} jobs in ${spec.projects} projects (${Math.round(performance.now() - seeded)} ms)`,
    );
    for (const step of steps) {
      const before = step.before;
      env.sim.latencyMs = step.latencyMs ?? options.latencyMs;
      // A period passes between two polls (the client's clock moves on in the poll process too).
      env.advanceClock(5 * 60_000);
      const measureOptions: MeasureOptions = {
        scenario: step.scenario,
        title: step.title,
        hasTargets: step.hasTargets,
        warmups: step.warmups,
        ...(before ? { before: () => before(fleet, env) } : {}),
        latencyMs: env.sim.latencyMs,
        requestsPerMinute: options.requestsPerMinute,
        runner,
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      };
      const record = await measurePoll(env, fleet, measureOptions);
      log(
        `${step.scenario}${step.report ? '' : ' (preparation)'}: wall ${Math.round(record.wallMs)} ms, bound ${Math.round(record.bound.ms)} ms, ${record.summary.eventsDetected} events, ${record.summary.targets.failed} failed targets, CPU ${record.pollCpuMs} ms, GC ${record.memory.gc.pauseMs} ms (${record.memory.gc.minor} young, ${record.memory.gc.major} major or incremental)`,
      );
      if (record.summary.targets.failed > 0 || record.summary.lease !== 'acquired') {
        throw new Error(
          `the ${step.scenario} poll did not run cleanly (lease ${record.summary.lease}, ${record.summary.targets.failed} failed targets: ${record.summary.failedTargets
            .slice(0, 3)
            .map((f) => f.error)
            .join('; ')}); its numbers would mean nothing`,
        );
      }
      if (!record.dynamodb.consistent) {
        log(
          `warning: ${step.scenario}: the proxy's DynamoDB counts differ from the store's + lease's (SDK retries?)`,
        );
      }
      if (step.report) records.push(record);
    }
    await extra.after?.(fleet, env);
  } finally {
    await env.stop();
  }
  return records;
}

function fleetSteps(selected: Set<ScenarioId>, sizes: BenchSizes): FleetStep[] {
  const steps: FleetStep[] = [
    {
      scenario: 'first-poll',
      title: 'first poll of the fleet (baseline writes)',
      hasTargets: false,
      report: selected.has('first-poll'),
      warmups: 0,
    },
  ];
  if (selected.has('steady')) {
    steps.push({
      scenario: 'steady',
      title: 'steady fleet, nothing changed since the last poll',
      hasTargets: true,
      report: true,
      warmups: 1,
    });
  }
  if (selected.has('storm')) {
    steps.push({
      scenario: 'storm',
      title: `change storm: ${sizes.stormJobs} jobs finish`,
      hasTargets: true,
      report: true,
      warmups: 1,
      before: (fleet, env) => {
        const finished = finishJobs(env.sim, fleet, sizes.stormJobs);
        log(`storm: finished ${finished} jobs`);
      },
    });
  }
  return steps;
}

/** V8 flags of the poll processes: `--max-old-space`, else Lambda's limits for `--lambda-memory`. */
function heapFlags(options: Options): string[] {
  if (options.maxOldSpaceMb !== undefined) return [`--max-old-space-size=${options.maxOldSpaceMb}`];
  return options.lambdaMemoryMb > 0 ? lambdaHeapFlags(options.lambdaMemoryMb) : [];
}

/**
 * `fleet-latency` and `shards`, in one environment: the large fleet's first poll (context), then a
 * warm steady poll at 0 ms and one at the slow latency, then the same fleet as shards polled at once
 * at the slow latency. Cloud Manager's own per-project limit is on, so a 429 would show.
 */
async function runLarge(
  sizes: BenchSizes,
  options: Options,
  runner: PollRunner,
): Promise<{ records: PollRecord[]; shards?: ShardsRecord }> {
  const fleetLatency = options.scenarios.has('fleet-latency');
  let shards: ShardsRecord | undefined;
  const records = await runFleet(
    sizes.large,
    [
      {
        scenario: 'fleet-latency-first',
        title: 'large fleet, first poll (baseline writes)',
        hasTargets: false,
        report: fleetLatency,
        warmups: 0,
        latencyMs: 0,
      },
      ...(fleetLatency
        ? [
            {
              scenario: 'fleet-latency-0ms',
              title: 'large fleet, nothing changed, no latency',
              hasTargets: true,
              report: true,
              warmups: 0,
              latencyMs: 0,
            },
            {
              scenario: 'fleet-latency-slow',
              title: `large fleet, nothing changed, ${sizes.slowLatencyMs} ms per request`,
              hasTargets: true,
              report: true,
              warmups: 0,
              latencyMs: sizes.slowLatencyMs,
            },
          ]
        : []),
    ],
    options,
    runner,
    {
      requestsPerMinutePerProject: options.requestsPerMinute,
      after: async (fleet, env) => {
        if (!options.scenarios.has('shards')) return;
        env.sim.latencyMs = sizes.slowLatencyMs;
        env.advanceClock(5 * 60_000);
        log(`shards: ${sizes.shards} shards at once, ${sizes.slowLatencyMs} ms per request`);
        shards = await measureShards(env, fleet, {
          scenario: 'shards',
          title: `large fleet as ${sizes.shards} shards polled at once, ${sizes.slowLatencyMs} ms per request`,
          warmups: 0,
          latencyMs: sizes.slowLatencyMs,
          requestsPerMinute: options.requestsPerMinute,
          runner,
          shards: sizes.shards,
          ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        });
        log(
          `shards: slowest ${Math.round(shards.wallMs)} ms (${shards.perShard.map((r) => Math.round(r.wallMs)).join(', ')}), ${shards.listings.once} of ${shards.listings.clusters} clusters listed once`,
        );
      },
    },
  );
  return { records, ...(shards ? { shards } : {}) };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const sizes = options.quick ? QUICK_SIZES : FULL_SIZES;
  const started = performance.now();
  const records: PollRecord[] = [];
  let cold: ColdStart | undefined;
  let report: ReportRecord | undefined;

  if (options.scenarios.has('cold-start')) cold = await measureColdStart(options);
  if (options.scenarios.has('report'))
    report = await measureReport(options.quick ? REPORT_QUICK : REPORT_FULL);

  const needsFleet = ['steady', 'first-poll', 'storm'].some((s) => options.scenarios.has(s as ScenarioId));
  const needsLarge = options.scenarios.has('fleet-latency') || options.scenarios.has('shards');
  let shards: ShardsRecord | undefined;
  if (needsFleet || needsLarge || options.scenarios.has('long-history')) {
    // Polls run from a bundle, as in Lambda (type stripping alone costs ~30 MB of RSS), unless
    // profiling, where readable function names matter more.
    const heap = heapFlags(options);
    const runner = options.cpuProf
      ? forkedPoll(undefined, [...heap, '--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`])
      : forkedPoll(await bundlePollChild(tempDir('restore-watch-bench-child-')), heap);
    if (needsFleet)
      records.push(...(await runFleet(sizes.fleet, fleetSteps(options.scenarios, sizes), options, runner)));
    if (options.scenarios.has('long-history')) {
      records.push(
        ...(await runFleet(
          sizes.history,
          [
            {
              scenario: 'long-history-first',
              title: 'long history, first poll',
              hasTargets: false,
              report: true,
              warmups: 0,
            },
            {
              scenario: 'long-history',
              title: 'long history, nothing changed',
              hasTargets: true,
              report: true,
              warmups: 1,
            },
          ],
          options,
          runner,
        )),
      );
    }
    if (needsLarge) {
      const large = await runLarge(sizes, options, runner);
      records.push(...large.records);
      shards = large.shards;
    }
  }

  const order = [
    'steady',
    'first-poll',
    'storm',
    'long-history',
    'long-history-first',
    'fleet-latency-0ms',
    'fleet-latency-slow',
    'fleet-latency-first',
  ];
  records.sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario));
  const checks: TargetCheck[] = [
    ...records.flatMap(checkPoll),
    ...checkFleetLatency(records),
    ...(shards ? checkShards(shards, records) : []),
    ...(cold ? checkColdStart(cold) : []),
    ...(report ? checkReport(report) : []),
  ];
  const tables = [
    ...(records.length > 0 || cold ? [formatTable(records, cold)] : []),
    ...(shards ? [formatShards(shards)] : []),
    ...(report ? [formatReportTable(report)] : []),
  ];
  process.stdout.write(`\n${tables.join('\n\n')}\n\n${formatChecks(checks)}\n`);
  const met = checks.filter((c) => c.met).length;
  process.stdout.write(
    `\n${met} of ${checks.length} targets met; ${Math.round((performance.now() - started) / 1000)} s in all.\n`,
  );

  if (options.out) {
    const cpu = cpus();
    const results = {
      generatedAt: new Date().toISOString(),
      machine: {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpus: cpu.length,
        cpuModel: cpu[0]?.model ?? 'unknown',
      },
      options: {
        quick: options.quick,
        latencyMs: options.latencyMs,
        concurrency: options.concurrency ?? 'poll default',
        maxOldSpaceMb: options.maxOldSpaceMb ?? 'node default',
        lambdaMemoryMb: options.maxOldSpaceMb !== undefined ? 'not used' : options.lambdaMemoryMb,
        pollProcessFlags: heapFlags(options),
        requestsPerMinute: options.requestsPerMinute,
        importRuns: options.importRuns,
      },
      sizes: { ...sizes, report: options.quick ? REPORT_QUICK : REPORT_FULL },
      scenarios: records,
      shards: shards ?? null,
      coldStart: cold ?? null,
      report: report ?? null,
      targets: checks,
    };
    writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`Results written to ${options.out}\n`);
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  })
  .finally(removeTempDirs);
