/**
 * The machine-readable form of an alert: an API for SQS, Lambda and email-json subscribers (SNS sends
 * it as the `default` part). It carries every event in full and is never shortened.
 */
import type { AlertView, EventView } from './alert-view.ts';

/**
 * A message with one event. Shape (an API: additive changes keep `v1`, anything else gets a new
 * schema name):
 * ```
 * { "schema": "restore-watch.event/v1",
 *   ...every field of the AuditRecord as recorded, in a fixed order: eventId, eventType, severity,
 *      incidentKey, action ("trigger" | "resolve" | "reminder" | "info"), projectId, clusterId,
 *      targetName, team?, jobId?, batchId?, detectedAt, summary, before?, after?, details?, runId
 *      (delivery bookkeeping such as publishAttempts is not part of the message: a retry is identical),
 *   "downloadUrl"?: string }   // only with includeDownloadUrl on, and only the URL of this event's job
 * ```
 */
export const EVENT_SCHEMA = 'restore-watch.event/v1';
/**
 * A message with several events: those of one job, or of one sharded-cluster batch, in one poll:
 * ```
 * { "schema": "restore-watch.events/v1",
 *   "groupId": hash of the event ids (the same on every retry of the message),
 *   "summary": the headline (the subject's words),
 *   "eventType": the most severe event's type, "eventTypes": [every type, in order],
 *   "incidentKey", "action": the incident change that matters most (a trigger before a resolve ...),
 *   "jobId"? (one job), "batchId"? (a batch), "runId", "projectId", "clusterId", "targetName", "team"?,
 *   "severity": worst severity of the events,
 *   "eventIds": [...],            // same order as events
 *   "events": [ <restore-watch.event/v1 object>, ... ] }   // BATCH_COMPLETED first when present
 * ```
 * Each item of `events` is exactly what a single-event message carries (its own `schema`, incident key
 * and action included), so a consumer can handle both by iterating `events ?? [message]`.
 */
export const EVENTS_SCHEMA = 'restore-watch.events/v1';

/** The alert as one JSON text: `EVENT_SCHEMA` for one event, `EVENTS_SCHEMA` for a group. */
export function renderEventJson(view: AlertView): string {
  if (view.events.length === 1) return JSON.stringify(eventObject(view.primary));
  const first = view.primary.original;
  const { routing } = view;
  return JSON.stringify({
    schema: EVENTS_SCHEMA,
    groupId: routing.groupId,
    summary: view.headline,
    eventType: routing.eventType,
    eventTypes: routing.eventTypes,
    incidentKey: routing.incidentKey,
    action: routing.action,
    jobId: routing.jobId,
    batchId: first.batchId,
    runId: first.runId,
    projectId: first.projectId,
    clusterId: first.clusterId,
    targetName: first.targetName,
    team: routing.team,
    severity: view.severity,
    eventIds: routing.eventIds,
    events: view.events.map(eventObject),
  });
}

function eventObject(view: EventView): Record<string, unknown> {
  return {
    schema: EVENT_SCHEMA,
    ...view.record,
    ...(view.downloadUrl ? { downloadUrl: view.downloadUrl } : {}),
  };
}
