/**
 * The incident stage: what this poll of one target means for its incidents. Pure: (the incidents open
 * when the run started, this poll's records and changed jobs, the silences, now) → (the records with
 * their incident, action and channels, plus INCIDENT_RESOLVED and INCIDENT_REMINDER records; the
 * incidents to write). The rules themselves are the catalogue's (`incident`, `INCIDENT_KINDS`).
 *
 * Incidents are per target or per job of a target, keyed by `target/<project>:<cluster>/<kind>` or
 * `job/<jobId>/<kind>`, never by run: runs (and, later, shards of a run that each poll a subset of the
 * targets) see only the incidents of the targets they poll.
 *
 * Guarantees (test/core/incidents.test.ts, incidents.property.test.ts; over real peers in
 * test/scenarios/incidents.test.ts):
 *
 * I1. A trigger opens the incident of its key, or triggers the open one again (worst severity kept,
 *     reminders counted afresh); re-detecting the same trigger (same event id, after a crash) changes
 *     nothing.
 * I2. A resolve by rule (TARGET_RECOVERED) closes the open incident of its key; a condition that
 *     clears (the kind's `clearedBy`) closes it with one INCIDENT_RESOLVED record whose id is derived
 *     from the key and when the incident opened, so a crash cannot announce it twice. A key triggered
 *     in this poll is not closed by a condition in the same poll (the latest word wins; a trigger and
 *     a resolve of one key never race each other to a channel).
 * I3. An incident remembers every channel its triggers were routed to; its resolve goes exactly there
 *     (D1 in delivery.ts), silences notwithstanding.
 * I4. An open incident at warning or above that was announced on SNS gets one INCIDENT_REMINDER per
 *     `repeatEveryMinutes` since its last trigger, with an id per interval (a crash cannot remind twice;
 *     a run after a long outage reminds once, not once per missed interval). Silences apply to
 *     reminders; a job's reminders wait while its target cannot be polled (inhibition).
 * I5. Every record leaves with `incidentKey`, `action`, its target's `team`, and its channels decided.
 */
import { routedChannels, routeRecord } from './delivery.ts';
import { type IncidentKind, worstSeverity } from './event-catalogue.ts';
import {
  INCIDENT_KINDS,
  type IncidentObservation,
  type IncidentRef,
  incidentByRule,
  incidentKey,
  incidentOf,
} from './incident-kinds.ts';
import { reminderRecord, resolutionRecord } from './incident-records.ts';
import { MS_PER_MINUTE, parseInstant } from './instant.ts';
import { matchSilence, type Silence, silenceRef } from './silences.ts';
import type { AlertSettings, AuditRecord, Channel, EventType, JobState, Severity, Target } from './types.ts';
import { SEVERITY_ORDER, targetKey } from './types.ts';

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

export interface IncidentInput {
  target: Pick<Target, 'projectId' | 'clusterId' | 'name' | 'team'>;
  /** The open incidents of this target and of its jobs, as the run found them. */
  open: readonly Incident[];
  /** This poll's records of the target, in detection order. */
  records: readonly AuditRecord[];
  /** The target's job states that changed in this poll (a quiet poll: none). */
  changedJobs: readonly JobState[];
  silences: readonly Silence[];
  settings: Pick<AlertSettings, 'minSeverity' | 'pagerduty' | 'repeatEveryMinutes'>;
  /** Whether a PagerDuty channel exists in this run. */
  pagerduty: boolean;
  now: Date;
  runId: string;
}

export interface IncidentCounts {
  opened: number;
  resolved: number;
  reminded: number;
  silenced: number;
}

export interface IncidentOutput {
  /** The input records annotated and routed, then resolutions, then reminders. */
  records: AuditRecord[];
  /** Incidents to write: opened, triggered again, reminded, closed (`resolvedAt` set). */
  changes: Incident[];
  counts: IncidentCounts;
}

export function trackIncidents(input: IncidentInput): IncidentOutput {
  const { target, now, settings } = input;
  const nowIso = now.toISOString();
  const open = new Map(input.open.map((incident) => [incident.key, { ...incident }]));
  const changes = new Map<string, Incident>();
  const counts: IncidentCounts = { opened: 0, resolved: 0, reminded: 0, silenced: 0 };
  const route = (record: AuditRecord, announcedOn?: readonly Channel[]): AuditRecord => {
    const silence = matchSilence(record, input.silences, now);
    const routed = routeRecord(record, {
      settings,
      pagerduty: input.pagerduty,
      ...(silence ? { silence: silenceRef(silence) } : {}),
      ...(announcedOn ? { announcedOn } : {}),
    });
    if (routed.silenced) counts.silenced++;
    return routed;
  };

  // Resolutions and reminders come from this stage with their key; the poll's events get theirs here.
  const annotated = input.records.map((record) => {
    const ref: IncidentRef =
      record.action === 'resolve' || record.action === 'reminder'
        ? incidentOf(record)
        : incidentByRule(record);
    const annotatedRecord: AuditRecord = {
      ...record,
      incidentKey: ref.key,
      action: ref.action,
      ...(target.team ? { team: target.team } : {}),
    };
    return { record: annotatedRecord, ref };
  });
  const triggered = new Set(annotated.flatMap(({ ref }) => (ref.action === 'trigger' ? [ref.key] : [])));

  // I2: conditions that cleared since the last poll.
  const resolutions: AuditRecord[] = [];
  const targetJobs = input.changedJobs.map(observed);
  for (const incident of [...open.values()]) {
    const clearedBy = INCIDENT_KINDS[incident.kind].clearedBy;
    if (!clearedBy || triggered.has(incident.key)) continue;
    const job = incident.jobId ? targetJobs.find((j) => j.jobId === incident.jobId) : undefined;
    const observation: IncidentObservation = {
      incident: {
        ...(incident.jobId ? { jobId: incident.jobId } : {}),
        ...(incident.jobCreated ? { jobCreated: incident.jobCreated } : {}),
        ...(incident.expires ? { expires: incident.expires } : {}),
      },
      ...(job ? { job } : {}),
      targetJobs,
      now,
    };
    const reason = clearedBy(observation);
    if (reason === undefined) continue;
    const record = route(resolutionRecord(incident, reason, input), incident.announcedOn);
    resolutions.push(record);
    open.delete(incident.key);
    changes.set(incident.key, close(incident, record, reason));
    counts.resolved++;
  }

  // I1, I2 (by rule), I3: the poll's own events, in order.
  const records: AuditRecord[] = [];
  for (const { record, ref } of annotated) {
    const existing = open.get(ref.key);
    if (ref.action === 'resolve') {
      const routed = route(record, existing?.announcedOn);
      records.push(routed);
      if (existing) {
        open.delete(existing.key);
        changes.set(existing.key, close(existing, routed, routed.summary));
        counts.resolved++;
      }
      continue;
    }
    const routed = route(record);
    records.push(routed);
    const kind = ref.kind;
    if (ref.action !== 'trigger' || kind === undefined) continue;
    if (existing?.lastTriggerEventId === record.eventId) continue;
    const next = existing ? retrigger(existing, routed) : openIncident(kind, routed, input);
    if (!existing) counts.opened++;
    open.set(next.key, next);
    changes.set(next.key, next);
  }

  // I4: reminders of what stays open.
  const reminders: AuditRecord[] = [];
  const repeatMs = settings.repeatEveryMinutes * MS_PER_MINUTE;
  const targetFailing = open.has(incidentKey('failing', target));
  for (const incident of open.values()) {
    if (repeatMs <= 0 || triggered.has(incident.key)) continue;
    if (SEVERITY_ORDER[incident.severity] < SEVERITY_ORDER.warning) continue;
    if (!incident.announcedOn.includes('sns')) continue;
    if (INCIDENT_KINDS[incident.kind].subject === 'job' && targetFailing) continue;
    const since = parseInstant(incident.lastTriggeredAt);
    if (since === undefined) continue;
    const interval = Math.floor((now.getTime() - since) / repeatMs);
    if (interval < 1 || interval <= incident.reminders) continue;
    const record = route(reminderRecord(incident, interval, now, input));
    reminders.push(record);
    counts.reminded++;
    const reminded: Incident = {
      ...incident,
      reminders: interval,
      ...(record.suppressed || record.silenced ? {} : { lastNotifiedAt: nowIso }),
    };
    open.set(incident.key, reminded);
    changes.set(incident.key, reminded);
  }

  return { records: [...records, ...resolutions, ...reminders], changes: [...changes.values()], counts };
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

/** The open incidents by target key (job incidents belong to their job's target). */
export function incidentsByTarget(incidents: readonly Incident[]): Map<string, Incident[]> {
  const byTarget = new Map<string, Incident[]>();
  for (const incident of incidents) {
    if (incident.resolvedAt !== undefined) continue;
    const key = targetKey(incident);
    const list = byTarget.get(key);
    if (list) list.push(incident);
    else byTarget.set(key, [incident]);
  }
  return byTarget;
}

function observed(state: JobState) {
  return { ...state.snapshot, gone: state.goneSince !== undefined };
}

function openIncident(
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

function retrigger(incident: Incident, trigger: AuditRecord): Incident {
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

function close(incident: Incident, by: AuditRecord, reason: string): Incident {
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
