/**
 * An incident as the state table keeps it, and how it changes: opened by a trigger, triggered again,
 * closed; adopted from the owed trigger of a run that crashed before writing it. Pure. Which records
 * do which of these is the incident stage's (incidents.ts).
 */
import { routedChannels } from './delivery.ts';
import { type IncidentKind, worstSeverity } from './event-catalogue.ts';
import { INCIDENT_KINDS, incidentByRule, incidentKey, incidentOf } from './incident-kinds.ts';
import type { AuditRecord, Channel, EventType, Severity, Target } from './types.ts';

/** An incident as the table keeps it. Closed ones carry `resolvedAt` and leave the open set. */
export interface Incident {
  key: string;
  kind: IncidentKind;
  projectId: string;
  clusterId: string;
  targetName: string;
  team?: string;
  jobId?: string;
  batchId?: string;
  /** Worst severity of its triggers. */
  severity: Severity;
  /** When its first trigger was detected, and which event that was. */
  openedAt: string;
  openedBy: EventType;
  /** Its latest trigger: reminders count from here. */
  lastTriggeredAt: string;
  lastTriggerEventId: string;
  /** The latest trigger's summary. */
  summary: string;
  /** Every channel a trigger of it was routed to: where its resolve goes. Empty: never announced. */
  announcedOn: Channel[];
  /** The last trigger or reminder that went to some channel. */
  lastNotifiedAt?: string;
  /** Reminders since `lastTriggeredAt` (the interval number of the last one). */
  reminders: number;
  /** Facts its kind's `clearedBy` reads. */
  jobCreated?: string;
  expires?: string;
  resolvedAt?: string;
  resolvedByEventId?: string;
  /** Why it is over, for people. */
  resolution?: string;
}

/**
 * Incidents that a crashed run triggered but never wrote: the run died between recording a trigger and
 * saving its incident. The owed trigger is the proof (it is owed until delivered, and nothing was
 * delivered after the crash), so the incident is treated as open from the trigger's detection, and a
 * later poll can resolve it (otherwise a PagerDuty incident could stay open for good). Returns the
 * incidents to adopt; `open` is left as it was.
 */
export function adoptOwedIncidents(open: readonly Incident[], owed: readonly AuditRecord[]): Incident[] {
  const known = new Set(open.map((incident) => incident.key));
  const adopted = new Map<string, Incident>();
  for (const record of owed) {
    const ref = incidentOf(record);
    if (ref.action !== 'trigger' || known.has(ref.key) || adopted.has(ref.key)) continue;
    const kind = incidentByRule(record).kind;
    if (kind === undefined) continue;
    adopted.set(
      ref.key,
      openIncident(kind, { ...record, incidentKey: ref.key }, { target: { name: record.targetName } }),
    );
  }
  return [...adopted.values()];
}

export function openIncident(
  kind: IncidentKind,
  trigger: AuditRecord,
  input: { target: Pick<Target, 'name'> },
): Incident {
  const channels = routedChannels(trigger);
  return {
    key: trigger.incidentKey ?? incidentKey(kind, trigger),
    kind,
    projectId: trigger.projectId,
    clusterId: trigger.clusterId,
    targetName: trigger.targetName || input.target.name,
    ...(trigger.team ? { team: trigger.team } : {}),
    ...(INCIDENT_KINDS[kind].subject === 'job' && trigger.jobId ? { jobId: trigger.jobId } : {}),
    ...(INCIDENT_KINDS[kind].subject === 'job' && trigger.batchId ? { batchId: trigger.batchId } : {}),
    severity: trigger.severity,
    openedAt: trigger.detectedAt,
    openedBy: trigger.eventType,
    lastTriggeredAt: trigger.detectedAt,
    lastTriggerEventId: trigger.eventId,
    summary: trigger.summary,
    announcedOn: channels,
    ...(channels.length > 0 ? { lastNotifiedAt: trigger.detectedAt } : {}),
    reminders: 0,
    ...factsOf(trigger),
  };
}

export function retrigger(incident: Incident, trigger: AuditRecord): Incident {
  const channels = routedChannels(trigger);
  return {
    ...incident,
    severity: worstSeverity([incident.severity, trigger.severity]),
    lastTriggeredAt: trigger.detectedAt,
    lastTriggerEventId: trigger.eventId,
    summary: trigger.summary,
    announcedOn: [...new Set([...incident.announcedOn, ...channels])],
    ...(channels.length > 0 ? { lastNotifiedAt: trigger.detectedAt } : {}),
    reminders: 0,
    ...factsOf(trigger),
  };
}

export function closeIncident(incident: Incident, by: AuditRecord, reason: string): Incident {
  return { ...incident, resolvedAt: by.detectedAt, resolvedByEventId: by.eventId, resolution: reason };
}

function factsOf(trigger: AuditRecord): Pick<Incident, 'jobCreated' | 'expires'> {
  const expires = trigger.details?.expires ?? trigger.after?.expires;
  const created = trigger.after?.created;
  return {
    ...(typeof created === 'string' ? { jobCreated: created } : {}),
    ...(typeof expires === 'string' ? { expires } : {}),
  };
}
