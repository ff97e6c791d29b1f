/**
 * Publishing what is owed: every recorded event still owed to a channel, whichever run detected it,
 * to each channel separately (SNS, and PagerDuty when configured). Guarantees:
 *
 * P1. No alert is lost: an event is marked delivered on a channel only after that channel's publisher
 *     reported it accepted; anything else stays owed to it for the next run (an outage, a crash, no
 *     time left).
 * P2. A message a channel rejects as invalid `MAX_REJECTIONS` times is parked on that channel: it is no
 *     longer owed there (so it cannot hold up newer ones) and stays in the audit trail as rejected.
 * P3. Events of a target whose state could not be saved wait for a run that saves it.
 * P4. After the lease is lost nothing more is sent or marked: the publisher meets the lease at its
 *     next call (`checkpoint`), marks go through the fenced store, and the stage reports `stopped`.
 * P5. Bounded: at most `MAX_PUBLISH_ROUNDS` reads of `OWED_PAGE` events per channel (the first one
 *     shared), and no new round after the deadline.
 * P6. Channels are independent: each gets its own call, outcomes, failure counts and parking; one
 *     channel failing (or throwing) never keeps another from delivering or being marked, and past
 *     the first page each channel reads only what is owed to it, so one channel's backlog never
 *     hides the other's owed events. Each channel's marks are written as soon as it answered, on top
 *     of every mark this run wrote before (kept in memory across rounds), so no channel's write
 *     undoes another's, even when an index read lags behind.
 */
import { groupForPublishing } from './alerts/grouping.ts';
import { owedTo, rejectionsOn, withDelivery, withFailure } from './delivery.ts';
import { describeError, LeaseLostError } from './errors.ts';
import type { Logger } from './logger.ts';
import type {
  AlertGroup,
  AlertPublisher,
  PublishedMark,
  PublishFailure,
  PublishOutcome,
  StateStore,
} from './ports.ts';
import type { AuditRecord, Channel } from './types.ts';
import { targetKey } from './types.ts';

/** Owed events read per round; several rounds drain a change storm. */
export const OWED_PAGE = 500;
const MAX_PUBLISH_ROUNDS = 10;
/** Rejections of the message itself (not outages) after which an alert is parked, not retried. */
export const MAX_REJECTIONS = 3;

/** How each channel is named in logs. */
const CHANNEL_LABEL: Readonly<Record<Channel, string>> = { sns: 'SNS', pagerduty: 'PagerDuty' };

export interface PublishInput {
  /** Fenced by the run's lease. */
  store: StateStore;
  /** The SNS channel (or the terminal in the CLI without a topic). */
  publisher: AlertPublisher;
  /** The PagerDuty channel, when a routing key is configured. */
  pagerduty?: AlertPublisher;
  now: () => Date;
  logger: Logger;
  /** Target keys whose owed events must wait (their state could not be saved this run). */
  holdBack: ReadonlySet<string>;
  /** Job id → download URL, only with includeDownloadUrl. */
  downloadUrls?: ReadonlyMap<string, string>;
  /** Awaited before every call to a channel; rejects with `LeaseLostError` once the lease is lost. */
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

/** SNS counts at the top (as before channels existed); PagerDuty's apart, when it is configured. */
export type PublishResult = (
  | ({ kind: 'done' /** Still owed to SNS after this run. */; owed: number } & PublishCounts)
  | ({ kind: 'stopped'; reason: LeaseLostError } & PublishCounts)
) & { pagerduty?: PublishCounts & { owed?: number } };

interface ChannelRun {
  channel: Channel;
  publisher: AlertPublisher;
  /** SNS groups the events of one job (or batch) in one poll; PagerDuty takes one event per call. */
  group: (records: readonly AuditRecord[]) => AlertGroup[];
  attempted: Set<string>;
  counts: PublishCounts;
}

export async function publishOwed(input: PublishInput): Promise<PublishResult> {
  const channel = (name: Channel, publisher: AlertPublisher, group: ChannelRun['group']): ChannelRun => ({
    channel: name,
    publisher,
    group,
    attempted: new Set<string>(),
    counts: { published: 0, failed: 0, abandoned: 0 },
  });
  const channels: ChannelRun[] = [
    channel('sns', input.publisher, groupForPublishing),
    ...(input.pagerduty ? [channel('pagerduty', input.pagerduty, oneEventEach)] : []),
  ];
  const result = (
    outcome:
      | { kind: 'done'; remaining: readonly AuditRecord[] }
      | { kind: 'stopped'; reason: LeaseLostError },
  ): PublishResult => {
    const [sns, pager] = channels as [ChannelRun, ChannelRun | undefined];
    const owedOn = (channel: Channel) =>
      outcome.kind === 'done' ? outcome.remaining.filter((r) => owedTo(r, channel)).length : undefined;
    const pagerduty = pager ? { pagerduty: { ...pager.counts, owed: owedOn('pagerduty') } } : {};
    return outcome.kind === 'done'
      ? { kind: 'done', owed: owedOn('sns') ?? 0, ...sns.counts, ...pagerduty }
      : { kind: 'stopped', reason: outcome.reason, ...sns.counts, ...pagerduty };
  };

  /** The first read, when nothing was published after it: it already answers what is still owed. */
  let untouched: readonly AuditRecord[] | undefined;
  // Every record as this run knows it, its marks included: a later read (a GSI, eventually
  // consistent) may return a record without a mark this run wrote, which must not be written back.
  const known = new Map<string, AuditRecord>();
  const current = (records: readonly AuditRecord[]) =>
    records.map((record) => known.get(record.eventId) ?? record);
  try {
    // Round 0: one read for every channel. A page that is not full holds everything owed.
    const first = input.firstRead ?? (await input.store.listOwedEvents(OWED_PAGE));
    let sent = false;
    if (!input.signal.aborted) {
      for (const run of channels) sent = (await publishReady(input, run, current(first), known)) || sent;
    }
    // A quiet poll (the common case) then costs one owed-index query, not two.
    if (!sent) untouched = first;
    // Further rounds only after a full page: each channel reads what is owed to it (P6: one channel's
    // backlog never hides the other's owed events behind it).
    const draining = first.length < OWED_PAGE ? [] : [...channels];
    for (let round = 1; round < MAX_PUBLISH_ROUNDS && draining.length > 0; round++) {
      if (input.signal.aborted || (input.deadline && input.now() >= input.deadline)) break;
      for (const run of [...draining]) {
        const owed = await input.store.listOwedEvents(OWED_PAGE, run.channel);
        const published = await publishReady(input, run, current(owed), known);
        if (!published || owed.length < OWED_PAGE) draining.splice(draining.indexOf(run), 1);
      }
    }
    const remaining = untouched ?? (await input.store.listOwedEvents(OWED_PAGE));
    return result({ kind: 'done', remaining });
  } catch (error) {
    if (error instanceof LeaseLostError) return result({ kind: 'stopped', reason: error });
    throw error;
  }
}

/** What of `owed` is ready for `run` (owed to it, not tried in this run, not held back), published. */
async function publishReady(
  input: PublishInput,
  run: ChannelRun,
  owed: readonly AuditRecord[],
  known: Map<string, AuditRecord>,
): Promise<boolean> {
  const ready = owed.filter(
    (record) =>
      owedTo(record, run.channel) &&
      !run.attempted.has(record.eventId) &&
      !input.holdBack.has(targetKey(record)),
  );
  if (ready.length === 0) return false;
  for (const record of ready) {
    run.attempted.add(record.eventId);
    if (!known.has(record.eventId)) known.set(record.eventId, record);
  }
  await publishRound(input, run, ready, known);
  return true;
}

function oneEventEach(records: readonly AuditRecord[]): AlertGroup[] {
  return records.map((record) => ({ events: [record] }));
}

/** One channel's publish call and its marks. */
async function publishRound(
  input: PublishInput,
  run: ChannelRun,
  ready: readonly AuditRecord[],
  current: Map<string, AuditRecord>,
): Promise<void> {
  const label = CHANNEL_LABEL[run.channel];
  const groups = run.group(ready);
  let outcomes: PublishOutcome[];
  try {
    outcomes = await run.publisher.publish(groups, {
      ...(input.downloadUrls ? { downloadUrls: input.downloadUrls } : {}),
      checkpoint: input.checkpoint,
      ...(input.deadline ? { deadline: input.deadline } : {}),
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
  const published: PublishedMark[] = [];
  const failed: PublishFailure[] = [];
  for (const result of outcomes) {
    for (const eventId of result.eventIds) {
      const record = current.get(eventId);
      if (result.ok) {
        const mark: PublishedMark = {
          eventId,
          channel: run.channel,
          publishedAt: at,
          messageId: result.messageId,
        };
        published.push(record ? { ...mark, record } : mark);
        if (record) current.set(eventId, withDelivery(record, mark));
        continue;
      }
      const rejections = (record ? rejectionsOn(record, run.channel) : 0) + (result.retryable ? 0 : 1);
      const failure: PublishFailure = {
        eventId,
        channel: run.channel,
        error: result.error,
        at,
        ...(result.retryable ? {} : { rejected: true }),
      };
      if (!result.retryable && rejections >= MAX_REJECTIONS) {
        // Rejected as invalid every time: retrying cannot help, and keeping it owed would let a pile
        // of such messages hold up newer alerts. Parked in the audit trail, logged loudly (P2).
        failure.abandon = true;
        run.counts.abandoned++;
        input.logger.error(`Alert rejected by ${label} on every attempt; no longer retried`, {
          eventId,
          rejections,
          error: result.error,
        });
      }
      failed.push(failure);
      if (record) current.set(eventId, withFailure(record, failure));
    }
    if (!result.ok) {
      input.logger.error(
        result.retryable
          ? run.channel === 'sns'
            ? 'Alert not delivered; it stays owed and the next run retries it'
            : `Alert not delivered to ${label}; it stays owed and the next run retries it`
          : `Alert rejected by ${label}; it stays owed and needs attention`,
        { eventIds: result.eventIds, error: result.error, retryable: result.retryable },
      );
    }
  }
  if (published.length > 0) await input.store.markPublished(published);
  if (failed.length > 0) await input.store.markPublishFailed(failed);
  run.counts.published += published.length;
  run.counts.failed += failed.length;
}
