/**
 * A long audit trail for the report benchmark and the README's screenshot: restores of several
 * clusters over many days, as the monitor would have recorded them polling every 5 minutes. Each
 * restore gets the events detectChanges raises for its life (JOB_CREATED, JOB_STUCK past 6 h, the
 * status change, the delivery READY or FAILED, then either a download or two expiry warnings and
 * EXPIRED), with the previous poll on each; sharded clusters restore as batches of three with
 * BATCH_COMPLETED; each target has a few outages (TARGET_FAILING, then TARGET_RECOVERED). Job states
 * are the final state of each job, with the download window when there was one.
 *
 * Deterministic for a seed (its own PRNG): the same spec gives the same trail.
 */
import { eventId } from '../functions/core/event-id.ts';
import type {
  AuditRecord,
  EventType,
  JobSnapshot,
  JobState,
  MonitorEvent,
  Severity,
  TargetState,
} from '../functions/core/types.ts';

export interface TrailSpec {
  targets: number;
  days: number;
  /** Restores are added until the trail holds at least this many audit events. */
  events: number;
  /** When the trail ends (the last poll). */
  endMs: number;
  /** @default 12 */
  seed?: number;
}

export interface Trail {
  targets: TargetState[];
  /** Oldest first. */
  events: AuditRecord[];
  jobs: Array<{ target: { projectId: string; clusterId: string }; state: JobState }>;
  restores: number;
}

const MINUTE = 60_000;
const POLL_MS = 5 * MINUTE;
const STUCK_MINUTES = 360;
const NAMES = ['orders-prod', 'payments', 'inventory', 'billing', 'search', 'analytics', 'ledger', 'catalog'];
/** Typical minutes from request to finish per cluster, and how much slower it gets over the trail. */
const PROFILES = [
  { minutes: 42, growth: 0.35 },
  { minutes: 95, growth: 0.1 },
  { minutes: 24, growth: 0 },
  { minutes: 58, growth: 0.2 },
  { minutes: 130, growth: 0.05 },
  { minutes: 210, growth: 0.6 },
];

/** mulberry32: small, fast, good enough to spread restores; never for anything secret. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function hexId(random: () => number): string {
  let out = '';
  for (let i = 0; i < 24; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** The first poll at or after `ms`. */
function pollAt(ms: number): number {
  return Math.ceil(ms / POLL_MS) * POLL_MS;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function generateTrail(spec: TrailSpec): Trail {
  const random = prng(spec.seed ?? 12);
  const startMs = spec.endMs - spec.days * 86_400_000;
  const targets: TargetState[] = Array.from({ length: spec.targets }, (_, i) => ({
    projectId: hexId(random),
    clusterId: hexId(random),
    name: NAMES[i % NAMES.length] + (i >= NAMES.length ? `-${Math.floor(i / NAMES.length) + 1}` : ''),
    baselined: true,
    lastPolledAt: iso(pollAt(spec.endMs) - POLL_MS),
    lastSuccessAt: iso(pollAt(spec.endMs) - POLL_MS),
    failureStreak: 0,
    failingAlerted: false,
  }));
  const events: AuditRecord[] = [];
  const jobs: Trail['jobs'] = [];
  const record = (event: MonitorEvent): void => {
    if (Date.parse(event.detectedAt) >= spec.endMs) return;
    events.push({
      ...event,
      runId: `trail-${event.detectedAt}`,
      publishAttempts: 1,
      publishedAt: event.detectedAt,
      snsMessageId: `m-${event.eventId.slice(0, 12)}`,
    });
  };

  // A few outages per target (one every ~60 days).
  for (const target of targets) {
    for (let n = 0; n < Math.max(1, Math.round(spec.days / 60)); n++) {
      const failing = pollAt(startMs + random() * (spec.endMs - startMs));
      const recovered = failing + (3 + Math.floor(random() * 24)) * POLL_MS;
      for (const [type, at] of [
        ['TARGET_FAILING', failing],
        ['TARGET_RECOVERED', recovered],
      ] as const) {
        record({
          eventId: eventId({ ...target, eventType: type, discriminator: iso(failing) }),
          eventType: type,
          severity: type === 'TARGET_FAILING' ? 'critical' : 'info',
          projectId: target.projectId,
          clusterId: target.clusterId,
          targetName: target.name,
          detectedAt: iso(at),
          previousPollAt: iso(at - POLL_MS),
          summary: type === 'TARGET_FAILING' ? 'cannot poll restore jobs: HTTP 503' : 'polling works again',
        });
      }
    }
  }

  let restores = 0;
  while (events.length < spec.events) {
    const index = Math.floor(random() * targets.length);
    const target = targets[index] as TargetState;
    const profile = PROFILES[index % PROFILES.length] as (typeof PROFILES)[number];
    const sharded = index % 3 === 1;
    const createdMs = startMs + random() * (spec.endMs - startMs);
    const progress = (createdMs - startMs) / (spec.endMs - startMs);
    const batchId = sharded ? hexId(random) : undefined;
    const members = sharded ? ['shard-0:27017', 'shard-1:27017', 'config:27019'] : [undefined];
    const ends: number[] = [];
    const outcomes: string[] = [];
    const memberIds: string[] = [];
    for (const hostId of members) {
      const jobId = hexId(random);
      memberIds.push(jobId);
      // Log-normal-ish spread around the cluster's typical duration, growing over the trail.
      const spread = Math.exp((random() + random() + random() - 1.5) * 0.5);
      const minutes = profile.minutes * (1 + profile.growth * progress) * spread;
      const roll = random();
      const outcome = roll < 0.04 ? 'BROKEN' : roll < 0.06 ? 'KILLED' : 'FINISHED';
      const endMs = createdMs + minutes * MINUTE;
      const base: JobSnapshot = {
        jobId,
        projectId: target.projectId,
        clusterId: target.clusterId,
        ...(batchId ? { batchId } : {}),
        ...(hostId ? { hostId } : {}),
        snapshotId: hexId(random),
        created: iso(createdMs),
        statusName: 'IN_PROGRESS',
        pointInTime: false,
        deliveryMethod: 'HTTP',
        deliveryStatus: 'NOT_STARTED',
        expirationHours: 24,
        maxDownloads: 1,
        hasDownloadUrl: false,
        downloaded: false,
      };
      const event = (
        type: EventType,
        severity: Severity,
        at: number,
        discriminator: string,
        after: JobSnapshot,
        extra: Partial<MonitorEvent> = {},
      ): MonitorEvent => ({
        eventId: eventId({ ...target, eventType: type, jobId, discriminator }),
        eventType: type,
        severity,
        projectId: target.projectId,
        clusterId: target.clusterId,
        targetName: target.name,
        jobId,
        ...(batchId ? { batchId } : {}),
        detectedAt: iso(at),
        previousPollAt: iso(at - POLL_MS),
        summary: `restore …${jobId.slice(-8)} ${type}`,
        after,
        ...extra,
      });
      const createdAt = pollAt(createdMs);
      record(event('JOB_CREATED', 'info', createdAt, 'created', base, { before: null }));
      let state: JobState = {
        snapshot: base,
        firstSeenAt: iso(createdAt),
        lastChangedAt: iso(createdAt),
        expiryAlerted: [],
        stuckAlerted: false,
        batchCompletedAlerted: false,
      };
      if (minutes >= STUCK_MINUTES) {
        const stuckAt = pollAt(createdMs + STUCK_MINUTES * MINUTE);
        record(event('JOB_STUCK', 'warning', stuckAt, 'stuck', base));
        state = { ...state, stuckAlerted: true };
      }
      const endedAt = pollAt(endMs);
      if (endedAt < spec.endMs) {
        ends.push(endedAt);
        outcomes.push(outcome);
        const severity: Severity =
          outcome === 'BROKEN' ? 'critical' : outcome === 'KILLED' ? 'warning' : 'info';
        const ended: JobSnapshot = {
          ...base,
          statusName: outcome,
          deliveryStatus: outcome === 'FINISHED' ? 'READY' : outcome === 'BROKEN' ? 'FAILED' : 'NOT_STARTED',
          ...(outcome === 'FINISHED'
            ? { expires: iso(endedAt + 24 * 60 * MINUTE), hasDownloadUrl: true }
            : {}),
        };
        record(
          event('JOB_STATUS_CHANGED', severity, endedAt, `IN_PROGRESS->${outcome}`, ended, { before: base }),
        );
        state = { ...state, snapshot: ended, lastChangedAt: iso(endedAt) };
        if (outcome !== 'KILLED') {
          record(
            event(
              'DELIVERY_STATUS_CHANGED',
              outcome === 'BROKEN' ? 'critical' : 'info',
              endedAt,
              `NOT_STARTED->${ended.deliveryStatus}`,
              ended,
              { before: base },
            ),
          );
        }
        if (outcome === 'FINISHED') {
          const expiresMs = endedAt + 24 * 60 * MINUTE;
          if (random() < 0.7) {
            const downloadedAt = pollAt(endedAt + (5 + random() * 600) * MINUTE);
            const done: JobSnapshot = {
              ...ended,
              deliveryStatus: 'MAX_DOWNLOADS_EXCEEDED',
              downloaded: true,
            };
            record(
              event('DELIVERY_STATUS_CHANGED', 'info', downloadedAt, 'READY->MAX_DOWNLOADS_EXCEEDED', done, {
                before: ended,
              }),
            );
            if (downloadedAt < spec.endMs) {
              state = {
                ...state,
                snapshot: done,
                lastChangedAt: iso(downloadedAt),
                downloadObserved: { after: iso(downloadedAt - POLL_MS), by: iso(downloadedAt) },
              };
            }
          } else {
            for (const threshold of [60, 15]) {
              record(
                event(
                  'DELIVERY_EXPIRING',
                  'warning',
                  pollAt(expiresMs - threshold * MINUTE),
                  `${threshold}`,
                  ended,
                  {
                    details: { thresholdMinutes: threshold, expires: ended.expires },
                  },
                ),
              );
            }
            const expired: JobSnapshot = { ...ended, deliveryStatus: 'EXPIRED', hasDownloadUrl: false };
            const expiredAt = pollAt(expiresMs);
            record(
              event('DELIVERY_STATUS_CHANGED', 'warning', expiredAt, 'READY->EXPIRED', expired, {
                before: ended,
              }),
            );
            if (expiredAt < spec.endMs)
              state = { ...state, snapshot: expired, lastChangedAt: iso(expiredAt) };
          }
        }
      }
      jobs.push({ target, state });
    }
    if (batchId && ends.length === members.length) {
      const completedAt = Math.max(...ends);
      record({
        eventId: eventId({
          ...target,
          eventType: 'BATCH_COMPLETED',
          batchId,
          discriminator: memberIds.join(','),
        }),
        eventType: 'BATCH_COMPLETED',
        severity: outcomes.includes('BROKEN') ? 'critical' : outcomes.includes('KILLED') ? 'warning' : 'info',
        projectId: target.projectId,
        clusterId: target.clusterId,
        targetName: target.name,
        batchId,
        detectedAt: iso(completedAt),
        summary: `batch …${batchId.slice(-8)} completed`,
        details: { memberCount: members.length },
      });
    }
    restores += members.length;
  }
  events.sort((a, b) => (a.detectedAt < b.detectedAt ? -1 : a.detectedAt > b.detectedAt ? 1 : 0));
  return { targets, events, jobs, restores };
}
