/**
 * An event as the audit trail keeps it: the run that detected it, no publish attempt yet, and
 * `suppressed` when it is below the configured `minSeverity` (recorded as evidence, never published).
 */
import { meetsMinSeverity } from './event-catalogue.ts';
import type { AlertSettings, AuditRecord, MonitorEvent } from './types.ts';

export function toAuditRecord(
  event: MonitorEvent,
  runId: string,
  settings: Pick<AlertSettings, 'minSeverity'>,
): AuditRecord {
  return {
    ...event,
    runId,
    publishAttempts: 0,
    ...(meetsMinSeverity(event.severity, settings.minSeverity) ? {} : { suppressed: true }),
  };
}
