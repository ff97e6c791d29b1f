/**
 * One poll run over every configured target: the use case the Lambda handler and the CLI both drive.
 * It talks to the outside only through the ports, and it is a short sequence of stages, each in its
 * own module with its own rules and tests:
 *
 *   lease (run-lease) → what the run reads first, then each target: observe (poll-target),
 *     incidents (track-target), record (poll-target), within the fleet's limits (poll-fleet)
 *     → project recoveries (target-health), incidents of targets no longer watched (unwatched)
 *     → publish what is owed, per channel (publish-owed)
 *     → save targets → summary (run-summary)
 *
 * Guarantees (docs/reliability.md maps each to the tests that prove it):
 *
 * 1. No alert is lost: events are recorded (owed) before anything is published and marked published
 *    after the channel accepted them; whatever is still owed is published by the next run.
 * 2. No duplicates in normal operation: event ids are deterministic and recording is idempotent, so a
 *    change re-detected after a crash is not recorded twice. The only duplicate left is a crash (or a
 *    lost lease) between the channel accepting a message and the mark; it carries the same eventId.
 * 3. A quiet poll writes only target bookkeeping: an unchanged fingerprint skips the diff entirely.
 * 4. Two runs never double-alert: a lease serialises runs. A run that loses it (a pause let it expire
 *    and another run took over) writes and publishes nothing after noticing, and says `lease: "lost"`.
 * 5. One failing target never stops the others: each target's failure is caught, recorded, counted.
 * 6. A dry run (`previewPoll`) has no publisher and only a read-only view of the state: it cannot
 *    publish or write, by construction; it returns the alerts a live run would send.
 * 7. Every run reads its incidents and silences before it polls (with the owed alerts, one read); a
 *    run that cannot read them fails before anything is written or sent, rather than page under a
 *    silence or lose track of an open incident.
 * 8. A shard (`PollOptions.shard`) polls, discovers and publishes for its own projects only, under
 *    its own lease, so shards run at the same moment without waiting for or overlapping each other
 *    (guarantees S1-S5 of shard.ts).
 */
import { groupForPublishing } from './alerts/grouping.ts';

import type { Config } from './config.ts';
import { alertSettings } from './config.ts';
import { owedTo } from './delivery.ts';
import { LeaseLostError } from './errors.ts';
import type { IncidentCounts } from './incidents.ts';
import type { Logger } from './logger.ts';
import { downloadUrlsOf, type FleetReading, fleetLimits, planRun, pollFleet } from './poll-fleet.ts';
import { recordObservation, type TargetOutcome, toOutcome } from './poll-target.ts';
import type {
  AlertGroup,
  AlertPublisher,
  RestoreJobSource,
  RunLease,
  StateReader,
  StateStore,
} from './ports.ts';
import { type PublishResult, publishOwed } from './publish-owed.ts';
import { acquireRunLease, DEFAULT_LEASE_TTL_MS } from './run-lease.ts';
import { type PollSummary, summarizeRun } from './run-summary.ts';
import { formatShard, type Shard, shardLeaseName, shardView, UNSHARDED } from './shard.ts';
import type { AuditRecord, TargetState } from './types.ts';
import { targetKey } from './types.ts';

export type { DetectedEventSummary, LeaseState, PollSummary } from './run-summary.ts';

/** What a live run needs. */
export interface PollDependencies {
  source: RestoreJobSource;
  store: StateStore;
  lease: RunLease;
  publisher: AlertPublisher;
  /** The PagerDuty channel, when a routing key is configured: triggers page, resolves close. */
  pagerduty?: AlertPublisher;
  now: () => Date;
  logger: Logger;
}

/** What a dry run gets: no publisher, no lease, and the state read-only. */
export interface PreviewDependencies {
  source: RestoreJobSource;
  state: StateReader;
  now: () => Date;
  logger: Logger;
}

export interface PollOptions {
  config: Config;
  runId: string;
  signal?: AbortSignal;
  /** No new target starts at or after this instant (the Lambda time budget). */
  deadline?: Date;
  /**
   * Targets polled at once; the client's per-project limiter still applies.
   * @default config.cloudManager.concurrency
   */
  concurrency?: number;
  /** Lease lifetime; a crashed run blocks the next for at most this long. Default 60 s. */
  leaseTtlMs?: number;
  /**
   * The partition of the fleet this run polls, from `resolveShard` (checked against `deploy.shards`).
   * @default UNSHARDED
   */
  shard?: Shard;
}

export type PreviewOptions = Omit<PollOptions, 'leaseTtlMs'> & {
  /** Whether a live run would have a PagerDuty channel (a routing key is configured). */
  pagerduty?: boolean;
};

/** A dry run's result: the summary, and the alerts a live run would send now. */
export interface PollPreview {
  summary: PollSummary;
  /** Grouped as they would be published: owed ones from earlier runs first, then this run's. */
  alerts: AlertGroup[];
  /** The events PagerDuty would receive now (one call each), when the preview has that channel. */
  pagerduty: AuditRecord[];
  /** Job id → download URL, only with includeDownloadUrl (for rendering the preview). */
  downloadUrls?: ReadonlyMap<string, string>;
}

export async function runPoll(deps: PollDependencies, options: PollOptions): Promise<PollSummary> {
  const { config, runId } = options;
  const { logger, now } = deps;
  const startedAt = now();
  const settings = alertSettings(config);
  const shard = options.shard ?? UNSHARDED;
  const summary = (
    facts: Omit<Parameters<typeof summarizeRun>[0], 'runId' | 'startedAt' | 'finishedAt' | 'dryRun'>,
  ) => summarizeRun({ runId, startedAt, finishedAt: now(), dryRun: false, ...shardFact(shard), ...facts });

  const acquisition = await acquireRunLease({
    lease: deps.lease,
    name: shardLeaseName(shard),
    owner: runId,
    ttlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    now,
    logger,
  });
  if (acquisition.kind === 'held-by-other') {
    logger.info('Another run holds the poll lease; skipping this run', {
      holder: acquisition.holder,
      leaseExpiresAt: acquisition.expiresAt,
    });
    return summary({ lease: 'held-by-other', leaseHolder: acquisition.holder });
  }
  const lease = acquisition.lease;
  const store = lease.fence(shardView(deps.store, shard));
  const signal = options.signal ? AbortSignal.any([options.signal, lease.signal]) : lease.signal;
  let outcomes: TargetOutcome[] | undefined;
  let extraRecords: AuditRecord[] = [];
  let extraIncidents: IncidentCounts | undefined;
  let publish: PublishResult | undefined;
  try {
    const reading: FleetReading = {
      source: deps.source,
      state: store,
      now,
      logger,
      runId,
      settings,
      signal,
      pagerduty: deps.pagerduty !== undefined,
    };
    const plan = await planRun(config, shard, reading);
    // A crashed run's triggers whose incidents it never wrote (see `adoptOwedIncidents`).
    if (plan.adopted.length > 0) await store.saveIncidents(plan.adopted);
    const fleet = await pollFleet(plan, reading, fleetLimits(options), async (observation) => {
      // Noticed while listing: this target's result is no longer this run's to keep.
      if (lease.lost) return { kind: 'skipped', target: observation.target };
      try {
        return await recordObservation(observation, store, logger);
      } catch (error) {
        if (error instanceof LeaseLostError) return { kind: 'skipped', target: observation.target };
        throw error;
      }
    });
    outcomes = fleet.outcomes;
    if (lease.lost) throw lease.lost;
    const { recovered, housekeeping } = fleet;
    extraRecords = housekeeping.records;
    extraIncidents = housekeeping.counts;
    if (extraRecords.length > 0) await store.recordEvents(extraRecords);
    if (housekeeping.changes.length > 0) await store.saveIncidents(housekeeping.changes);

    // A run that recorded nothing finds the owed alerts as they were when it started: no second read.
    const recordedNothing =
      extraRecords.length === 0 && outcomes.every((o) => o.kind === 'skipped' || o.records.length === 0);
    publish = await publishOwed({
      store,
      publisher: deps.publisher,
      ...(deps.pagerduty ? { pagerduty: deps.pagerduty } : {}),
      now,
      logger,
      holdBack: new Set(
        outcomes.flatMap((o) => (o.kind === 'failed' && o.stateUnsafe ? [targetKey(o.target)] : [])),
      ),
      ...(settings.includeDownloadUrl ? { downloadUrls: downloadUrlsOf(outcomes) } : {}),
      checkpoint: () => lease.ensureHeld(),
      ...(options.deadline ? { deadline: options.deadline } : {}),
      signal,
      ...(recordedNothing ? { firstRead: plan.owedAtStart } : {}),
    });
    if (publish.kind === 'stopped')
      return summary({ lease: 'lost', outcomes, extraRecords, extraIncidents, publish });

    // Target bookkeeping goes last: if the run dies before it, the next run diffs again and finds
    // the job states already saved, so nothing is detected twice.
    const nextStates: TargetState[] = [
      ...outcomes.flatMap((o) => (o.kind !== 'skipped' && o.next ? [o.next] : [])),
      ...recovered.map((r) => r.state),
    ];
    if (nextStates.length > 0) await store.saveTargetStates(nextStates);
    return summary({ lease: 'acquired', outcomes, extraRecords, extraIncidents, publish });
  } catch (error) {
    if (!(error instanceof LeaseLostError)) throw error;
    return summary({
      lease: 'lost',
      ...(outcomes ? { outcomes } : {}),
      extraRecords,
      extraIncidents,
      ...(publish ? { publish } : {}),
    });
  } finally {
    await lease.release();
  }
}

/**
 * A dry run: the same observation of every target as a live run, then the alerts it would publish,
 * returned instead of sent. Nothing is written (the state is a `StateReader`), nothing is published
 * (there is no publisher), no lease is taken.
 */
export async function previewPoll(deps: PreviewDependencies, options: PreviewOptions): Promise<PollPreview> {
  const { config, runId } = options;
  const { now } = deps;
  const startedAt = now();
  const settings = alertSettings(config);
  const signal = options.signal ?? new AbortController().signal;
  const shard = options.shard ?? UNSHARDED;
  const reading: FleetReading = {
    ...deps,
    state: shardView(deps.state, shard),
    runId,
    settings,
    signal,
    pagerduty: options.pagerduty === true,
  };
  const plan = await planRun(config, shard, reading);
  const { outcomes, housekeeping } = await pollFleet(plan, reading, fleetLimits(options), async (o) =>
    toOutcome(o),
  );
  const extraRecords = housekeeping.records;
  const detected = [...outcomes.flatMap((o) => (o.kind === 'skipped' ? [] : o.records)), ...extraRecords];
  const byId = new Map<string, AuditRecord>();
  for (const record of [...plan.owedAtStart, ...detected]) {
    if (!byId.has(record.eventId)) byId.set(record.eventId, record);
  }
  const owed = [...byId.values()];
  return {
    summary: summarizeRun({
      runId,
      startedAt,
      finishedAt: now(),
      dryRun: true,
      lease: 'not-used',
      ...shardFact(shard),
      outcomes,
      extraRecords,
      extraIncidents: housekeeping.counts,
    }),
    alerts: groupForPublishing(owed.filter((record) => owedTo(record, 'sns'))),
    pagerduty: options.pagerduty ? owed.filter((record) => owedTo(record, 'pagerduty')) : [],
    ...(settings.includeDownloadUrl ? { downloadUrls: downloadUrlsOf(outcomes) } : {}),
  };
}

/** The summary names the shard only when the fleet is sharded (unsharded output is unchanged). */
function shardFact(shard: Shard): { shard?: string } {
  return shard.count > 1 ? { shard: formatShard(shard) } : {};
}
