/**
 * `restore-watch` command line: argument parsing, dispatch and exit codes.
 * Exit codes: 0 all targets polled; 1 some target failed (the others were still processed) or the
 * state table is unavailable; 2 bad configuration, arguments or credentials format (nothing written).
 */
import { parseArgs } from 'node:util';
import { StateStoreError } from '../adapters/dynamo/state-store-error.ts';
import { ConfigError, DEFAULT_CONFIG_FILE } from '../core/config.ts';
import { ENV } from '../core/environment.ts';
import { parseShard, ShardSpecError } from '../core/shard.ts';
import { awsProxyHint } from './aws-network.ts';
import { auditCommand } from './commands/audit.ts';
import { demoCommand } from './commands/demo.ts';
import { incidentsCommand, incidentsResolveCommand } from './commands/incidents.ts';
import { initCommand } from './commands/init.ts';
import { pollCommand } from './commands/poll.ts';
import { reportCommand } from './commands/report.ts';
import { runCommand } from './commands/run.ts';
import { silenceAddCommand, silenceExpireCommand, silenceListCommand } from './commands/silence.ts';
import { statusCommand } from './commands/status.ts';
import type { LogLevel } from './console-logger.ts';
import { type CliIo, StateUnavailableError, UsageError } from './context.ts';
import { parseDuration } from './durations.ts';

export const USAGE = `Usage: restore-watch <command> [options]

Commands:
  poll   [--config F] [--dry-run] [--json] [--shard i/N]
                                             one run over all targets (or one shard's), then exit
  run    [--config F] [--every 5m] [--json] [--shard i/N]
                                             poll on a schedule until interrupted (Ctrl-C)
  init                                       create the state table if absent
  status [--json]                            every known job: target, status, delivery, expiry, last change
  audit  [--target ID] [--job ID] [--since 24h] [--limit N] [--json]
                                             the audit trail, newest first
  report [--since 90d] [--until ISO] [--target NAME] [--format text|md|csv|json|html] [--output F]
                                             what the audit trail proves about the restores of a period
  incidents [--json]                         the open incidents: the on-call handover view
  incidents resolve KEY --reason TEXT [--by NAME] [--json]
                                             close an open incident by hand (its resolve goes out with the next poll)
  silence add --target NAME|CLUSTER|PROJECT [--job ID] [--event TYPE] (--for 2h | --until ISO-8601)
              --reason TEXT [--by NAME] [--json]
                                             quiet the alerts of a target (a DR drill), at most 30 days
  silence list [--json]                      the silences in force (and those still to start)
  silence expire ID [--by NAME]              end a silence now
  demo   [--fast]                            everything embedded: simulator, DynamoDB, alerts in the terminal

Options:
  --config F    configuration file (default ${DEFAULT_CONFIG_FILE}, or $${ENV.configFile})
  --shard i/N   the i-th of the N partitions of the fleet (by project); N must be deploy.shards
  --verbose     log progress to stderr; --quiet logs errors only
  -h, --help    this text

Environment: ${ENV.table} (else embedded state under .restore-watch/), ${ENV.topicArn} (else alerts are printed),
${ENV.pagerdutyRoutingKey} (PagerDuty on), ${ENV.pagerdutyEventsUrl},
${ENV.baseUrl}, ${ENV.publicKey} + ${ENV.privateKey} or ${ENV.clientId} + ${ENV.clientSecret},
and the standard AWS SDK variables (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SNS, ...).
Exit codes: 0 all targets polled; 1 some target failed; 2 bad configuration, arguments or credentials.
`;

const COMMANDS = new Set([
  'poll',
  'run',
  'init',
  'status',
  'audit',
  'report',
  'incidents',
  'silence',
  'demo',
  'help',
]);
/** `silence` takes a subcommand; `expire` one argument more (the id). */
const SILENCE_SUBCOMMANDS = new Set(['add', 'list', 'expire']);
/** `incidents` alone lists; `incidents resolve KEY` closes one. */
const INCIDENTS_SUBCOMMANDS = new Set(['resolve']);

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`restore-watch: ${error.message}\nRun \`restore-watch --help\` for usage.\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr(`restore-watch: ${error.message}\nNothing was written.\n`);
      return 2;
    }
    if (error instanceof StateUnavailableError) {
      io.stderr(`restore-watch: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const hint = error instanceof StateStoreError ? awsProxyHint(io.env) : undefined;
    io.stderr(`restore-watch: ${message}\n${hint ? `${hint}\n` : ''}`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (error) {
    // node:util parseArgs errors name the unknown option; keep its words.
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (command === undefined) {
    io.stderr(`restore-watch: which command?\n\n${USAGE}`);
    return 2;
  }
  if (!COMMANDS.has(command)) throw new UsageError(`unknown command "${command}"`);
  const sub = command === 'silence' || command === 'incidents' ? positionals[1] : undefined;
  if (command === 'incidents' && sub !== undefined) {
    if (!INCIDENTS_SUBCOMMANDS.has(sub)) {
      throw new UsageError(`incidents takes no argument but resolve KEY, not "${sub}"`);
    }
    if (positionals.length < 3) {
      throw new UsageError(
        'incidents resolve needs the key of the incident to close (as `restore-watch incidents` shows it)',
      );
    }
    if (positionals.length > 3) throw new UsageError(`unexpected argument "${positionals[3]}"`);
  } else if (command === 'silence') {
    if (sub === undefined || !SILENCE_SUBCOMMANDS.has(sub)) {
      throw new UsageError(`silence needs add, list or expire${sub === undefined ? '' : `, not "${sub}"`}`);
    }
    const arity = sub === 'expire' ? 3 : 2;
    if (positionals.length < arity) throw new UsageError('silence expire needs the id of the silence to end');
    if (positionals.length > arity) throw new UsageError(`unexpected argument "${positionals[arity]}"`);
  } else if (positionals.length > 1) {
    throw new UsageError(`unexpected argument "${positionals[1]}"`);
  }
  const allowed: Record<string, readonly string[]> = {
    poll: ['config', 'dry-run', 'json', 'shard'],
    run: ['config', 'every', 'json', 'shard'],
    init: [],
    status: ['json'],
    audit: ['target', 'job', 'since', 'limit', 'json'],
    report: ['since', 'until', 'target', 'format', 'output'],
    incidents: ['json'],
    'incidents resolve': ['config', 'reason', 'by', 'json'],
    'silence add': ['config', 'target', 'job', 'event', 'for', 'until', 'reason', 'by', 'json'],
    'silence list': ['json'],
    'silence expire': ['by', 'json'],
    demo: ['fast'],
  };
  const global = new Set(['verbose', 'quiet', 'help']);
  const name = sub ? `${command} ${sub}` : command;
  for (const key of Object.keys(values)) {
    if (!global.has(key) && !(allowed[name] ?? []).includes(key)) {
      throw new UsageError(`--${key} does not apply to "${name}"`);
    }
  }
  // --verbose shows the Cloud Manager requests (debug): a successful poll logs nothing at info.
  const logLevel: LogLevel = values.verbose ? 'debug' : values.quiet ? 'error' : 'warn';
  const config = values.config ?? io.env[ENV.configFile] ?? DEFAULT_CONFIG_FILE;
  // The form of --shard is checked before anything is read; whether it is this fleet's partition
  // (N = deploy.shards) once the configuration is.
  const shard = values.shard;
  if (shard !== undefined) {
    try {
      parseShard(shard);
    } catch (error) {
      if (error instanceof ShardSpecError) throw new UsageError(`--${error.message}`);
      throw error;
    }
  }
  switch (command) {
    case 'poll':
      return pollCommand(
        {
          config,
          ...(shard !== undefined ? { shard } : {}),
          dryRun: values['dry-run'] === true,
          json: values.json === true,
          logLevel,
        },
        io,
      );
    case 'run': {
      const everyMs = parseDuration(values.every ?? '5m');
      if (everyMs === undefined || everyMs < 10_000) {
        throw new UsageError(
          `--every "${values.every}": use a period of at least 10s, such as 30s, 5m or 1h`,
        );
      }
      return runCommand(
        { config, ...(shard !== undefined ? { shard } : {}), everyMs, json: values.json === true, logLevel },
        io,
      );
    }
    case 'init':
      return initCommand(io);
    case 'status':
      return statusCommand({ json: values.json === true }, io);
    case 'audit': {
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw new UsageError(`--limit "${values.limit}": use a whole number from 1 to 10000`);
      }
      return auditCommand(
        {
          ...(values.target ? { target: values.target } : {}),
          ...(values.job ? { job: values.job } : {}),
          since: values.since ?? '24h',
          limit,
          json: values.json === true,
        },
        io,
      );
    }
    case 'report':
      return reportCommand(
        {
          since: values.since ?? '90d',
          format: values.format ?? 'text',
          ...(values.until !== undefined ? { until: values.until } : {}),
          ...(values.target !== undefined ? { target: values.target } : {}),
          ...(values.output !== undefined ? { output: values.output } : {}),
        },
        io,
      );
    case 'incidents':
      if (sub === 'resolve') {
        return incidentsResolveCommand(
          {
            config,
            key: positionals[2] ?? '',
            ...(values.reason !== undefined ? { reason: values.reason } : {}),
            ...(values.by !== undefined ? { by: values.by } : {}),
            json: values.json === true,
          },
          io,
        );
      }
      return incidentsCommand({ json: values.json === true }, io);
    case 'silence':
      if (sub === 'list') return silenceListCommand({ json: values.json === true }, io);
      if (sub === 'expire') {
        return silenceExpireCommand(
          {
            silenceId: positionals[2] ?? '',
            ...(values.by ? { by: values.by } : {}),
            json: values.json === true,
          },
          io,
        );
      }
      return silenceAddCommand(
        {
          config,
          ...(values.target !== undefined ? { target: values.target } : {}),
          ...(values.job !== undefined ? { job: values.job } : {}),
          ...(values.event !== undefined ? { event: values.event } : {}),
          ...(values.for !== undefined ? { for: values.for } : {}),
          ...(values.until !== undefined ? { until: values.until } : {}),
          ...(values.reason !== undefined ? { reason: values.reason } : {}),
          ...(values.by !== undefined ? { by: values.by } : {}),
          json: values.json === true,
        },
        io,
      );
    default:
      return demoCommand({ fast: values.fast === true }, io);
  }
}

function parseCli(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      every: { type: 'string' },
      shard: { type: 'string' },
      target: { type: 'string' },
      job: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string' },
      limit: { type: 'string' },
      event: { type: 'string' },
      for: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      fast: { type: 'boolean' },
      verbose: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** The process-bound IO used by `bin/restore-watch.ts`. */
export function processIo(): CliIo {
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nrestore-watch: stopping after the current step (Ctrl-C again to force)\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    interrupted: controller.signal,
    isTTY: process.stdout.isTTY === true,
  };
}
