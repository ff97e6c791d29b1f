import { runPoll } from '../../core/poll.ts';
import { createConsoleLogger, type LogLevel } from '../console-logger.ts';
import type { CliIo } from '../context.ts';
import { describeSummary } from '../render.ts';
import { buildRuntime, newRunId, validatePollInputs } from '../setup.ts';

export interface PollCommandOptions {
  config: string;
  dryRun: boolean;
  json: boolean;
  logLevel: LogLevel;
}

/** `restore-watch poll`: one run over all targets. Exit 0 when every target was polled, 1 otherwise. */
export async function pollCommand(options: PollCommandOptions, io: CliIo): Promise<number> {
  const setup = await validatePollInputs(options.config, io);
  const logger = createConsoleLogger(options.logLevel, io.stderr);
  // With --json, stdout carries only JSON (one document, or one line per poll for `run`): printed
  // alerts go to stderr, so `restore-watch poll --json | jq` works when there is something to alert.
  const { runtime, close } = await buildRuntime(
    setup,
    options.json ? { ...io, stdout: io.stderr } : io,
    logger,
  );
  try {
    const summary = await runPoll(runtime, {
      config: setup.config,
      runId: newRunId(io.now()),
      dryRun: options.dryRun,
      signal: io.interrupted,
    });
    io.stdout(options.json ? `${JSON.stringify(summary, null, 2)}\n` : describeSummary(summary));
    return summary.targets.failed > 0 ? 1 : 0;
  } finally {
    await close();
  }
}
