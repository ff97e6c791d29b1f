/**
 * The one log line each poll run writes (`Poll finished`) is also data: the dashboard's Logs Insights
 * widgets and the README's queries read its fields. What they rely on is named here, imported by the
 * handler that writes it and by the stack that queries it (nothing here loads Powertools).
 */
import type { EventType } from '../core/types.ts';

export const POLL_SUMMARY_LOG = {
  /** The line's `message`. */
  message: 'Poll finished',
  /** Events detected in the run, by type: `{ "JOB_CREATED": 2, ... }` (types with none left out). */
  eventsByType: 'eventsByType',
} as const;

/** `eventsByType` of the summary line. */
export function countEventsByType(
  events: ReadonlyArray<{ eventType: string }>,
): Partial<Record<EventType, number>> {
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.eventType] = (counts[event.eventType] ?? 0) + 1;
  return counts as Partial<Record<EventType, number>>;
}
