/**
 * Incidents of targets the monitor no longer watches: a cluster removed from the configuration, a
 * project-wide entry removed, a cluster deleted from its project or no longer watchable (it became a
 * shard of a sharded cluster). No run polls such a target again, so no poll would ever clear its
 * incidents: without this stage a PagerDuty incident would stay open for good and `restore-watch
 * incidents` would list it for ever. Pure.
 *
 * Guarantees (test/core/unwatched.test.ts; over real peers in test/scenarios/oncall.test.ts):
 *
 * U1. An open incident whose target this run does not poll, and that nobody has polled for three
 *     periods of `deploy.schedule` (at least 15 minutes), is closed by the run that owns its project:
 *     one INCIDENT_RESOLVED (closeIncidents, I6) saying why, sent to every channel its trigger went to,
 *     so a PagerDuty incident closes.
 * U2. Unknown is not gone: nothing is closed for a project whose clusters this run could not list (its
 *     clusters may all still be there), nor for another shard's project (that shard decides).
 * U3. A target still polled by someone else is not closed: a run with another configuration against
 *     the same table (a CLI run with a trimmed file, a deploy of a mistaken file) sees the target as
 *     not its own, but its last poll is recent, so the wait of U1 keeps its incidents open.
 */
import type { Incident } from './incident-state.ts';
import { MS_PER_MINUTE, parseInstant } from './instant.ts';
import type { TargetRef } from './ports.ts';
import { ALL_CLUSTERS, type ResolvedTargets } from './resolve-targets.ts';
import { schedulePeriod } from './schedule-period.ts';
import { ownsProject, type Shard } from './shard.ts';
import type { TargetState } from './types.ts';
import { targetKey } from './types.ts';

/** The reason the INCIDENT_RESOLVED of such an incident gives, for people. */
export const UNWATCHED_REASON =
  'its target is no longer watched (removed from the configuration, or no longer listed in its project)';

/** Periods of the schedule nobody may have polled a target before its incidents are closed (U1). */
export const UNWATCHED_PERIODS = 3;
/** The least of that wait, whatever the schedule. */
export const UNWATCHED_MIN_MS = 15 * MS_PER_MINUTE;

/** How long nobody may have polled a target before its incidents are closed, for `deploy.schedule`. */
export function unwatchedAfterMs(schedule: string): number {
  return Math.max(UNWATCHED_PERIODS * schedulePeriod(schedule).seconds * 1000, UNWATCHED_MIN_MS);
}

/** The open incidents of targets this run does not poll and may decide about (U2). */
export function unwatchedCandidates(
  incidents: readonly Incident[],
  resolved: ResolvedTargets,
  shard: Shard,
): Incident[] {
  const watched = new Set([...resolved.targets, ...resolved.listedProjects].map(targetKey));
  return incidents.filter(
    (incident) =>
      incident.resolvedAt === undefined &&
      ownsProject(shard, incident.projectId) &&
      !watched.has(targetKey(incident)) &&
      !resolved.projectFailures.has(targetKey({ projectId: incident.projectId, clusterId: ALL_CLUSTERS })),
  );
}

/** The targets whose saved state `unwatchedIncidents` needs. */
export function candidateTargets(candidates: readonly Incident[]): TargetRef[] {
  const byKey = new Map<string, TargetRef>();
  for (const { projectId, clusterId } of candidates)
    byKey.set(targetKey({ projectId, clusterId }), { projectId, clusterId });
  return [...byKey.values()];
}

/**
 * The candidates nobody has polled for `afterMs` (U1, U3): the target's last poll as saved, or, with no
 * saved state, the incident's own latest trigger or notice.
 */
export function unwatchedIncidents(
  candidates: readonly Incident[],
  states: ReadonlyMap<string, TargetState>,
  now: Date,
  afterMs: number,
): Incident[] {
  return candidates.filter((incident) => {
    const last = Math.max(
      parseInstant(states.get(targetKey(incident))?.lastPolledAt) ?? 0,
      parseInstant(incident.lastTriggeredAt) ?? 0,
      parseInstant(incident.lastNotifiedAt) ?? 0,
    );
    return now.getTime() - last >= afterMs;
  });
}
