/**
 * Which owed events travel together. Channel-neutral: every channel delivers one message per group,
 * so a group is what a reader sees at once and what succeeds or fails together.
 */
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
    for (const chunk of splitBySize(summaryFirst(slot))) groups.push({ events: chunk });
  }
  return groups;
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
