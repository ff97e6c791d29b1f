/**
 * The fleet part of a run, shared by the live run and the dry run: what every run reads first (targets,
 * their saved states, the owed alerts, open incidents and silences), and every target observed,
 * tracked for incidents and settled (recorded in a live run, taken as it is in a dry run) within the
 * run's limits: how many at once, how many jobs in memory, none after the deadline or the signal.
 */

import { mapWithConcurrency } from './concurrency.ts';
import type { Config } from './config.ts';
import { incidentOf } from './incident-kinds.ts';
import { adoptOwedIncidents, type Incident } from './incident-state.ts';
import { closeIncidents, type IncidentOutput, mergeIncidentOutputs } from './incidents.ts';
import type { Logger } from './logger.ts';
import type { PreviewOptions } from './poll.ts';
import { type Observation, type ObserveContext, observeTarget, type TargetOutcome } from './poll-target.ts';
import type { RestoreJobSource, StateReader } from './ports.ts';
import { OWED_PAGE } from './publish-owed.ts';
import { type ResolvedTargets, resolveTargets } from './resolve-targets.ts';
import { type Shard, shardTargets } from './shard.ts';
import type { Silence } from './silences.ts';
import { adoptOwedFailures, recoverListedProjects } from './target-health.ts';
import { pollOrder } from './target-order.ts';
import { trackingContext, trackObservation, trackRecoveries } from './track-target.ts';
import type { AlertSettings, AuditRecord, Target, TargetState } from './types.ts';
import { targetKey } from './types.ts';
import {
  candidateTargets,
  UNWATCHED_REASON,
  unwatchedAfterMs,
  unwatchedCandidates,
  unwatchedIncidents,
} from './unwatched.ts';

/**
 * Jobs the targets in flight may hold at once: a target keeps its listing's snapshots (a few hundred
 * bytes a job) until it is diffed, and its pages and response bodies while it is listed, so
 * `cloudManager.concurrency` targets of 5,000-job histories would hold far more than a function's
 * memory. Each target counts as its last listing's job count (a never-polled one as one full page),
 * and no target starts while the sum would pass this; a single larger target still runs, alone.
 * bench/README.md ("Memory") has the measurements behind it: 8 targets of 5,000 jobs at once.
 */
export const JOBS_IN_FLIGHT = 40_000;
/** The weight of a target never listed: one full page of jobs. */
export const UNKNOWN_JOB_COUNT = 500;

export interface RunPlan extends ResolvedTargets {
  /** Target states as last saved, with owed TARGET_FAILING adopted (see `adoptOwedFailures`). */
  previous: ReadonlyMap<string, TargetState>;
  /** The owed events when the run started. */
  owedAtStart: AuditRecord[];
  /** The open incidents as stored, plus those adopted from owed triggers. */
  incidents: Incident[];
  /** The adopted ones: a live run writes them. */
  adopted: Incident[];
  /** Open incidents of targets this run's shard no longer watches: the run closes them (unwatched.ts). */
  unwatched: Incident[];
  silences: Silence[];
}

/** What the reading stages of a run share: where jobs and state come from, and the run's settings. */
export interface FleetReading {
  source: RestoreJobSource;
  state: StateReader;
  now: () => Date;
  logger: Logger;
  runId: string;
  settings: AlertSettings;
  signal: AbortSignal;
  /** Whether this run has a PagerDuty channel (what the incident stage routes to). */
  pagerduty: boolean;
}

/** Which targets (the shard's), and what is known of them: the reads every run starts with (guarantee 7). */
export async function planRun(config: Config, shard: Shard, deps: FleetReading): Promise<RunPlan> {
  const resolved = await resolveTargets(shardTargets(config.targets, shard), deps.source, {
    signal: deps.signal,
    logger: deps.logger,
    concurrency: config.cloudManager.concurrency,
  });
  const saved = await deps.state.getTargetStates([...resolved.targets, ...resolved.listedProjects]);
  const state = await deps.state.readRunState(OWED_PAGE);
  // Only this run's targets: a run that polls part of the fleet (a shard) writes no incident of a
  // target another run polls, which might be closing it at the same moment.
  const polled = new Set([...resolved.targets, ...resolved.listedProjects].map(targetKey));
  const triggers = await owedTriggers(state.owed, deps.state);
  const adopted = adoptOwedIncidents(
    state.incidents,
    triggers.filter((record) => polled.has(targetKey(record))),
  );
  return {
    ...resolved,
    previous: adoptOwedFailures(saved, triggers),
    owedAtStart: state.owed,
    incidents: [...state.incidents, ...adopted],
    adopted,
    unwatched: await unwatchedOf(state.incidents, resolved, {
      config,
      shard,
      state: deps.state,
      now: deps.now,
    }),
    silences: state.silences,
  };
}

/** The most owed triggers a run reads for adoption when the owed alerts fill more than one page. */
export const ADOPTION_SCAN_LIMIT = 20 * OWED_PAGE;

/**
 * The owed triggers a crashed run may have left without their incident or target state (adopted by
 * `adoptOwedIncidents` and `adoptOwedFailures`): those of the first page read with the run state, or,
 * when the backlog (an outage) is longer than a page, up to `ADOPTION_SCAN_LIMIT` of them read past it,
 * so a trigger behind hundreds of owed alerts is not missed. A quiet run reads nothing more.
 */
async function owedTriggers(firstPage: readonly AuditRecord[], state: StateReader): Promise<AuditRecord[]> {
  const isTrigger = (record: AuditRecord) => incidentOf(record).action === 'trigger';
  if (firstPage.length < OWED_PAGE) return firstPage.filter(isTrigger);
  return state.listOwedEvents(ADOPTION_SCAN_LIMIT, undefined, isTrigger);
}

/**
 * The open incidents of targets nobody polls any more that this run closes (unwatched.ts). Reads the
 * saved states of those targets only when there are candidates: a run whose incidents are all of its
 * own targets reads nothing more.
 */
async function unwatchedOf(
  incidents: readonly Incident[],
  resolved: ResolvedTargets,
  context: { config: Config; shard: Shard; state: StateReader; now: () => Date },
): Promise<Incident[]> {
  const candidates = unwatchedCandidates(incidents, resolved, context.shard);
  if (candidates.length === 0) return [];
  const states = await context.state.getTargetStates(candidateTargets(candidates));
  return unwatchedIncidents(
    candidates,
    states,
    context.now(),
    unwatchedAfterMs(context.config.deploy.schedule),
  );
}

export interface FleetLimits {
  concurrency: number;
  deadline?: Date;
}

/** How many targets at once (the option, else the configuration's), and until when. */
export function fleetLimits(options: PreviewOptions): FleetLimits {
  return {
    concurrency: options.concurrency ?? options.config.cloudManager.concurrency,
    ...(options.deadline ? { deadline: options.deadline } : {}),
  };
}

/**
 * Every target observed and then settled by `settle` (recorded in a live run, taken as it is in a dry
 * run), in `pollOrder` (projects interleaved, oldest `lastPolledAt` first within each: targets a
 * previous run could not reach go first now), at most `concurrency` at once and `JOBS_IN_FLIGHT`
 * jobs among them, none started once the signal fired or the deadline passed; then the project-wide
 * targets that recovered.
 */
export async function pollFleet(
  plan: RunPlan,
  reading: FleetReading,
  limits: FleetLimits,
  settle: (observation: Observation) => Promise<TargetOutcome>,
): Promise<{
  outcomes: TargetOutcome[];
  recovered: ReturnType<typeof recoverListedProjects>;
  /**
   * What the incident stage made of the run outside any target's poll: the project recoveries, and
   * the incidents of targets no longer watched, closed. Their records and incident changes.
   */
  housekeeping: IncidentOutput;
}> {
  const { now, signal } = reading;
  const tracking = trackingContext(plan, {
    settings: reading.settings,
    pagerduty: reading.pagerduty,
    runId: reading.runId,
    now,
  });
  const ordered = pollOrder(
    plan.targets,
    (target) => plan.previous.get(targetKey(target))?.lastPolledAt ?? '',
  );
  const context: ObserveContext = { ...reading, projectFailures: plan.projectFailures };
  const jobCount = (target: Target) => plan.previous.get(targetKey(target))?.jobCount ?? UNKNOWN_JOB_COUNT;
  const outcomes = await mapWithConcurrency(
    ordered,
    limits.concurrency,
    async (target) => {
      if (signal.aborted || (limits.deadline && now() >= limits.deadline)) {
        return { kind: 'skipped', target } satisfies TargetOutcome;
      }
      const observed = await observeTarget(target, plan.previous.get(targetKey(target)), context);
      return settle(trackObservation(observed, tracking));
    },
    { budget: { limit: JOBS_IN_FLIGHT, weight: jobCount } },
  );
  const recovered = recoverListedProjects({
    listed: plan.listedProjects,
    previous: plan.previous,
    now: now(),
    runId: reading.runId,
    settings: reading.settings,
  });
  const recoveries = trackRecoveries(recovered, plan.listedProjects, tracking);
  const unwatched = closeIncidents(plan.unwatched, UNWATCHED_REASON, {
    ...tracking,
    now: now(),
  });
  return { outcomes, recovered, housekeeping: mergeIncidentOutputs([recoveries, unwatched]) };
}

export function downloadUrlsOf(outcomes: readonly TargetOutcome[]): Map<string, string> {
  const urls = new Map<string, string>();
  for (const outcome of outcomes) {
    if (outcome.kind !== 'ok') continue;
    for (const [jobId, url] of outcome.downloadUrls) urls.set(jobId, url);
  }
  return urls;
}
