/**
 * An incident resolved by hand (`restore-watch incidents resolve KEY --reason TEXT`), for a condition
 * the monitor cannot see clear: a broken restore the team decided not to retry (no later restore will
 * finish, so `job/<id>/failed` would be re-announced every `repeatEveryMinutes` for good), a failing
 * target that is being decommissioned, an incident already handled in PagerDuty. Pure: the CLI reads
 * the open incidents, takes the lease of the incident's shard and writes what this returns.
 *
 * Guarantees (test/core/manual-resolve.test.ts; as the user types it in test/cli/oncall.test.ts):
 *
 * M1. Only an open incident, named by its key (as `restore-watch incidents` shows it, or as PagerDuty
 *     shows its `dedup_key`), with a reason of at most 500 characters: anything else is refused with
 *     every problem named, and nothing is written.
 * M2. The resolve is an ordinary INCIDENT_RESOLVED (I6): the id every resolve of the incident gets
 *     (key and opening, so it cannot be announced twice), in the audit trail with who and why, owed to
 *     every channel the incident was announced on. PagerDuty included, whether or not this process
 *     has a routing key: the next run that has the channel sends it, and the PagerDuty alert closes.
 * M3. A resolved incident is over: no more reminders of it, and `restore-watch incidents` no longer
 *     lists it. Nothing is silenced by it: a new trigger of the same key opens a new incident.
 */
import type { Incident } from './incident-state.ts';
import { closeIncidents, type IncidentOutput } from './incidents.ts';
import type { AlertSettings } from './types.ts';

export const MAX_RESOLVE_REASON = 500;

/** The `dedup_key` prefix PagerDuty shows (`restore-watch/<table>/`), which a key may be pasted with. */
const DEDUP_PREFIX = /^restore-watch\/[^/]+\/(?=(?:job|target|batch)\/)/;

export interface ManualResolveRequest {
  key: string;
  reason?: string;
  /** Who resolves it: `--by`, else the OS user. */
  by: string;
  now: Date;
  runId: string;
  settings: AlertSettings;
}

export type ManualResolvePlan =
  | { ok: true; incident: Incident; output: IncidentOutput }
  | { ok: false; problems: string[] };

/** The incident `key` names, without a PagerDuty `dedup_key` prefix. */
export function incidentKeyOf(key: string): string {
  return key.trim().replace(DEDUP_PREFIX, '');
}

/** What resolving `request.key` by hand writes (M1, M2), from the open incidents as read now. */
export function planManualResolve(
  open: readonly Incident[],
  request: ManualResolveRequest,
): ManualResolvePlan {
  const problems: string[] = [];
  const key = incidentKeyOf(request.key);
  const incident = open.find((candidate) => candidate.key === key && candidate.resolvedAt === undefined);
  if (!incident) {
    problems.push(
      `no open incident has the key "${key}": \`restore-watch incidents\` lists the open ones (keys look like job/<jobId>/failed or target/<project>:<cluster>/failing)`,
    );
  }
  const reason = request.reason?.trim() ?? '';
  if (reason === '') {
    problems.push(
      '--reason is required: say why the incident is over (it goes into the audit trail and the resolve message)',
    );
  } else if (reason.length > MAX_RESOLVE_REASON) {
    problems.push(`--reason is ${reason.length} characters: keep it to ${MAX_RESOLVE_REASON}`);
  }
  if (!incident || problems.length > 0) return { ok: false, problems };
  const output = closeIncidents([incident], `resolved by hand by ${request.by}: ${reason}`, {
    silences: [],
    settings: request.settings,
    // M2: owed to PagerDuty when the incident paged, whatever this process is configured with.
    pagerduty: incident.announcedOn.includes('pagerduty'),
    now: request.now,
    runId: request.runId,
  });
  return { ok: true, incident, output };
}
