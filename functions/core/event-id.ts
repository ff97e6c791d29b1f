/**
 * Deterministic event identities. The audit trail is keyed by event id, so recording the same change
 * twice (a Lambda retry, a crash after recording but before the job state was saved) is a no-op
 * instead of a second alert.
 */
import { createHash } from 'node:crypto';
import type { EventType } from './types.ts';

export interface EventIdParts {
  eventType: EventType;
  projectId: string;
  clusterId: string;
  jobId?: string;
  batchId?: string;
  /**
   * What makes this occurrence different from other events of the same type on the same subject:
   * `from->to` status plus when the previous state began, threshold plus `expires`, `failingSince`, ...
   */
  discriminator: string;
}

/** 32 hex characters (128 bits) of SHA-256: collisions are not a practical concern. */
export function eventId(parts: EventIdParts): string {
  // A JSON array keeps the parts apart: no separator inside a value can make two inputs read alike.
  const canonical = JSON.stringify([
    parts.eventType,
    parts.projectId,
    parts.clusterId,
    parts.jobId ?? '',
    parts.batchId ?? '',
    parts.discriminator,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}
