import { DynamoStateStore } from '../../adapters/dynamo/dynamo-state-store.ts';
import type { Incident } from '../../core/incident-state.ts';
import { SEVERITY_ORDER } from '../../core/types.ts';
import { type CliIo, openStateTable } from '../context.ts';
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
