import { DynamoStateStore } from '../../adapters/dynamo/dynamo-state-store.ts';
import type { AuditQuery } from '../../core/ports.ts';
import type { AuditRecord } from '../../core/types.ts';
import { type CliIo, openStateTable, UsageError } from '../context.ts';
import { parseSince } from '../durations.ts';
import { shortTime, table } from '../render.ts';
import { findTarget } from '../target-match.ts';

export interface AuditCommandOptions {
  target?: string;
  job?: string;
  since: string;
  limit: number;
  json: boolean;
}

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** `restore-watch audit`: the audit trail, newest first, by target, job and time. */
export async function auditCommand(options: AuditCommandOptions, io: CliIo): Promise<number> {
  const since = parseSince(options.since, io.now());
  if (!since)
    throw new UsageError(`--since "${options.since}": use a duration such as 30m, 24h, 7d or an ISO time`);
  if (options.job !== undefined && !OBJECT_ID.test(options.job)) {
    throw new UsageError(`--job "${options.job}": a restore job id is a 24-character hexadecimal ObjectId`);
  }
  const state = await openStateTable(io);
  try {
    const store = new DynamoStateStore({ client: state.client, tableName: state.tableName });
    const query: AuditQuery = { since, limit: options.limit };
    if (options.job) query.jobId = options.job.toLowerCase();
    if (options.target) {
      const match = findTarget(await store.listTargetStates(), options.target);
      query.projectId = match.projectId;
      query.clusterId = match.clusterId;
    }
    const records = await store.queryAudit(query);
    if (options.json) {
      io.stdout(`${JSON.stringify(records, null, 2)}\n`);
      return 0;
    }
    if (records.length === 0) {
      io.stdout(`No audit events since ${shortTime(since)} in ${state.location}.\n`);
      return 0;
    }
    io.stdout(
      `${table(
        ['DETECTED', 'SEVERITY', 'EVENT', 'TARGET', 'JOB', 'SUMMARY', 'ALERT'],
        records.map((r) => [
          shortTime(r.detectedAt),
          r.severity,
          r.action && r.action !== 'info' ? `${r.eventType} (${r.action})` : r.eventType,
          r.targetName,
          r.jobId ?? '-',
          r.summary,
          deliveryText(r),
        ]),
      )}\n`,
    );
    return 0;
  } finally {
    await state.close();
  }
}

/** What became of an alert on each channel it was owed to. */
function deliveryText(r: AuditRecord): string {
  if (r.silenced) return `silenced by ${r.silenced.silenceId} (${r.silenced.reason})`;
  const attempts = (n: number) => `${n} attempt${n === 1 ? '' : 's'}`;
  const sns = r.suppressed
    ? 'not for SNS (below minSeverity)'
    : r.abandonedAt
      ? `REJECTED by SNS x${r.publishAttempts}`
      : r.publishedAt
        ? `sent ${shortTime(r.publishedAt)}`
        : `OWED (${attempts(r.publishAttempts)})`;
  const pd = r.pagerduty;
  if (!pd) return sns;
  const pager = pd.abandonedAt
    ? `REJECTED by PagerDuty x${pd.attempts}`
    : pd.deliveredAt
      ? `PagerDuty ${shortTime(pd.deliveredAt)}`
      : `PagerDuty OWED (${attempts(pd.attempts)})`;
  return `${sns}; ${pager}`;
}
