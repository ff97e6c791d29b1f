/**
 * One audit record as one PagerDuty Events API v2 event (`POST /v2/enqueue`), written from PagerDuty's
 * reference (PagerDuty/api-schema `reference/events-v2/openapiv3.json`, and the developer docs "Send an
 * Alert Event": summary at most 1,024 characters, dedup_key at most 255, payloads at most 512 KB).
 *
 * - A trigger carries `dedup_key` = the deployment's prefix + the incident key, so PagerDuty adds a
 *   repeated trigger to the open alert and a resolve with the same key closes it; two deployments (two
 *   state tables) sharing a routing key never collide.
 * - `payload`: `summary` (target and what happened), `source` (where: the Cloud Manager host, project
 *   and cluster), `severity` (ours map one to one: critical, warning, info; PagerDuty's `error` is not
 *   used), `timestamp` (when it was detected), `component` (the restore job, or the job listing),
 *   `group` (the target), `class` (the event type), `custom_details` (the event as the SNS JSON shows
 *   it, redacted, with the next steps).
 * - `links` to the Cloud Manager UI; `client` restore-watch, `client_url` the project's backup page.
 * - A resolve carries only `routing_key`, `event_action` and `dedup_key`, as the reference shows.
 *
 * The routing key is the credential: `redactRoutingKey` is what a dry run prints.
 */
import { createHash } from 'node:crypto';
import { viewAlert } from '../../core/alerts/alert-view.ts';
import { consoleLinks } from '../../core/alerts/console-links.ts';
import { truncate } from '../../core/alerts/plain-text.ts';
import { incidentOf } from '../../core/incident-kinds.ts';
import { REDACTED, scrubText } from '../../core/redact.ts';
import type { AuditRecord, Severity } from '../../core/types.ts';

/** Reference limits. */
export const MAX_DEDUP_KEY_CHARS = 255;
export const MAX_SUMMARY_CHARS = 1_024;
/** "Events API payloads are limited to 512 KB"; details are trimmed well before that. */
const MAX_DETAILS_BYTES = 256 * 1024;

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyLink {
  href: string;
  text: string;
}

export interface PagerDutyTrigger {
  routing_key: string;
  event_action: 'trigger';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  links: PagerDutyLink[];
  client: string;
  client_url: string;
}

export interface PagerDutyResolve {
  routing_key: string;
  event_action: 'resolve';
  dedup_key: string;
}

export type PagerDutyEvent = PagerDutyTrigger | PagerDutyResolve;

export interface PagerDutyEventOptions {
  routingKey: string;
  /** Names the deployment in every dedup_key (the state table's name). */
  dedupPrefix: string;
  /** Cloud Manager UI origin (see `consoleBaseUrlFor`). */
  consoleBaseUrl: string;
}

const SEVERITY: Readonly<Record<Severity, PagerDutySeverity>> = {
  critical: 'critical',
  warning: 'warning',
  info: 'info',
};

/** The PagerDuty event for `record`: a resolve for a resolving record, a trigger otherwise. */
export function toPagerDutyEvent(record: AuditRecord, options: PagerDutyEventOptions): PagerDutyEvent {
  const incident = incidentOf(record);
  const dedup_key = dedupKey(options.dedupPrefix, incident.key);
  if (incident.action === 'resolve') {
    return { routing_key: options.routingKey, event_action: 'resolve', dedup_key };
  }
  // The same view the SNS JSON is rendered from: redacted, bookkeeping left out, fields in order.
  const view = viewAlert({ events: [record] }, { includeDownloadUrl: false });
  const shown = view.primary.record;
  const links = consoleLinks(options.consoleBaseUrl, record.projectId);
  const host = hostOf(options.consoleBaseUrl);
  return {
    routing_key: options.routingKey,
    event_action: 'trigger',
    dedup_key,
    payload: {
      summary: truncate(oneLine(`${shown.targetName}: ${view.headline}`), MAX_SUMMARY_CHARS),
      source: `${host}/${record.projectId}/${record.clusterId}`,
      severity: SEVERITY[record.severity] ?? 'warning',
      timestamp: record.detectedAt,
      component: record.jobId ? `restore job ${record.jobId}` : 'restore job listing',
      group: oneLine(shown.targetName) || record.clusterId,
      class: String(record.eventType),
      custom_details: detailsOf(shown, view.primary.nextSteps),
    },
    links: links.map((link) => ({ href: link.url, text: link.label })),
    client: 'restore-watch',
    client_url: links[links.length - 1]?.url ?? options.consoleBaseUrl,
  };
}

/**
 * `{prefix}/{incident key}`, at most 255 characters: a key that would be longer keeps the prefix's start
 * and a hash of the whole, which is just as stable.
 */
export function dedupKey(prefix: string, incidentKey: string): string {
  const key = `${prefix}/${incidentKey}`;
  if (key.length <= MAX_DEDUP_KEY_CHARS) return key;
  const hash = createHash('sha256').update(key).digest('hex');
  return `${prefix.slice(0, MAX_DEDUP_KEY_CHARS - hash.length - 1)}/${hash}`;
}

/** The event as a dry run prints it: the routing key (a credential) replaced by `[redacted]`. */
export function redactRoutingKey(event: PagerDutyEvent): PagerDutyEvent {
  return { ...event, routing_key: REDACTED };
}

function detailsOf(shown: AuditRecord, nextSteps: readonly string[]): Record<string, unknown> {
  const { summary: _summary, ...fields } = shown;
  const details: Record<string, unknown> = { ...fields, nextSteps: [...nextSteps] };
  if (Buffer.byteLength(JSON.stringify(details), 'utf8') <= MAX_DETAILS_BYTES) return details;
  // A pathological event (an enormous details object): keep what identifies it and says what to do.
  const { before: _b, after: _a, details: _d, ...rest } = details;
  return {
    ...rest,
    truncated: 'the full event is in the audit trail (restore-watch audit) and the SNS message',
  };
}

function oneLine(text: string): string {
  return scrubText(text)
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function hostOf(base: string): string {
  try {
    return new URL(base).host;
  } catch {
    return base;
  }
}
