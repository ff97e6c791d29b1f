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
 *   ...every field of the AuditRecord as recorded: eventId, eventType, severity, projectId, clusterId,
 *      targetName, jobId?, batchId?, detectedAt, summary, before?, after?, details?, runId
 *      (delivery bookkeeping such as publishAttempts is not part of the message: a retry is identical),
 *   "downloadUrl"?: string }   // only with includeDownloadUrl on, and only the URL of this event's job
 * ```
 */
export const EVENT_SCHEMA = 'restore-watch.event/v1';
/**
 * A message with the events of one sharded-cluster batch in one poll:
 * ```
 * { "schema": "restore-watch.events/v1",
 *   "batchId", "runId", "projectId", "clusterId", "targetName",
 *   "severity": worst severity of the events,
 *   "eventIds": [...],            // same order as events
 *   "events": [ <restore-watch.event/v1 object>, ... ] }   // BATCH_COMPLETED first when present
 * ```
 * Each item of `events` is exactly what a single-event message carries (its own `schema` included),
 * so a consumer can handle both by iterating `events ?? [message]`.
 */
export const EVENTS_SCHEMA = 'restore-watch.events/v1';

/** The alert as one JSON text: `EVENT_SCHEMA` for one event, `EVENTS_SCHEMA` for a group. */
export function renderEventJson(view: AlertView): string {
  if (view.events.length === 1) return JSON.stringify(eventObject(view.primary));
  const first = view.primary.original;
  return JSON.stringify({
    schema: EVENTS_SCHEMA,
    batchId: first.batchId,
    runId: first.runId,
    projectId: first.projectId,
    clusterId: first.clusterId,
    targetName: first.targetName,
    severity: view.severity,
    eventIds: view.routing.eventIds,
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
