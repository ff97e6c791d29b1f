/**
 * One alert group as every channel sees it, before any channel decides how to pack it: its events in
 * reading order with what the catalogue says about each, secrets removed, the group's severity and
 * the facts a subscriber routes on. The renderers (subject, email, chat card, event JSON) take this
 * view; a channel (SNS, the console, a pager) combines renderers and applies its own limits.
 */
import { type EventStatuses, eventTypeInfo, nextStepsFor, worstSeverity } from '../event-catalogue.ts';
import type { AlertGroup } from '../ports.ts';
import { redactSecrets, scrubText } from '../redact.ts';
import type { AuditRecord, Severity } from '../types.ts';
import { batchMembers } from './event-facts.ts';
import { summaryFirst } from './grouping.ts';

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
 * What a subscriber can route or filter on, channel-neutral: a group carries the values of its first
 * event (`BATCH_COMPLETED` when present) and the worst severity, plus every event and job id.
 */
export interface RoutingFacts {
  eventType: string;
  severity: Severity;
  projectId: string;
  clusterId: string;
  /** A batch summary has no job of its own: `jobIds` lists the jobs of the group instead. */
  jobId?: string;
  batchId?: string;
  eventId: string;
  eventIds: string[];
  /** Distinct, in event order. */
  jobIds: string[];
}

export interface AlertView {
  /** Reading order: the batch summary first, then the events as grouped. Never empty. */
  events: readonly EventView[];
  /** `events[0]`: the event that names the alert. */
  primary: EventView;
  /** Worst severity of the events; `warning` when none is one the monitor knows. */
  severity: Severity;
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
  const originals = summaryFirst(group.events);
  const first = originals[0];
  if (!first) throw new AlertGroupEmptyError();
  const urls = options.includeDownloadUrl ? options.downloadUrls : undefined;
  const events = originals.map((record) => viewEvent(record, urls));
  const severity = knownWorstSeverity(originals.map((e) => e.severity));
  return {
    events,
    primary: events[0] as EventView,
    severity,
    routing: {
      eventType: String(first.eventType),
      severity,
      projectId: first.projectId,
      clusterId: first.clusterId,
      ...(first.jobId !== undefined ? { jobId: first.jobId } : {}),
      ...(first.batchId !== undefined ? { batchId: first.batchId } : {}),
      eventId: first.eventId,
      eventIds: originals.map((e) => e.eventId),
      jobIds: [...new Set(originals.flatMap((e) => (e.jobId ? [e.jobId] : [])))],
    },
  };
}

function knownWorstSeverity(list: Severity[]): Severity {
  const known = list.filter((s): s is Severity => s in SEVERITY_LABEL);
  return known.length > 0 ? worstSeverity(known) : 'warning';
}

function viewEvent(original: AuditRecord, urls: ReadonlyMap<string, string> | undefined): EventView {
  // Audit records are written without secrets; redacting again costs little and guards against a
  // future detail field, or an upstream error text, that carries one.
  // Delivery bookkeeping is left out, so a retried message is byte-for-byte the message first tried.
  const {
    publishAttempts: _attempts,
    lastPublishError: _error,
    publishedAt: _at,
    snsMessageId: _id,
    rejections: _rejections,
    abandonedAt: _abandoned,
    ...event
  } = original;
  const record = scrubStrings(redactSecrets(event)) as AuditRecord;
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
