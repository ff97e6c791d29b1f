/**
 * The kinds of incident (`INCIDENT_KINDS`: what each is about, how it clears) and the reading of the
 * event catalogue's incident rules: which incident an event opens, resolves or reminds of, under which
 * key. The rules themselves are data on each event type in `event-catalogue.ts`; this module is
 * where they are applied and described (the README's event table is generated from
 * `describeIncidentRule`).
 */
import {
  EVENT_CATALOGUE,
  eventTypeInfo,
  type IncidentCondition,
  type IncidentKind,
} from './event-catalogue.ts';
import { shortId } from './event-summary.ts';
import { parseInstant } from './instant.ts';
import type { EventType, IncidentAction, JobSnapshot, MonitorEvent } from './types.ts';

/** What this run saw of an incident's subject, for the kind's `clearedBy`. */
export interface IncidentObservation {
  /** The incident as open: its job and the facts kept from its triggers. */
  incident: { jobId?: string; jobCreated?: string; expires?: string };
  /** Its job, when the job's state changed in this run (`gone`: no longer listed). */
  job?: JobSnapshot & { gone: boolean };
  /** Every job of the incident's target whose state changed in this run. */
  targetJobs: ReadonlyArray<JobSnapshot & { gone: boolean }>;
  now: Date;
}

export interface IncidentKindInfo {
  kind: IncidentKind;
  /** Whose incident it is: one per target or one per job. */
  subject: 'target' | 'job';
  /** What the incident means, for people. */
  title: string;
  /** When it ends, for the docs. */
  clears: string;
  /**
   * Why the incident is over, from what this run observed, or undefined while it lasts. Absent for a
   * kind that only an event closes (`{ resolves }`).
   */
  clearedBy?: (observed: IncidentObservation) => string | undefined;
}

export const INCIDENT_KINDS: Readonly<Record<IncidentKind, IncidentKindInfo>> = {
  failing: {
    kind: 'failing',
    subject: 'target',
    title: 'restore jobs of a target cannot be polled',
    clears: 'TARGET_RECOVERED',
  },
  stuck: {
    kind: 'stuck',
    subject: 'job',
    title: 'restore job stuck IN_PROGRESS',
    clears: 'the job leaves IN_PROGRESS (or is no longer listed)',
    clearedBy: ({ job }) => {
      if (!job) return undefined;
      if (job.gone) return 'the job is no longer listed';
      return job.statusName === 'IN_PROGRESS'
        ? undefined
        : `the job left IN_PROGRESS (now ${job.statusName})`;
    },
  },
  expiring: {
    kind: 'expiring',
    subject: 'job',
    title: 'download link about to expire unused',
    clears:
      'the backup is downloaded, the link expires or the delivery leaves READY (or the job is no longer listed)',
    clearedBy: ({ job, incident, now }) => {
      if (job?.downloaded) return 'the backup was downloaded';
      if (job?.gone) return 'the job is no longer listed';
      if (job && job.deliveryStatus !== 'READY') return `the delivery is ${job.deliveryStatus ?? 'gone'} now`;
      const expiresMs = parseInstant(job?.expires ?? incident.expires);
      return expiresMs !== undefined && now.getTime() >= expiresMs ? 'the download link expired' : undefined;
    },
  },
  failed: {
    kind: 'failed',
    subject: 'job',
    title: 'restore failed',
    clears: 'a later restore of the same target finishes with its download ready (or downloaded)',
    clearedBy: ({ incident, targetJobs }) => {
      const failedCreated = parseInstant(incident.jobCreated);
      const success = targetJobs.find((job) => {
        if (job.jobId === incident.jobId || job.gone || job.statusName !== 'FINISHED') return false;
        if (!(job.deliveryStatus === 'READY' || job.downloaded)) return false;
        // "Later": requested after the failed one; without both dates, a success seen after it counts.
        const created = parseInstant(job.created);
        return failedCreated === undefined || created === undefined || created >= failedCreated;
      });
      return success
        ? `restore ${shortId(success.jobId)} of the same target finished with its download ready`
        : undefined;
    },
  },
};

/** An event's incident and what it does to it. */
export interface IncidentRef {
  key: string;
  action: IncidentAction;
  /** The kind, for a trigger or a resolve by rule; absent for info and the stage's own announcements. */
  kind?: IncidentKind;
}

/** `target/<project>:<cluster>/failing`, `job/<jobId>/stuck`: stable, from the subject and the kind. */
export function incidentKey(
  kind: IncidentKind,
  subject: { projectId: string; clusterId: string; jobId?: string },
): string {
  return INCIDENT_KINDS[kind].subject === 'target'
    ? `target/${subject.projectId}:${subject.clusterId}/${kind}`
    : `job/${subject.jobId ?? ''}/${kind}`;
}

/** The key an informational event correlates under: its job, else its batch, else its target. */
export function subjectKey(
  event: Pick<MonitorEvent, 'projectId' | 'clusterId' | 'jobId' | 'batchId'>,
): string {
  if (event.jobId) return `job/${event.jobId}`;
  if (event.batchId) return `batch/${event.batchId}`;
  return `target/${event.projectId}:${event.clusterId}`;
}

/**
 * What `event` does to which incident, by the catalogue's rule. A record that carries `incidentKey` and
 * `action` (set by the incident stage when it was detected) keeps them; one recorded before incidents
 * existed is read through the rule, so an owed alert from an older release still says what it is.
 */
export function incidentOf(
  event: Pick<
    MonitorEvent,
    'eventType' | 'projectId' | 'clusterId' | 'jobId' | 'batchId' | 'after' | 'incidentKey' | 'action'
  >,
): IncidentRef {
  if (event.incidentKey && event.action) return { key: event.incidentKey, action: event.action };
  return incidentByRule(event);
}

/** What the catalogue's rule says `event` does, whatever the record says (the incident stage's view). */
export function incidentByRule(
  event: Pick<MonitorEvent, 'eventType' | 'projectId' | 'clusterId' | 'jobId' | 'batchId' | 'after'>,
): IncidentRef {
  const rule = eventTypeInfo(String(event.eventType))?.incident;
  if (rule && typeof rule === 'object') {
    if ('resolves' in rule)
      return { key: incidentKey(rule.resolves, event), action: 'resolve', kind: rule.resolves };
    if (rule.when === undefined || conditionHolds(rule.when, event.after ?? undefined)) {
      return { key: incidentKey(rule.opens, event), action: 'trigger', kind: rule.opens };
    }
  }
  return { key: subjectKey(event), action: 'info' };
}

function conditionHolds(condition: IncidentCondition, job: Partial<JobSnapshot> | undefined): boolean {
  const { jobStatus, deliveryStatus, downloaded } = condition;
  if (jobStatus && !(job?.statusName !== undefined && jobStatus.includes(job.statusName))) return false;
  if (deliveryStatus && !(job?.deliveryStatus !== undefined && deliveryStatus.includes(job.deliveryStatus)))
    return false;
  if (downloaded !== undefined && (job?.downloaded === true) !== downloaded) return false;
  return true;
}

/** The incident column of the README's event table, written from the rule (a test compares them). */
export function describeIncidentRule(type: EventType): string {
  const rule = EVENT_CATALOGUE[type].incident;
  if (rule === undefined) return 'info';
  if (rule === 'resolution') return 'resolves the incident in its `incidentKey`';
  if (rule === 'reminder') return 'reminds of the incident in its `incidentKey`';
  if ('resolves' in rule) return `resolves \`${keyPattern(rule.resolves)}\``;
  const kind = INCIDENT_KINDS[rule.opens];
  const when = rule.when ? ` when ${describeCondition(rule.when)}` : '';
  const clears = kind.clearedBy
    ? `; resolved (INCIDENT_RESOLVED) when ${kind.clears}`
    : `; resolved by ${kind.clears}`;
  return `opens \`${keyPattern(rule.opens)}\`${when}${clears}`;
}

function keyPattern(kind: IncidentKind): string {
  return INCIDENT_KINDS[kind].subject === 'target'
    ? `target/<project>:<cluster>/${kind}`
    : `job/<jobId>/${kind}`;
}

function describeCondition(condition: IncidentCondition): string {
  const parts: string[] = [];
  if (condition.jobStatus) parts.push(condition.jobStatus.join(' or '));
  if (condition.deliveryStatus) parts.push(`delivery ${condition.deliveryStatus.join(' or ')}`);
  if (condition.downloaded !== undefined)
    parts.push(condition.downloaded ? 'downloaded' : 'not downloaded yet');
  return parts.join(', ');
}
