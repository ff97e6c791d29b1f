/**
 * In-memory implementations of the poll's ports, for the fast per-stage tests (milliseconds, no
 * server). They follow the ports' contracts as the real adapters do; the contract both must meet is
 * checked against both in test/core/port-contracts.test.ts, so a rule proven here with them holds
 * over dynalite too. Every one counts its calls, so tests can say what a stage did and did not do.
 */

import { isOwed, owedTo, withDelivery, withFailure } from '../../functions/core/delivery.ts';
import type { Incident } from '../../functions/core/incident-state.ts';
import { encodeJobDigest, type JobDigest } from '../../functions/core/job-digest.ts';
import type { Logger } from '../../functions/core/logger.ts';
import type {
  AlertGroup,
  AlertPublisher,
  AuditQuery,
  LeaseResult,
  OwedFilter,
  PeriodRecords,
  PublishContext,
  PublishedMark,
  PublishFailure,
  PublishOutcome,
  ReportPeriod,
  RestoreJobQuery,
  RestoreJobSource,
  RunLease,
  RunState,
  StateStore,
  TargetRef,
} from '../../functions/core/ports.ts';
import { POLL_LEASE } from '../../functions/core/shard.ts';
import type { Silence } from '../../functions/core/silences.ts';
import type {
  AuditRecord,
  Channel,
  Cluster,
  JobState,
  RestoreJob,
  TargetState,
} from '../../functions/core/types.ts';
import { targetKey } from '../../functions/core/types.ts';

/** Counts calls by method name, and keeps their order. */
class Calls {
  readonly counts = new Map<string, number>();
  readonly order: string[] = [];
  note(method: string): void {
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
    this.order.push(method);
  }
  clear(): void {
    this.counts.clear();
    this.order.length = 0;
  }
  of(method: string): number {
    return this.counts.get(method) ?? 0;
  }
}

const clone = <T>(value: T): T => structuredClone(value);
const owedKey = (record: AuditRecord) => `${record.detectedAt}#${record.eventId}`;

export class InMemoryStateStore implements StateStore {
  readonly calls = new Calls();
  readonly targets = new Map<string, TargetState>();
  readonly jobs = new Map<string, Map<string, JobState>>();
  readonly digests = new Map<string, JobDigest>();
  readonly events = new Map<string, AuditRecord>();
  /** Incidents by key, open and closed. */
  readonly incidents = new Map<string, Incident>();
  readonly silences = new Map<string, Silence>();
  /** Makes the next calls of a method fail (a throttled or unreachable table). */
  readonly failing = new Map<string, Error>();

  #enter(method: string): void {
    this.calls.note(method);
    const failure = this.failing.get(method);
    if (failure) throw failure;
  }

  async getTargetStates(targets: readonly TargetRef[]): Promise<Map<string, TargetState>> {
    this.#enter('getTargetStates');
    const out = new Map<string, TargetState>();
    for (const target of targets) {
      const state = this.targets.get(targetKey(target));
      if (state) out.set(targetKey(target), clone(state));
    }
    return out;
  }

  async listTargetStates(): Promise<TargetState[]> {
    this.#enter('listTargetStates');
    return [...this.targets.values()].map(clone);
  }

  async loadJobStates(target: TargetRef, jobIds?: readonly string[]): Promise<Map<string, JobState>> {
    this.#enter('loadJobStates');
    const all = this.jobs.get(targetKey(target)) ?? new Map<string, JobState>();
    const wanted = jobIds === undefined ? undefined : new Set(jobIds);
    return new Map(
      [...all].filter(([id]) => wanted?.has(id) ?? true).map(([id, state]) => [id, clone(state)]),
    );
  }

  async loadJobDigest(target: TargetRef): Promise<JobDigest | undefined> {
    this.#enter('loadJobDigest');
    const digest = this.digests.get(targetKey(target));
    return digest ? new Map(digest) : undefined;
  }

  async saveJobStates(target: TargetRef, states: readonly JobState[], digest?: JobDigest): Promise<void> {
    this.#enter('saveJobStates');
    const jobs = this.jobs.get(targetKey(target)) ?? new Map<string, JobState>();
    for (const state of states) jobs.set(state.snapshot.jobId, clone(state));
    this.jobs.set(targetKey(target), jobs);
    // As the table: a digest that cannot be stored is left out (the old one stays, unmatched).
    if (digest && encodeJobDigest(digest)) this.digests.set(targetKey(target), new Map(digest));
  }

  async saveTargetStates(states: readonly TargetState[]): Promise<void> {
    this.#enter('saveTargetStates');
    for (const state of states) this.targets.set(targetKey(state), clone(state));
  }

  async recordEvents(records: readonly AuditRecord[]): Promise<{ recorded: string[]; existing: string[] }> {
    this.#enter('recordEvents');
    const recorded: string[] = [];
    const existing: string[] = [];
    for (const record of records) {
      if (this.events.has(record.eventId) || recorded.includes(record.eventId)) {
        if (!recorded.includes(record.eventId)) existing.push(record.eventId);
        continue;
      }
      this.events.set(record.eventId, clone(record));
      recorded.push(record.eventId);
    }
    return { recorded, existing };
  }

  #owed(limit?: number, channel?: Channel, keep?: OwedFilter): AuditRecord[] {
    const owed = [...this.events.values()]
      .filter((r) => (channel === undefined ? isOwed(r) : owedTo(r, channel)))
      .filter((r) => keep?.(r) ?? true)
      .sort((a, b) => (owedKey(a) < owedKey(b) ? -1 : owedKey(a) > owedKey(b) ? 1 : 0));
    return (limit === undefined ? owed : owed.slice(0, Math.max(0, limit))).map(clone);
  }

  async listOwedEvents(limit?: number, channel?: Channel, keep?: OwedFilter): Promise<AuditRecord[]> {
    this.#enter('listOwedEvents');
    return this.#owed(limit, channel, keep);
  }

  async readRunState(owedLimit: number, keep?: OwedFilter): Promise<RunState> {
    this.#enter('readRunState');
    return {
      owed: this.#owed(owedLimit, undefined, keep),
      incidents: [...this.incidents.values()].filter((i) => i.resolvedAt === undefined).map(clone),
      silences: [...this.silences.values()].map(clone),
    };
  }

  async markPublished(updates: ReadonlyArray<PublishedMark>): Promise<void> {
    this.#enter('markPublished');
    for (const update of updates) {
      const record = this.events.get(update.eventId);
      if (record) this.events.set(update.eventId, withDelivery(record, update));
    }
  }

  async markPublishFailed(updates: ReadonlyArray<PublishFailure>): Promise<void> {
    this.#enter('markPublishFailed');
    for (const update of updates) {
      const record = this.events.get(update.eventId);
      if (record) this.events.set(update.eventId, withFailure(record, update));
    }
  }

  async saveIncidents(incidents: readonly Incident[]): Promise<void> {
    this.#enter('saveIncidents');
    for (const incident of incidents) this.incidents.set(incident.key, clone(incident));
  }

  async saveSilence(silence: Silence): Promise<void> {
    this.#enter('saveSilence');
    if (this.silences.has(silence.silenceId)) throw new Error(`silence ${silence.silenceId} exists`);
    this.silences.set(silence.silenceId, clone(silence));
  }

  async expireSilence(silenceId: string, at: string, by: string): Promise<Silence | undefined> {
    this.#enter('expireSilence');
    const silence = this.silences.get(silenceId);
    if (!silence) return undefined;
    const ended =
      Date.parse(silence.endsAt) <= Date.parse(at)
        ? silence
        : { ...silence, endsAt: at, expiredAt: at, expiredBy: by };
    this.silences.set(silenceId, ended);
    return clone(ended);
  }

  async queryAudit(query: AuditQuery): Promise<AuditRecord[]> {
    this.#enter('queryAudit');
    return [...this.events.values()]
      .filter(
        (r) =>
          (query.projectId === undefined || r.projectId === query.projectId) &&
          (query.clusterId === undefined || r.clusterId === query.clusterId) &&
          (query.jobId === undefined || r.jobId === query.jobId) &&
          (query.since === undefined || r.detectedAt >= query.since),
      )
      .sort((a, b) => (owedKey(a) < owedKey(b) ? 1 : owedKey(a) > owedKey(b) ? -1 : 0))
      .slice(0, query.limit ?? 50)
      .map(clone);
  }

  async readPeriod(target: TargetRef, period: ReportPeriod): Promise<PeriodRecords> {
    this.#enter('readPeriod');
    const since = Date.parse(period.since);
    const until = Date.parse(period.until);
    const inPeriod = (time: number) => time >= since && time < until;
    // A job is dated by its request; one without a usable `created` by when it was first seen.
    const requested = (state: JobState) => {
      const created = Date.parse(state.snapshot.created ?? '');
      return Number.isNaN(created) ? Date.parse(state.firstSeenAt) : created;
    };
    const events = [...this.events.values()]
      .filter(
        (r) =>
          r.projectId === target.projectId &&
          r.clusterId === target.clusterId &&
          inPeriod(Date.parse(r.detectedAt)),
      )
      .sort((a, b) => Date.parse(a.detectedAt) - Date.parse(b.detectedAt) || byText(a.eventId, b.eventId));
    const jobs = [...(this.jobs.get(targetKey(target))?.values() ?? [])]
      .filter((state) => inPeriod(requested(state)))
      .sort((a, b) => requested(a) - requested(b) || byText(a.snapshot.jobId, b.snapshot.jobId));
    return { events: events.map(clone), jobs: jobs.map(clone) };
  }
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `RunLease` with the adapter's conditions: free, expired, or already ours; one lease per name. */
export class InMemoryRunLease implements RunLease {
  readonly calls = new Calls();
  readonly holders = new Map<string, { owner: string; expiresAt: number }>();

  /** The unsharded lease's holder. */
  get holder(): { owner: string; expiresAt: number } | undefined {
    return this.holders.get(POLL_LEASE);
  }

  async acquire(owner: string, now: Date, ttlMs: number, name = POLL_LEASE): Promise<LeaseResult> {
    this.calls.note('acquire');
    const held = this.holders.get(name);
    if (held && held.owner !== owner && held.expiresAt >= now.getTime()) {
      return { acquired: false, holder: held.owner, expiresAt: new Date(held.expiresAt).toISOString() };
    }
    const expiresAt = now.getTime() + ttlMs;
    this.holders.set(name, { owner, expiresAt });
    return { acquired: true, owner, expiresAt: new Date(expiresAt).toISOString() };
  }

  async renew(owner: string, now: Date, ttlMs: number, name = POLL_LEASE): Promise<boolean> {
    this.calls.note('renew');
    if (this.holders.get(name)?.owner !== owner) return false;
    this.holders.set(name, { owner, expiresAt: now.getTime() + ttlMs });
    return true;
  }

  async release(owner: string, name = POLL_LEASE): Promise<void> {
    this.calls.note('release');
    if (this.holders.get(name)?.owner === owner) this.holders.delete(name);
  }
}

/** What the recording publisher does with one group. */
export type Verdict = { ok: true } | { ok: false; retryable: boolean; error?: string };

/** An `AlertPublisher` that keeps what it was given; one "call" per group, checkpoint before each. */
export class RecordingPublisher implements AlertPublisher {
  readonly calls = new Calls();
  readonly delivered: AlertGroup[] = [];
  verdict: (group: AlertGroup) => Verdict = () => ({ ok: true });
  /** Runs before each group is delivered (a test can take the lease away there). */
  beforeEach: ((group: AlertGroup) => Promise<void>) | undefined;
  #messages = 0;

  async publish(groups: readonly AlertGroup[], context: PublishContext): Promise<PublishOutcome[]> {
    this.calls.note('publish');
    const outcomes: PublishOutcome[] = [];
    for (const group of groups) {
      const eventIds = group.events.map((e) => e.eventId);
      await this.beforeEach?.(group);
      const stopped = await context.checkpoint?.().then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      if (stopped !== undefined) {
        outcomes.push({ eventIds, ok: false, retryable: true, error: `Not sent: ${stopped}` });
        continue;
      }
      const verdict = this.verdict(group);
      if (verdict.ok) {
        this.delivered.push(group);
        outcomes.push({ eventIds, ok: true, messageId: `message-${++this.#messages}` });
      } else {
        outcomes.push({
          eventIds,
          ok: false,
          retryable: verdict.retryable,
          error: verdict.error ?? 'refused',
        });
      }
    }
    return outcomes;
  }

  deliveredIds(): string[] {
    return this.delivered.flatMap((group) => group.events.map((e) => e.eventId));
  }
}

/** A job source over fixed data: per cluster id, its jobs or the error its listing fails with. */
export class ListSource implements RestoreJobSource {
  readonly calls = new Calls();
  readonly clusters = new Map<string, Cluster[] | Error>();
  readonly jobs = new Map<string, RestoreJob[] | Error>();

  async listClusters(projectId: string): Promise<Cluster[]> {
    this.calls.note('listClusters');
    const clusters = this.clusters.get(projectId.toLowerCase()) ?? [];
    if (clusters instanceof Error) throw clusters;
    return clone(clusters);
  }

  async *restoreJobs(query: RestoreJobQuery): AsyncGenerator<RestoreJob> {
    this.calls.note('restoreJobs');
    const jobs = this.jobs.get(query.clusterId.toLowerCase()) ?? [];
    if (jobs instanceof Error) throw jobs;
    for (const job of jobs) yield clone(job);
  }
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra?: Record<string, unknown>;
}

export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (message: string, extra?: Record<string, unknown>) => {
    lines.push({ level, message, ...(extra ? { extra } : {}) });
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** A clock the test moves. */
export function manualClock(start = Date.parse('2026-11-28T08:00:00.000Z')) {
  let ms = start;
  return {
    now: () => new Date(ms),
    advance(milliseconds: number) {
      ms += milliseconds;
    },
  };
}
