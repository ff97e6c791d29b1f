/**
 * LocalPagerDuty: a loopback PagerDuty Events API v2 endpoint for tests, spoken to over real HTTP by the
 * unmodified `PagerDutyNotifier` (through `PAGERDUTY_EVENTS_URL`, or its `eventsUrl` option).
 *
 * Written from PagerDuty's public reference: the `reference/events-v2/openapiv3.json` of the
 * PagerDuty/api-schema repository (request body, `Payload`, `Links`, `Images`, the Success and Error
 * responses) and the developer docs (docs/events-API-v2: "Send an Alert Event" for the field limits and
 * de-duplication, the Overview for response codes and the 512 KB size limit, "Rate Limits" for ~120
 * calls a minute per integration key answered with 429).
 *
 * Implemented:
 * - `POST /v2/enqueue` (any other path: 404; any other method: 405). The body must be JSON: otherwise
 *   400 `{"status":"Unrecognized object","message":"Event object format is unrecognized","errors":["JSON parse error"]}`
 *   (the reference's error example).
 * - Validation as documented, every problem listed in one 400
 *   `{"status":"invalid event","message":"Event object is invalid","errors":[...]}`: `routing_key`
 *   present and 32 characters; `event_action` one of trigger, acknowledge, resolve; `dedup_key` at most
 *   255 characters and required for acknowledge and resolve; for a trigger a `payload` with a non-blank
 *   `summary` (at most 1,024 characters), `source` and `severity` (critical, error, warning, info), a
 *   `timestamp` that parses as a date when present, `custom_details` an object when present; `links`
 *   items need `href`, `images` items need `src`; the whole body at most 512 KB (413 past it).
 * - Answers 202 `{"status":"success","message":"Event processed","dedup_key":"..."}`; a trigger without
 *   `dedup_key` gets a generated one, as documented.
 * - Alert state per routing key and dedup key, as documented: a trigger opens an alert or is added to
 *   the open one; acknowledge and resolve apply to the open alert and are dropped (still 202) when
 *   there is none; a trigger after a resolve opens a new alert.
 * - Rate limiting: with `eventsPerMinute`, calls of one routing key beyond it in any 60 s answer 429.
 * - Test hooks: accepted events (`events`), alerts (`alerts`, `openAlerts`), call counts, `failNext`
 *   (any status with a body, a dropped connection, or no answer at all), `reset`.
 *
 * - HTTPS with `tls` (a certificate from test/support/certificates.ts), as the real endpoint is: what a
 *   test through a CONNECT proxy needs to prove the tunnel carries TLS end to end.
 *
 * Not implemented: change events (`/v2/change/enqueue`), event orchestration and rules, incidents and
 * their grouping of alerts, notifications, Events API v1.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export const PD_MAX_SUMMARY_CHARS = 1_024;
export const PD_MAX_DEDUP_KEY_CHARS = 255;
export const PD_MAX_BODY_BYTES = 512 * 1024;
const ROUTING_KEY_CHARS = 32;
const ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;
const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;

/** A routing key of the right shape, for tests. */
export const TEST_ROUTING_KEY = 'R0UT1NGKEYSENT1NEL0000000000abcd';

/** One event PagerDuty accepted (202), as sent. */
export interface AcceptedPagerDutyEvent {
  routing_key: string;
  event_action: (typeof ACTIONS)[number];
  dedup_key: string;
  payload?: Record<string, unknown>;
  links?: Array<{ href: string; text?: string }>;
  images?: unknown[];
  client?: string;
  client_url?: string;
  /** Whether it changed an alert (a resolve of no open alert is accepted and dropped). */
  applied: boolean;
}

/** An alert as PagerDuty keeps it. */
export interface LocalAlert {
  routingKey: string;
  dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  /** Triggers added to it (the first included). */
  triggers: number;
  summary: string;
  severity: string;
}

export type PagerDutyFault =
  | { kind: 'status'; status: number; body?: unknown }
  /** The connection is dropped before any answer (a network error for the client). */
  | { kind: 'drop' }
  /** The request is read and never answered (the client's own timeout has to end it). */
  | { kind: 'stall' };

export interface LocalPagerDutyOptions {
  /** Calls per routing key allowed in any 60 s before 429. @default unlimited */
  eventsPerMinute?: number;
  /** The clock of the rate window. @default Date.now */
  now?: () => number;
  /** Serve HTTPS with this certificate and key (PEM) instead of plain HTTP. */
  tls?: { key: string; cert: string };
}

export class LocalPagerDuty {
  readonly events: AcceptedPagerDutyEvent[] = [];
  /** Bodies answered with 400, with the errors given. */
  readonly rejected: Array<{ body: unknown; errors: string[] }> = [];
  #alerts: LocalAlert[] = [];
  #calls = 0;
  #faults: Array<{ fault: PagerDutyFault; remaining: number }> = [];
  #window = new Map<string, number[]>();
  #server: Server | undefined;
  #url: string | undefined;
  readonly #options: LocalPagerDutyOptions;

  constructor(options: LocalPagerDutyOptions = {}) {
    this.#options = options;
  }

  /** `http(s)://127.0.0.1:{port}/v2/enqueue`; throws before `start()`. */
  get eventsUrl(): string {
    if (!this.#url) throw new Error('LocalPagerDuty is not started; call start() first');
    return `${this.#url}/v2/enqueue`;
  }

  async start(): Promise<string> {
    if (this.#url) return this.eventsUrl;
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      readBody(req).then(
        (body) => this.#answer(req, res, body),
        () => res.destroy(),
      );
    };
    const tls = this.#options.tls;
    const server: Server = tls
      ? createTlsServer({ key: tls.key, cert: tls.cert }, listener)
      : createServer(listener);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.eventsUrl;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.#url = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** HTTP requests received, whatever their outcome. */
  get calls(): number {
    return this.#calls;
  }

  /** Every alert, open or resolved, in creation order. */
  alerts(): LocalAlert[] {
    return this.#alerts.map((alert) => ({ ...alert }));
  }

  /** Alerts not resolved. */
  openAlerts(): LocalAlert[] {
    return this.alerts().filter((alert) => alert.status !== 'resolved');
  }

  /** The next `times` requests get `fault` instead of being processed. */
  failNext(fault: PagerDutyFault, times = 1): void {
    this.#faults.push({ fault, remaining: times });
  }

  reset(): void {
    this.events.length = 0;
    this.rejected.length = 0;
    this.#alerts = [];
    this.#calls = 0;
    this.#faults = [];
    this.#window.clear();
  }

  #answer(req: IncomingMessage, res: ServerResponse, raw: string): void {
    this.#calls++;
    const decision = this.#decide(req, raw);
    if (decision === 'drop') {
      res.socket?.destroy();
      return;
    }
    if (decision === 'stall') return;
    const text = JSON.stringify(decision.body);
    res.writeHead(decision.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  /** What PagerDuty would answer to this request, or `drop` / `stall` for an injected network failure. */
  #decide(req: IncomingMessage, raw: string): { status: number; body: unknown } | 'drop' | 'stall' {
    const scheduled = this.#faults[0];
    if (scheduled) {
      scheduled.remaining--;
      if (scheduled.remaining <= 0) this.#faults.shift();
      if (scheduled.fault.kind === 'drop' || scheduled.fault.kind === 'stall') return scheduled.fault.kind;
      return {
        status: scheduled.fault.status,
        body: scheduled.fault.body ?? { status: 'error', message: 'Injected fault' },
      };
    }
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (path !== '/v2/enqueue') return { status: 404, body: { status: 'Not Found', message: 'Not Found' } };
    if (req.method !== 'POST')
      return { status: 405, body: { status: 'Method Not Allowed', message: 'Method Not Allowed' } };
    if (Buffer.byteLength(raw, 'utf8') > PD_MAX_BODY_BYTES) {
      return {
        status: 413,
        body: { status: 'Request Entity Too Large', message: 'Events API payloads are limited to 512 KB' },
      };
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return {
        status: 400,
        body: {
          status: 'Unrecognized object',
          message: 'Event object format is unrecognized',
          errors: ['JSON parse error'],
        },
      };
    }
    const errors = validate(body);
    if (errors.length > 0) {
      this.rejected.push({ body, errors });
      return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
    }
    const event = body as Omit<AcceptedPagerDutyEvent, 'applied'> & { dedup_key?: string };
    if (this.#throttled(event.routing_key)) {
      return {
        status: 429,
        body: {
          status: 'throttle event',
          message: 'Requests for this service are arriving too quickly. Please retry later.',
        },
      };
    }
    const dedupKey = event.dedup_key ?? randomUUID().replace(/-/g, '');
    const applied = this.#apply({ ...event, dedup_key: dedupKey });
    this.events.push({ ...event, dedup_key: dedupKey, applied });
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  }

  #throttled(routingKey: string): boolean {
    const limit = this.#options.eventsPerMinute;
    if (limit === undefined) return false;
    const now = (this.#options.now ?? Date.now)();
    const log = (this.#window.get(routingKey) ?? []).filter((t) => t > now - 60_000);
    if (log.length >= limit) {
      this.#window.set(routingKey, log);
      return true;
    }
    log.push(now);
    this.#window.set(routingKey, log);
    return false;
  }

  /** De-duplication as documented: applies to the open alert of (routing key, dedup key), if any. */
  #apply(event: {
    routing_key: string;
    event_action: string;
    dedup_key: string;
    payload?: Record<string, unknown>;
  }): boolean {
    const open = this.#alerts.find(
      (alert) =>
        alert.routingKey === event.routing_key &&
        alert.dedupKey === event.dedup_key &&
        alert.status !== 'resolved',
    );
    if (event.event_action === 'trigger') {
      if (open) {
        open.triggers++;
        return true;
      }
      this.#alerts.push({
        routingKey: event.routing_key,
        dedupKey: event.dedup_key,
        status: 'triggered',
        triggers: 1,
        summary: String(event.payload?.summary ?? ''),
        severity: String(event.payload?.severity ?? ''),
      });
      return true;
    }
    if (!open) return false;
    open.status = event.event_action === 'resolve' ? 'resolved' : 'acknowledged';
    return true;
  }
}

/** Every problem of an event body, in the reference's terms. */
function validate(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return ['Event object is not an object'];
  const event = body as Record<string, unknown>;
  const errors: string[] = [];
  const blank = (value: unknown) => typeof value !== 'string' || value.trim() === '';
  if (blank(event.routing_key)) errors.push("'routing_key' is missing or blank");
  else if ((event.routing_key as string).length !== ROUTING_KEY_CHARS)
    errors.push(`Length of 'routing_key' is incorrect (should be ${ROUTING_KEY_CHARS} characters)`);
  const action = event.event_action;
  if (blank(action)) errors.push("'event_action' is missing or blank");
  else if (!(ACTIONS as readonly unknown[]).includes(action))
    errors.push(`'event_action' is invalid (must be one of ${ACTIONS.join(', ')})`);
  if (event.dedup_key !== undefined) {
    if (typeof event.dedup_key !== 'string') errors.push("'dedup_key' must be a string");
    else if (event.dedup_key.length > PD_MAX_DEDUP_KEY_CHARS)
      errors.push(`'dedup_key' is too long (maximum is ${PD_MAX_DEDUP_KEY_CHARS} characters)`);
  }
  if ((action === 'acknowledge' || action === 'resolve') && blank(event.dedup_key)) {
    errors.push(`'dedup_key' is required for ${action} events`);
  }
  if (action === 'trigger') errors.push(...validatePayload(event.payload));
  for (const [index, link] of arrayOf(event.links, "'links'", errors).entries()) {
    if (link === null || typeof link !== 'object' || blank((link as Record<string, unknown>).href))
      errors.push(`'links[${index}].href' is missing or blank`);
  }
  for (const [index, image] of arrayOf(event.images, "'images'", errors).entries()) {
    if (image === null || typeof image !== 'object' || blank((image as Record<string, unknown>).src))
      errors.push(`'images[${index}].src' is missing or blank`);
  }
  return errors;
}

function validatePayload(payload: unknown): string[] {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    return ["'payload' is missing or blank"];
  const p = payload as Record<string, unknown>;
  const errors: string[] = [];
  const blank = (value: unknown) => typeof value !== 'string' || value.trim() === '';
  if (blank(p.summary)) errors.push("'payload.summary' is missing or blank");
  else if ((p.summary as string).length > PD_MAX_SUMMARY_CHARS)
    errors.push(`'payload.summary' is too long (maximum is ${PD_MAX_SUMMARY_CHARS} characters)`);
  if (blank(p.source)) errors.push("'payload.source' is missing or blank");
  if (blank(p.severity)) errors.push("'payload.severity' is missing or blank");
  else if (!(SEVERITIES as readonly unknown[]).includes(p.severity))
    errors.push(`'payload.severity' is invalid (must be one of ${SEVERITIES.join(', ')})`);
  if (p.timestamp !== undefined && (typeof p.timestamp !== 'string' || Number.isNaN(Date.parse(p.timestamp))))
    errors.push("'payload.timestamp' is not a valid ISO 8601 date-time");
  if (p.custom_details !== undefined && (p.custom_details === null || typeof p.custom_details !== 'object'))
    errors.push("'payload.custom_details' must be an object");
  for (const field of ['component', 'group', 'class'] as const) {
    if (p[field] !== undefined && typeof p[field] !== 'string')
      errors.push(`'payload.${field}' must be a string`);
  }
  return errors;
}

function arrayOf(value: unknown, name: string, errors: string[]): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    errors.push(`${name} must be an array`);
    return [];
  }
  return value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
