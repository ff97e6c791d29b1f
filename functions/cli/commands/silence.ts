/**
 * `restore-watch silence add | list | expire`: Alertmanager-style silences kept in the state table, so
 * the Lambda honours them from its next run. Bad input exits 2 with every problem named, and nothing
 * is written.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoStateStore } from '../../adapters/dynamo/dynamo-state-store.ts';
import { ConfigError } from '../../core/config.ts';
import { type KnownTarget, planSilence, type Silence, silenceActive } from '../../core/silences.ts';
import { type CliIo, loadConfigFile, openStateTable, whoIsAsking } from '../context.ts';
import { parseDuration } from '../durations.ts';
import { shortTime, table } from '../render.ts';

export interface SilenceAddOptions {
  config: string;
  target?: string;
  job?: string;
  event?: string;
  for?: string;
  until?: string;
  reason?: string;
  by?: string;
  json: boolean;
}

const SILENCE_ID = /^s-[0-9a-f]{8}$/;

export async function silenceAddCommand(options: SilenceAddOptions, io: CliIo): Promise<number> {
  const forMs = options.for === undefined ? undefined : (parseDuration(options.for) ?? Number.NaN);
  const state = await openStateTable(io);
  try {
    const store = new DynamoStateStore({ client: state.client, tableName: state.tableName });
    const targets = await knownTargets(options.config, io, store);
    const plan = planSilence(
      {
        ...(options.target !== undefined ? { target: options.target } : {}),
        ...(options.job !== undefined ? { job: options.job } : {}),
        ...(options.event !== undefined ? { event: options.event } : {}),
        ...(forMs !== undefined ? { forMs } : {}),
        ...(options.until !== undefined ? { until: options.until } : {}),
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
        createdBy: whoIsAsking(options.by, io),
      },
      { now: io.now(), targets, silenceId: `s-${randomBytes(4).toString('hex')}` },
    );
    if (!plan.ok) throw new ConfigError('silence add', plan.problems);
    await store.saveSilence(plan.silence);
    io.stdout(options.json ? `${JSON.stringify(plan.silence, null, 2)}\n` : describeAdded(plan.silence));
    return 0;
  } finally {
    await state.close();
  }
}

export async function silenceListCommand(options: { json: boolean }, io: CliIo): Promise<number> {
  const state = await openStateTable(io);
  try {
    const store = new DynamoStateStore({ client: state.client, tableName: state.tableName });
    const now = io.now();
    const { silences } = await store.readRunState(0);
    // In force, or starting later: what the next run honours. Ended ones stay readable for a week.
    const current = silences
      .filter((s) => silenceActive(s, now) || Date.parse(s.startsAt) > now.getTime())
      .sort((a, b) => (a.endsAt < b.endsAt ? -1 : a.endsAt > b.endsAt ? 1 : 0));
    if (options.json) {
      io.stdout(`${JSON.stringify({ silences: current }, null, 2)}\n`);
      return 0;
    }
    if (current.length === 0) {
      io.stdout(`No active silences in ${state.location}.\n`);
      return 0;
    }
    io.stdout(
      `${table(
        ['ID', 'TARGET', 'JOB', 'EVENT', 'ENDS', 'BY', 'REASON'],
        current.map((s) => [
          s.silenceId,
          s.target,
          s.matcher.jobId ?? '*',
          s.matcher.eventType ?? '*',
          shortTime(s.endsAt),
          s.createdBy,
          s.reason.slice(0, 60),
        ]),
      )}\n`,
    );
    return 0;
  } finally {
    await state.close();
  }
}

export async function silenceExpireCommand(
  options: { silenceId: string; by?: string; json: boolean },
  io: CliIo,
): Promise<number> {
  if (!SILENCE_ID.test(options.silenceId)) {
    throw new ConfigError('silence expire', [
      `"${options.silenceId}" is not a silence id (s- and 8 hexadecimal characters, as \`silence list\` shows)`,
    ]);
  }
  const state = await openStateTable(io);
  try {
    const store = new DynamoStateStore({ client: state.client, tableName: state.tableName });
    const ended = await store.expireSilence(
      options.silenceId,
      io.now().toISOString(),
      whoIsAsking(options.by, io),
    );
    if (!ended) {
      throw new ConfigError('silence expire', [
        `no silence has the id ${options.silenceId} (\`restore-watch silence list\` shows the active ones)`,
      ]);
    }
    io.stdout(
      options.json
        ? `${JSON.stringify(ended, null, 2)}\n`
        : `Silence ${ended.silenceId} ended at ${shortTime(ended.endsAt)}: the next run alerts ${ended.target} again (open incidents stay open; nothing is replayed).\n`,
    );
    return 0;
  } finally {
    await state.close();
  }
}

/** Targets a silence may name: the configuration's (when the file exists) and every one the table knows. */
async function knownTargets(configPath: string, io: CliIo, store: DynamoStateStore): Promise<KnownTarget[]> {
  const targets: KnownTarget[] = [];
  if (existsSync(resolve(io.cwd, configPath))) {
    const config = await loadConfigFile(configPath, io);
    for (const t of config.targets) {
      targets.push({
        projectId: t.projectId,
        ...(t.clusterId ? { clusterId: t.clusterId } : {}),
        ...(t.name ? { name: t.name } : {}),
      });
    }
  }
  for (const t of await store.listTargetStates()) {
    if (t.clusterId === '*') continue;
    targets.push({ projectId: t.projectId, clusterId: t.clusterId, name: t.name });
  }
  return targets;
}

function describeAdded(s: Silence): string {
  const scope = [
    s.target,
    s.matcher.jobId ? `job ${s.matcher.jobId}` : undefined,
    s.matcher.eventType ? `${s.matcher.eventType} only` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return (
    `Silence ${s.silenceId} added: ${scope} until ${shortTime(s.endsAt)} (by ${s.createdBy}: ${s.reason}).\n` +
    `Events it matches are recorded as silenced and sent nowhere; resolves of incidents already announced still go out.\n` +
    `End it early with: restore-watch silence expire ${s.silenceId}\n`
  );
}
