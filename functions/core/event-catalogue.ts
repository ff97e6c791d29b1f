/**
 * THE catalogue of events restore-watch raises: what each means, how severe it is, what the on-call
 * should do, and which incident it opens or closes. The notifier renders from it, the audit trail
 * names it, the incident stage applies its rules, and a test holds the README's event table to it, so
 * wording, severity and incident rules are decided here and nowhere else.
 *
 * Next steps are data: each says in `when` which statuses it is for, and `nextStepsFor` picks them by
 * those fields. The text starts with a label for people (`BROKEN: ...`); nothing reads that label.
 *
 * Incident rules are data too: `incident` says which kind of incident an event opens or resolves,
 * and under which condition. The kinds (`INCIDENT_KINDS`) and the reading of these rules are in
 * incident-kinds.ts. A condition that clears without an event of its own (the download happening, a
 * stuck job leaving IN_PROGRESS, a later restore succeeding) is the kind's `clearedBy`; the incident
 * stage then raises INCIDENT_RESOLVED.
 */
import { type EventType, SEVERITY_ORDER, type Severity } from './types.ts';

/**
 * When a next step applies. Every field given must hold; statuses are compared exactly.
 * - `jobStatus`: the event's job, or some job of its batch, has one of these statuses;
 * - `allJobStatus`: the event has at least one job and every one of them has one of these statuses;
 * - `deliveryStatus`: the delivery of the event's job has one of these statuses.
 */
export interface StepCondition {
  readonly jobStatus?: readonly string[];
  readonly allJobStatus?: readonly string[];
  readonly deliveryStatus?: readonly string[];
}

export interface NextStep {
  /**
   * Omitted: the step always applies. `'otherwise'`: it is for the statuses no other step names; as
   * such a status shows every step of the type (see `nextStepsFor`), it appears only then.
   */
  readonly when?: StepCondition | 'otherwise';
  /** What the on-call should do, as shown to them. */
  readonly text: string;
}

/** The statuses an event reports, which its next steps are chosen by. */
export interface EventStatuses {
  /** The new status of the event's job, and of every job of its batch (batch summaries). */
  readonly jobStatuses: readonly string[];
  /** The new delivery status of the event's job. */
  readonly deliveryStatus?: string;
}

/** The kinds of incident: what a key names and what ends it. */
export type IncidentKind = 'failing' | 'stuck' | 'expiring' | 'failed';

/** When an incident rule applies: every field given must hold for the event's job (`after`). */
export interface IncidentCondition {
  readonly jobStatus?: readonly string[];
  readonly deliveryStatus?: readonly string[];
  readonly downloaded?: boolean;
}

/**
 * What an event does to incidents:
 * - `opens`: it triggers an incident of that kind (a new one, or again an open one with the same key);
 * - `resolves`: it closes the open incident of that kind of its subject;
 * - `'resolution'` / `'reminder'`: it is the incident stage's own announcement of a close or a
 *   reminder, for the incident named in its `incidentKey`.
 * Without a rule (or when `when` does not hold) an event is informational.
 */
export type IncidentRule =
  | { readonly opens: IncidentKind; readonly when?: IncidentCondition }
  | { readonly resolves: IncidentKind }
  | 'resolution'
  | 'reminder';

export interface EventTypeInfo {
  type: EventType;
  title: string;
  /** When it fires, for the docs. */
  description: string;
  defaultSeverity: Severity | 'varies';
  /** What the on-call should do; see `nextStepsFor` for which apply to one event. */
  nextSteps: readonly NextStep[];
  /** Which incident it opens or resolves; absent: informational (see `incidentOf`). */
  incident?: IncidentRule;
}

export const EVENT_CATALOGUE: Readonly<Record<EventType, EventTypeInfo>> = {
  JOB_CREATED: {
    type: 'JOB_CREATED',
    title: 'Restore job requested',
    description:
      'A restore job is listed that was not listed at the previous poll. Jobs that already exist when a ' +
      'target is watched for the first time are recorded as a baseline and raise nothing.',
    defaultSeverity: 'info',
    nextSteps: [
      {
        text: 'Check that the restore was requested on purpose: the Cloud Manager activity feed names the requester (RESTORE_REQUESTED_AUDIT).',
      },
      {
        text: 'Nothing else to do: restore-watch reports when the job finishes and when its download is ready.',
      },
    ],
  },
  JOB_STATUS_CHANGED: {
    type: 'JOB_STATUS_CHANGED',
    title: 'Restore job status changed',
    description:
      "The job's statusName changed. FINISHED and IN_PROGRESS are info, KILLED is a warning, BROKEN is " +
      'critical, and a status the docs do not know is a warning. A job first seen after the baseline ' +
      'that is already past IN_PROGRESS reports its status too, so a restore that failed between two ' +
      'polls is not missed.',
    defaultSeverity: 'varies',
    nextSteps: [
      {
        when: { jobStatus: ['BROKEN'] },
        text: 'BROKEN: open the job in Cloud Manager (Continuous Backup > Restores), check the snapshot and the backup agent logs, then request the restore again.',
      },
      {
        when: { jobStatus: ['KILLED'] },
        text: 'KILLED: ask the requester whether it was cancelled on purpose; request it again if not.',
      },
      {
        when: { jobStatus: ['FINISHED'] },
        text: 'FINISHED: nothing to do for the job; the delivery status tells when the download is ready.',
      },
      {
        when: 'otherwise',
        text: 'Any other status: look the job up in Cloud Manager; restore-watch treats the new value as a warning until it is catalogued.',
      },
    ],
    incident: { opens: 'failed', when: { jobStatus: ['BROKEN', 'KILLED'] } },
  },
  DELIVERY_STATUS_CHANGED: {
    type: 'DELIVERY_STATUS_CHANGED',
    title: 'Restore delivery status changed',
    description:
      "The delivery's statusName changed. READY (the download link works until `expires`), NOT_STARTED, " +
      'IN_PROGRESS and MAX_DOWNLOADS_EXCEEDED are info; FAILED and INTERRUPTED are critical; EXPIRED is a ' +
      'warning when the backup was never downloaded and info when it was; a status the docs do not know ' +
      'is a warning.',
    defaultSeverity: 'varies',
    nextSteps: [
      {
        when: { deliveryStatus: ['READY'] },
        text: 'READY: download the backup before the link expires (the link is in Cloud Manager; alerts carry it only when includeDownloadUrl is on).',
      },
      {
        when: { deliveryStatus: ['FAILED', 'INTERRUPTED'] },
        text: 'FAILED or INTERRUPTED: request the restore again; if it fails again, open a MongoDB support case with the job id.',
      },
      {
        // Also shown for an expired link that was downloaded: that alert is info, and the step says
        // "if the backup is still needed".
        when: { deliveryStatus: ['EXPIRED'] },
        text: 'EXPIRED without a download: request the restore again if the backup is still needed.',
      },
      {
        when: { deliveryStatus: ['MAX_DOWNLOADS_EXCEEDED'] },
        text: 'MAX_DOWNLOADS_EXCEEDED: the backup was downloaded; request a new restore for another copy.',
      },
    ],
    incident: { opens: 'failed', when: { deliveryStatus: ['FAILED', 'INTERRUPTED'] } },
  },
  DELIVERY_EXPIRING: {
    type: 'DELIVERY_EXPIRING',
    title: 'Download link about to expire',
    description:
      "A READY delivery's `expires` is within one of the configured expiryWarningMinutes. Fires once per " +
      'threshold per job; when several thresholds are crossed at once, one warning names the tightest. A ' +
      'new `expires` (a new delivery) starts the thresholds over. Deliveries without `expires` (automated ' +
      'restores) never fire.',
    defaultSeverity: 'warning',
    nextSteps: [
      { text: 'Download the backup now, or tell whoever needs it that the link is about to stop working.' },
      { text: 'If nobody needs it any more, ignore the warning: the link simply expires.' },
    ],
    incident: { opens: 'expiring', when: { downloaded: false } },
  },
  JOB_STUCK: {
    type: 'JOB_STUCK',
    title: 'Restore job seems stuck',
    description:
      'A job has been IN_PROGRESS for longer than stuckAfterMinutes, counted from its `created` time (or ' +
      'from when restore-watch first saw it when `created` is missing). Fires once per job.',
    defaultSeverity: 'warning',
    nextSteps: [
      { text: 'Open the job in Cloud Manager and check the backup daemon and agent status.' },
      {
        text: 'Large snapshots take hours: compare with earlier restores of the same cluster before cancelling.',
      },
      { text: 'If it is really stuck, open a MongoDB support case with the job id.' },
    ],
    incident: { opens: 'stuck' },
  },
  BATCH_COMPLETED: {
    type: 'BATCH_COMPLETED',
    title: 'Sharded restore batch completed',
    description:
      'Every job of a sharded-cluster restore batch (one per shard plus the config server) reached a ' +
      'terminal status. One summary with a row per shard; its severity is the worst of its jobs (a BROKEN ' +
      'shard makes it critical). Batches already complete when a target is first watched raise nothing.',
    defaultSeverity: 'varies',
    nextSteps: [
      {
        when: { allJobStatus: ['FINISHED'] },
        text: 'All FINISHED: download every shard and the config server before their links expire; a sharded restore needs all of them.',
      },
      {
        when: { jobStatus: ['BROKEN', 'KILLED'] },
        text: 'Any BROKEN or KILLED shard: the batch is unusable as a whole; request the restore of the whole cluster again.',
      },
    ],
  },
  TARGET_FAILING: {
    type: 'TARGET_FAILING',
    title: 'Cannot poll restore jobs',
    description:
      'Listing the restore jobs of a target failed failingAfterPolls times in a row, or failed once with ' +
      'an authentication or authorisation error or an untrusted TLS certificate (neither heals by itself). ' +
      'Fires once per failure streak; while it lasts, no other event of the target can fire.',
    defaultSeverity: 'critical',
    nextSteps: [
      // Not chosen by status: the alert's facts name the error and its HTTP status, and each step
      // starts with the status it is for.
      {
        text: '401: check the API key or service account (wrong key, deleted key, missing Project Read Only role).',
      },
      {
        text: '403 IP_ADDRESS_NOT_ON_WHITELIST: add the egress addresses (the stack output EgressIps with deploy.network egress "nat") to the API access list.',
      },
      {
        text: 'TLS certificate not trusted: set cloudManager.caFile to the PEM of the CA that signed the API host certificate (private CA), or fix the host name or the expired certificate the error names.',
      },
      { text: '404: the project or cluster id in the configuration is wrong or the cluster was removed.' },
      {
        text: '429 or 5xx: Cloud Manager is limiting or failing; it usually passes, check status.cloud.mongodb.com.',
      },
    ],
    incident: { opens: 'failing' },
  },
  TARGET_RECOVERED: {
    type: 'TARGET_RECOVERED',
    title: 'Polling works again',
    description:
      'A target for which TARGET_FAILING was raised was polled successfully. Changes that happened during ' +
      'the outage are reported by the same poll.',
    defaultSeverity: 'info',
    nextSteps: [
      { text: 'Nothing to do; review the events reported by this poll for changes made during the outage.' },
    ],
    incident: { resolves: 'failing' },
  },
  INCIDENT_RESOLVED: {
    type: 'INCIDENT_RESOLVED',
    title: 'Incident resolved',
    description:
      'The condition behind an open incident cleared without an event of its own: a stuck job left ' +
      'IN_PROGRESS, an expiring link was downloaded or expired, a later restore of the same target ' +
      'finished with its download ready. Sent to every channel the incident was announced on, even under ' +
      'a silence, so a PagerDuty incident closes.',
    defaultSeverity: 'info',
    nextSteps: [
      { text: 'Nothing to do: the problem announced earlier under the same incident key is over.' },
    ],
    incident: 'resolution',
  },
  INCIDENT_REMINDER: {
    type: 'INCIDENT_REMINDER',
    title: 'Incident still open',
    description:
      'An incident at warning or above has been open for alerts.repeatEveryMinutes since it was last ' +
      'triggered or reminded of; once per interval, on SNS only (PagerDuty escalates by itself). Not sent ' +
      'while a silence matches, nor for an incident that was never announced.',
    defaultSeverity: 'varies',
    nextSteps: [
      {
        text: 'Someone needs to pick this up: the steps of the original alert (its incident key names it) still apply.',
      },
    ],
    incident: 'reminder',
  },
};

/** Catalogue order: the order events of one job are reported in and the order of the docs. */
export const EVENT_TYPES: readonly EventType[] = Object.keys(EVENT_CATALOGUE) as EventType[];

// A Map, so that an event type such as "constructor" read from the audit trail cannot hit Object.prototype.
const EVENT_CATALOGUE_BY_TYPE: ReadonlyMap<string, EventTypeInfo> = new Map(Object.entries(EVENT_CATALOGUE));

/** The catalogue entry of `type`, a string as recorded; undefined for a type the catalogue does not know. */
export function eventTypeInfo(type: string): EventTypeInfo | undefined {
  return EVENT_CATALOGUE_BY_TYPE.get(type);
}

/**
 * The next steps of `type` that apply to an event reporting `statuses`, as text, in catalogue order.
 * Steps without a condition always apply. When the type has conditional steps and none of them holds
 * (a status the catalogue does not know yet), every step is returned: the on-call sees all the
 * options rather than none. An event type the catalogue does not know has no steps.
 */
export function nextStepsFor(type: string, statuses: EventStatuses): string[] {
  const steps = eventTypeInfo(type)?.nextSteps ?? [];
  const conditional = steps.filter((step) => step.when !== undefined);
  const holding = conditional.filter((step) => step.when !== 'otherwise' && holds(step.when, statuses));
  const chosen =
    conditional.length > 0 && holding.length === 0
      ? steps
      : steps.filter((step) => step.when === undefined || holding.includes(step));
  return chosen.map((step) => step.text);
}

function holds(condition: StepCondition | undefined, statuses: EventStatuses): boolean {
  if (condition === undefined) return true;
  const { jobStatus, allJobStatus, deliveryStatus } = condition;
  const jobs = statuses.jobStatuses;
  if (jobStatus && !jobs.some((status) => jobStatus.includes(status))) return false;
  if (allJobStatus && !(jobs.length > 0 && jobs.every((status) => allJobStatus.includes(status))))
    return false;
  if (deliveryStatus && !(statuses.deliveryStatus && deliveryStatus.includes(statuses.deliveryStatus)))
    return false;
  return true;
}

// Maps, not object literals: a status string such as "constructor" must not hit Object.prototype.
const JOB_STATUS_SEVERITY: ReadonlyMap<string, Severity> = new Map<string, Severity>([
  ['IN_PROGRESS', 'info'],
  ['FINISHED', 'info'],
  ['KILLED', 'warning'],
  ['BROKEN', 'critical'],
]);

const DELIVERY_STATUS_SEVERITY: ReadonlyMap<string, Severity> = new Map<string, Severity>([
  ['NOT_STARTED', 'info'],
  ['IN_PROGRESS', 'info'],
  ['READY', 'info'],
  ['MAX_DOWNLOADS_EXCEEDED', 'info'],
  ['FAILED', 'critical'],
  ['INTERRUPTED', 'critical'],
]);

/** Severity of a job reaching `status`; a value the docs do not know is a warning (worth a look, not a page). */
export function jobStatusSeverity(status: string): Severity {
  return JOB_STATUS_SEVERITY.get(status) ?? 'warning';
}

/** Severity of a delivery reaching `status`; an expired link matters only if nobody downloaded it. */
export function deliveryStatusSeverity(status: string, downloaded: boolean): Severity {
  if (status === 'EXPIRED') return downloaded ? 'info' : 'warning';
  return DELIVERY_STATUS_SEVERITY.get(status) ?? 'warning';
}

/** The most severe of `list`; `info` for an empty list. */
export function worstSeverity(list: readonly Severity[]): Severity {
  let worst: Severity = 'info';
  for (const severity of list) {
    if (SEVERITY_ORDER[severity] > SEVERITY_ORDER[worst]) worst = severity;
  }
  return worst;
}

/** True when `severity` is at least `min` (`minSeverity` of the alert settings). */
export function meetsMinSeverity(severity: Severity, min: Severity): boolean {
  return SEVERITY_ORDER[severity] >= SEVERITY_ORDER[min];
}
