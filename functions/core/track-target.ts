/**
 * The incident stage applied to what a run observed, one target at a time: the step between
 * observing a target and recording it. Pure (no port is called): a dry run takes it too, so its
 * preview shows the resolutions, reminders, silences and pages a live run would produce.
 *
 * Per target, because everything an incident depends on is the target's own (its events, its jobs,
 * the incidents of it and its jobs): a run that polls a subset of the targets (a shard) handles
 * exactly the incidents of that subset, plus those of its projects' targets that nobody polls any
 * more (unwatched.ts, closed in poll-fleet.ts). Silences are global and read by every run.
 */
import type { Incident } from './incident-state.ts';
import { type IncidentOutput, incidentsByTarget, mergeIncidentOutputs, trackIncidents } from './incidents.ts';
import type { Observation } from './poll-target.ts';
import type { Silence } from './silences.ts';
import type { AlertSettings, AuditRecord, Target, TargetState } from './types.ts';
import { targetKey } from './types.ts';

export interface TrackingContext {
  /** Open incidents by target key (`incidentsByTarget`). */
  incidents: ReadonlyMap<string, readonly Incident[]>;
  silences: readonly Silence[];
  settings: AlertSettings;
  /** Whether a PagerDuty channel exists in this run. */
  pagerduty: boolean;
  runId: string;
  now: () => Date;
}

/** The tracking context of a run from what it read when it started. */
export function trackingContext(
  state: { incidents: readonly Incident[]; silences: readonly Silence[] },
  options: Omit<TrackingContext, 'incidents' | 'silences'>,
): TrackingContext {
  return { ...options, incidents: incidentsByTarget(state.incidents), silences: state.silences };
}

/** The observation with its records routed and incident-annotated, and the incidents to write. */
export function trackObservation(observation: Observation, context: TrackingContext): Observation {
  const tracked = trackIncidents({
    target: observation.target,
    open: context.incidents.get(targetKey(observation.target)) ?? [],
    records: observation.records,
    changedJobs: observation.kind === 'listed' ? observation.changedJobs : [],
    silences: context.silences,
    settings: context.settings,
    pagerduty: context.pagerduty,
    // The instant the target was observed: the records' `detectedAt` is that instant too.
    now: observedAt(observation.next, context),
    runId: context.runId,
  });
  return {
    ...observation,
    records: tracked.records,
    incidentChanges: tracked.changes,
    incidentCounts: tracked.counts,
  };
}

/**
 * The same for the recoveries of project-wide targets (settled outside any target's poll): their
 * TARGET_RECOVERED records closing the `*` pseudo target's failing incident.
 */
export function trackRecoveries(
  recovered: ReadonlyArray<{ state: TargetState; records: AuditRecord[] }>,
  listed: readonly Target[],
  context: TrackingContext,
): IncidentOutput {
  const outputs: IncidentOutput[] = [];
  for (const { state, records } of recovered) {
    const target: Target = listed.find((t) => targetKey(t) === targetKey(state)) ?? {
      projectId: state.projectId,
      clusterId: state.clusterId,
      name: state.name,
    };
    const tracked = trackIncidents({
      target,
      open: context.incidents.get(targetKey(target)) ?? [],
      records,
      changedJobs: [],
      silences: context.silences,
      settings: context.settings,
      pagerduty: context.pagerduty,
      now: observedAt(state, context),
      runId: context.runId,
    });
    outputs.push(tracked);
  }
  return mergeIncidentOutputs(outputs);
}

function observedAt(state: Pick<TargetState, 'lastPolledAt'>, context: Pick<TrackingContext, 'now'>): Date {
  const at = state.lastPolledAt ? Date.parse(state.lastPolledAt) : Number.NaN;
  return Number.isFinite(at) ? new Date(at) : context.now();
}
