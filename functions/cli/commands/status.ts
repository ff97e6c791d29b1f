import { DynamoStateStore } from '../../adapters/dynamo/dynamo-state-store.ts';
import type { JobState, TargetState } from '../../core/types.ts';
import { type CliIo, openStateTable } from '../context.ts';
import { shortTime, table } from '../render.ts';

export interface StatusRow {
  target: string;
  projectId: string;
  clusterId: string;
  jobId: string;
  batchId?: string;
  status: string;
  delivery: string;
  expires?: string;
  downloaded: boolean;
  lastChangedAt: string;
  gone: boolean;
}

/** `restore-watch status`: every known job with its target, status, delivery, expiry and last change. */
export async function statusCommand(options: { json: boolean }, io: CliIo): Promise<number> {
  const state = await openStateTable(io);
  try {
    const store = new DynamoStateStore({ client: state.client, tableName: state.tableName });
    const targets = await store.listTargetStates();
    const rows: StatusRow[] = [];
    for (const target of targets) {
      if (target.clusterId === '*') continue;
      const jobs = await store.loadJobStates(target);
      for (const job of jobs.values()) rows.push(toRow(target, job));
    }
    rows.sort((a, b) => (a.lastChangedAt < b.lastChangedAt ? 1 : a.lastChangedAt > b.lastChangedAt ? -1 : 0));
    if (options.json) {
      io.stdout(`${JSON.stringify({ targets: targets.map(describeTarget), jobs: rows }, null, 2)}\n`);
      return 0;
    }
    if (targets.length === 0) {
      io.stdout(`No state yet in ${state.location}: run \`restore-watch poll\` first.\n`);
      return 0;
    }
    io.stdout(
      `${table(
        ['TARGET', 'LAST POLL', 'RESULT', 'JOBS'],
        targets.map((t) => [
          t.name,
          shortTime(t.lastPolledAt),
          t.failureStreak > 0
            ? `failing x${t.failureStreak}: ${t.lastError?.message ?? ''}`.slice(0, 80)
            : 'ok',
          String(t.jobCount ?? 0),
        ]),
      )}\n\n`,
    );
    io.stdout(
      rows.length === 0
        ? 'No restore jobs seen yet.\n'
        : `${table(
            ['TARGET', 'JOB', 'STATUS', 'DELIVERY', 'EXPIRES', 'LAST CHANGE'],
            rows.map((r) => [
              r.target,
              r.jobId + (r.batchId ? ' (batch)' : ''),
              r.status + (r.gone ? ' (gone)' : ''),
              r.delivery + (r.downloaded ? ' (downloaded)' : ''),
              shortTime(r.expires),
              shortTime(r.lastChangedAt),
            ]),
          )}\n`,
    );
    return 0;
  } finally {
    await state.close();
  }
}

function toRow(target: TargetState, job: JobState): StatusRow {
  const s = job.snapshot;
  return {
    target: target.name,
    projectId: target.projectId,
    clusterId: target.clusterId,
    jobId: s.jobId,
    ...(s.batchId ? { batchId: s.batchId } : {}),
    status: s.statusName,
    delivery: s.deliveryStatus ?? '-',
    ...(s.expires ? { expires: s.expires } : {}),
    downloaded: s.downloaded,
    lastChangedAt: job.lastChangedAt,
    gone: job.goneSince !== undefined,
  };
}

function describeTarget(t: TargetState) {
  return {
    name: t.name,
    projectId: t.projectId,
    clusterId: t.clusterId,
    lastPolledAt: t.lastPolledAt,
    lastSuccessAt: t.lastSuccessAt,
    failureStreak: t.failureStreak,
    lastError: t.lastError,
    jobCount: t.jobCount,
  };
}
