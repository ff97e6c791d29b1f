/**
 * Publishing what is owed: every recorded, unsuppressed event not yet delivered, whichever run
 * detected it. Guarantees:
 *
 * P1. No alert is lost: an event is marked published only after the publisher reported it accepted;
 *     anything else stays owed for the next run (an outage, a crash, no time left).
 * P2. A message the channel rejects as invalid `MAX_REJECTIONS` times is parked: it leaves the owed
 *     events (so it cannot hold up newer ones) and stays in the audit trail as rejected.
 * P3. Events of a target whose state could not be saved wait for a run that saves it.
 * P4. After the lease is lost nothing more is sent or marked: the publisher meets the lease at its
 *     next call (`checkpoint`), marks go through the fenced store, and the stage reports `stopped`.
 * P5. Bounded: at most `MAX_PUBLISH_ROUNDS` reads of `OWED_PAGE` events, and no new round after the
 *     deadline.
 */
import { groupForPublishing } from './alerts/grouping.ts';
import { describeError, LeaseLostError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { AlertPublisher, PublishedMark, PublishFailure, PublishOutcome, StateStore } from './ports.ts';
import type { AuditRecord } from './types.ts';
import { targetKey } from './types.ts';

/** Owed events read per round; several rounds drain a change storm. */
export const OWED_PAGE = 500;
const MAX_PUBLISH_ROUNDS = 10;
/** Rejections of the message itself (not outages) after which an alert is parked, not retried. */
export const MAX_REJECTIONS = 3;

export interface PublishInput {
  /** Fenced by the run's lease. */
  store: StateStore;
  publisher: AlertPublisher;
  now: () => Date;
  logger: Logger;
  /** Target keys whose owed events must wait (their state could not be saved this run). */
  holdBack: ReadonlySet<string>;
  /** Job id → download URL, only with includeDownloadUrl. */
  downloadUrls?: ReadonlyMap<string, string>;
  /** Awaited before every call to the channel; rejects with `LeaseLostError` once the lease is lost. */
  checkpoint: () => Promise<void>;
  deadline?: Date;
  signal: AbortSignal;
  /** The owed events as read earlier in this run, when nothing was recorded since: saves a read. */
  firstRead?: readonly AuditRecord[];
}

export interface PublishCounts {
  published: number;
  failed: number;
  /** Parked after `MAX_REJECTIONS` rejections (P2). */
  abandoned: number;
}

export type PublishResult =
  | ({ kind: 'done' /** Still owed, unsuppressed, after this run. */; owed: number } & PublishCounts)
  | ({ kind: 'stopped'; reason: LeaseLostError } & PublishCounts);

export async function publishOwed(input: PublishInput): Promise<PublishResult> {
  const counts: PublishCounts = { published: 0, failed: 0, abandoned: 0 };
  const attempted = new Set<string>();
  /** The first read, when nothing was published after it: it already answers what is still owed. */
  let untouched: readonly AuditRecord[] | undefined;
  try {
    for (let round = 0; round < MAX_PUBLISH_ROUNDS; round++) {
      if (input.signal.aborted) break;
      const owed =
        (round === 0 ? input.firstRead : undefined) ?? (await input.store.listOwedEvents(OWED_PAGE));
      const ready = owed.filter(
        (record) =>
          !attempted.has(record.eventId) && !input.holdBack.has(targetKey(record)) && !record.suppressed,
      );
      if (ready.length === 0) {
        // A quiet poll (the common case) then costs one owed-index query, not two.
        if (round === 0) untouched = owed;
        break;
      }
      for (const record of ready) attempted.add(record.eventId);
      const sent = await publishRound(input, ready);
      counts.published += sent.published;
      counts.failed += sent.failed;
      counts.abandoned += sent.abandoned;
      if (owed.length < OWED_PAGE) break;
      if (input.deadline && input.now() >= input.deadline) break;
    }
    const remaining = untouched ?? (await input.store.listOwedEvents(OWED_PAGE));
    return { kind: 'done', owed: remaining.filter((record) => !record.suppressed).length, ...counts };
  } catch (error) {
    if (error instanceof LeaseLostError) return { kind: 'stopped', reason: error, ...counts };
    throw error;
  }
}

/** One publish call and its marks. */
async function publishRound(input: PublishInput, ready: readonly AuditRecord[]): Promise<PublishCounts> {
  const groups = groupForPublishing(ready);
  let outcomes: PublishOutcome[];
  try {
    outcomes = await input.publisher.publish(groups, {
      ...(input.downloadUrls ? { downloadUrls: input.downloadUrls } : {}),
      checkpoint: input.checkpoint,
    });
  } catch (error) {
    if (error instanceof LeaseLostError) throw error;
    // A publisher must report failures as outcomes; if it throws, nothing is known to be delivered.
    const message = describeError(error);
    outcomes = groups.map((group) => ({
      eventIds: group.events.map((event) => event.eventId),
      ok: false as const,
      error: message,
      retryable: true,
    }));
  }
  // Lost while publishing: what was sent stays unmarked (the other run sends it again, with the
  // same eventId: the documented duplicate), and nothing more is written.
  await input.checkpoint();

  const at = input.now().toISOString();
  const byId = new Map(ready.map((record) => [record.eventId, record]));
  const published: PublishedMark[] = [];
  const failed: PublishFailure[] = [];
  let abandoned = 0;
  for (const result of outcomes) {
    for (const eventId of result.eventIds) {
      const record = byId.get(eventId);
      if (result.ok) {
        published.push({
          eventId,
          publishedAt: at,
          snsMessageId: result.messageId,
          ...(record ? { record } : {}),
        });
        continue;
      }
      const rejections = (record?.rejections ?? 0) + (result.retryable ? 0 : 1);
      if (!result.retryable && rejections >= MAX_REJECTIONS) {
        // Rejected as invalid every time: retrying cannot help, and keeping it owed would let a pile
        // of such messages hold up newer alerts. Parked in the audit trail, logged loudly (P2).
        failed.push({ eventId, error: result.error, at, rejected: true, abandon: true });
        abandoned++;
        input.logger.error('Alert rejected by SNS on every attempt; no longer retried', {
          eventId,
          rejections,
          error: result.error,
        });
      } else {
        failed.push({ eventId, error: result.error, at, ...(result.retryable ? {} : { rejected: true }) });
      }
    }
    if (!result.ok) {
      input.logger.error(
        result.retryable
          ? 'Alert not delivered; it stays owed and the next run retries it'
          : 'Alert rejected by SNS; it stays owed and needs attention',
        { eventIds: result.eventIds, error: result.error, retryable: result.retryable },
      );
    }
  }
  if (published.length > 0) await input.store.markPublished(published);
  if (failed.length > 0) await input.store.markPublishFailed(failed);
  return { published: published.length, failed: failed.length, abandoned };
}
