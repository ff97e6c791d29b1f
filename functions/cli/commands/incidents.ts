import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoRunLease } from '../../adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../../adapters/dynamo/dynamo-state-store.ts';
import { alertSettings, type Config, ConfigError, defaultAlertSettings } from '../../core/config.ts';
import { owedChannels } from '../../core/delivery.ts';
import { INCIDENT_KINDS } from '../../core/incident-kinds.ts';
import type { Incident } from '../../core/incident-state.ts';
import { planManualResolve } from '../../core/manual-resolve.ts';
import { acquireRunLease, DEFAULT_LEASE_TTL_MS, type HeldLease } from '../../core/run-lease.ts';
import { shardLeaseName, shardOfProject } from '../../core/shard.ts';
import { sleep } from '../../core/sleep.ts';
import { SEVERITY_ORDER } from '../../core/types.ts';
import { createConsoleLogger } from '../console-logger.ts';
import {
  type CliIo,
  loadConfigFile,
  openStateTable,
  type StateTable,
  StateUnavailableError,
  whoIsAsking,
} from '../context.ts';
import { shortTime, table } from '../render.ts';

/**
 * `restore-watch incidents`: the open incidents, the on-call handover view: what is open, about which
 * target and job, how bad, since when, when it was last announced and where. Most severe first, then
 * oldest first.
 */
export async function incidentsCommand(options: { json: boolean }, io: CliIo): Promise<number> {
  const state = await openStateTable(io);
  try {
    const store = new DynamoStateStore({ client: state.client, tableName: state.tableName });
    const { incidents } = await store.readRunState(0);
    const open = handoverOrder(incidents);
    if (options.json) {
      io.stdout(`${JSON.stringify({ incidents: open.map(describe) }, null, 2)}\n`);
      return 0;
    }
    if (open.length === 0) {
      io.stdout(`No open incidents in ${state.location}.\n`);
      return 0;
    }
    io.stdout(`${incidentsTable(open)}\n`);
    return 0;
  } finally {
    await state.close();
  }
}

/** The handover table (the demo prints it too). */
export function incidentsTable(incidents: readonly Incident[]): string {
  return table(
    ['SEVERITY', 'INCIDENT', 'TARGET', 'JOB', 'SINCE', 'LAST NOTIFIED', 'ON', 'SUMMARY'],
    handoverOrder(incidents).map((i) => [
      i.severity,
      i.key,
      i.targetName,
      i.jobId ?? '-',
      shortTime(i.openedAt),
      shortTime(i.lastNotifiedAt),
      i.announcedOn.length > 0 ? i.announcedOn.join('+') : 'nowhere (silenced)',
      i.summary.slice(0, 80),
    ]),
  );
}

/** Most severe first, then oldest first. */
function handoverOrder(incidents: readonly Incident[]): Incident[] {
  return [...incidents].sort(
    (a, b) => rank(b) - rank(a) || (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : 0),
  );
}

function rank(incident: Incident): number {
  return SEVERITY_ORDER[incident.severity] ?? SEVERITY_ORDER.warning;
}

function describe(i: Incident) {
  return {
    incidentKey: i.key,
    kind: i.kind,
    severity: i.severity,
    target: i.targetName,
    projectId: i.projectId,
    clusterId: i.clusterId,
    ...(i.jobId ? { jobId: i.jobId } : {}),
    ...(i.team ? { team: i.team } : {}),
    since: i.openedAt,
    openedBy: i.openedBy,
    lastTriggeredAt: i.lastTriggeredAt,
    ...(i.lastNotifiedAt ? { lastNotifiedAt: i.lastNotifiedAt } : {}),
    announcedOn: i.announcedOn,
    reminders: i.reminders,
    summary: i.summary,
  };
}

export interface IncidentsResolveOptions {
  config: string;
  key: string;
  reason?: string;
  by?: string;
  json: boolean;
  /** How long to wait for a poll that holds the lease. @default LEASE_WAIT_MS */
  leaseWaitMs?: number;
}

/** A poll holds the lease for at most its lifetime at a time; wait a little longer than that. */
export const LEASE_WAIT_MS = DEFAULT_LEASE_TTL_MS + 15_000;
const LEASE_RETRY_MS = 2_000;

/**
 * `restore-watch incidents resolve KEY --reason TEXT`: closes an open incident by hand (M1-M3 of
 * core/manual-resolve.ts). The incident is read and closed under the run lease of its shard, so a
 * poll running at that moment cannot write it back open; the resolve is owed like any alert and the
 * next poll sends it. Bad input: exit 2, every problem named, nothing written.
 */
export async function incidentsResolveCommand(options: IncidentsResolveOptions, io: CliIo): Promise<number> {
  const config = existsSync(resolve(io.cwd, options.config))
    ? await loadConfigFile(options.config, io)
    : undefined;
  const by = whoIsAsking(options.by, io);
  const state = await openStateTable(io);
  try {
    const store = new DynamoStateStore({ client: state.client, tableName: state.tableName });
    const runId = `resolve-${io.now().toISOString()}-${randomBytes(3).toString('hex')}`;
    const plan = async () => {
      const { incidents } = await store.readRunState(0);
      const planned = planManualResolve(incidents, {
        key: options.key,
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
        by,
        now: io.now(),
        runId,
        settings: config ? alertSettings(config) : defaultAlertSettings(),
      });
      if (!planned.ok) throw new ConfigError('incidents resolve', planned.problems);
      return planned;
    };
    // Checked before the lease is taken, so bad input never waits; read again under the lease.
    const first = await plan();
    const lease = await takeLease(
      first.incident,
      { config, owner: runId, state, waitMs: options.leaseWaitMs ?? LEASE_WAIT_MS },
      io,
    );
    try {
      const { incident, output } = await plan();
      const fenced = lease.fence(store);
      await fenced.recordEvents(output.records);
      await fenced.saveIncidents(output.changes);
      const [record] = output.records;
      const owedTo = record ? owedChannels(record) : [];
      io.stdout(
        options.json
          ? `${JSON.stringify(
              {
                incidentKey: incident.key,
                resolvedAt: output.changes[0]?.resolvedAt,
                resolution: output.changes[0]?.resolution,
                eventId: record?.eventId,
                owedTo,
              },
              null,
              2,
            )}\n`
          : describeResolved(incident, owedTo, state.location),
      );
      return 0;
    } finally {
      await lease.release();
    }
  } finally {
    await state.close();
  }
}

/** The run lease of the incident's shard, waiting for a poll that holds it (at most `leaseWaitMs`). */
async function takeLease(
  incident: Incident,
  context: { config: Config | undefined; owner: string; state: StateTable; waitMs: number },
  io: CliIo,
): Promise<HeldLease> {
  const count = context.config?.deploy.shards ?? 1;
  const name = shardLeaseName({ index: shardOfProject(incident.projectId, count), count });
  const lease = new DynamoRunLease({ client: context.state.client, tableName: context.state.tableName });
  const logger = createConsoleLogger('warn', io.stderr);
  // Counted in attempts, not by the clock: the retries sleep for real whatever `io.now` says.
  const retries = Math.floor(context.waitMs / LEASE_RETRY_MS);
  for (let attempt = 0; ; attempt++) {
    const acquisition = await acquireRunLease({
      lease,
      name,
      owner: context.owner,
      ttlMs: DEFAULT_LEASE_TTL_MS,
      now: io.now,
      logger,
    });
    if (acquisition.kind === 'held') return acquisition.lease;
    if (attempt >= retries) {
      throw new StateUnavailableError(
        `A poll (${acquisition.holder}) holds the lease until ${shortTime(acquisition.expiresAt)} and did not finish in time; nothing was written. Run the command again in a minute.`,
      );
    }
    if (attempt === 0) io.stderr(`A poll (${acquisition.holder}) is running; waiting for it to finish...\n`);
    await sleep(LEASE_RETRY_MS, io.interrupted);
  }
}

function describeResolved(incident: Incident, owedTo: readonly string[], location: string): string {
  const what = `${INCIDENT_KINDS[incident.kind].title}, ${incident.targetName}${incident.jobId ? `, job ${incident.jobId}` : ''}`;
  const delivery =
    owedTo.length > 0
      ? `Its resolve is owed to ${owedTo.map((c) => (c === 'sns' ? 'SNS' : 'PagerDuty')).join(' and ')}: the next poll sends it (the deployed monitor within its schedule, or \`restore-watch poll\`).`
      : 'It was never announced, so no resolve is sent.';
  return `Resolved ${incident.key} (${what}; open since ${shortTime(incident.openedAt)}) in ${location}.\n${delivery}\n`;
}
