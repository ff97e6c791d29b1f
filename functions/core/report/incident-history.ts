/**
 * The incidents of one target over a report's period, from its audit trail. Pure: no clock, no I/O.
 *
 * Events recorded with an incident key are followed by key, as PagerDuty follows `dedup_key`; older
 * events, recorded before incident keys existed, are read as their condition alerts
 * (see `incidentsOf`). `incidentSource` says which of the two a report's incidents came from.
 */
import { type AuditRecord, TERMINAL_JOB_STATUSES } from '../types.ts';
import type { Incident, IncidentsSource } from './report-model.ts';
import { chronological, detectedMs, eventsBy, eventsByJob, type TargetPeriod } from './target-period.ts';

/**
 * The kind of incident an event opens, from what it says (`null`: it opens none).
 */
function incidentKindOf(event: AuditRecord): Incident['kind'] | null {
  switch (event.eventType) {
    case 'TARGET_FAILING':
      return 'TARGET_FAILING';
    case 'JOB_STUCK':
      return 'JOB_STUCK';
    case 'DELIVERY_EXPIRING':
      return 'DELIVERY_EXPIRING';
    case 'JOB_STATUS_CHANGED': {
      const status = event.after?.statusName;
      return status === 'BROKEN' ? 'JOB_BROKEN' : status === 'KILLED' ? 'JOB_KILLED' : null;
    }
    case 'DELIVERY_STATUS_CHANGED': {
      const delivery = event.after?.deliveryStatus;
      return delivery === 'FAILED' || delivery === 'INTERRUPTED' ? 'DELIVERY_FAILED' : null;
    }
    default:
      return null;
  }
}

/**
 * Incidents of one target in the period. Events recorded with an incident key (`incidentKey`,
 * `action`: every event since on-call incidents exist) are followed by key: a trigger opens the
 * incident unless it is already open (a second trigger joins it, as PagerDuty does), the first later
 * resolve of the key closes it. Older events, recorded before incident keys existed, are read as
 * their condition alerts: a failing streak resolved by the recovery, a stuck job resolved when it
 * ended, a link about to expire resolved by the next delivery change, a broken, killed or failed
 * restore left open.
 */
export function incidentsOf(period: TargetPeriod): Incident[] {
  const events = chronological(period.events);
  // Indexes, so that finding what resolved an incident is a short scan, not one over the whole period.
  const recoveries = events.filter((event) => event.eventType === 'TARGET_RECOVERED');
  const byJob = eventsByJob(events);
  const byKey = eventsBy(events, (event) => event.incidentKey);
  /** The first later record matching; `sameInstant` also takes one detected at the same instant. */
  const firstAfter = (
    list: readonly AuditRecord[],
    event: AuditRecord,
    match: (next: AuditRecord) => boolean,
    sameInstant = false,
  ) => {
    const from = detectedMs(event);
    const found = list.find((next) => {
      const at = detectedMs(next);
      return next !== event && (at > from || (sameInstant && at === from)) && match(next);
    });
    return found?.detectedAt ?? null;
  };
  /** Keyed incidents still open, so a second trigger of the same key joins the first. */
  const open = new Map<string, Incident>();
  const out: Incident[] = [];
  for (const event of events) {
    const key = event.incidentKey;
    if (key && event.action === 'resolve') {
      open.delete(key);
      continue;
    }
    const kind = incidentKindOf(event);
    if (kind === null) continue;
    if (key && event.action === 'trigger') {
      if (open.has(key)) continue;
      const incident: Incident = {
        kind,
        target: period.target.name,
        jobId: event.jobId ?? null,
        openedAt: event.detectedAt,
        // A trigger and a resolve of one key never share a poll, but two polls can share an instant.
        resolvedAt: firstAfter(byKey.get(key) ?? [], event, (next) => next.action === 'resolve', true),
        eventId: event.eventId,
      };
      open.set(key, incident);
      out.push(incident);
      continue;
    }
    if (key) continue; // keyed, but neither a trigger nor a resolve (a reminder, an info)
    const jobEvents = (event.jobId ? byJob.get(event.jobId) : undefined) ?? [];
    const resolvedAt =
      kind === 'TARGET_FAILING'
        ? firstAfter(recoveries, event, () => true, true)
        : kind === 'JOB_STUCK'
          ? firstAfter(
              jobEvents,
              event,
              (next) =>
                next.eventType === 'JOB_STATUS_CHANGED' &&
                TERMINAL_JOB_STATUSES.has(next.after?.statusName ?? ''),
            )
          : kind === 'DELIVERY_EXPIRING'
            ? firstAfter(jobEvents, event, (next) => next.eventType === 'DELIVERY_STATUS_CHANGED')
            : null;
    out.push({
      kind,
      target: period.target.name,
      jobId: event.jobId ?? null,
      openedAt: event.detectedAt,
      resolvedAt,
      eventId: event.eventId,
    });
  }
  return out;
}

/** Where the incidents of a period come from: incident keys, older condition alerts, or both. */
export function incidentSource(periods: readonly TargetPeriod[]): IncidentsSource {
  let keyed = false;
  let unkeyed = false;
  for (const period of periods) {
    for (const event of period.events) {
      if (incidentKindOf(event) === null) continue;
      if (event.incidentKey) keyed = true;
      else unkeyed = true;
    }
  }
  return keyed && unkeyed ? 'incident-keys+condition-alerts' : unkeyed ? 'condition-alerts' : 'incident-keys';
}
