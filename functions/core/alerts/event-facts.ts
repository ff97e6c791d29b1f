/**
 * The facts of one event as label/value pairs, and the per-shard table of a batch summary: what every
 * renderer shows about an event, worded once so email and chat cannot drift apart.
 */
import type { AuditRecord, BatchMember } from '../types.ts';
import { cleanText, truncate } from './plain-text.ts';

export interface Fact {
  label: string;
  /** Cleaned: one line, no secrets, bounded. */
  value: string;
  /**
   * `place`: where it happened (target, project), which a chat card already shows around the facts;
   * `id`: an identifier, which chat shows as code; `text`: anything else.
   */
  kind: 'place' | 'id' | 'text';
}

/** Shown next to a download link wherever one is rendered. */
export const DOWNLOAD_LINK_WARNING =
  'Anyone with this link can download the backup until it expires: do not forward this message.';

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

/** Every fact of `record` worth a line, in reading order; empty values are left out. */
export function eventFacts(record: AuditRecord): Fact[] {
  const out: Fact[] = [];
  const add = (label: string, value: unknown, kind: Fact['kind'] = 'text') => {
    if (value === undefined || value === null || value === '') return;
    out.push({ label, value: cleanText(typeof value === 'string' ? value : compactJson(value)), kind });
  };
  const before = record.before ?? undefined;
  const after = record.after ?? undefined;
  const details = record.details ?? {};
  add('Target', record.targetName, 'place');
  add('Project', record.projectId, 'place');
  add('Cluster', record.clusterId, 'id');
  add('Restore job', record.jobId, 'id');
  add('Batch', record.batchId, 'id');
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
  if (details.error !== undefined) add('Last error', describeRecordedError(details.error));
  if (after?.downloaded !== undefined) add('Downloaded', after.downloaded ? 'yes' : 'not yet');
  add('Snapshot', after?.snapshotId, 'id');
  add('Requested', after?.created);
  for (const [key, value] of Object.entries(details)) {
    if (!KNOWN_DETAIL_KEYS.has(key)) add(key, value);
  }
  add('Detected', record.detectedAt);
  return out;
}

/** Any value as one line of JSON, at most 300 characters. */
function compactJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return truncate(text, 300);
}

/** "1 minute", "5 minutes". */
function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function transition(from: string | undefined, to: string | undefined): string | undefined {
  if (from && to && from !== to) return `${from} -> ${to}`;
  return to ?? from;
}

/**
 * An error as the audit trail keeps it (a plain object or a string, not an `Error`): name, message,
 * HTTP status and API error code on one line.
 */
function describeRecordedError(error: unknown): string {
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

/** The members of a batch summary; malformed entries are skipped. */
export function batchMembers(record: AuditRecord): BatchMember[] {
  const list = record.details?.members;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (m): m is BatchMember =>
      m !== null && typeof m === 'object' && typeof (m as BatchMember).jobId === 'string',
  );
}

/** "3 FINISHED/READY, 1 BROKEN/FAILED": how many members are in each status. */
export function memberCounts(list: readonly BatchMember[]): string {
  const counts = new Map<string, number>();
  for (const m of list) {
    const key = m.deliveryStatus ? `${m.statusName}/${m.deliveryStatus}` : String(m.statusName);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
}

/** A fixed-width table of at most `maxRows` members, each line indented, then what was left out. */
export function memberTable(list: readonly BatchMember[], maxRows: number, indent: string): string[] {
  const rows = list.slice(0, Math.min(list.length, maxRows));
  const lines: string[] = [];
  if (rows.length > 0) {
    const cells = rows.map((m) => [
      cleanText(m.jobId),
      cleanText(String(m.statusName ?? '')),
      cleanText(m.deliveryStatus ?? '-'),
      cleanText(m.hostId ?? ''),
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
