/**
 * One alert group as every channel sees it, before any channel decides how to pack it: its events in
 * reading order with what the catalogue says about each, secrets removed, the group's severity and
 * the facts a subscriber routes on. The renderers (subject, email, chat card, event JSON) take this
 * view; a channel (SNS, the console, a pager) combines renderers and applies its own limits.
 */
import { createHash } from 'node:crypto';
import { type EventStatuses, eventTypeInfo, nextStepsFor, worstSeverity } from '../event-catalogue.ts';
import { incidentOf } from '../incident-kinds.ts';
import type { AlertGroup } from '../ports.ts';
import { redactSecrets, scrubText } from '../redact.ts';
import { SNAPSHOT_FIELDS } from '../snapshot.ts';
import type { AuditRecord, IncidentAction, Severity } from '../types.ts';
import { SEVERITY_ORDER } from '../types.ts';
import { batchMembers } from './event-facts.ts';
import { readingOrder } from './grouping.ts';
import { headline } from './headline.ts';

export interface AlertViewOptions {
  includeDownloadUrl: boolean;
  /** Job id → download URL; used only when `includeDownloadUrl` is true. */
  downloadUrls?: ReadonlyMap<string, string>;
}

/** One event of a group, ready to render. */
export interface EventView {
  /** The record as recorded: identifiers and routing values come from here. */
  original: AuditRecord;
  /** What renderers show: delivery bookkeeping dropped, secret fields redacted, links scrubbed. */
  record: AuditRecord;
  /** Catalogue title; the raw type for a type the catalogue does not know. */
  title: string;
  /** When this alert fires (catalogue), background for the reader. */
  description: string;
  /** The catalogue's next steps that apply to this event's statuses. */
  nextSteps: string[];
  /** Only with `includeDownloadUrl` on, and only the URL of this event's own job. */
  downloadUrl?: string;
}

/**
 * What a subscriber can route or filter on, channel-neutral. A group carries: the type of its most
 * severe event (ties: the first in reading order) and every type; the worst severity; the incident
 * change that matters most (a trigger, the most severe first; else a resolve; else a reminder; else
 * the first event's informational key); its job when it is about one job outside a batch, else its
 * batch; its first event's id; every event and job id.
 */
export interface RoutingFacts {
  eventType: string;
  /** Distinct, in reading order. */
  eventTypes: string[];
  severity: Severity;
  incidentKey: string;
  action: IncidentAction;
  /** `targets[].team` of the target, when configured. */
  team?: string;
  projectId: string;
  clusterId: string;
  /** Present when every event is about this one job and the group is not a batch's. */
  jobId?: string;
  batchId?: string;
  /** The first event's id: the message's identity, the same on every retry. */
  eventId: string;
  eventIds: string[];
  /** Distinct, in event order. */
  jobIds: string[];
  /** For a group of several events: a hash of its event ids, the same on every retry. */
  groupId?: string;
}

export interface AlertView {
  /** Reading order (`readingOrder`): the batch summary first, then by job and catalogue order. Never empty. */
  events: readonly EventView[];
  /** `events[0]`: the event that names the alert. */
  primary: EventView;
  /** Worst severity of the events; `warning` when none is one the monitor knows. */
  severity: Severity;
  /** What the message is about in one line (`headline`), secrets scrubbed. */
  headline: string;
  /** False when the headline names only the first event (a batch): renderers add "+N more". */
  headlineCoversAll: boolean;
  routing: RoutingFacts;
}

/** How much prose a rendering may spend; a channel with a size limit tries several. */
export interface DetailLevel {
  /** Batch member rows in the per-shard table. */
  memberRows: number;
  /** Events rendered with every fact. */
  fullEvents: number;
  /** Further events rendered as one line each. */
  lineEvents: number;
}

export const SEVERITY_LABEL: Readonly<Record<Severity, string>> = {
  info: 'INFO',
  warning: 'WARNING',
  critical: 'CRITICAL',
};

export class AlertGroupEmptyError extends Error {
  constructor() {
    super('An alert group needs at least one event; groupForPublishing never produces empty groups');
    this.name = 'AlertGroupEmptyError';
  }
}

export function viewAlert(group: AlertGroup, options: AlertViewOptions): AlertView {
  const originals = readingOrder(group.events);
  const first = originals[0];
  if (!first) throw new AlertGroupEmptyError();
  const urls = options.includeDownloadUrl ? options.downloadUrls : undefined;
  const events = originals.map((record) => viewEvent(record, urls));
  const severity = knownWorstSeverity(originals.map((e) => e.severity));
  const mostSevere = originals.reduce(
    (worst, e) => (rank(e.severity) > rank(worst.severity) ? e : worst),
    first,
  );
  const incident = mainIncident(originals);
  const jobIds = [...new Set(originals.flatMap((e) => (e.jobId ? [e.jobId] : [])))];
  const oneJob = first.batchId === undefined && jobIds.length === 1 && originals.every((e) => e.jobId);
  const eventIds = originals.map((e) => e.eventId);
  const title = headline(originals);
  return {
    events,
    primary: events[0] as EventView,
    severity,
    headline: scrubText(title.text),
    headlineCoversAll: title.coversAll,
    routing: {
      eventType: String(mostSevere.eventType),
      eventTypes: [...new Set(originals.map((e) => String(e.eventType)))],
      severity,
      incidentKey: incident.key,
      action: incident.action,
      ...(first.team ? { team: first.team } : {}),
      projectId: first.projectId,
      clusterId: first.clusterId,
      ...(oneJob ? { jobId: jobIds[0] as string } : {}),
      ...(first.batchId !== undefined ? { batchId: first.batchId } : {}),
      eventId: first.eventId,
      eventIds,
      jobIds,
      ...(eventIds.length > 1 ? { groupId: groupIdOf(eventIds) } : {}),
    },
  };
}

const ACTION_PRIORITY: Readonly<Record<IncidentAction, number>> = {
  trigger: 3,
  resolve: 2,
  reminder: 1,
  info: 0,
};

/** The incident change a group is announced under: triggers first (most severe), then resolves, reminders. */
function mainIncident(events: readonly AuditRecord[]): { key: string; action: IncidentAction } {
  let best: { key: string; action: IncidentAction; severity: Severity } | undefined;
  for (const event of events) {
    const ref = incidentOf(event);
    const better =
      best === undefined ||
      ACTION_PRIORITY[ref.action] > ACTION_PRIORITY[best.action] ||
      (ref.action === best.action && ref.action !== 'info' && rank(event.severity) > rank(best.severity));
    if (better) best = { key: ref.key, action: ref.action, severity: event.severity };
  }
  return best ? { key: best.key, action: best.action } : { key: '', action: 'info' };
}

function rank(severity: Severity): number {
  return SEVERITY_ORDER[severity] ?? SEVERITY_ORDER.warning;
}

/** 32 hex characters of SHA-256 over the event ids in reading order. */
function groupIdOf(eventIds: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(eventIds)).digest('hex').slice(0, 32);
}

function knownWorstSeverity(list: Severity[]): Severity {
  const known = list.filter((s): s is Severity => s in SEVERITY_LABEL);
  return known.length > 0 ? worstSeverity(known) : 'warning';
}

function viewEvent(original: AuditRecord, urls: ReadonlyMap<string, string> | undefined): EventView {
  // Audit records are written without secrets; redacting again costs little and guards against a
  // future detail field, or an upstream error text, that carries one.
  // Delivery bookkeeping (every channel's) and routing are left out, so a retried message is byte for
  // byte the message first tried.
  const {
    publishAttempts: _attempts,
    lastPublishError: _error,
    publishedAt: _at,
    snsMessageId: _id,
    rejections: _rejections,
    abandonedAt: _abandoned,
    suppressed: _suppressed,
    silenced: _silenced,
    pagerduty: _pagerduty,
    ...event
  } = original;
  // Every message says which incident it is about and what it does to it, older records included.
  const incident = incidentOf(original);
  const record = canonical(
    scrubStrings(redactSecrets({ ...event, incidentKey: incident.key, action: incident.action })),
  ) as AuditRecord;
  const info = eventTypeInfo(String(original.eventType));
  const downloadUrl = original.jobId ? urls?.get(original.jobId) : undefined;
  return {
    original,
    record,
    title: info?.title ?? String(original.eventType),
    description: info?.description ?? '',
    nextSteps: nextStepsFor(String(original.eventType), statusesOf(record)),
    ...(downloadUrl ? { downloadUrl } : {}),
  };
}

/** The order a message shows an event's fields in; anything else follows, alphabetically. */
const FIELD_ORDER = [
  'eventId',
  'eventType',
  'severity',
  'incidentKey',
  'action',
  'projectId',
  'clusterId',
  'targetName',
  'team',
  'jobId',
  'batchId',
  'detectedAt',
  'summary',
  'before',
  'after',
  'details',
  'runId',
];

/**
 * `value` with its keys in a fixed order (the event's fields by `FIELD_ORDER`, its job snapshots by
 * `SNAPSHOT_FIELDS`, anything else alphabetically): DynamoDB does not promise to return attributes in
 * the order they were written, and a retried message must be the message first tried, byte for byte.
 */
function canonical(value: unknown, order: readonly string[] = FIELD_ORDER, depth = 0): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => canonical(item, [], depth + 1));
  const entries = Object.entries(value as Record<string, unknown>);
  const rank = (key: string) => {
    const index = order.indexOf(key);
    return index < 0 ? order.length : index;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(
    entries.map(([key, inner]) => [
      key,
      canonical(
        inner,
        depth === 0 && (key === 'before' || key === 'after') ? SNAPSHOT_FIELDS : [],
        depth + 1,
      ),
    ]),
  );
}

/** Download links and bearer tokens removed from every string, however deep. */
function scrubStrings(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubStrings(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = scrubStrings(inner, depth + 1);
  return out;
}

/** The statuses next steps are chosen by: the job's (or every batch member's) and the delivery's. */
function statusesOf(record: AuditRecord): EventStatuses {
  const jobStatuses: string[] = [];
  if (record.after?.statusName) jobStatuses.push(record.after.statusName);
  for (const member of batchMembers(record)) {
    if (member.statusName) jobStatuses.push(member.statusName);
  }
  const deliveryStatus = record.after?.deliveryStatus;
  return { jobStatuses, ...(deliveryStatus ? { deliveryStatus } : {}) };
}
