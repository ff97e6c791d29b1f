/**
 * What an alert says and how it is packed into one SNS message. Pure: no clock, no network, no SDK
 * calls (only the SNS attribute *type* is imported). `SnsNotifier` sends what this module renders and
 * `ConsolePublisher` prints it, so a terminal preview and a delivered email are the same text.
 *
 * One message serves every subscriber through `MessageStructure: 'json'`:
 * - `default`: machine-readable JSON (an API, see `EVENT_SCHEMA` / `EVENTS_SCHEMA` below); SQS, Lambda,
 *   email-json and every protocol without its own key receive it. Never shortened.
 * - `email`: plain text for people.
 * - `https`: an Amazon Q Developer in chat applications (formerly AWS Chatbot) custom notification, so
 *   Slack renders a card. Chatbot drops messages that do not fit its schema without a trace, so the shape
 *   is fixed here and checked in the tests.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { EVENT_CATALOGUE, type EventStatuses, nextStepsFor, worstSeverity } from './event-catalogue.ts';
import type { AlertGroup } from './ports.ts';
import { redactSecrets, scrubText } from './redact.ts';
import type { AuditRecord, BatchMember, EventType, Severity } from './types.ts';

/** SNS limit for one message (UTF-8 body, subject and attributes) and for one PublishBatch call. */
export const MAX_SNS_MESSAGE_BYTES = 262_144;
/** SNS: subject 1-99 characters, no line breaks or control characters; send ASCII (older docs). */
export const MAX_SUBJECT_CHARS = 99;
/** SQS subscribers with raw message delivery accept at most 10 attributes. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * `default` part of a message with one event. Shape (an API: additive changes keep `v1`, anything
 * else gets a new schema name):
 * ```
 * { "schema": "restore-watch.event/v1",
 *   ...every field of the AuditRecord as recorded: eventId, eventType, severity, projectId, clusterId,
 *      targetName, jobId?, batchId?, detectedAt, summary, before?, after?, details?, runId
 *      (delivery bookkeeping such as publishAttempts is not part of the message: a retry is identical),
 *   "downloadUrl"?: string }   // only with includeDownloadUrl on, and only the URL of this event's job
 * ```
 */
export const EVENT_SCHEMA = 'restore-watch.event/v1';
/**
 * `default` part of a message with the events of one sharded-cluster batch in one poll:
 * ```
 * { "schema": "restore-watch.events/v1",
 *   "batchId", "runId", "projectId", "clusterId", "targetName",
 *   "severity": worst severity of the events,
 *   "eventIds": [...],            // same order as events
 *   "events": [ <restore-watch.event/v1 object>, ... ] }   // BATCH_COMPLETED first when present
 * ```
 * Each item of `events` is exactly what a single-event message carries (its own `schema` included),
 * so a consumer can handle both by iterating `events ?? [message]`.
 */
export const EVENTS_SCHEMA = 'restore-watch.events/v1';

export interface RenderOptions {
  /** Cloud Manager UI origin, e.g. https://cloud.mongodb.com (see `consoleBaseUrlFor`). */
  consoleBaseUrl: string;
  includeDownloadUrl: boolean;
  /** Job id → download URL; used only when `includeDownloadUrl` is true. */
  downloadUrls?: ReadonlyMap<string, string>;
}

export interface RenderedAlert {
  subject: string;
  /** The `MessageStructure: 'json'` string: `{ default, email, https }`. */
  message: string;
  parts: { default: string; email: string; https: string };
  attributes: Record<string, MessageAttributeValue>;
  /** UTF-8 bytes of message + subject + attributes (names, types, values): what SNS counts. */
  sizeBytes: number;
  eventIds: string[];
}

/** Chatbot custom notification (https part). Every value is a string or an array of strings. */
export interface ChatbotNotification {
  version: '1.0';
  source: 'custom';
  id: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps: string[];
    keywords: string[];
  };
  metadata: {
    threadId: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

export class AlertGroupEmptyError extends Error {
  constructor() {
    super('An alert group needs at least one event; groupForPublishing never produces empty groups');
    this.name = 'AlertGroupEmptyError';
  }
}

export class InvalidApiBaseUrlError extends Error {
  constructor(value: string, options?: { cause?: unknown }) {
    super(
      `Cannot derive the Cloud Manager UI address from the API base URL "${value}": expected an absolute URL such as https://cloud.mongodb.com/api/public/v1.0`,
      options,
    );
    this.name = 'InvalidApiBaseUrlError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Grouping

/**
 * Budget for the `default` JSON of one batch group. The `default` part is never shortened, so a batch
 * whose events would not fit one message together is split into several groups; 160 KiB leaves room
 * for JSON escaping inside the message string plus the (shortenable) email and Slack parts.
 */
const GROUP_DEFAULT_BUDGET_BYTES = 160 * 1024;

/**
 * Packs owed records into messages. Records with the same `batchId` AND `runId` (the jobs of one
 * sharded-cluster restore seen in one poll) form one group, `BATCH_COMPLETED` first, the rest in input
 * order; every other record is a group of its own. Groups keep the order of their first record.
 * A batch too large for one message is split into consecutive groups (the first keeps
 * `BATCH_COMPLETED`), so every group can be delivered.
 */
export function groupForPublishing(records: readonly AuditRecord[]): AlertGroup[] {
  const slots: AuditRecord[][] = [];
  const byBatch = new Map<string, AuditRecord[]>();
  for (const record of records) {
    if (!record.batchId) {
      slots.push([record]);
      continue;
    }
    const key = JSON.stringify([record.batchId, record.runId]);
    const existing = byBatch.get(key);
    if (existing) {
      existing.push(record);
    } else {
      const list = [record];
      byBatch.set(key, list);
      slots.push(list);
    }
  }
  const groups: AlertGroup[] = [];
  for (const slot of slots) {
    const ordered = [
      ...slot.filter((r) => r.eventType === 'BATCH_COMPLETED'),
      ...slot.filter((r) => r.eventType !== 'BATCH_COMPLETED'),
    ];
    for (const chunk of splitBySize(ordered)) groups.push({ events: chunk });
  }
  return groups;
}

function splitBySize(events: AuditRecord[]): AuditRecord[][] {
  if (events.length <= 1) return [events];
  const chunks: AuditRecord[][] = [];
  let current: AuditRecord[] = [];
  let size = 0;
  for (const event of events) {
    // Escaping inside the message string adds about one byte per quote: count the JSON twice-encoded.
    const bytes = utf8Bytes(JSON.stringify(JSON.stringify(event)));
    if (current.length > 0 && size + bytes > GROUP_DEFAULT_BUDGET_BYTES) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(event);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

// ---------------------------------------------------------------------------------------------------
// Console links

/**
 * The Cloud Manager / Ops Manager UI lives on the same origin as the Public API (plus any path prefix
 * in front of `/api/public`): `https://cloud.mongodb.com/api/public/v1.0` → `https://cloud.mongodb.com`.
 */
export function consoleBaseUrlFor(apiBaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiBaseUrl);
  } catch (error) {
    throw new InvalidApiBaseUrlError(apiBaseUrl, { cause: error });
  }
  const at = url.pathname.search(/\/api(\/|$)/);
  const prefix = (at >= 0 ? url.pathname.slice(0, at) : url.pathname).replace(/\/+$/, '');
  return `${url.origin}${prefix}`;
}

interface ConsoleLink {
  label: string;
  url: string;
}

/**
 * Deep links are best effort: the Cloud Manager UI routes are not a documented API and may change;
 * the project page always resolves, the fragment after `#` may land on the project's start page.
 */
function consoleLinks(base: string, projectId: string): ConsoleLink[] {
  const root = base.replace(/\/+$/, '');
  const project = encodeURIComponent(projectId);
  return [
    { label: 'Deployment (clusters)', url: `${root}/v2/${project}#/clusters` },
    { label: 'Backup and restore jobs', url: `${root}/v2/${project}#/backup/overview` },
  ];
}

// ---------------------------------------------------------------------------------------------------
// Rendering

const SEVERITY_LABEL: Readonly<Record<Severity, string>> = {
  info: 'INFO',
  warning: 'WARNING',
  critical: 'CRITICAL',
};
const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

/**
 * Slack rejects section texts over 3,000 characters and Chatbot documents no limits of its own, so the
 * chat card stays below that and points to the email/JSON for the rest.
 */
const SLACK_DESCRIPTION_MAX_CHARS = 3_000;
const SLACK_TITLE_MAX_CHARS = 250;
const SLACK_LIST_MAX_ITEMS = 10;
const SLACK_ITEM_MAX_CHARS = 300;
/** A String.Array attribute is added only when it stays this small (filter policies, not bulk data). */
const MAX_ARRAY_ATTRIBUTE_BYTES = 8_192;
/** Room left for the subject's own name part so the summary stays visible with long target names. */
const SUBJECT_NAME_MAX_CHARS = 40;

/** How much prose a rendering may spend; tried from the first level on until the message fits. */
interface DetailLevel {
  /** Batch member rows in the per-shard table. */
  memberRows: number;
  /** Events rendered with every fact. */
  fullEvents: number;
  /** Further events rendered as one line each. */
  lineEvents: number;
}

const EMAIL_LEVELS: readonly DetailLevel[] = [
  { memberRows: Number.POSITIVE_INFINITY, fullEvents: Number.POSITIVE_INFINITY, lineEvents: 0 },
  { memberRows: 500, fullEvents: 50, lineEvents: 1_000 },
  { memberRows: 100, fullEvents: 10, lineEvents: 200 },
  { memberRows: 20, fullEvents: 3, lineEvents: 20 },
  { memberRows: 0, fullEvents: 1, lineEvents: 0 },
];
const SLACK_LEVEL: DetailLevel = { memberRows: 15, fullEvents: 3, lineEvents: 10 };

interface EventView {
  record: AuditRecord;
  title: string;
  description: string;
  nextSteps: string[];
  downloadUrl?: string;
}

/**
 * Renders one group as one SNS message. Prose (email text, chat description, per-shard tables) is
 * shortened step by step until subject + parts + attributes fit `MAX_SNS_MESSAGE_BYTES`; the `default`
 * JSON is never shortened. If even that alone does not fit, `sizeBytes` stays above the limit and the
 * publisher reports the group as undeliverable instead of sending a truncated event.
 */
export function renderAlert(group: AlertGroup, options: RenderOptions): RenderedAlert {
  const events = orderEvents(group.events);
  const primary = events[0];
  if (!primary) throw new AlertGroupEmptyError();
  const urls = options.includeDownloadUrl ? options.downloadUrls : undefined;
  const views = events.map((record) => toView(record, urls));
  const severity = safeWorstSeverity(events.map((e) => e.severity));
  const eventIds = events.map((e) => e.eventId);

  const subject = renderSubject(primary, severity, events.length);
  const defaultPart = renderDefault(events, views, severity);
  const https = JSON.stringify(renderChatbot(views, severity, options.consoleBaseUrl));
  const attributes = renderAttributes(events, primary, severity);
  const fixedBytes = utf8Bytes(subject) + attributeBytes(attributes);

  let email = '';
  let message = '';
  let sizeBytes = Number.POSITIVE_INFINITY;
  for (const level of EMAIL_LEVELS) {
    email = renderEmail(views, severity, options.consoleBaseUrl, level);
    message = packMessage(defaultPart, email, https);
    sizeBytes = utf8Bytes(message) + fixedBytes;
    if (sizeBytes <= MAX_SNS_MESSAGE_BYTES) break;
  }
  if (sizeBytes > MAX_SNS_MESSAGE_BYTES) {
    // Last resort for the prose: cut the shortest email at a line boundary to what is left.
    const withoutEmail = utf8Bytes(packMessage(defaultPart, '', https)) + fixedBytes;
    email = cutToBytes(email, MAX_SNS_MESSAGE_BYTES - withoutEmail, SHORTENED_NOTE);
    message = packMessage(defaultPart, email, https);
    sizeBytes = utf8Bytes(message) + fixedBytes;
  }
  return { subject, message, parts: { default: defaultPart, email, https }, attributes, sizeBytes, eventIds };
}

const SHORTENED_NOTE =
  '[Shortened to fit the 256 KiB SNS message limit. The complete data is in the machine-readable (default) message.]';

function packMessage(defaultPart: string, email: string, https: string): string {
  return JSON.stringify({ default: defaultPart, email, https });
}

function orderEvents(events: readonly AuditRecord[]): AuditRecord[] {
  return [
    ...events.filter((e) => e.eventType === 'BATCH_COMPLETED'),
    ...events.filter((e) => e.eventType !== 'BATCH_COMPLETED'),
  ];
}

function safeWorstSeverity(list: Severity[]): Severity {
  const known = list.filter((s): s is Severity => s in SEVERITY_LABEL);
  return known.length > 0 ? worstSeverity(known) : 'warning';
}

function toView(record: AuditRecord, urls: ReadonlyMap<string, string> | undefined): EventView {
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
  } = record;
  const safe = scrubStrings(redactSecrets(event)) as AuditRecord;
  const info = EVENT_CATALOGUE[record.eventType as EventType] as
    | (typeof EVENT_CATALOGUE)[EventType]
    | undefined;
  const downloadUrl = record.jobId ? urls?.get(record.jobId) : undefined;
  return {
    record: safe,
    title: info?.title ?? String(record.eventType),
    description: info?.description ?? '',
    nextSteps: nextStepsFor(String(record.eventType), statusesOf(safe)),
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
  for (const member of members(record)) {
    if (member.statusName) jobStatuses.push(member.statusName);
  }
  const deliveryStatus = record.after?.deliveryStatus;
  return { jobStatuses, ...(deliveryStatus ? { deliveryStatus } : {}) };
}

// --- subject ---------------------------------------------------------------------------------------

function renderSubject(primary: AuditRecord, severity: Severity, count: number): string {
  const prefix = `[${SEVERITY_LABEL[severity] ?? 'ALERT'}] `;
  const suffix = count > 1 ? ` (+${count - 1} more)` : '';
  const name =
    truncate(toAsciiLine(primary.targetName ?? ''), SUBJECT_NAME_MAX_CHARS) ||
    toAsciiLine(primary.clusterId ?? '');
  const summary = toAsciiLine(scrubText(primary.summary ?? '')) || String(primary.eventType);
  const body = truncate(`${name} ${summary}`.trim(), MAX_SUBJECT_CHARS - prefix.length - suffix.length);
  return `${prefix}${body}${suffix}`;
}

const TRANSLITERATIONS: ReadonlyArray<[RegExp, string]> = [
  [/ß/g, 'ss'],
  [/æ/g, 'ae'],
  [/Æ/g, 'AE'],
  [/œ/g, 'oe'],
  [/Œ/g, 'OE'],
  [/[øØ]/g, 'o'],
  [/[łŁ]/g, 'l'],
  [/[đðĐÐ]/g, 'd'],
  [/[þÞ]/g, 'th'],
  [/ı/g, 'i'],
  [/[\u2018\u2019\u201a\u201b\u2032]/g, "'"],
  [/[\u201c\u201d\u201e\u00ab\u00bb\u2033]/g, '"'],
  [/[\u2010-\u2015\u2212]/g, '-'],
  [/\u2026/g, '...'],
];

/**
 * One line of printable ASCII: accents are dropped (NFKD then marks removed), a few letters are
 * spelled out, control characters and line breaks become spaces, anything else non-ASCII is removed,
 * and whitespace collapses.
 */
export function toAsciiLine(text: string): string {
  let out = text.normalize('NFKD').replace(/\p{M}/gu, '');
  for (const [pattern, replacement] of TRANSLITERATIONS) out = out.replace(pattern, replacement);
  return out
    .replace(/[\p{Cc}\u2028\u2029]/gu, ' ')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 3) return '.'.repeat(Math.max(0, max));
  return `${text.slice(0, max - 3).trimEnd()}...`;
}

// --- default ---------------------------------------------------------------------------------------

function eventObject(view: EventView): Record<string, unknown> {
  return {
    schema: EVENT_SCHEMA,
    ...view.record,
    ...(view.downloadUrl ? { downloadUrl: view.downloadUrl } : {}),
  };
}

function renderDefault(events: AuditRecord[], views: EventView[], severity: Severity): string {
  const first = views[0];
  if (views.length === 1 && first) return JSON.stringify(eventObject(first));
  const primary = events[0] as AuditRecord;
  return JSON.stringify({
    schema: EVENTS_SCHEMA,
    batchId: primary.batchId,
    runId: primary.runId,
    projectId: primary.projectId,
    clusterId: primary.clusterId,
    targetName: primary.targetName,
    severity,
    eventIds: events.map((e) => e.eventId),
    events: views.map(eventObject),
  });
}

// --- attributes ------------------------------------------------------------------------------------

function stringAttr(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

/**
 * For filter policies. A group carries the values of its first event (BATCH_COMPLETED when present)
 * and the worst severity; `eventIds` / `jobIds` are added for groups when they stay small.
 */
function renderAttributes(
  events: AuditRecord[],
  primary: AuditRecord,
  severity: Severity,
): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  const put = (name: string, value: string | undefined) => {
    // SNS rejects empty String attributes.
    if (value !== undefined && value !== '') attributes[name] = stringAttr(value);
  };
  put('eventType', String(primary.eventType));
  put('severity', severity);
  put('projectId', primary.projectId);
  put('clusterId', primary.clusterId);
  // A batch summary has no job of its own: `jobIds` lists the jobs of the group instead.
  put('jobId', primary.jobId);
  put('batchId', primary.batchId);
  put('eventId', primary.eventId);
  if (events.length > 1) {
    const putArray = (name: string, values: string[]) => {
      const value = JSON.stringify(values);
      if (values.length > 0 && utf8Bytes(value) <= MAX_ARRAY_ATTRIBUTE_BYTES) {
        attributes[name] = { DataType: 'String.Array', StringValue: value };
      }
    };
    putArray(
      'eventIds',
      events.map((e) => e.eventId),
    );
    putArray('jobIds', [...new Set(events.flatMap((e) => (e.jobId ? [e.jobId] : [])))]);
  }
  return attributes;
}

function attributeBytes(attributes: Record<string, MessageAttributeValue>): number {
  let total = 0;
  for (const [name, value] of Object.entries(attributes)) {
    total += utf8Bytes(name) + utf8Bytes(value.DataType ?? '') + utf8Bytes(value.StringValue ?? '');
  }
  return total;
}

// --- facts shared by email and chat ----------------------------------------------------------------

interface Fact {
  label: string;
  value: string;
}

/** Detail keys rendered with their own wording; anything else is listed generically. */
const KNOWN_DETAIL_KEYS = new Set([
  'members',
  'expires',
  'minutesLeft',
  'thresholdMinutes',
  'inProgressMinutes',
  'stuckAfterMinutes',
  'failureStreak',
  'error',
]);

function facts(record: AuditRecord): Fact[] {
  const out: Fact[] = [];
  const add = (label: string, value: unknown) => {
    if (value === undefined || value === null || value === '') return;
    out.push({ label, value: clean(typeof value === 'string' ? value : compactJson(value)) });
  };
  const before = record.before ?? undefined;
  const after = record.after ?? undefined;
  const details = record.details ?? {};
  add('Target', record.targetName);
  add('Project', record.projectId);
  add('Cluster', record.clusterId);
  add('Restore job', record.jobId);
  add('Batch', record.batchId);
  add('Job status', transition(before?.statusName, after?.statusName));
  add('Delivery', transition(before?.deliveryStatus, after?.deliveryStatus));
  add('Delivery method', after?.deliveryMethod);
  const expires = details.expires ?? after?.expires;
  if (expires !== undefined) {
    const left =
      typeof details.minutesLeft === 'number' ? ` (${plural(details.minutesLeft, 'minute')} left)` : '';
    add('Download link expires', `${String(expires)}${left}`);
  }
  if (typeof details.thresholdMinutes === 'number')
    add('Warning threshold', `${plural(details.thresholdMinutes, 'minute')} before expiry`);
  if (typeof details.inProgressMinutes === 'number') {
    const limit =
      typeof details.stuckAfterMinutes === 'number'
        ? ` (alert after ${plural(details.stuckAfterMinutes, 'minute')})`
        : '';
    add('In progress for', `${plural(details.inProgressMinutes, 'minute')}${limit}`);
  }
  if (typeof details.failureStreak === 'number') add('Failed polls in a row', String(details.failureStreak));
  if (details.error !== undefined) add('Last error', describeError(details.error));
  if (after?.downloaded !== undefined) add('Downloaded', after.downloaded ? 'yes' : 'not yet');
  add('Snapshot', after?.snapshotId);
  add('Requested', after?.created);
  for (const [key, value] of Object.entries(details)) {
    if (!KNOWN_DETAIL_KEYS.has(key)) add(key, value);
  }
  add('Detected', record.detectedAt);
  return out;
}

function transition(from: string | undefined, to: string | undefined): string | undefined {
  if (from && to && from !== to) return `${from} -> ${to}`;
  return to ?? from;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function describeError(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') {
    const e = error as Record<string, unknown>;
    const head = [e.name, e.message].filter((x) => typeof x === 'string' && x !== '').join(': ');
    const tail = [
      typeof e.status === 'number' ? `HTTP ${e.status}` : undefined,
      typeof e.errorCode === 'string' ? e.errorCode : undefined,
    ].filter(Boolean);
    if (head) return tail.length > 0 ? `${head} (${tail.join(', ')})` : head;
  }
  return compactJson(error);
}

function compactJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return truncate(text, 300);
}

/** Free text from upstream (error messages, summaries): one line, no secrets, bounded. */
function clean(text: string | undefined): string {
  return truncate(
    scrubText(text ?? '')
      .replace(/\p{Cc}/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
    500,
  );
}

function members(record: AuditRecord): BatchMember[] {
  const list = record.details?.members;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (m): m is BatchMember =>
      m !== null && typeof m === 'object' && typeof (m as BatchMember).jobId === 'string',
  );
}

function memberCounts(list: BatchMember[]): string {
  const counts = new Map<string, number>();
  for (const m of list) {
    const key = m.deliveryStatus ? `${m.statusName}/${m.deliveryStatus}` : String(m.statusName);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
}

function memberTable(list: BatchMember[], maxRows: number, indent: string): string[] {
  const rows = list.slice(0, Math.min(list.length, maxRows));
  const lines: string[] = [];
  if (rows.length > 0) {
    const cells = rows.map((m) => [
      clean(m.jobId),
      clean(String(m.statusName ?? '')),
      clean(m.deliveryStatus ?? '-'),
      clean(m.hostId ?? ''),
    ]);
    const header = ['Job', 'Status', 'Delivery', 'Host'];
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
    const line = (c: string[]) =>
      `${indent}${c.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
    lines.push(line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line));
  }
  if (list.length > rows.length) {
    lines.push(`${indent}... and ${list.length - rows.length} more (see the machine-readable message)`);
  }
  return lines;
}

// --- email -----------------------------------------------------------------------------------------

const DOWNLOAD_WARNING =
  'Anyone with this link can download the backup until it expires: do not forward this message.';

function renderEmail(
  views: EventView[],
  severity: Severity,
  consoleBaseUrl: string,
  level: DetailLevel,
): string {
  const primary = views[0] as EventView;
  const record = primary.record;
  const lines: string[] = [];
  const heading =
    views.length > 1
      ? `[${SEVERITY_LABEL[severity]}] ${primary.title}: ${record.targetName} (${views.length} events of batch ${record.batchId ?? ''})`
      : `[${SEVERITY_LABEL[severity]}] ${primary.title}: ${record.targetName}`;
  lines.push(clean(heading), '='.repeat(Math.min(72, clean(heading).length)), '');

  const full = views.slice(0, Math.min(views.length, level.fullEvents));
  const brief = views.slice(full.length, full.length + level.lineEvents);
  const omitted = views.length - full.length - brief.length;

  full.forEach((view, index) => {
    if (views.length > 1) lines.push(`--- ${index + 1}/${views.length}: ${clean(view.title)} ---`, '');
    lines.push(...emailEventBody(view, level, views.length > 1));
    lines.push('');
  });
  if (brief.length > 0) {
    lines.push('Further events', '');
    for (const view of brief) {
      lines.push(
        `  - [${SEVERITY_LABEL[view.record.severity] ?? view.record.severity}] ${clean(view.record.summary)} (${view.record.eventId})`,
      );
    }
    lines.push('');
  }
  if (omitted > 0) lines.push(`... and ${omitted} more events (see the machine-readable message).`, '');

  lines.push('Links (best effort; the Cloud Manager UI may move pages)');
  for (const link of consoleLinks(consoleBaseUrl, record.projectId))
    lines.push(`  ${link.label}: ${link.url}`);
  lines.push('');
  lines.push(
    views.length > 1
      ? `Event ids: ${views.map((v) => v.record.eventId).join(', ')}`
      : `Event id: ${record.eventId}`,
  );
  lines.push(`Run id: ${record.runId}`);
  lines.push(
    '',
    '-- ',
    'Sent by restore-watch. Filter on the message attributes eventType, severity, projectId, clusterId.',
  );
  return lines.join('\n');
}

function emailEventBody(view: EventView, level: DetailLevel, inGroup: boolean): string[] {
  const record = view.record;
  const lines: string[] = ['What happened', `  ${clean(record.summary)}`, ''];
  const list = facts(record);
  const width = Math.max(...list.map((f) => f.label.length));
  for (const fact of list) lines.push(`  ${`${fact.label}:`.padEnd(width + 2)}${fact.value}`);
  const batch = members(record);
  if (batch.length > 0) {
    lines.push('', `Jobs of the batch (${batch.length}: ${memberCounts(batch)})`);
    lines.push(...memberTable(batch, level.memberRows, '  '));
  }
  if (view.downloadUrl) {
    lines.push('', 'Download link', `  ${view.downloadUrl}`, `  ${DOWNLOAD_WARNING}`);
  }
  if (view.nextSteps.length > 0) {
    lines.push('', 'What to do next');
    view.nextSteps.forEach((step, i) => {
      lines.push(`  ${i + 1}. ${clean(step)}`);
    });
  }
  // The catalogue text says when this alert fires: background, so it comes last.
  if (view.description) lines.push('', 'About this alert', `  ${clean(view.description)}`);
  if (inGroup) lines.push('', `  Event id: ${record.eventId}`);
  return lines;
}

// --- chat (https) ----------------------------------------------------------------------------------

function renderChatbot(views: EventView[], severity: Severity, consoleBaseUrl: string): ChatbotNotification {
  const primary = views[0] as EventView;
  const record = primary.record;
  const level = SLACK_LEVEL;
  const title = truncate(
    `${SEVERITY_EMOJI[severity]} [${SEVERITY_LABEL[severity]}] ${primary.title}: ${clean(record.targetName)}${
      views.length > 1 ? ` (${views.length} events)` : ''
    }`,
    SLACK_TITLE_MAX_CHARS,
  );

  const parts: string[] = [];
  const full = views.slice(0, level.fullEvents);
  for (const view of full) {
    const r = view.record;
    const block: string[] = [];
    block.push(views.length > 1 ? `*${clean(view.title)}*: ${clean(r.summary)}` : clean(r.summary));
    for (const fact of facts(r)) {
      if (fact.label === 'Target' || fact.label === 'Project') continue;
      block.push(`• *${fact.label}:* ${isId(fact.label) ? `\`${fact.value}\`` : fact.value}`);
    }
    const batch = members(r);
    if (batch.length > 0) {
      block.push(`*Jobs of the batch* (${batch.length}: ${memberCounts(batch)})`);
      const table = memberTable(batch, level.memberRows, '');
      block.push(`\`\`\`\n${table.join('\n')}\n\`\`\``);
    }
    if (view.downloadUrl) block.push(`*Download link:* ${view.downloadUrl}\n${DOWNLOAD_WARNING}`);
    parts.push(block.join('\n'));
  }
  const rest = views.slice(full.length);
  if (rest.length > 0) {
    const shown = rest.slice(0, level.lineEvents);
    const lines = shown.map((v) => `• ${clean(v.record.summary)}`);
    if (rest.length > shown.length) lines.push(`… and ${rest.length - shown.length} more`);
    parts.push(`*Also in this batch:*\n${lines.join('\n')}`);
  }
  const links = consoleLinks(consoleBaseUrl, record.projectId)
    .map((l) => `${l.label}: ${l.url}`)
    .join('\n');
  const footer = `${links}\n_Links are best effort._ Event id: \`${record.eventId}\``;
  const description = fitDescription(parts.join('\n\n'), footer);

  const nextSteps = dedupe(views.flatMap((v) => v.nextSteps))
    .slice(0, SLACK_LIST_MAX_ITEMS)
    .map((s) => truncate(clean(s), SLACK_ITEM_MAX_CHARS));
  const jobIds = dedupe(views.flatMap((v) => (v.record.jobId ? [v.record.jobId] : [])));
  const keywords = dedupe(
    [severity, String(record.eventType), clean(record.targetName)].filter((k) => k !== ''),
  );

  const additionalContext: Record<string, string> = {
    eventId: record.eventId,
    eventType: String(record.eventType),
    severity,
    projectId: record.projectId,
    clusterId: record.clusterId,
    targetName: clean(record.targetName),
    detectedAt: record.detectedAt,
    runId: record.runId,
  };
  if (record.jobId) additionalContext.jobId = record.jobId;
  if (record.batchId) additionalContext.batchId = record.batchId;
  if (views.length > 1) additionalContext.eventCount = String(views.length);

  return {
    version: '1.0',
    source: 'custom',
    id: record.eventId,
    content: { textType: 'client-markdown', title, description, nextSteps, keywords },
    metadata: {
      // Slack threads updates of the same job (or batch) under its first message.
      threadId:
        (views.length > 1 ? record.batchId : undefined) ??
        record.jobId ??
        record.batchId ??
        `${record.projectId}:${record.clusterId}`,
      summary: truncate(
        clean(`[${SEVERITY_LABEL[severity]}] ${record.targetName}: ${record.summary}`),
        SLACK_ITEM_MAX_CHARS,
      ),
      eventType: String(record.eventType),
      relatedResources: [
        `project:${record.projectId}`,
        `cluster:${record.clusterId}`,
        ...(record.batchId ? [`batch:${record.batchId}`] : []),
        ...jobIds.map((id) => `restore-job:${id}`),
      ].slice(0, SLACK_LIST_MAX_ITEMS),
      additionalContext,
    },
  };
}

function isId(label: string): boolean {
  return label === 'Cluster' || label === 'Restore job' || label === 'Batch' || label === 'Snapshot';
}

/** Keeps the footer (links, event id) and cuts the body to the Slack limit. */
function fitDescription(body: string, footer: string): string {
  const full = `${body}\n\n${footer}`;
  if (full.length <= SLACK_DESCRIPTION_MAX_CHARS) return full;
  const marker = '\n… (shortened; the email and the machine-readable message have everything)';
  const room = SLACK_DESCRIPTION_MAX_CHARS - footer.length - marker.length - 2;
  let cut = body.slice(0, Math.max(0, room));
  // An unclosed code block would swallow the footer in Slack.
  if ((cut.match(/```/g) ?? []).length % 2 === 1) cut = `${cut.slice(0, Math.max(0, room - 4))}\n\`\`\``;
  return `${cut}${marker}\n\n${footer}`;
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

// --- bytes -----------------------------------------------------------------------------------------

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Cuts `text` so that its JSON-escaped form (as it sits inside the message) takes at most `budget`
 * bytes, at a line boundary, ending with `note`.
 */
function cutToBytes(text: string, budget: number, note: string): string {
  const cost = (s: string) => utf8Bytes(JSON.stringify(s)) - 2;
  if (cost(text) <= budget) return text;
  const lines = text.split('\n');
  let low = 0;
  let high = lines.length;
  // Binary search on the number of lines kept.
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (cost(`${lines.slice(0, mid).join('\n')}\n${note}`) <= budget) low = mid;
    else high = mid - 1;
  }
  const kept = `${lines.slice(0, low).join('\n')}\n${note}`;
  return cost(kept) <= budget ? kept : cost(note) <= budget ? note : '';
}
