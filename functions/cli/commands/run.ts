import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../../core/errors.ts';
import { runPoll } from '../../core/poll.ts';
import { createConsoleLogger, type LogLevel } from '../console-logger.ts';
import type { CliIo } from '../context.ts';
import { describeSummary } from '../render.ts';
import { buildRuntime, newRunId, validatePollInputs } from '../setup.ts';

export interface RunCommandOptions {
  config: string;
  everyMs: number;
  json: boolean;
  logLevel: LogLevel;
  /** Stop after this many polls (tests, scripted use); default: until interrupted. */
  maxPolls?: number;
}

/**
 * `restore-watch run`: polls on a fixed period in the foreground until Ctrl-C / SIGTERM. An
 * interrupt lets the current poll finish (its lease and writes stay consistent), then exits 0.
 */
export async function runCommand(options: RunCommandOptions, io: CliIo): Promise<number> {
  const setup = await validatePollInputs(options.config, io);
  const logger = createConsoleLogger(options.logLevel, io.stderr);
  // With --json, stdout carries only JSON (one document, or one line per poll for `run`): printed
  // alerts go to stderr, so `restore-watch poll --json | jq` works when there is something to alert.
  const { runtime, state, close } = await buildRuntime(
    setup,
    options.json ? { ...io, stdout: io.stderr } : io,
    logger,
  );
  io.stderr(
    `restore-watch: polling ${setup.config.targets.length} configured target(s) every ${Math.round(options.everyMs / 1000)} s; ` +
      `state in ${state.location}; alerts ${setup.topicArn ? `to ${setup.topicArn}` : 'printed here'}. Ctrl-C stops.\n`,
  );
  let polls = 0;
  let lastExit = 0;
  try {
    while (!io.interrupted.aborted) {
      const started = Date.now();
      try {
        // The interrupt is not passed to the poll: a started poll finishes, so nothing is left half-done.
        const summary = await runPoll(runtime, { config: setup.config, runId: newRunId(io.now()) });
        io.stdout(
          options.json
            ? `${JSON.stringify(summary)}\n`
            : `[${io.now().toISOString()}] ${describeSummary(summary)}`,
        );
        lastExit = summary.lease === 'lost' || summary.targets.failed > 0 ? 1 : 0;
      } catch (error) {
        // A whole-run failure (state table unreachable, ...) is reported and retried next period.
        logger.error('Poll run failed; retrying at the next period', { error: describeError(error) });
        lastExit = 1;
      }
      polls++;
      if (options.maxPolls !== undefined && polls >= options.maxPolls) break;
      const wait = Math.max(0, options.everyMs - (Date.now() - started));
      await sleep(wait, undefined, { signal: io.interrupted }).catch(() => undefined);
    }
  } finally {
    await close();
  }
  return options.maxPolls !== undefined ? lastExit : 0;
}
