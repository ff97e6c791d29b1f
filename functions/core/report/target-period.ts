/**
 * The records of one target over a report's period, and the reading every part of the report shares:
 * times parsed once, events in the order they were detected, events grouped by job. Pure.
 */
import { EVENT_TYPES } from '../event-catalogue.ts';
import type { AuditRecord, JobState } from '../types.ts';
import type { TargetIdentity } from './report-model.ts';

/** The records of one target over the period, as `StateStore.readPeriod` returns them. */
export interface TargetPeriod {
  target: TargetIdentity & {
    /** The target's latest successful poll: a running restore was last seen running then. */
    lastSuccessAt?: string;
  };
  events: readonly AuditRecord[];
  jobs: readonly JobState[];
}

/** An ISO time in milliseconds; `undefined` when absent or unparseable. */
export function ms(value: string | null | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/**
 * `detectedAt` in milliseconds, parsed once per record: a report compares the times of tens of
 * thousands of events many times over. A WeakMap, so the cache goes with the records.
 */
const detectedTimes = new WeakMap<AuditRecord, number>();
export function detectedMs(event: AuditRecord): number {
  let at = detectedTimes.get(event);
  if (at === undefined) {
    at = ms(event.detectedAt) ?? 0;
    detectedTimes.set(event, at);
  }
  return at;
}

/** Oldest first, by detection time, each time parsed once; events of one poll in catalogue order, as detection reports them. */
export function chronological(events: readonly AuditRecord[]): AuditRecord[] {
  return events
    .map((event) => ({ event, at: detectedMs(event), order: EVENT_TYPES.indexOf(event.eventType) }))
    .sort((a, b) => a.at - b.at || a.order - b.order)
    .map(({ event }) => event);
}

/** The events grouped by `keyOf`, in the order given (events without a key are left out). */
export function eventsBy(
  events: readonly AuditRecord[],
  keyOf: (event: AuditRecord) => string | undefined,
): Map<string, AuditRecord[]> {
  const groups = new Map<string, AuditRecord[]>();
  for (const event of events) {
    const key = keyOf(event);
    if (!key) continue;
    const list = groups.get(key);
    if (list) list.push(event);
    else groups.set(key, [event]);
  }
  return groups;
}

/** The events of each job, in the order given (events without a job are left out). */
export function eventsByJob(events: readonly AuditRecord[]): Map<string, AuditRecord[]> {
  return eventsBy(events, (event) => event.jobId);
}
