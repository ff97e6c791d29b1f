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
 * I6. An incident closed from outside its target's poll (`closeIncidents`: its target is no longer
 *     watched, or it is resolved by hand) gets the same INCIDENT_RESOLVED as I2, routed as I3.
 */
import { routeRecord } from './delivery.ts';
import {
  INCIDENT_KINDS,
  type IncidentObservation,
  type IncidentRef,
  incidentByRule,
  incidentKey,
  incidentOf,
} from './incident-kinds.ts';
import { reminderRecord, resolutionRecord } from './incident-records.ts';
import { closeIncident, type Incident, openIncident, retrigger } from './incident-state.ts';
import { MS_PER_MINUTE, parseInstant } from './instant.ts';
import { matchSilence, type Silence, silenceRef } from './silences.ts';
import type { AlertSettings, AuditRecord, Channel, JobState, Target } from './types.ts';
import { SEVERITY_ORDER, targetKey } from './types.ts';

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
  const counts = noIncidentCounts();
  const route = router(input, counts);

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
    changes.set(incident.key, closeIncident(incident, record, reason));
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
        changes.set(existing.key, closeIncident(existing, routed, routed.summary));
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
 * I6. Incidents closed from outside any target's poll (a target this run no longer watches, see
 * unwatched.ts; an engineer's resolve by hand, manual-resolve.ts): one INCIDENT_RESOLVED each, with the id of I2 (key and opening, so a crash cannot
 * announce it twice) and `reason`, routed where the incident was announced (I3).
 */
export function closeIncidents(
  incidents: readonly Incident[],
  reason: string,
  input: Pick<IncidentInput, 'silences' | 'settings' | 'pagerduty' | 'now' | 'runId'>,
): IncidentOutput {
  const counts = noIncidentCounts();
  const route = router(input, counts);
  const records: AuditRecord[] = [];
  const changes: Incident[] = [];
  for (const incident of incidents) {
    if (incident.resolvedAt !== undefined) continue;
    const target = {
      projectId: incident.projectId,
      clusterId: incident.clusterId,
      name: incident.targetName,
      ...(incident.team ? { team: incident.team } : {}),
    };
    const record = route(resolutionRecord(incident, reason, { ...input, target }), incident.announcedOn);
    records.push(record);
    changes.push(closeIncident(incident, record, reason));
    counts.resolved++;
  }
  return { records, changes, counts };
}

/** Several outputs of the stage as one: records and changes in order, counts summed. */
export function mergeIncidentOutputs(outputs: readonly IncidentOutput[]): IncidentOutput {
  return {
    records: outputs.flatMap((output) => output.records),
    changes: outputs.flatMap((output) => output.changes),
    counts: sumIncidentCounts(outputs.map((output) => output.counts)),
  };
}

export function noIncidentCounts(): IncidentCounts {
  return { opened: 0, resolved: 0, reminded: 0, silenced: 0 };
}

export function sumIncidentCounts(list: readonly IncidentCounts[]): IncidentCounts {
  const total = noIncidentCounts();
  for (const counts of list) {
    for (const key of Object.keys(total) as Array<keyof IncidentCounts>) total[key] += counts[key];
  }
  return total;
}

/** Routes a record to its channels (delivery.ts) under the silences now, counting the silenced. */
function router(
  input: Pick<IncidentInput, 'silences' | 'settings' | 'pagerduty' | 'now'>,
  counts: IncidentCounts,
): (record: AuditRecord, announcedOn?: readonly Channel[]) => AuditRecord {
  return (record, announcedOn) => {
    const silence = matchSilence(record, input.silences, input.now);
    const routed = routeRecord(record, {
      settings: input.settings,
      pagerduty: input.pagerduty,
      ...(silence ? { silence: silenceRef(silence) } : {}),
      ...(announcedOn ? { announcedOn } : {}),
    });
    if (routed.silenced) counts.silenced++;
    return routed;
  };
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
