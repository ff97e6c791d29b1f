/**
 * One poll run over every configured target: the use case that the Lambda handler and the CLI both
 * drive. It talks to the outside only through the ports, so the guarantees below are properties of
 * this file and the ports' contracts, not of any SDK:
 *
 * 1. No alert is lost: events are recorded (owed) before anything is published and marked published
 *    after SNS accepted them; whatever is still owed is published by the next run.
 * 2. No duplicates in normal operation: event ids are deterministic and recording is idempotent, so a
 *    change re-detected after a crash is not recorded twice. The only duplicate left is a crash
 *    between SNS accepting a message and the mark; it carries the same eventId.
 * 3. A quiet poll writes only target bookkeeping: an unchanged fingerprint skips the diff entirely.
 * 4. Two runs never double-alert: a lease serialises runs; losing it aborts the run.
 * 5. One failing target never stops the others: each target's failure is caught, recorded, counted.
 */
import { createHash } from 'node:crypto';
import { groupForPublishing } from './alerts/grouping.ts';
import type { Config, ConfiguredTarget } from './config.ts';
import { alertSettings } from './config.ts';
import { canSkipDiff, detectChanges } from './detect-changes.ts';
import { meetsMinSeverity } from './event-catalogue.ts';
import type {
  AlertPublisher,
  PublishedMark,
  PublishFailure,
  PublishOutcome,
  RestoreJobSource,
  RunLease,
  StateStore,
} from './ports.ts';
import { scrubText } from './redact.ts';
import { fingerprintJobs, toSnapshot } from './snapshot.ts';
import { recordTargetFailure, recordTargetSuccess, type TargetFailure } from './target-health.ts';
import type {
  AlertSettings,
  AuditRecord,
  Cluster,
  JobSnapshot,
  MonitorEvent,
  RestoreJob,
  Target,
  TargetState,
} from './types.ts';
import { targetKey } from './types.ts';

/** Structured logger; Powertools Logger and the CLI's console logger both satisfy it. */
export interface PollLogger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface PollDependencies {
  source: RestoreJobSource;
  store: StateStore;
  lease: RunLease;
  publisher: AlertPublisher;
  now: () => Date;
  logger: PollLogger;
}

export interface PollOptions {
  config: Config;
  runId: string;
  signal?: AbortSignal;
  /** No new target starts at or after this instant (the Lambda time budget). */
  deadline?: Date;
  /** Read and detect, but write and publish nothing: events go to the publisher as a preview only. */
  dryRun?: boolean;
  /** Targets polled at once; the client's per-project limiter still applies. Default 8. */
  concurrency?: number;
  /** Lease lifetime; a crashed run blocks the next for at most this long. Default 60 s. */
  leaseTtlMs?: number;
}

export interface DetectedEventSummary {
  eventId: string;
  eventType: string;
  severity: string;
  target: string;
  jobId?: string;
  summary: string;
  suppressed: boolean;
}

export interface PollSummary {
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  dryRun: boolean;
  lease: 'acquired' | 'held-by-other' | 'not-used';
  leaseHolder?: string;
  targets: { total: number; ok: number; failed: number; skipped: number };
  /** Targets not reached because the time budget ran out; they go first next run. */
  skippedTargets: string[];
  failedTargets: Array<{ target: string; name: string; error: string }>;
  jobsSeen: number;
  eventsDetected: number;
  events: DetectedEventSummary[];
  alertsPublished: number;
  alertsFailed: number;
  /** Still owed after this run (SNS failed or no time left); the next run publishes them. */
  alertsOwed: number;
  /** Rejected by SNS as invalid `MAX_REJECTIONS` times: parked in the audit trail, not retried. */
  alertsAbandoned: number;
}

/** Thrown when the run lost its lease mid-way; the other run owns the work now. */
export class LeaseLostError extends Error {
  constructor(runId: string) {
    super(`Run ${runId} lost its lease to another run and stopped to avoid double alerts.`);
    this.name = 'LeaseLostError';
  }
}

const DEFAULT_LEASE_TTL_MS = 60_000;
/** Targets polled at once when `PollOptions.concurrency` is not given (the benchmark reports it). */
export const DEFAULT_CONCURRENCY = 8;
/** Owed events read per round when publishing; several rounds drain a change storm. */
const OWED_PAGE = 500;
const MAX_PUBLISH_ROUNDS = 10;
/** SNS rejections of the message itself (not outages) after which an alert is parked, not retried. */
export const MAX_REJECTIONS = 3;
/** Pseudo cluster id for a project-wide target whose cluster list could not be read. */
const ALL_CLUSTERS = '*';

interface TargetOutcome {
  target: Target;
  next?: TargetState;
  ok: boolean;
  skipped: boolean;
  /** State writes failed: owed events of this target must wait for a run that saves its state. */
  stateUnsafe: boolean;
  jobsSeen: number;
  records: AuditRecord[];
  downloadUrls: Map<string, string>;
  error?: string;
}

export async function runPoll(deps: PollDependencies, options: PollOptions): Promise<PollSummary> {
  const { config, runId } = options;
  const dryRun = options.dryRun === true;
  const startedAt = deps.now();
  const settings = alertSettings(config);
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const summary: PollSummary = {
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    durationMs: 0,
    dryRun,
    lease: dryRun ? 'not-used' : 'acquired',
    targets: { total: 0, ok: 0, failed: 0, skipped: 0 },
    skippedTargets: [],
    failedTargets: [],
    jobsSeen: 0,
    eventsDetected: 0,
    events: [],
    alertsPublished: 0,
    alertsFailed: 0,
    alertsOwed: 0,
    alertsAbandoned: 0,
  };
  const finish = () => {
    const end = deps.now();
    summary.finishedAt = end.toISOString();
    summary.durationMs = end.getTime() - startedAt.getTime();
    return summary;
  };

  if (!dryRun) {
    const lease = await deps.lease.acquire(runId, startedAt, leaseTtlMs);
    if (!lease.acquired) {
      summary.lease = 'held-by-other';
      summary.leaseHolder = lease.holder;
      deps.logger.info('Another run holds the poll lease; skipping this run', {
        holder: lease.holder,
        leaseExpiresAt: lease.expiresAt,
      });
      return finish();
    }
  }

  // Losing the lease (a long pause let it expire and another run took over) aborts this run.
  const abort = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
  let renewal: ReturnType<typeof setInterval> | undefined;
  if (!dryRun) {
    renewal = setInterval(
      () => {
        deps.lease.renew(runId, deps.now(), leaseTtlMs).then(
          (held) => {
            if (!held) {
              deps.logger.error('Poll lease lost; stopping this run', { runId });
              abort.abort(new LeaseLostError(runId));
            }
          },
          (error: unknown) =>
            deps.logger.warn('Could not renew the poll lease', { error: describeError(error) }),
        );
      },
      Math.max(1_000, Math.floor(leaseTtlMs / 3)),
    );
    renewal.unref?.();
  }

  try {
    const { targets, projectFailures, listedProjects } = await resolveTargets(config.targets, deps, signal);
    const previous = await deps.store.getTargetStates([...targets, ...listedProjects]);
    let owedAtStart: AuditRecord[] | undefined;
    if (!dryRun) {
      // Best effort: without it only a TARGET_RECOVERED after a crashed run could go unannounced,
      // and a store that cannot answer here fails the run at the publishing step anyway.
      await deps.store.listOwedEvents(OWED_PAGE).then(
        (owed) => {
          owedAtStart = owed;
          adoptOwedFailures(previous, owed);
        },
        (error: unknown) =>
          deps.logger.warn('Could not read owed alerts before polling', { error: describeError(error) }),
      );
    }
    // Oldest first: targets a previous run could not reach (time budget) go first now.
    const ordered = [...targets].sort((a, b) => {
      const pa = previous.get(targetKey(a))?.lastPolledAt ?? '';
      const pb = previous.get(targetKey(b))?.lastPolledAt ?? '';
      return pa < pb ? -1 : pa > pb ? 1 : 0;
    });
    summary.targets.total = ordered.length;

    const outcomes = await mapWithConcurrency(
      ordered,
      options.concurrency ?? DEFAULT_CONCURRENCY,
      (target) => {
        if (signal.aborted || (options.deadline && deps.now() >= options.deadline)) {
          return Promise.resolve<TargetOutcome>(skippedOutcome(target));
        }
        return pollTarget(target, previous.get(targetKey(target)), deps, {
          runId,
          settings,
          signal,
          dryRun,
          projectFailures,
        });
      },
    );
    if (signal.aborted && signal.reason instanceof LeaseLostError) throw signal.reason;

    const unsafeTargets = new Set<string>();
    const downloadUrls = new Map<string, string>();
    const nextStates: TargetState[] = [];
    for (const outcome of outcomes) {
      const key = targetKey(outcome.target);
      if (outcome.skipped) {
        summary.targets.skipped++;
        summary.skippedTargets.push(outcome.target.name);
        continue;
      }
      if (outcome.ok) summary.targets.ok++;
      else {
        summary.targets.failed++;
        summary.failedTargets.push({
          target: key,
          name: outcome.target.name,
          error: outcome.error ?? 'unknown',
        });
      }
      if (outcome.stateUnsafe) unsafeTargets.add(key);
      if (outcome.next) nextStates.push(outcome.next);
      summary.jobsSeen += outcome.jobsSeen;
      for (const [jobId, url] of outcome.downloadUrls) downloadUrls.set(jobId, url);
      for (const record of outcome.records) {
        summary.eventsDetected++;
        summary.events.push(eventSummary(record));
      }
    }

    const recovered = recoverListedProjects(listedProjects, previous, deps.now(), runId, settings);
    for (const { state, records } of recovered) {
      nextStates.push(state);
      for (const record of records) summary.events.push(eventSummary(record));
      summary.eventsDetected += records.length;
    }
    const recoveryRecords = recovered.flatMap((r) => r.records);
    if (!dryRun && recoveryRecords.length > 0) await deps.store.recordEvents(recoveryRecords);

    const urls = settings.includeDownloadUrl ? downloadUrls : undefined;
    if (dryRun) {
      const preview = [...outcomes.flatMap((o) => o.records), ...recoveryRecords].filter(
        (r) => !r.suppressed,
      );
      if (preview.length > 0) {
        await deps.publisher.publish(groupForPublishing(preview), urls ? { downloadUrls: urls } : {});
      }
      return finish();
    }

    // Target bookkeeping goes last: if the run dies before it, the next run diffs again and finds
    // the job states already saved, so nothing is detected twice.
    // A run that recorded nothing finds the owed alerts as they were when it started: no second read.
    const recordedNothing = recoveryRecords.length === 0 && outcomes.every((o) => o.records.length === 0);
    await publishOwed(deps, summary, unsafeTargets, urls, options.deadline, signal, {
      ...(recordedNothing && owedAtStart ? { firstRead: owedAtStart } : {}),
    });
    if (nextStates.length > 0) await deps.store.saveTargetStates(nextStates);
    return finish();
  } finally {
    if (renewal) clearInterval(renewal);
    if (!dryRun) {
      await deps.lease.release(runId).catch((error: unknown) =>
        deps.logger.warn('Could not release the poll lease; it expires by itself', {
          error: describeError(error),
        }),
      );
    }
  }
}

interface ResolvedTargets {
  targets: Target[];
  /** Why the clusters of a project could not be listed, keyed by its pseudo target (`{project}:*`). */
  projectFailures: Map<string, TargetFailure>;
  /** Pseudo targets of project-wide entries whose clusters were listed: they may have recovered. */
  listedProjects: Target[];
}

/** Expands project-wide targets into clusters (shards and config servers are not separate targets). */
async function resolveTargets(
  configured: readonly ConfiguredTarget[],
  deps: PollDependencies,
  signal: AbortSignal,
): Promise<ResolvedTargets> {
  const targets: Target[] = [];
  const projectFailures = new Map<string, TargetFailure>();
  const listedProjects: Target[] = [];
  const seen = new Set<string>();
  const add = (target: Target) => {
    const key = targetKey(target);
    if (!seen.has(key)) {
      seen.add(key);
      targets.push(target);
    }
  };
  for (const entry of configured) {
    if (entry.clusterId) {
      add({
        projectId: entry.projectId.toLowerCase(),
        clusterId: entry.clusterId.toLowerCase(),
        name: entry.name ?? entry.clusterId,
        ...(entry.batchId ? { batchId: entry.batchId.toLowerCase() } : {}),
      });
      continue;
    }
    const projectTarget: Target = {
      projectId: entry.projectId.toLowerCase(),
      clusterId: ALL_CLUSTERS,
      name: `${entry.name ?? entry.projectId} (all clusters)`,
    };
    try {
      const clusters = await deps.source.listClusters(entry.projectId, { signal });
      listedProjects.push(projectTarget);
      for (const cluster of clusters.filter(isWatchableCluster)) {
        const clusterName = cluster.clusterName ?? cluster.id;
        add({
          projectId: entry.projectId.toLowerCase(),
          clusterId: cluster.id.toLowerCase(),
          name: entry.name ? `${entry.name}/${clusterName}` : clusterName,
        });
      }
    } catch (error) {
      // The project itself becomes the failing target, so the failure is alerted like any other.
      deps.logger.error('Could not list the clusters of a project', {
        projectId: entry.projectId,
        error: describeError(error),
      });
      add(projectTarget);
      projectFailures.set(targetKey(projectTarget), toTargetFailure(error));
    }
  }
  return { targets, projectFailures, listedProjects };
}

/**
 * A project-wide target whose clusters could not be listed fails as `{project}:*`. Once they list
 * again that pseudo target is no longer polled, so its recovery is settled here: TARGET_RECOVERED if
 * TARGET_FAILING was raised, and a healed state either way.
 */
function recoverListedProjects(
  listed: readonly Target[],
  previous: ReadonlyMap<string, TargetState>,
  now: Date,
  runId: string,
  settings: AlertSettings,
): Array<{ state: TargetState; records: AuditRecord[] }> {
  const out: Array<{ state: TargetState; records: AuditRecord[] }> = [];
  for (const target of listed) {
    const prev = previous.get(targetKey(target));
    if (!prev || (prev.failureStreak === 0 && !prev.failingAlerted)) continue;
    const { events } = recordTargetSuccess({ target, previous: prev, now });
    const { failingSince: _since, ...rest } = prev;
    out.push({
      state: {
        ...rest,
        failureStreak: 0,
        failingAlerted: false,
        lastPolledAt: now.toISOString(),
        lastSuccessAt: now.toISOString(),
      },
      records: events.map((event) => toAuditRecord(event, runId, settings)),
    });
  }
  return out;
}

function toAuditRecord(event: MonitorEvent, runId: string, settings: AlertSettings): AuditRecord {
  return {
    ...event,
    runId,
    publishAttempts: 0,
    ...(meetsMinSeverity(event.severity, settings.minSeverity) ? {} : { suppressed: true }),
  };
}

function eventSummary(record: AuditRecord): DetectedEventSummary {
  return {
    eventId: record.eventId,
    eventType: record.eventType,
    severity: record.severity,
    target: record.targetName,
    ...(record.jobId ? { jobId: record.jobId } : {}),
    summary: record.summary,
    suppressed: record.suppressed === true,
  };
}

/**
 * A TARGET_FAILING that is recorded but still owed may belong to a run that never saved the target's
 * state (it died, or the save failed, between the two writes). The target state then does not say
 * the failure was alerted, and a recovery would go unannounced. The owed record is the proof: the
 * target is treated as alerted from the event's detection time, so TARGET_RECOVERED follows it.
 */
function adoptOwedFailures(previous: Map<string, TargetState>, owed: readonly AuditRecord[]): void {
  for (const record of owed) {
    if (record.eventType !== 'TARGET_FAILING') continue;
    const key = targetKey(record);
    const prev = previous.get(key);
    if (prev?.failingAlerted) continue;
    // A success saved after the failure was detected means its recovery was already recorded (the
    // event is merely still owed to SNS): nothing to adopt.
    if (prev?.lastSuccessAt !== undefined && prev.lastSuccessAt >= record.detectedAt) continue;
    previous.set(key, {
      ...(prev ?? {
        projectId: record.projectId,
        clusterId: record.clusterId,
        name: record.targetName,
        baselined: false,
      }),
      failureStreak: Math.max(prev?.failureStreak ?? 0, 1),
      failingSince: prev?.failingSince ?? record.detectedAt,
      failingAlerted: true,
    });
  }
}

/** Shard members and config servers/** Shard members and config servers of a sharded cluster are reported through the cluster itself. */
export function isWatchableCluster(cluster: Cluster): boolean {
  if (cluster.typeName === 'CONFIG_SERVER_REPLICA_SET') return false;
  if (typeof cluster.shardName === 'string' && cluster.shardName !== '') return false;
  return true;
}

interface TargetContext {
  runId: string;
  settings: AlertSettings;
  signal: AbortSignal;
  dryRun: boolean;
  projectFailures: ReadonlyMap<string, TargetFailure>;
}

async function pollTarget(
  target: Target,
  previous: TargetState | undefined,
  deps: PollDependencies,
  context: TargetContext,
): Promise<TargetOutcome> {
  const now = deps.now();
  const outcome: TargetOutcome = {
    target,
    ok: false,
    skipped: false,
    stateUnsafe: false,
    jobsSeen: 0,
    records: [],
    downloadUrls: new Map(),
  };
  const toRecords = (events: readonly MonitorEvent[]) =>
    events.map((event) => toAuditRecord(event, context.runId, context.settings));

  if (target.clusterId === ALL_CLUSTERS) {
    const failure = context.projectFailures.get(targetKey(target));
    return failTarget(target, previous, deps, context, outcome, {
      name: failure?.name ?? 'ClusterListError',
      message: `the clusters of this project could not be listed: ${failure?.message ?? 'unknown error'}`,
      ...(failure?.status !== undefined ? { status: failure.status } : {}),
      ...(failure?.errorCode !== undefined ? { errorCode: failure.errorCode } : {}),
      auth: failure?.auth ?? false,
    });
  }

  // Each job is reduced to its snapshot (and download URL) as its page arrives: a source that hands
  // jobs over (`onJob`) then never has a long history's raw jobs in memory at once. Handed-over jobs
  // are keyed by id like the source's own union (the last sighting wins); jobs the source returns
  // are taken as they come, as before.
  const includeUrls = context.settings.includeDownloadUrl;
  const handed = new Map<string, JobSnapshot>();
  const handedUrls = new Map<string, string>();
  const onJob = (job: RestoreJob) => {
    handed.set(job.id, toSnapshot(job, target));
    if (!includeUrls) return;
    const url = downloadUrlOf(job);
    if (url === undefined) handedUrls.delete(job.id);
    else handedUrls.set(job.id, url);
  };
  let returned: RestoreJob[];
  try {
    returned = await deps.source.listRestoreJobs({
      projectId: target.projectId,
      clusterId: target.clusterId,
      ...(target.batchId ? { batchId: target.batchId } : {}),
      signal: context.signal,
      onJob,
    });
  } catch (error) {
    return failTarget(target, previous, deps, context, outcome, toTargetFailure(error));
  }

  const snapshots = [...handed.values()];
  for (const job of returned) snapshots.push(toSnapshot(job, target));
  outcome.jobsSeen = snapshots.length;
  if (includeUrls) {
    outcome.downloadUrls = handedUrls;
    for (const job of returned) {
      const url = downloadUrlOf(job);
      if (url !== undefined) outcome.downloadUrls.set(job.id, url);
    }
  }

  try {
    const fingerprint = fingerprintJobs(snapshots);
    const health = recordTargetSuccess({ target, previous, now });
    const settingsFingerprint = fingerprintSettings(context.settings);
    if (
      previous &&
      health.events.length === 0 &&
      previous.settingsFingerprint === settingsFingerprint &&
      canSkipDiff(previous, fingerprint, now)
    ) {
      outcome.ok = true;
      outcome.next = {
        ...previous,
        name: target.name,
        lastPolledAt: now.toISOString(),
        lastSuccessAt: now.toISOString(),
        failureStreak: 0,
        jobCount: snapshots.length,
      };
      return outcome;
    }

    const previousJobs = previous?.baselined ? await deps.store.loadJobStates(target) : new Map();
    const detected = detectChanges({
      target,
      previousTarget: previous,
      previousJobs,
      snapshots,
      now,
      settings: context.settings,
    });
    outcome.records = toRecords([...health.events, ...detected.events]);
    outcome.ok = true;
    outcome.next = { ...detected.target, settingsFingerprint };
    if (context.dryRun) return outcome;

    // Record first (owed), then the job states: a crash in between re-detects the same event ids.
    if (outcome.records.length > 0) await deps.store.recordEvents(outcome.records);
    if (detected.changedJobs.length > 0) await deps.store.saveJobStates(target, detected.changedJobs);
    return outcome;
  } catch (error) {
    // A state-store failure: keep this target's owed events back until a run saves its state.
    deps.logger.error('Could not save the state of a target', {
      target: targetKey(target),
      error: describeError(error),
    });
    outcome.ok = false;
    outcome.stateUnsafe = true;
    outcome.next = undefined;
    outcome.error = describeError(error);
    return outcome;
  }
}

/** The download link of a job, if it has one (a secret: it goes only into alert messages). */
function downloadUrlOf(job: RestoreJob): string | undefined {
  const url = job.delivery?.url;
  return typeof url === 'string' && url !== '' ? url : undefined;
}

async function failTarget(
  target: Target,
  previous: TargetState | undefined,
  deps: PollDependencies,
  context: TargetContext,
  outcome: TargetOutcome,
  failure: TargetFailure,
): Promise<TargetOutcome> {
  const now = deps.now();
  const result = recordTargetFailure({ target, previous, failure, now, settings: context.settings });
  outcome.ok = false;
  outcome.error = failure.message;
  outcome.next = result.target;
  outcome.records = result.events.map((event) => toAuditRecord(event, context.runId, context.settings));
  deps.logger.warn('Target poll failed', {
    target: targetKey(target),
    name: target.name,
    failureStreak: result.target.failureStreak,
    error: failure.message,
  });
  if (!context.dryRun && outcome.records.length > 0) {
    try {
      await deps.store.recordEvents(outcome.records);
      // Save the streak now, not at the end of the run: if the run died after TARGET_FAILING went
      // out, the next run must still know it was alerted, or TARGET_RECOVERED would never follow.
      await deps.store.saveTargetStates([result.target]);
    } catch (error) {
      deps.logger.error('Could not record the failure event of a target', { error: describeError(error) });
      outcome.stateUnsafe = true;
      outcome.next = undefined;
    }
  }
  return outcome;
}

async function publishOwed(
  deps: PollDependencies,
  summary: PollSummary,
  unsafeTargets: ReadonlySet<string>,
  downloadUrls: ReadonlyMap<string, string> | undefined,
  deadline: Date | undefined,
  signal: AbortSignal,
  known: { firstRead?: AuditRecord[] } = {},
): Promise<void> {
  const attempted = new Set<string>();
  /** The first read, when nothing was published after it: it already answers what is still owed. */
  let untouched: AuditRecord[] | undefined;
  for (let round = 0; round < MAX_PUBLISH_ROUNDS; round++) {
    if (signal.aborted) break;
    const owed = (round === 0 ? known.firstRead : undefined) ?? (await deps.store.listOwedEvents(OWED_PAGE));
    const ready = owed.filter(
      (record) =>
        !attempted.has(record.eventId) && !unsafeTargets.has(targetKey(record)) && !record.suppressed,
    );
    if (ready.length === 0) {
      // A quiet poll (the common case) then costs one owed-index query, not two.
      if (round === 0) untouched = owed;
      break;
    }
    for (const record of ready) attempted.add(record.eventId);
    const groups = groupForPublishing(ready);
    let outcomes: PublishOutcome[];
    try {
      outcomes = await deps.publisher.publish(groups, downloadUrls ? { downloadUrls } : {});
    } catch (error) {
      // A publisher must report failures as outcomes; if it throws, nothing is known to be delivered.
      const message = describeError(error);
      outcomes = groups.map((group) => ({
        eventIds: group.events.map((event) => event.eventId),
        ok: false as const,
        error: message,
        retryable: true,
      }));
    }
    const at = deps.now().toISOString();
    const published: PublishedMark[] = [];
    const byId = new Map(ready.map((record) => [record.eventId, record]));
    const failed: PublishFailure[] = [];
    for (const result of outcomes) {
      for (const eventId of result.eventIds) {
        if (result.ok) {
          const record = byId.get(eventId);
          published.push({
            eventId,
            publishedAt: at,
            snsMessageId: result.messageId,
            ...(record ? { record } : {}),
          });
        } else if (!result.retryable && (byId.get(eventId)?.rejections ?? 0) + 1 >= MAX_REJECTIONS) {
          // Rejected as invalid every time: retrying cannot help, and keeping it owed would let a
          // pile of such messages hold up newer alerts. Parked in the audit trail, logged loudly.
          failed.push({ eventId, error: result.error, at, rejected: true, abandon: true });
          summary.alertsAbandoned++;
          deps.logger.error('Alert rejected by SNS on every attempt; no longer retried', {
            eventId,
            rejections: (byId.get(eventId)?.rejections ?? 0) + 1,
            error: result.error,
          });
        } else {
          failed.push({ eventId, error: result.error, at, ...(result.retryable ? {} : { rejected: true }) });
        }
      }
      if (!result.ok) {
        deps.logger.error(
          result.retryable
            ? 'Alert not delivered; it stays owed and the next run retries it'
            : 'Alert rejected by SNS; it stays owed and needs attention',
          { eventIds: result.eventIds, error: result.error, retryable: result.retryable },
        );
      }
    }
    if (published.length > 0) await deps.store.markPublished(published);
    if (failed.length > 0) await deps.store.markPublishFailed(failed);
    summary.alertsPublished += published.length;
    summary.alertsFailed += failed.length;
    if (owed.length < OWED_PAGE) break;
    if (deadline && deps.now() >= deadline) break;
  }
  const remaining = untouched ?? (await deps.store.listOwedEvents(OWED_PAGE));
  summary.alertsOwed = remaining.filter((record) => !record.suppressed).length;
}

function skippedOutcome(target: Target): TargetOutcome {
  return {
    target,
    ok: false,
    skipped: true,
    stateUnsafe: false,
    jobsSeen: 0,
    records: [],
    downloadUrls: new Map(),
  };
}

/** Settings that change when time-based events fire; stored so a changed threshold forces a diff. */
function fingerprintSettings(settings: AlertSettings): string {
  return createHash('sha256')
    .update(JSON.stringify([settings.expiryWarningMinutes, settings.stuckAfterMinutes]))
    .digest('hex')
    .slice(0, 16);
}

/** Classifies an error from the job source without importing the adapter (401/403 count as auth). */
export function toTargetFailure(error: unknown): TargetFailure {
  const record = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    status?: unknown;
    errorCode?: unknown;
  };
  const status = typeof record.status === 'number' ? record.status : undefined;
  const errorCode = typeof record.errorCode === 'string' ? record.errorCode : undefined;
  const name = typeof record.name === 'string' ? record.name : 'Error';
  return {
    name,
    message: describeError(error),
    ...(status !== undefined ? { status } : {}),
    ...(errorCode !== undefined ? { errorCode } : {}),
    auth: name === 'CloudManagerAuthError' || status === 401 || status === 403,
  };
}

/** A secret-free one-line description of any error. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return scrubText(text).split('\n')[0]?.slice(0, 500) ?? 'unknown error';
}

async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}
