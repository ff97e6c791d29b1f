/**
 * `CloudManagerClient`: the production `RestoreJobSource`, talking to the Cloud Manager / Ops Manager
 * Public API v1.0 over HTTPS.
 *
 * One API call = validate ids → (per attempt) wait for the project's rate limiter → authenticate
 * (cached digest nonce or cached OAuth token) → one HTTP exchange → typed error or parsed body. Retries
 * (429, 5xx, network) wrap the attempt with full-jitter backoff; auth failures never retry.
 */

import { CLOUD_MANAGER_DEFAULTS } from '../../core/config.ts';
import { isAllowedBaseUrl } from '../../core/config-fields.ts';
import type { CloudManagerCredentials } from '../../core/credentials.ts';
import type { Logger } from '../../core/logger.ts';
import { SILENT_LOGGER } from '../../core/logger.ts';
import type { RestoreJobQuery, RestoreJobSource } from '../../core/ports.ts';
import { abortReason, sleep as defaultSleep, raceAbort } from '../../core/sleep.ts';
import type { Cluster, RestoreJob } from '../../core/types.ts';
import type { CloudManagerConnection } from './connection.ts';
import { chooseQop, DigestAuthenticator, isSupportedDigestAlgorithm } from './digest-auth.ts';
import {
  CloudManagerAbortedError,
  CloudManagerError,
  CloudManagerResponseError,
  CloudManagerValidationError,
} from './errors.ts';
import { OAuthTokenCache } from './oauth.ts';
import { assertObjectId } from './object-id.ts';
import { pageThrough } from './paging.ts';
import { SlidingWindowRateLimiter } from './rate-limiter.ts';
import {
  authError,
  credentialHint,
  type ErrorContext,
  errorForApiResponse,
  errorForTokenResponse,
} from './response-errors.ts';
import {
  clusterItem,
  type ListPage,
  parseListPage,
  parseRestoreJob,
  restoreJobItem,
  tokenResponseSchema,
} from './restore-job-schema.ts';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './retry.ts';
import { type ClientStats, createClientStats, resetClientStats } from './stats.ts';
import { type HttpExchange, sendHttp } from './transport.ts';
import { parseDigestChallenge } from './www-authenticate.ts';

export {
  CloudManagerAbortedError,
  CloudManagerAuthError,
  CloudManagerError,
  CloudManagerNetworkError,
  CloudManagerNotFoundError,
  CloudManagerProxyError,
  CloudManagerRateLimitError,
  CloudManagerResponseError,
  CloudManagerTlsError,
  CloudManagerValidationError,
  isRetryable,
} from './errors.ts';
export type { ClientStats } from './stats.ts';

/** The documented maximum page size (very old docs said 100). */
export const ITEMS_PER_PAGE = 500;

export interface CloudManagerClientOptions {
  /** e.g. `https://cloud.mongodb.com/api/public/v1.0`; https, or http on loopback only. */
  baseUrl: string;
  credentials: CloudManagerCredentials;
  /** @default `${origin of baseUrl}/api/oauth/token` */
  tokenUrl?: string;
  /** Client-side limit per project (all requests, challenges included). @default 100 */
  requestsPerMinute?: number;
  /** Per HTTP request, body included. @default 15000 */
  requestTimeoutMs?: number;
  /** Retries after the first attempt for 429, 5xx and network errors. @default 4 */
  maxRetries?: number;
  /** Exponential backoff with full jitter. @default { baseMs: 1000, maxMs: 30000, retryAfterCapMs: 60000 } */
  backoff?: BackoffOptions;
  /** Injectable for tests; must reject promptly when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injectable jitter source in [0, 1). */
  random?: () => number;
  /** Injectable clock (ms since epoch) for token expiry, `Retry-After` dates and the limiter. */
  now?: () => number;
  logger?: Logger;
  /**
   * Trusted CAs and proxy (`cloudManager.caFile`, `cloudManager.proxyUrl`, the CLI's HTTPS_PROXY).
   * @default DIRECT_CONNECTION: Node's default roots, no proxy
   */
  connection?: CloudManagerConnection;
}

/** A stream collected: each id once, its last sighting, in the order first seen. */
async function collectById<T extends { id: string }>(items: AsyncIterable<T>): Promise<T[]> {
  const byId = new Map<string, T>();
  for await (const item of items) byId.set(item.id, item);
  return [...byId.values()];
}

interface CallSpec {
  projectId: string;
  /** Path below the base URL, built from validated ids only. */
  segments: string[];
  query?: Record<string, string>;
  target: string;
  signal?: AbortSignal;
}

function validateOptions(options: CloudManagerClientOptions): { base: URL; tokenUrl: URL } {
  const badUrl = (field: string, why: string) =>
    new CloudManagerValidationError(`${field} ${why}`, { target: field, field });
  if (!isAllowedBaseUrl(options.baseUrl)) {
    throw badUrl(
      'baseUrl',
      'must be an https:// URL such as https://cloud.mongodb.com/api/public/v1.0 (plain http is allowed only for localhost / 127.0.0.1 / [::1])',
    );
  }
  const base = new URL(options.baseUrl);
  if (base.username || base.password || base.search || base.hash) {
    throw badUrl('baseUrl', 'must not contain credentials, a query or a fragment: pass keys via credentials');
  }
  base.pathname = base.pathname.replace(/\/+$/, '');
  const tokenText = options.tokenUrl ?? `${base.origin}/api/oauth/token`;
  if (!isAllowedBaseUrl(tokenText)) {
    throw badUrl('tokenUrl', 'must be an https:// URL (plain http is allowed only for loopback hosts)');
  }
  const tokenUrl = new URL(tokenText);
  if (tokenUrl.username || tokenUrl.password) throw badUrl('tokenUrl', 'must not contain credentials');
  const c = options.credentials as Partial<Record<string, unknown>> | undefined;
  const present = (v: unknown) => typeof v === 'string' && v !== '';
  if (c?.kind === 'apiKey') {
    if (!present(c.publicKey) || !present(c.privateKey)) {
      throw new CloudManagerValidationError('credentials: an API key needs both publicKey and privateKey', {
        target: 'credentials',
        field: 'credentials',
      });
    }
  } else if (c?.kind === 'serviceAccount') {
    if (!present(c.clientId) || !present(c.clientSecret)) {
      throw new CloudManagerValidationError(
        'credentials: a service account needs both clientId and clientSecret',
        {
          target: 'credentials',
          field: 'credentials',
        },
      );
    }
  } else {
    throw new CloudManagerValidationError('credentials must be an API key pair or a service account', {
      target: 'credentials',
      field: 'credentials',
    });
  }
  for (const [field, value, min] of [
    ['requestsPerMinute', options.requestsPerMinute, 1],
    ['requestTimeoutMs', options.requestTimeoutMs, 1],
    ['maxRetries', options.maxRetries, 0],
  ] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value < min)) {
      throw new CloudManagerValidationError(`${field} must be a number ≥ ${min}`, { target: field, field });
    }
  }
  return { base, tokenUrl };
}

export class CloudManagerClient implements RestoreJobSource {
  readonly stats: ClientStats = createClientStats();

  readonly #base: URL;
  readonly #tokenUrl: URL;
  readonly #credentials: CloudManagerCredentials;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #backoff: Required<BackoffOptions>;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #connection: CloudManagerConnection | undefined;
  readonly #limiter: SlidingWindowRateLimiter;
  readonly #digest: DigestAuthenticator | undefined;
  readonly #tokens: OAuthTokenCache | undefined;
  /** Download URLs and tokens seen in jobs, so that an upstream error echoing one gets it scrubbed. */
  readonly #deliverySecrets = new Set<string>();

  constructor(options: CloudManagerClientOptions) {
    const { base, tokenUrl } = validateOptions(options);
    this.#base = base;
    this.#tokenUrl = tokenUrl;
    this.#credentials = { ...options.credentials };
    this.#timeoutMs = options.requestTimeoutMs ?? CLOUD_MANAGER_DEFAULTS.requestTimeoutMs;
    this.#maxRetries = Math.floor(options.maxRetries ?? 4);
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#sleep = options.sleep ?? defaultSleep;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#connection = options.connection;
    this.#limiter = new SlidingWindowRateLimiter({
      limit: options.requestsPerMinute ?? CLOUD_MANAGER_DEFAULTS.requestsPerMinute,
      now: this.#now,
      sleep: this.#sleep,
    });
    const credentials = this.#credentials;
    if (credentials.kind === 'apiKey') {
      this.#digest = new DigestAuthenticator({
        username: credentials.publicKey,
        password: credentials.privateKey,
      });
    } else {
      this.#tokens = new OAuthTokenCache({ fetchToken: () => this.#fetchToken(), now: this.#now });
    }
  }

  resetStats(): void {
    resetClientStats(this.stats);
  }

  /**
   * Every restore job of one cluster (optionally one batch), streamed as each page is read: the
   * `RestoreJobSource` contract. A job can come twice when the list shifts while paging (the last
   * sighting wins); a listing that cannot be completed throws at the end, after what was yielded.
   */
  async *restoreJobs(q: RestoreJobQuery): AsyncGenerator<RestoreJob, void, void> {
    assertObjectId('projectId', q.projectId);
    assertObjectId('clusterId', q.clusterId);
    if (q.batchId !== undefined) assertObjectId('batchId', q.batchId);
    const segments = ['groups', q.projectId, 'clusters', q.clusterId, 'restoreJobs'];
    yield* this.#walk(
      q.projectId,
      segments,
      restoreJobItem,
      q.signal,
      q.batchId ? { batchId: q.batchId } : {},
    );
  }

  /** `restoreJobs` collected: every job once (the last sighting), in the order first seen. */
  async listRestoreJobs(q: RestoreJobQuery): Promise<RestoreJob[]> {
    return collectById(this.restoreJobs(q));
  }

  /** One restore job. */
  async getRestoreJob(q: {
    projectId: string;
    clusterId: string;
    jobId: string;
    signal?: AbortSignal;
  }): Promise<RestoreJob> {
    assertObjectId('projectId', q.projectId);
    assertObjectId('clusterId', q.clusterId);
    assertObjectId('jobId', q.jobId);
    const segments = ['groups', q.projectId, 'clusters', q.clusterId, 'restoreJobs', q.jobId];
    const target = `GET /${segments.join('/')}`;
    const body = await this.#call({
      projectId: q.projectId,
      segments,
      target,
      ...(q.signal ? { signal: q.signal } : {}),
    });
    const job = parseRestoreJob(body);
    if (!job.ok) throw this.#brokenBody(target, job.problem);
    this.#rememberDeliverySecrets(job.value);
    return job.value;
  }

  /** Every cluster of a project (replica sets, sharded clusters and their shards / config servers). */
  async listClusters(projectId: string, options?: { signal?: AbortSignal }): Promise<Cluster[]> {
    assertObjectId('projectId', projectId);
    return collectById(
      this.#walk(projectId, ['groups', projectId, 'clusters'], clusterItem, options?.signal, {}),
    );
  }

  /** Every item of a list call, page by page; throws after the last page if the listing is incomplete. */
  async *#walk<T extends { id: string }>(
    projectId: string,
    segments: string[],
    itemSchema: Parameters<typeof parseListPage<T>>[1],
    signal: AbortSignal | undefined,
    extraQuery: Record<string, string>,
  ): AsyncGenerator<T, void, void> {
    if (signal?.aborted) throw new CloudManagerAbortedError(`GET /${segments.join('/')}`, signal.reason);
    const fetchPage = async (pageNum: number): Promise<ListPage<T>> => {
      const target = `GET /${segments.join('/')} page ${pageNum}`;
      const body = await this.#call({
        projectId,
        segments,
        query: { ...extraQuery, pageNum: String(pageNum), itemsPerPage: String(ITEMS_PER_PAGE) },
        target,
        ...(signal ? { signal } : {}),
      });
      const page = parseListPage(body, itemSchema);
      if (!page.ok) throw this.#brokenBody(target, page.problem);
      for (const item of page.value.results) this.#rememberDeliverySecrets(item as { delivery?: unknown });
      return page.value;
    };
    const result = yield* pageThrough(fetchPage, {
      itemsPerPage: ITEMS_PER_PAGE,
      warn: (message, extra) =>
        this.#logger.warn(message, { target: `GET /${segments.join('/')}`, ...extra }),
    });
    if (!result.stable && result.distinct < result.lastTotalCount) {
      // Fewer jobs than the server says exist (e.g. pages that stay empty): a partial list would make
      // the hidden jobs look new next time (and, on a first poll, become a wrong baseline). Fail the
      // target for this poll instead; the next poll tries again.
      const target = `GET /${segments.join('/')}`;
      throw new CloudManagerResponseError(
        `Cloud Manager listed ${result.distinct} of the ${result.lastTotalCount} items it reports for ${target} after ${result.passes} passes (empty or shifting pages); the listing is incomplete, so this poll does not use it`,
        { target, status: 200, retryable: true },
      );
    }
  }

  #brokenBody(target: string, problem: string): CloudManagerResponseError {
    return new CloudManagerResponseError(
      `Cloud Manager sent an unreadable body for ${target}: ${problem}. A server or proxy problem: check that cloudManager.baseUrl points at the API (…/api/public/v1.0); if it does, this is likely transient`,
      { target, status: 200 },
    );
  }

  /** One API call with retries; returns the parsed JSON body of the 2xx answer. */
  async #call(spec: CallSpec): Promise<unknown> {
    this.stats.apiCalls += 1;
    const url = new URL(this.#base.href);
    url.pathname = `${this.#base.pathname}/${spec.segments.map(encodeURIComponent).join('/')}`;
    if (spec.query) url.search = new URLSearchParams(spec.query).toString();
    for (let attempt = 1; ; attempt++) {
      try {
        const exchange = await this.#attempt(url, spec, attempt);
        this.stats.bodyCharacters += exchange.text.length;
        try {
          return JSON.parse(exchange.text) as unknown;
        } catch (error) {
          throw new CloudManagerResponseError(
            `Cloud Manager sent a body that is not JSON for ${spec.target} (${exchange.status}, ${exchange.text.length} characters): a proxy or login page may be answering instead of the API; check cloudManager.baseUrl`,
            {
              target: spec.target,
              status: exchange.status,
              cause: new Error(`JSON.parse failed: ${(error as Error).name}`),
            },
          );
        }
      } catch (error) {
        if (error instanceof CloudManagerAbortedError) throw error;
        if (spec.signal?.aborted) throw new CloudManagerAbortedError(spec.target, spec.signal.reason);
        if (!(error instanceof CloudManagerError) || !error.retryable || attempt > this.#maxRetries)
          throw error;
        const serverAsked = (error as { retryAfterMs?: number }).retryAfterMs;
        const delayMs = serverAsked ?? backoffDelay(attempt - 1, this.#backoff, this.#random);
        this.stats.retries += 1;
        this.#logger.warn('Cloud Manager call failed; retrying', {
          target: spec.target,
          error: error.name,
          status: error.status,
          errorCode: error.errorCode,
          attempt,
          delayMs,
          retryAfter: serverAsked !== undefined,
        });
        try {
          await this.#sleep(delayMs, spec.signal);
        } catch (sleepError) {
          throw new CloudManagerAbortedError(
            spec.target,
            spec.signal ? abortReason(spec.signal) : sleepError,
          );
        }
        if (spec.signal?.aborted) throw new CloudManagerAbortedError(spec.target, spec.signal.reason);
      }
    }
  }

  #errorContext(target: string, attempts: number): ErrorContext {
    const c = this.#credentials;
    return {
      target,
      credentialKind: c.kind,
      credentialHint: credentialHint(c.kind === 'apiKey' ? c.publicKey : c.clientId),
      attempts,
      secrets: this.#secrets(),
      now: this.#now(),
      retryAfterCapMs: this.#backoff.retryAfterCapMs,
    };
  }

  #secrets(): string[] {
    const c = this.#credentials;
    const own = c.kind === 'apiKey' ? [c.privateKey] : [c.clientSecret];
    return [...own, ...(this.#tokens?.knownTokens() ?? []), ...this.#deliverySecrets];
  }

  #rememberDeliverySecrets(item: { delivery?: unknown }): void {
    const delivery = item.delivery;
    if (!delivery || typeof delivery !== 'object') return;
    for (const field of ['url', 'urlV2', 'authValue', 'authBearer', 'authHeader']) {
      const value = (delivery as Record<string, unknown>)[field];
      if (typeof value !== 'string' || value.length < 8) continue;
      this.#deliverySecrets.delete(value);
      this.#deliverySecrets.add(value);
      // Bounded: the most recent few hundred are the ones an error could plausibly echo.
      if (this.#deliverySecrets.size > 500) {
        const oldest = this.#deliverySecrets.values().next().value;
        if (oldest !== undefined) this.#deliverySecrets.delete(oldest);
      }
    }
  }

  /** One attempt: authentication round trips included, 2xx or a typed error. */
  async #attempt(url: URL, spec: CallSpec, attempt: number): Promise<HttpExchange> {
    const exchange = this.#digest
      ? await this.#digestExchange(this.#digest, url, spec, attempt)
      : await this.#bearerExchange(url, spec, attempt);
    if (exchange.status >= 200 && exchange.status < 300) return exchange;
    throw errorForApiResponse(exchange, this.#errorContext(spec.target, attempt));
  }

  /**
   * Digest: answer the cached nonce straight away (one request per call); else take the challenge
   * first. `stale=true` is re-answered once with the new nonce. A 401 with `stale=false` to an
   * answered request is final: a well-behaved server (RFC 7616 §3.3) sets `stale=true` whenever only
   * the nonce was wrong, so anything else means the key itself was refused.
   */
  async #digestExchange(
    digest: DigestAuthenticator,
    url: URL,
    spec: CallSpec,
    attempt: number,
  ): Promise<HttpExchange> {
    const origin = url.origin;
    const uri = `${url.pathname}${url.search}`;
    const release = await digest.claimChallenge(origin, (pending) => this.#waitFor(pending, spec));
    try {
      let authorization = digest.authorize(origin, 'GET', uri);
      let staleAnswered = false;
      for (;;) {
        const answered = authorization !== undefined;
        const exchange = await this.#send(url, spec, authorization ? { authorization } : {});
        if (exchange.status !== 401) return exchange;
        const challenge = parseDigestChallenge(exchange.headers.get('www-authenticate'));
        if (!challenge) return exchange; // a 401 without a challenge: the error body says why
        if (!isSupportedDigestAlgorithm(challenge.algorithm) || chooseQop(challenge.qop) === null) {
          throw authError(
            exchange,
            this.#errorContext(spec.target, attempt),
            `the server asks for digest algorithm ${challenge.algorithm} / qop ${challenge.qop.join(',') || 'none'}, which this client does not support (MD5, SHA-256, SHA-512-256 and their -sess forms with qop auth, auth-int or none)`,
          );
        }
        digest.remember(origin, challenge);
        release?.();
        if (!answered) {
          this.stats.challenges += 1;
        } else if (challenge.stale && !staleAnswered) {
          staleAnswered = true;
          this.stats.staleRetries += 1;
          this.#logger.debug('digest nonce went stale; answering the new one', { target: spec.target });
        } else if (challenge.stale) {
          // stale=true means the key was right: nonce churn (e.g. answers racing on a server that
          // wants nonce counts in order), not a credential problem. Back off and try again.
          throw new CloudManagerResponseError(
            `Cloud Manager called two fresh digest nonces in a row stale for ${spec.target}${attempt > 1 ? ` after ${attempt} attempts` : ''}: usually transient; if it persists, lower the number of concurrent polls`,
            { target: spec.target, status: 401, retryable: true },
          );
        } else {
          throw authError(
            exchange,
            this.#errorContext(spec.target, attempt),
            'the digest answer was refused',
          );
        }
        authorization = digest.authorize(origin, 'GET', uri);
      }
    } finally {
      release?.();
    }
  }

  /** OAuth: bearer token from the cache; a 401 with a cached token earns one refresh and one retry. */
  async #bearerExchange(url: URL, spec: CallSpec, attempt: number): Promise<HttpExchange> {
    const tokens = this.#tokens as OAuthTokenCache;
    let lease = await this.#wrapAbort(tokens.get(spec.signal), spec);
    let exchange = await this.#send(url, spec, { authorization: `Bearer ${lease.token}` });
    if (exchange.status === 401 && lease.fromCache) {
      tokens.invalidate(lease.token);
      this.#logger.debug('cached token refused; fetching a new one', { target: spec.target });
      lease = await this.#wrapAbort(tokens.get(spec.signal), spec);
      exchange = await this.#send(url, spec, { authorization: `Bearer ${lease.token}` });
    }
    if (exchange.status === 401 || exchange.status === 403) {
      throw authError(exchange, this.#errorContext(spec.target, attempt));
    }
    return exchange;
  }

  /** POST to the token endpoint (RFC 6749 §4.4), with its own timeout and no caller signal: it is shared. */
  async #fetchToken(): Promise<{ accessToken: string; expiresInSeconds?: number }> {
    const c = this.#credentials;
    if (c.kind !== 'serviceAccount') throw new Error('token requested without a service account');
    const target = `POST ${this.#tokenUrl.pathname}`;
    this.stats.tokenFetches += 1;
    this.stats.requests += 1;
    const exchange = await sendHttp({
      method: 'POST',
      url: this.#tokenUrl,
      headers: {
        authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`, 'utf8').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
      timeoutMs: this.#timeoutMs,
      target,
      ...(this.#connection ? { connection: this.#connection } : {}),
    });
    this.stats.latency.record(exchange.ms);
    this.#logger.debug('Cloud Manager token request', {
      target,
      status: exchange.status,
      ms: Math.round(exchange.ms),
    });
    if (exchange.status === 429) this.stats.rateLimited += 1;
    if (exchange.status < 200 || exchange.status >= 300) {
      throw errorForTokenResponse(exchange, this.#errorContext(target, 1));
    }
    let body: unknown;
    try {
      body = JSON.parse(exchange.text);
    } catch {
      body = undefined;
    }
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw new CloudManagerResponseError(
        `Cloud Manager's token endpoint answered without a usable access_token (${exchange.status}): check tokenUrl`,
        { target, status: exchange.status },
      );
    }
    const type = parsed.data.token_type;
    if (type !== undefined && type.toLowerCase() !== 'bearer') {
      throw new CloudManagerResponseError(
        `Cloud Manager's token endpoint issued a "${type.slice(0, 20)}" token; only Bearer tokens are supported`,
        { target, status: exchange.status },
      );
    }
    return {
      accessToken: parsed.data.access_token,
      ...(parsed.data.expires_in === undefined ? {} : { expiresInSeconds: parsed.data.expires_in }),
    };
  }

  /** Every HTTP request to the API goes through here: limiter, counters, debug log line. */
  async #send(url: URL, spec: CallSpec, headers: Record<string, string>): Promise<HttpExchange> {
    const waited = await this.#wrapAbort(
      this.#limiter.acquire(spec.projectId.toLowerCase(), spec.signal),
      spec,
    );
    if (waited > 0) {
      this.stats.limiterWaits += 1;
      this.stats.limiterWaitMs += waited;
    }
    this.stats.requests += 1;
    const exchange = await sendHttp({
      method: 'GET',
      url,
      headers: { accept: 'application/json', ...headers },
      timeoutMs: this.#timeoutMs,
      target: spec.target,
      ...(spec.signal ? { signal: spec.signal } : {}),
      ...(this.#connection ? { connection: this.#connection } : {}),
    });
    this.stats.latency.record(exchange.ms);
    if (exchange.status === 429) this.stats.rateLimited += 1;
    this.#logger.debug('Cloud Manager request', {
      target: spec.target,
      status: exchange.status,
      ms: Math.round(exchange.ms),
      answered: headers.authorization !== undefined,
    });
    return exchange;
  }

  /** Waits on a shared promise, turning the caller's abort into `CloudManagerAbortedError`. */
  async #waitFor(pending: Promise<void>, spec: CallSpec): Promise<void> {
    await this.#wrapAbort(pending, spec);
  }

  async #wrapAbort<T>(promise: Promise<T>, spec: CallSpec): Promise<T> {
    const signal = spec.signal;
    if (!signal) return promise;
    if (signal.aborted) throw new CloudManagerAbortedError(spec.target, signal.reason);
    try {
      return await raceAbort(promise, signal);
    } catch (error) {
      if (signal.aborted && !(error instanceof CloudManagerAbortedError)) {
        throw new CloudManagerAbortedError(spec.target, signal.reason);
      }
      throw error;
    }
  }
}
