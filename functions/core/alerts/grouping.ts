/**
 * Which owed events travel together. Channel-neutral: every channel that groups delivers one message
 * per group, so a group is what a reader sees at once and what succeeds or fails together.
 *
 * Guarantees (test/core/alerts/grouping.test.ts):
 *
 * G1. One message per job per poll: the events of one job detected by one run form one group (a
 *     restore that finishes with its link expiring soon is one message, not three); so do the events
 *     of one sharded-cluster batch. Events of other runs (alerts held back by an outage) stay apart.
 * G2. Every event is in exactly one group, and a group's order does not depend on the order it was
 *     given in (batch summary first, then by job, then catalogue order): a retried group is the same
 *     message byte for byte.
 * G3. A group too large for one message is split (batches only; a job's own events are few).
 */
import { EVENT_TYPES } from '../event-catalogue.ts';
import type { AlertGroup } from '../ports.ts';
import type { AuditRecord } from '../types.ts';

/**
 * Budget for the machine-readable JSON of one batch group. That JSON is never shortened, so a batch
 * whose events would not fit one message together is split into several groups. The smallest message
 * limit of a channel we deliver to is SNS's 256 KiB; 160 KiB leaves room there for JSON escaping
 * inside the message string plus the (shortenable) email and chat parts.
 */
const GROUP_JSON_BUDGET_BYTES = 160 * 1024;

/**
 * Packs owed records into messages. Records with the same `batchId` AND `runId` (the jobs of one
 * sharded-cluster restore seen in one poll) form one group; so do records with the same `jobId` AND
 * `runId` outside a batch; every other record (a target's) is a group of its own. Groups keep the
 * order of their first record; inside, `readingOrder`. A batch too large for one message is split into
 * consecutive groups (the first keeps `BATCH_COMPLETED`), so every group can be delivered.
 */
export function groupForPublishing(records: readonly AuditRecord[]): AlertGroup[] {
  const slots: AuditRecord[][] = [];
  const byBatch = new Map<string, AuditRecord[]>();
  for (const record of records) {
    const key = record.batchId
      ? JSON.stringify(['batch', record.batchId, record.runId])
      : record.jobId
        ? JSON.stringify(['job', record.jobId, record.runId])
        : undefined;
    if (key === undefined) {
      slots.push([record]);
      continue;
    }
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
    for (const chunk of splitBySize(readingOrder(slot))) groups.push({ events: chunk });
  }
  return groups;
}

/**
 * The order a group's events are shown in, whatever order they came in (G2): the batch summary
 * first, then by job, then in catalogue order (a job's story: created, status, delivery, expiring,
 * stuck, then the incident stage's resolutions and reminders), then by event id.
 */
export function readingOrder<T extends { eventType: string; eventId: string; jobId?: string }>(
  events: readonly T[],
): T[] {
  const rank = (type: string) => {
    const index = (EVENT_TYPES as readonly string[]).indexOf(type);
    return index < 0 ? EVENT_TYPES.length : index;
  };
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return summaryFirst(
    [...events].sort(
      (a, b) =>
        text(a.jobId ?? '', b.jobId ?? '') ||
        rank(a.eventType) - rank(b.eventType) ||
        text(a.eventId, b.eventId),
    ),
  );
}

/** The order events of a group are shown in: the batch summary first, the rest as given. */
export function summaryFirst<T extends { eventType: string }>(events: readonly T[]): T[] {
  return [
    ...events.filter((e) => e.eventType === 'BATCH_COMPLETED'),
    ...events.filter((e) => e.eventType !== 'BATCH_COMPLETED'),
  ];
}

function splitBySize(events: AuditRecord[]): AuditRecord[][] {
  if (events.length <= 1) return [events];
  const chunks: AuditRecord[][] = [];
  let current: AuditRecord[] = [];
  let size = 0;
  for (const event of events) {
    // Escaping inside a message string adds about one byte per quote: count the JSON twice-encoded.
    const bytes = Buffer.byteLength(JSON.stringify(JSON.stringify(event)), 'utf8');
    if (current.length > 0 && size + bytes > GROUP_JSON_BUDGET_BYTES) {
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
