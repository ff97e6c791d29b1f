/**
 * The PagerDuty channel: each owed event becomes one Events API v2 call (`toPagerDutyEvent`), sent in
 * order, one at a time, under a client-side rate limit. Answers, as the reference documents them:
 *
 * - 202: accepted (processing is asynchronous); the event is delivered to PagerDuty.
 * - 400 (and 413): the event itself is invalid: reported not retryable, so publish-owed counts it
 *   towards parking after `MAX_REJECTIONS`, exactly like an SNS rejection. Never retried in the run.
 * - 429: "too many API calls at a time": nothing more is sent in this call (the rest would be refused
 *   too); everything unsent is reported retryable and goes out next run, with the same dedup_key.
 * - 5xx, a timeout, a network error: retried `maxAttempts` times with backoff; if PagerDuty still does
 *   not answer, the rest of the call is not attempted (it is down), all reported retryable.
 * - any other 4xx (a wrong PAGERDUTY_EVENTS_URL answering 404, say): retryable, with the fix named;
 *   it is not the message's fault, so it is never parked for it.
 *
 * Guarantees (test/adapters/pagerduty/pagerduty-notifier.test.ts, against LocalPagerDuty):
 *
 * N1. Every event gets exactly one outcome; an event is reported accepted only on a 202.
 * N2. `context.checkpoint` is awaited before every HTTP call: once the run lost its lease, nothing more
 *     is sent and what is left is reported retryable.
 * N3. At most `eventsPerMinute` calls start in any 60 seconds (below PagerDuty's documented ~120 per
 *     minute per integration key); no call starts past `context.deadline`.
 * N4. The routing key appears in no outcome, log line or error text.
 */

import { DEFAULT_PAGERDUTY_EVENTS_URL } from '../../core/config.ts';
import { type Logger, SILENT_LOGGER } from '../../core/logger.ts';
import type { AlertGroup, AlertPublisher, PublishContext, PublishOutcome } from '../../core/ports.ts';
import { scrubText } from '../../core/redact.ts';
import { sleep } from '../../core/sleep.ts';
import { SlidingWindowRateLimiter } from '../cloud-manager/rate-limiter.ts';
import { type PagerDutyEvent, toPagerDutyEvent } from './pagerduty-event.ts';

const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_TIMEOUT_MS = 10_000;
/** PagerDuty documents "approximately 120 calls/minute per integration key"; stay clear of it. */
export const DEFAULT_EVENTS_PER_MINUTE = 100;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 5_000;
const MAX_ERROR_CHARS = 300;
const WINDOW_MS = 60_000;

export interface PagerDutyNotifierOptions {
  /** The integration's routing key: a credential. */
  routingKey: string;
  /** @default DEFAULT_PAGERDUTY_EVENTS_URL */
  eventsUrl?: string;
  /** Names this deployment in every dedup_key (the state table's name). */
  dedupPrefix: string;
  consoleBaseUrl: string;
  /** Attempts per event on 5xx, timeouts and network errors. @default 3 */
  maxAttempts?: number;
  /** @default 10000 */
  requestTimeoutMs?: number;
  /** @default DEFAULT_EVENTS_PER_MINUTE */
  eventsPerMinute?: number;
  /** Injected in tests; real timers otherwise. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  logger?: Logger;
}

type Answer =
  | { kind: 'accepted'; dedupKey: string }
  | { kind: 'rejected'; error: string }
  | { kind: 'throttled'; error: string }
  | { kind: 'unavailable'; error: string }
  | { kind: 'misrouted'; error: string };

export class PagerDutyNotifier implements AlertPublisher {
  readonly stats = { requests: 0, accepted: 0, failed: 0 };
  readonly #options: Required<Omit<PagerDutyNotifierOptions, 'logger'>>;
  readonly #logger: Logger;
  readonly #limiter: SlidingWindowRateLimiter;

  constructor(options: PagerDutyNotifierOptions) {
    this.#options = {
      eventsUrl: DEFAULT_PAGERDUTY_EVENTS_URL,
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      requestTimeoutMs: DEFAULT_TIMEOUT_MS,
      eventsPerMinute: DEFAULT_EVENTS_PER_MINUTE,
      sleep: (ms, signal) => sleep(ms, signal),
      now: () => Date.now(),
      ...options,
    };
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#limiter = new SlidingWindowRateLimiter({
      limit: this.#options.eventsPerMinute,
      windowMs: WINDOW_MS,
      now: this.#options.now,
      sleep: this.#options.sleep,
    });
  }

  async publish(groups: readonly AlertGroup[], context: PublishContext): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = [];
    /** Why the rest of this call is not attempted (PagerDuty throttling or down, the lease, the time). */
    let stop: string | undefined;
    for (const group of groups) {
      const eventIds = group.events.map((e) => e.eventId);
      if (stop === undefined) stop = await this.#cannotStart(context);
      if (stop !== undefined) {
        outcomes.push(this.#fail(eventIds, `Not sent to PagerDuty: ${stop}`, true));
        continue;
      }
      let failure: PublishOutcome | undefined;
      let dedupKey = '';
      for (const record of group.events) {
        const answer = await this.#send(toPagerDutyEvent(record, this.#options), context);
        if (answer.kind === 'accepted') {
          dedupKey = answer.dedupKey;
          continue;
        }
        failure = this.#fail(eventIds, answer.error, answer.kind !== 'rejected');
        if (answer.kind === 'throttled' || answer.kind === 'unavailable') stop = answer.error;
        break;
      }
      if (failure) {
        outcomes.push(failure);
      } else {
        this.stats.accepted++;
        outcomes.push({ eventIds, ok: true, messageId: dedupKey });
      }
    }
    return outcomes;
  }

  /** Why no call may start now (N2, N3), or undefined. Waits for the rate limit when there is time. */
  async #cannotStart(context: PublishContext): Promise<string | undefined> {
    const now = this.#options.now();
    const deadline = context.deadline?.getTime();
    if (deadline !== undefined && now >= deadline) return 'no time left in this run; the next run sends it';
    if (
      deadline !== undefined &&
      this.#limiter.inWindow('events') >= this.#options.eventsPerMinute &&
      deadline - now < WINDOW_MS
    ) {
      return `the client-side limit of ${this.#options.eventsPerMinute} events a minute is reached and this run has no time to wait`;
    }
    await this.#limiter.acquire('events');
    return undefined;
  }

  /** One event, with retries on 5xx and network errors; the checkpoint before every call (N2). */
  async #send(event: PagerDutyEvent, context: PublishContext): Promise<Answer> {
    let last: Answer = { kind: 'unavailable', error: 'PagerDuty was not called' };
    for (let attempt = 1; attempt <= this.#options.maxAttempts; attempt++) {
      if (attempt > 1) await this.#options.sleep(backoffMs(attempt - 1));
      const lost = await (context.checkpoint?.() ?? Promise.resolve()).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      if (lost !== undefined) return { kind: 'unavailable', error: `Not sent to PagerDuty: ${lost}` };
      last = await this.#call(event);
      if (last.kind !== 'unavailable') return last;
      this.#logger.warn('PagerDuty did not answer; retrying', {
        attempt,
        maxAttempts: this.#options.maxAttempts,
        error: last.error,
      });
    }
    return {
      kind: 'unavailable',
      error: `${last.error}; gave up after ${this.#options.maxAttempts} attempts`,
    };
  }

  async #call(event: PagerDutyEvent): Promise<Answer> {
    this.stats.requests++;
    let status: number;
    let text: string;
    try {
      const response = await fetch(this.#options.eventsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(event),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { kind: 'unavailable', error: `PagerDuty could not be reached (${this.#scrub(reason)})` };
    }
    const body = parseBody(text);
    const said = this.#scrub(
      [body.status, body.message, ...(body.errors ?? [])].filter((part) => part !== undefined).join(': ') ||
        text.slice(0, MAX_ERROR_CHARS),
    );
    if (status === 202) return { kind: 'accepted', dedupKey: body.dedup_key ?? event.dedup_key };
    if (status === 400 || status === 413) {
      return {
        kind: 'rejected',
        error: `PagerDuty rejected the event as invalid (HTTP ${status}: ${said}); it will not be retried in this run`,
      };
    }
    if (status === 429) {
      return {
        kind: 'throttled',
        error: `PagerDuty is rate limiting this integration (HTTP 429); the rest waits for the next run`,
      };
    }
    if (status >= 500) return { kind: 'unavailable', error: `PagerDuty failed (HTTP ${status}: ${said})` };
    return {
      kind: 'misrouted',
      error: `PagerDuty answered HTTP ${status} (${said}): check PAGERDUTY_EVENTS_URL (or alerts.pagerduty.eventsUrl) and the routing key`,
    };
  }

  #fail(eventIds: string[], error: string, retryable: boolean): PublishOutcome {
    this.stats.failed++;
    this.#logger.error('Alert could not be sent to PagerDuty', { eventIds, error, retryable });
    return { eventIds, ok: false, error, retryable };
  }

  /** N4: the routing key out of anything said back (a service may quote the request). */
  #scrub(text: string): string {
    return scrubText(text, [this.#options.routingKey]).slice(0, MAX_ERROR_CHARS);
  }
}

interface EventsApiAnswer {
  status?: string;
  message?: string;
  dedup_key?: string;
  errors?: string[];
}

function parseBody(text: string): EventsApiAnswer {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object') return {};
    const v = value as Record<string, unknown>;
    return {
      ...(typeof v.status === 'string' ? { status: v.status } : {}),
      ...(typeof v.message === 'string' ? { message: v.message } : {}),
      ...(typeof v.dedup_key === 'string' ? { dedup_key: v.dedup_key } : {}),
      ...(Array.isArray(v.errors)
        ? { errors: v.errors.filter((e): e is string => typeof e === 'string') }
        : {}),
    };
  } catch {
    return {};
  }
}

/** Exponential, deterministic: one run at a time calls PagerDuty (the lease), no herd to spread. */
function backoffMs(retry: number): number {
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (retry - 1));
}
