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
 * - a proxy that refuses the tunnel (403, 407: CONNECT answered 4xx): it will refuse every call, so
 *   nothing more is sent in this call and nothing is retried in it; everything is reported retryable
 *   (never the events' fault, never parked) with the proxy named and the fix. A proxy that cannot be
 *   reached, or answers CONNECT with a 5xx (it could not reach PagerDuty), is an outage like any other.
 *
 * Guarantees (test/adapters/pagerduty/pagerduty-notifier.test.ts, against LocalPagerDuty; N5 and the
 * proxy side of N4 in pagerduty-notifier-proxy.test.ts, through a CONNECT proxy to it over HTTPS):
 *
 * N1. Every event gets exactly one outcome; an event is reported accepted only on a 202.
 * N2. `context.checkpoint` is awaited before every HTTP call: once the run lost its lease, nothing more
 *     is sent and what is left is reported retryable.
 * N3. At most `eventsPerMinute` calls start in any 60 seconds (below PagerDuty's documented ~120 per
 *     minute per integration key); no call starts past `context.deadline`.
 * N4. The routing key, and the credentials of a proxy URL (the CLI's HTTPS_PROXY may carry them),
 *     appear in no outcome, log line or error text.
 * N5. Every call goes through `connection`: with a proxy (`alerts.pagerduty.proxyUrl`, or the CLI's
 *     HTTPS_PROXY) as a CONNECT tunnel, TLS to PagerDuty inside it; a refused tunnel stops the call
 *     at once, everything retryable, the message naming the proxy (origin only) and the fix.
 */

import { DEFAULT_PAGERDUTY_EVENTS_URL } from '../../core/config.ts';
import { type Logger, SILENT_LOGGER } from '../../core/logger.ts';
import type { AlertGroup, AlertPublisher, PublishContext, PublishOutcome } from '../../core/ports.ts';
import { scrubText } from '../../core/redact.ts';
import { sleep } from '../../core/sleep.ts';
import { SlidingWindowRateLimiter } from '../cloud-manager/rate-limiter.ts';
import { describeNetworkCode, networkErrorCode, OutboundConnection } from '../outbound-connection.ts';
import { EventsApiTimeoutError, postEvent } from './events-api-call.ts';
import { type PagerDutyEvent, toPagerDutyEvent } from './pagerduty-event.ts';

const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_TIMEOUT_MS = 10_000;
/** PagerDuty documents "approximately 120 calls/minute per integration key"; stay clear of it. */
export const DEFAULT_EVENTS_PER_MINUTE = 100;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 5_000;
const MAX_ERROR_CHARS = 300;
const WINDOW_MS = 60_000;
/** Direct, default roots, no keep-alive: what a notifier without an explicit connection uses. */
const DIRECT = new OutboundConnection({ keepAlive: false });

export interface PagerDutyNotifierOptions {
  /** The integration's routing key: a credential. */
  routingKey: string;
  /** @default DEFAULT_PAGERDUTY_EVENTS_URL */
  eventsUrl?: string;
  /** Names this deployment in every dedup_key (the state table's name). */
  dedupPrefix: string;
  consoleBaseUrl: string;
  /**
   * How PagerDuty is reached: its proxy (`createPagerDutyConnection`: `alerts.pagerduty.proxyUrl`, or
   * the CLI's HTTPS_PROXY) and trust. @default direct, default roots
   */
  connection?: OutboundConnection;
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
  | { kind: 'misrouted'; error: string }
  /** The proxy refused the tunnel: every call would meet the same refusal. */
  | { kind: 'blocked'; error: string };

export class PagerDutyNotifier implements AlertPublisher {
  readonly stats = { requests: 0, accepted: 0, failed: 0 };
  readonly #options: Required<Omit<PagerDutyNotifierOptions, 'logger'>>;
  readonly #logger: Logger;
  readonly #limiter: SlidingWindowRateLimiter;

  constructor(options: PagerDutyNotifierOptions) {
    this.#options = {
      eventsUrl: DEFAULT_PAGERDUTY_EVENTS_URL,
      connection: DIRECT,
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
        if (answer.kind === 'throttled' || answer.kind === 'unavailable' || answer.kind === 'blocked')
          stop = answer.error;
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
      ({ status, text } = await postEvent(new URL(this.#options.eventsUrl), JSON.stringify(event), {
        connection: this.#options.connection,
        timeoutMs: this.#options.requestTimeoutMs,
      }));
    } catch (error) {
      return this.#unreachable(error);
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

  /** A call that got no answer from PagerDuty, in words: the proxy's refusal, a timeout, the network. */
  #unreachable(error: unknown): Answer {
    const url = new URL(this.#options.eventsUrl);
    const proxy = this.#options.connection.describeProxy();
    const code = networkErrorCode(error);
    if (code === 'ERR_PROXY_TUNNEL') {
      const status = (error as { statusCode?: unknown }).statusCode;
      const http = typeof status === 'number' ? ` (HTTP ${status})` : '';
      if (typeof status === 'number' && status < 500) {
        const fix =
          status === 407
            ? `it wants proxy authentication, which this monitor does not send from the configuration: let it open CONNECT tunnels to ${url.host} without authentication${this.#options.connection.proxy.kind === 'environment' ? ', or check the user and password in the proxy variable' : ''}`
            : `allow CONNECT to ${url.host} on the proxy`;
        return {
          kind: 'blocked',
          error: `The proxy${proxy ? ` ${proxy}` : ''} refused to open a tunnel to PagerDuty (${url.host})${http}: ${fix}; the pages stay owed until it does`,
        };
      }
      return {
        kind: 'unavailable',
        error: `The proxy${proxy ? ` ${proxy}` : ''} could not open a tunnel to PagerDuty (${url.host})${http}: it could not reach PagerDuty; usually transient`,
      };
    }
    const where = proxy ? `the proxy ${proxy}, ` : '';
    if (error instanceof EventsApiTimeoutError) {
      return {
        kind: 'unavailable',
        error: `PagerDuty could not be reached (${error.message}); check ${where}DNS and the route out (NAT, firewall) if it persists`,
      };
    }
    if (code && /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_)/.test(code)) {
      return {
        kind: 'unavailable',
        error: `PagerDuty could not be reached: TLS to ${url.host} failed (${code}); ${proxy ? `if the proxy ${proxy} inspects TLS, let it pass the tunnel to ${url.host} through untouched` : `if a firewall or proxy on the way inspects TLS, let it pass ${url.host} through untouched`}`,
      };
    }
    const at = (error as { address?: unknown }).address;
    const address = typeof at === 'string' ? ` at ${at}:${String((error as { port?: unknown }).port)}` : '';
    const what =
      describeNetworkCode(code) ??
      (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    return {
      kind: 'unavailable',
      error: `PagerDuty could not be reached: ${this.#scrub(what)}${code ? ` (${code}${address})` : ''}; check ${where}DNS and the route out (NAT, firewall)`,
    };
  }

  #fail(eventIds: string[], error: string, retryable: boolean): PublishOutcome {
    this.stats.failed++;
    this.#logger.error('Alert could not be sent to PagerDuty', { eventIds, error, retryable });
    return { eventIds, ok: false, error, retryable };
  }

  /** N4: the routing key and proxy credentials out of anything said back (a service may quote the request). */
  #scrub(text: string): string {
    return scrubText(text, [this.#options.routingKey, ...this.#options.connection.proxySecrets()]).slice(
      0,
      MAX_ERROR_CHARS,
    );
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
