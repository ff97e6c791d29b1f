/**
 * The records the incident stage adds of its own: INCIDENT_RESOLVED when a condition cleared without
 * an event of its own, INCIDENT_REMINDER for an open incident nobody picked up. Both have ids derived
 * from the incident (its key, when it opened or was last triggered, the reminder's interval), so a
 * crash and a re-run produce the same records, which the audit trail keeps once.
 */

import { eventId } from './event-id.ts';
import { shortId } from './event-summary.ts';
import { INCIDENT_KINDS } from './incident-kinds.ts';
import type { Incident } from './incident-state.ts';
import type { IncidentInput } from './incidents.ts';
import { formatMinutes, MS_PER_MINUTE, parseInstant } from './instant.ts';
import type { AuditRecord } from './types.ts';

/** What a record needs from the stage's input. */
type RecordContext = Pick<IncidentInput, 'target' | 'now' | 'runId'>;

/** What the incident is about, in the words of an event summary: `restore …9a3f1c07`, or the target. */
function subjectOf(incident: Incident): string {
  return incident.jobId ? `restore ${shortId(incident.jobId)}` : 'polling';
}

export function resolutionRecord(incident: Incident, reason: string, input: RecordContext): AuditRecord {
  return {
    eventId: eventId({
      eventType: 'INCIDENT_RESOLVED',
      projectId: incident.projectId,
      clusterId: incident.clusterId,
      ...(incident.jobId ? { jobId: incident.jobId } : {}),
      discriminator: `${incident.key}@${incident.openedAt}`,
    }),
    eventType: 'INCIDENT_RESOLVED',
    severity: 'info',
    projectId: incident.projectId,
    clusterId: incident.clusterId,
    targetName: input.target.name,
    ...(incident.jobId ? { jobId: incident.jobId } : {}),
    ...(incident.batchId ? { batchId: incident.batchId } : {}),
    detectedAt: input.now.toISOString(),
    summary: `${subjectOf(incident)} ${INCIDENT_KINDS[incident.kind].title}: over, ${reason}`,
    details: {
      incidentKey: incident.key,
      kind: incident.kind,
      openedAt: incident.openedAt,
      openedBy: incident.openedBy,
      reason,
    },
    incidentKey: incident.key,
    action: 'resolve',
    ...(input.target.team ? { team: input.target.team } : {}),
    runId: input.runId,
    publishAttempts: 0,
  };
}

export function reminderRecord(
  incident: Incident,
  interval: number,
  now: Date,
  input: RecordContext,
): AuditRecord {
  const openMinutes = (now.getTime() - (parseInstant(incident.openedAt) ?? now.getTime())) / MS_PER_MINUTE;
  return {
    eventId: eventId({
      eventType: 'INCIDENT_REMINDER',
      projectId: incident.projectId,
      clusterId: incident.clusterId,
      ...(incident.jobId ? { jobId: incident.jobId } : {}),
      discriminator: `${incident.key}@${incident.lastTriggeredAt}#${interval}`,
    }),
    eventType: 'INCIDENT_REMINDER',
    severity: incident.severity,
    projectId: incident.projectId,
    clusterId: incident.clusterId,
    targetName: input.target.name,
    ...(incident.jobId ? { jobId: incident.jobId } : {}),
    ...(incident.batchId ? { batchId: incident.batchId } : {}),
    detectedAt: now.toISOString(),
    summary: `still open after ${formatMinutes(openMinutes)}: ${incident.summary}`,
    details: {
      incidentKey: incident.key,
      kind: incident.kind,
      openedAt: incident.openedAt,
      openedBy: incident.openedBy,
      lastTriggeredAt: incident.lastTriggeredAt,
      reminder: interval,
    },
    incidentKey: incident.key,
    action: 'reminder',
    ...(input.target.team ? { team: input.target.team } : {}),
    runId: input.runId,
    publishAttempts: 0,
  };
}
