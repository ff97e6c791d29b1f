/**
 * A Cloud Manager Public API (v1.0) on loopback, written from the API reference rather than from the
 * client: restore jobs and clusters with paging, Digest and OAuth authentication, the per-project rate
 * limit, and injectable faults. Tests, the local demo and the benchmark run the real client against it.
 *
 * It prints nothing and never echoes a credential, a token or a download URL in an error body.
 * With `tls` it serves HTTPS with the given key and certificate (a private CA's, in tests), so the
 * client's trust settings and TLS failure reports meet a real handshake.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost } from '../core/config-fields.ts';
import type { Cluster, RestoreJob } from '../core/types.ts';
import { apiErrorBody, defaultErrorCode } from './api-error.ts';
import { CloudManagerData, type ClusterInput, SimulatorUsageError } from './cloud-manager-data.ts';
import { DIGEST_REALM, type DigestAlgorithm, DigestAuthority, type DigestQop } from './digest-auth.ts';
import { type FaultOptions, FaultQueue, type SimulatorFault } from './fault-queue.ts';
import { FixedWindowLimiter } from './fixed-window-limiter.ts';
import { OAuthTokenIssuer } from './oauth-tokens.ts';
import { isObjectId, newObjectId } from './object-id.ts';
import { pageOf, parsePageRequest } from './paging.ts';
import { brokenJob, downloadedJob, expiredJob, finishedJob, killedJob } from './restore-job-life-cycle.ts';

export { SimulatorUsageError } from './cloud-manager-data.ts';
export type { FaultOptions, SimulatorFault } from './fault-queue.ts';

export const API_PREFIX = '/api/public/v1.0';
export const TOKEN_PATH = '/api/oauth/token';
export const REVOKE_PATH = '/api/oauth/revoke';
/** The reference: "The token endpoint itself is limited (10 requests a minute)". */
export const DEFAULT_TOKEN_REQUESTS_PER_MINUTE = 10;

export interface SimulatorOptions {
  /** API keys accepted by Digest authentication. @default none */
  apiKeys?: Array<{ publicKey: string; privateKey: string }>;
  /** Service accounts accepted by the OAuth token endpoint. @default none */
  serviceAccounts?: Array<{ clientId: string; clientSecret: string }>;
  /** @default { algorithm: 'MD5', qop: 'auth', nonceTtlMs: 300_000 } */
  digest?: { algorithm?: DigestAlgorithm; qop?: DigestQop; nonceTtlMs?: number };
  /** OAuth access token lifetime. @default 3600 */
  tokenTtlSeconds?: number;
  /** Added to every response. @default 0 */
  latencyMs?: number;
  /** Server-side limit answered with 429 RATE_LIMITED. @default unlimited */
  requestsPerMinutePerProject?: number;
  /** Clock for `created`, `expires`, nonce expiry, token expiry and rate windows. @default real time */
  now?: () => Date;
  /** Loopback only. @default '127.0.0.1' */
  host?: string;
  /** @default 0 (ephemeral) */
  port?: number;
  /** Limit of the OAuth token endpoint. @default 10 */
  tokenRequestsPerMinute?: number;
  /**
   * Key of the body in `envelope=true` answers; the docs disagree (`content` vs `envelope`).
   * @default 'content'
   */
  envelopeKey?: 'content' | 'envelope';
  /**
   * Serve HTTPS with this PEM key and certificate chain (leaf first) instead of plain HTTP.
   * @default plain HTTP
   */
  tls?: { key: string; cert: string };
}

export type AuthScheme = 'none' | 'Digest' | 'Bearer' | 'Basic' | 'other';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authScheme: AuthScheme;
  /** 0 when the connection was destroyed without an answer (a `reset` fault, the client went away). */
  status: number;
  at: Date;
  /** The injected fault this request met, if any. */
  fault?: SimulatorFault['kind'];
}

export interface SimulatorStats {
  requests: number;
  /** 401 answers carrying a Digest challenge. */
  challenges: number;
  /** Digest challenges with `stale=true`. */
  staleChallenges: number;
  tokenRequests: number;
  /** 429 answers from the simulated limits (not from injected faults). */
  rateLimited: number;
  /** Injected faults that hit a request. */
  faults: number;
}

type ApiRoute =
  | { kind: 'clusters'; projectId: string }
  | { kind: 'jobs'; projectId: string; clusterId: string }
  | { kind: 'job'; projectId: string; clusterId: string; jobId: string }
  | { kind: 'unknown' };

/** One request and its answer in flight. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Raw request target (path + query) exactly as sent: what a Digest `uri` must equal. */
  target: string;
  record: RecordedRequest;
  pretty: boolean;
  envelope: boolean;
}

type FaultOutcome = 'answered' | 'continue';

const emptyStats = (): SimulatorStats => ({
  requests: 0,
  challenges: 0,
  staleChallenges: 0,
  tokenRequests: 0,
  rateLimited: 0,
  faults: 0,
});

export class CloudManagerSimulator {
  /** Mutable while running: the next responses take this much longer. */
  latencyMs: number;
  /** Called after each restore-job list page is served (pageNum 1-based) so tests can change jobs mid-paging. */
  onPageServed?: (info: { projectId: string; clusterId: string; pageNum: number }) => void;

  readonly #host: string;
  readonly #port: number;
  readonly #now: () => Date;
  readonly #envelopeKey: 'content' | 'envelope';
  readonly #tls: { key: string; cert: string } | undefined;
  readonly #data: CloudManagerData;
  readonly #digest: DigestAuthority | undefined;
  readonly #oauth: OAuthTokenIssuer | undefined;
  readonly #projectLimiter: FixedWindowLimiter | undefined;
  readonly #tokenLimiter: FixedWindowLimiter;
  readonly #faults = new FaultQueue();
  readonly #revoked = new Map<string, 401 | 403>();
  readonly #requests: RecordedRequest[] = [];
  readonly #hookErrors: unknown[] = [];
  readonly #sleepers = new Set<() => void>();
  #stats = emptyStats();
  #server: Server | undefined;
  #origin: string | undefined;

  constructor(options: SimulatorOptions = {}) {
    const problems = optionProblems(options);
    if (problems.length > 0) {
      throw new SimulatorUsageError(`Invalid simulator options: ${problems.join('; ')}.`);
    }
    this.latencyMs = options.latencyMs ?? 0;
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? 0;
    this.#now = options.now ?? (() => new Date());
    this.#envelopeKey = options.envelopeKey ?? 'content';
    this.#tls = options.tls ? { ...options.tls } : undefined;
    this.#data = new CloudManagerData(this.#now);
    const nowMs = () => this.#now().getTime();
    const apiKeys = options.apiKeys ?? [];
    this.#digest =
      apiKeys.length > 0
        ? new DigestAuthority(
            {
              algorithm: options.digest?.algorithm ?? 'MD5',
              qop: options.digest?.qop ?? 'auth',
              nonceTtlMs: options.digest?.nonceTtlMs ?? 5 * 60_000,
            },
            new Map(apiKeys.map((key) => [key.publicKey, key.privateKey])),
            nowMs,
          )
        : undefined;
    const accounts = options.serviceAccounts ?? [];
    this.#oauth =
      accounts.length > 0
        ? new OAuthTokenIssuer(
            new Map(accounts.map((account) => [account.clientId, account.clientSecret])),
            options.tokenTtlSeconds ?? 3600,
            nowMs,
          )
        : undefined;
    this.#projectLimiter =
      options.requestsPerMinutePerProject !== undefined
        ? new FixedWindowLimiter(options.requestsPerMinutePerProject)
        : undefined;
    this.#tokenLimiter = new FixedWindowLimiter(
      options.tokenRequestsPerMinute ?? DEFAULT_TOKEN_REQUESTS_PER_MINUTE,
    );
  }

  // ---- server life cycle -------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.#server) throw new SimulatorUsageError('The simulator is already running.');
    const handle = (req: IncomingMessage, res: ServerResponse) => {
      void this.#handle(req, res);
    };
    const server = this.#tls ? createHttpsServer(this.#tls, handle) : createServer(handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.#host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#server = server;
    this.#origin = `${this.#tls ? 'https' : 'http'}://${host}:${address.port}`;
  }

  /** Closes the server and every socket, idle keep-alive ones and those of requests still being delayed. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.#origin = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const wake of [...this.#sleepers]) wake();
    await closed;
  }

  get origin(): string {
    if (!this.#origin)
      throw new SimulatorUsageError('The simulator has not been started: await start() first.');
    return this.#origin;
  }

  get baseUrl(): string {
    return `${this.origin}${API_PREFIX}`;
  }

  // ---- data ---------------------------------------------------------------------------------------

  /** A project with no clusters (the clusters list answers `results: []`). */
  addProject(projectId?: string): string {
    return this.#data.addProject(projectId);
  }

  addCluster(cluster: ClusterInput): Cluster {
    return this.#data.addCluster(cluster);
  }

  /** Defaults: IN_PROGRESS, delivery HTTP NOT_STARTED, created now. Creates the cluster if needed. */
  addRestoreJob(projectId: string, clusterId: string, job?: Partial<RestoreJob>): RestoreJob {
    return this.#data.addJob(projectId, clusterId, job);
  }

  /**
   * One sharded-cluster restore: `members` jobs (one per shard plus one for the config server) that
   * share a `batchId` and a `snapshotId`.
   */
  createBatch(
    projectId: string,
    clusterId: string,
    members: number,
    job: Partial<RestoreJob> = {},
  ): RestoreJob[] {
    if (!Number.isInteger(members) || members < 2) {
      throw new SimulatorUsageError(
        `A batch has one job per shard plus one for the config server: members must be 2 or more (got ${members}).`,
      );
    }
    if (job.id !== undefined)
      throw new SimulatorUsageError('createBatch generates the job ids: omit job.id.');
    this.#data.ensureCluster(projectId, clusterId, 'SHARDED_REPLICA_SET');
    const now = this.#now();
    const shared = {
      batchId: job.batchId ?? newObjectId(now),
      snapshotId: job.snapshotId ?? newObjectId(now),
    };
    return Array.from({ length: members }, () =>
      this.#data.addJob(projectId, clusterId, { ...job, ...shared }),
    );
  }

  updateRestoreJob(
    jobId: string,
    patch: Partial<RestoreJob> | ((job: RestoreJob) => RestoreJob),
  ): RestoreJob {
    return this.#data.updateJob(jobId, patch);
  }

  removeRestoreJob(jobId: string): void {
    this.#data.removeJob(jobId);
  }

  /** The cluster and its jobs disappear; later calls for it get 404 CLUSTER_NOT_FOUND. */
  removeCluster(projectId: string, clusterId: string): void {
    this.#data.removeCluster(projectId, clusterId);
  }

  getRestoreJob(jobId: string): RestoreJob | undefined {
    return this.#data.getJob(jobId);
  }

  /** In the order the API lists them: newest `created` first, ties by id. */
  listJobs(projectId: string, clusterId: string): RestoreJob[] {
    return this.#data.listJobs(projectId, clusterId);
  }

  // ---- life cycle ---------------------------------------------------------------------------------

  /** FINISHED, delivery READY with url, expires (now + expirationHours), expirationHours and maxDownloads. */
  finishJob(jobId: string, opts?: { expirationHours?: number; maxDownloads?: number }): RestoreJob {
    return this.#data.updateJob(jobId, (job) => finishedJob(job, this.#now(), opts));
  }

  /** BROKEN, delivery FAILED without a URL. */
  breakJob(jobId: string): RestoreJob {
    return this.#data.updateJob(jobId, brokenJob);
  }

  /** KILLED. */
  killJob(jobId: string): RestoreJob {
    return this.#data.updateJob(jobId, killedJob);
  }

  /** `hashes[]` appear and delivery becomes MAX_DOWNLOADS_EXCEEDED. */
  markDownloaded(jobId: string): RestoreJob {
    return this.#data.updateJob(jobId, downloadedJob);
  }

  /** Delivery EXPIRED. */
  expireDelivery(jobId: string): RestoreJob {
    return this.#data.updateJob(jobId, expiredJob);
  }

  // ---- auth ---------------------------------------------------------------------------------------

  /** Every nonce issued so far becomes stale: its next use gets 401 with `stale=true`. */
  expireNonces(): void {
    this.#digest?.expireAll();
  }

  /** That project's calls answer 401 USER_UNAUTHORIZED or 403 IP_ADDRESS_NOT_ON_WHITELIST. */
  revokeAccess(projectId: string, kind: 401 | 403): void {
    this.#revoked.set(projectId, kind);
  }

  /** Undoes `revokeAccess`. */
  restoreAccess(projectId: string): void {
    this.#revoked.delete(projectId);
  }

  // ---- faults -------------------------------------------------------------------------------------

  /**
   * Queues a fault. Faults are taken first-in first-out by the requests they match. An API call meets a
   * fault only once it is authenticated (a Digest challenge round trip never consumes one); calls to
   * the OAuth endpoints meet faults on arrival. `empty-page` only hits list calls.
   */
  injectFault(fault: SimulatorFault, options?: FaultOptions): void {
    this.#faults.add(fault, options);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** Faults queued and not yet consumed. */
  get pendingFaults(): number {
    return this.#faults.pending;
  }

  // ---- observation --------------------------------------------------------------------------------

  get requests(): ReadonlyArray<RecordedRequest> {
    return this.#requests;
  }

  /** Errors thrown by `onPageServed` (kept instead of crashing the server or being printed). */
  get hookErrors(): ReadonlyArray<unknown> {
    return this.#hookErrors;
  }

  stats(): SimulatorStats {
    return { ...this.#stats };
  }

  /** Zeroes the counters and forgets recorded requests. */
  resetStats(): void {
    this.#stats = emptyStats();
    this.#requests.length = 0;
    this.#hookErrors.length = 0;
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const url = new URL(`http://simulator${target.startsWith('/') ? target : `/${target}`}`);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authScheme: authSchemeOf(req.headers.authorization),
      status: 0,
      at: this.#now(),
    };
    this.#requests.push(record);
    this.#stats.requests += 1;
    const exchange: Exchange = {
      req,
      res,
      url,
      target,
      record,
      pretty: url.searchParams.get('pretty')?.toLowerCase() === 'true',
      envelope: url.searchParams.get('envelope')?.toLowerCase() === 'true',
    };
    try {
      await this.#pause(this.latencyMs, exchange);
      if (isGone(exchange)) return;
      if (url.pathname === TOKEN_PATH || url.pathname === REVOKE_PATH) {
        await this.#handleOAuth(exchange);
      } else if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
        await this.#handleApi(exchange);
      } else {
        this.#sendError(exchange, 404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${url.pathname}.`);
      }
    } catch (error) {
      if (res.headersSent || isGone(exchange)) {
        res.destroy();
      } else {
        const message = error instanceof Error ? error.message : String(error);
        this.#sendError(exchange, 500, 'UNEXPECTED_ERROR', `The simulator failed to answer: ${message}`);
      }
    }
  }

  async #handleApi(x: Exchange): Promise<void> {
    const route = routeOf(x.url.pathname);
    const projectId = projectOf(x.url.pathname);
    // Counted before authentication: a challenge round trip costs quota, which is why the reference
    // recommends reusing nonces.
    if (
      projectId !== undefined &&
      this.#projectLimiter &&
      !this.#projectLimiter.tryTake(projectId, this.#nowMs())
    ) {
      this.#stats.rateLimited += 1;
      this.#sendError(
        x,
        429,
        'RATE_LIMITED',
        `Resource groups/${projectId} is limited to ${this.#projectLimiter.limit} requests every 1 minutes.`,
      );
      return;
    }
    if (!this.#authenticate(x)) return;
    const revoked = projectId !== undefined ? this.#revoked.get(projectId) : undefined;
    if (revoked === 401) {
      this.#sendUnauthorized(
        x,
        'USER_UNAUTHORIZED',
        `The credentials have no access to group ${projectId}.`,
        false,
      );
      return;
    }
    if (revoked === 403) {
      this.#sendError(
        x,
        403,
        'IP_ADDRESS_NOT_ON_WHITELIST',
        `IP address ${x.req.socket.remoteAddress ?? 'unknown'} is not allowed to access group ${projectId}.`,
      );
      return;
    }

    const isList = route.kind === 'jobs' || route.kind === 'clusters';
    const fault = this.#takeFault(x, (f) => f.kind !== 'empty-page' || isList);
    let emptyPage = false;
    if (fault) {
      if (fault.kind === 'empty-page') emptyPage = true;
      else if ((await this.#applyFault(x, fault)) === 'answered') return;
    }

    if (route.kind === 'unknown') {
      this.#sendError(x, 404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${x.url.pathname}.`);
      return;
    }
    if (x.req.method !== 'GET') {
      this.#sendError(x, 405, 'METHOD_NOT_ALLOWED', `The simulator serves ${x.url.pathname} for GET only.`, {
        Allow: 'GET',
      });
      return;
    }
    switch (route.kind) {
      case 'clusters':
        this.#listClusters(x, route.projectId, emptyPage);
        return;
      case 'jobs':
        this.#listJobs(x, route.projectId, route.clusterId, emptyPage);
        return;
      case 'job':
        this.#getJob(x, route.projectId, route.clusterId, route.jobId);
        return;
    }
  }

  #listClusters(x: Exchange, projectId: string, emptyPage: boolean): void {
    if (!this.#checkTarget(x, projectId)) return;
    const paging = parsePageRequest(x.url.searchParams);
    if (!paging.ok) {
      this.#sendError(x, 400, 'INVALID_QUERY_PARAMETER', paging.detail);
      return;
    }
    const clusters = this.#data.listClusters(projectId).map((cluster) => ({
      ...cluster,
      links: [{ href: `${this.baseUrl}/groups/${projectId}/clusters/${cluster.id}`, rel: 'self' }],
    }));
    const page = pageOf(clusters, paging.page, this.#absolute(x));
    this.#sendJson(x, 200, emptyPage ? asEmptyPage(page, paging.page) : page);
  }

  #listJobs(x: Exchange, projectId: string, clusterId: string, emptyPage: boolean): void {
    if (!this.#checkTarget(x, projectId, clusterId)) return;
    const paging = parsePageRequest(x.url.searchParams);
    if (!paging.ok) {
      this.#sendError(x, 400, 'INVALID_QUERY_PARAMETER', paging.detail);
      return;
    }
    const batchId = x.url.searchParams.get('batchId');
    const listed = this.#data.listedJobs(projectId, clusterId);
    const jobs = batchId === null ? listed : listed.filter((job) => job.batchId === batchId);
    // Decorate only the page served (the stored jobs are shared, never modified).
    const page = pageOf(jobs, paging.page, this.#absolute(x), (job) =>
      this.#withSelfLink(projectId, clusterId, job),
    );
    this.#sendJson(x, 200, emptyPage ? asEmptyPage(page, paging.page) : page);
    // The answer is written before the hook runs, and the client cannot ask for the next page before
    // reading it, so whatever the hook changes is visible from the next page on.
    try {
      this.onPageServed?.({ projectId, clusterId, pageNum: paging.page.pageNum });
    } catch (error) {
      this.#hookErrors.push(error);
    }
  }

  #getJob(x: Exchange, projectId: string, clusterId: string, jobId: string): void {
    if (!this.#checkTarget(x, projectId, clusterId)) return;
    if (!isObjectId(jobId)) {
      this.#sendError(x, 404, 'INVALID_JOB_ID', `An invalid restore job ID ${jobId} was specified.`);
      return;
    }
    const job = this.#data.getJobIn(projectId, clusterId, jobId);
    if (!job) {
      this.#sendError(
        x,
        404,
        'RESTORE_JOB_NOT_FOUND',
        `No restore job with ID ${jobId} exists in cluster ${clusterId} of group ${projectId}.`,
      );
      return;
    }
    this.#sendJson(x, 200, this.#withSelfLink(projectId, clusterId, job));
  }

  /** Validates the path ids in the order the API reports them: group first, then cluster. */
  #checkTarget(x: Exchange, projectId: string, clusterId?: string): boolean {
    if (!isObjectId(projectId)) {
      this.#sendError(x, 404, 'INVALID_GROUP_ID', `An invalid group ID ${projectId} was specified.`);
      return false;
    }
    if (!this.#data.hasProject(projectId)) {
      this.#sendError(x, 404, 'GROUP_NOT_FOUND', `No group with ID ${projectId} exists.`);
      return false;
    }
    if (clusterId === undefined) return true;
    if (!isObjectId(clusterId)) {
      this.#sendError(x, 404, 'INVALID_CLUSTER_ID', `An invalid cluster ID ${clusterId} was specified.`);
      return false;
    }
    if (!this.#data.getCluster(projectId, clusterId)) {
      this.#sendError(
        x,
        404,
        'CLUSTER_NOT_FOUND',
        `No cluster with ID ${clusterId} exists in group ${projectId}.`,
      );
      return false;
    }
    return true;
  }

  #withSelfLink(projectId: string, clusterId: string, job: RestoreJob): RestoreJob {
    if (job.links !== undefined) return job;
    const href = `${this.baseUrl}/groups/${projectId}/clusters/${clusterId}/restoreJobs/${job.id}`;
    return { ...job, links: [{ href, rel: 'self' }] };
  }

  #absolute(x: Exchange): URL {
    return new URL(`${x.url.pathname}${x.url.search}`, this.origin);
  }

  // ---- authentication -----------------------------------------------------------------------------

  /** True when the call may proceed; otherwise the answer has been sent. */
  #authenticate(x: Exchange): boolean {
    // Neither API keys nor service accounts configured: an open server, handy for paging tests.
    if (!this.#digest && !this.#oauth) return true;
    const header = x.req.headers.authorization;
    if (!header) {
      this.#sendUnauthorized(x, 'NO_CURRENT_USER', 'This resource requires authentication.', false);
      return false;
    }
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const credentials = space < 0 ? '' : header.slice(space + 1);
    if (scheme === 'digest' && this.#digest) {
      const verdict = this.#digest.verify(credentials, x.req.method ?? 'GET', x.target);
      if (verdict.ok) return true;
      if (verdict.failure === 'malformed')
        this.#sendError(x, 400, 'INVALID_AUTHORIZATION_HEADER', verdict.detail);
      else if (verdict.failure === 'stale')
        this.#sendUnauthorized(x, 'NO_CURRENT_USER', verdict.detail, true);
      else this.#sendUnauthorized(x, 'USER_UNAUTHORIZED', verdict.detail, false);
      return false;
    }
    if (scheme === 'bearer' && this.#oauth) {
      const verdict = this.#oauth.verify(credentials.trim());
      if (verdict.ok) return true;
      this.#sendUnauthorized(x, 'USER_UNAUTHORIZED', verdict.detail, false, 'invalid_token');
      return false;
    }
    this.#sendUnauthorized(
      x,
      'USER_UNAUTHORIZED',
      `The ${scheme} authentication scheme is not accepted here: use ${this.#digest ? 'Digest' : 'Bearer'}.`,
      false,
    );
    return false;
  }

  /**
   * 401 with one `WWW-Authenticate` header: a Digest challenge when API keys exist (as Cloud Manager
   * always offers Digest), otherwise a Bearer one. A single header keeps challenge parsing unambiguous.
   */
  #sendUnauthorized(
    x: Exchange,
    errorCode: string,
    detail: string,
    stale: boolean,
    bearerError?: string,
  ): void {
    const headers: Record<string, string> = {};
    if (this.#digest) {
      headers['WWW-Authenticate'] = this.#digest.challenge(stale);
      this.#stats.challenges += 1;
      if (stale) this.#stats.staleChallenges += 1;
    } else if (this.#oauth) {
      headers['WWW-Authenticate'] =
        `Bearer realm="${DIGEST_REALM}"${bearerError ? `, error="${bearerError}"` : ''}`;
    }
    this.#sendError(x, 401, errorCode, detail, headers);
  }

  // ---- OAuth --------------------------------------------------------------------------------------

  async #handleOAuth(x: Exchange): Promise<void> {
    const isToken = x.url.pathname === TOKEN_PATH;
    if (isToken) this.#stats.tokenRequests += 1;
    const fault = this.#takeFault(x, (f) => f.kind !== 'empty-page');
    if (fault && (await this.#applyFault(x, fault)) === 'answered') return;
    if (x.req.method !== 'POST') {
      this.#sendOAuthError(x, 405, 'invalid_request', 'Use POST.', { Allow: 'POST' });
      return;
    }
    if (isToken && !this.#tokenLimiter.tryTake('token', this.#nowMs())) {
      this.#stats.rateLimited += 1;
      this.#sendError(
        x,
        429,
        'RATE_LIMITED',
        `Resource ${TOKEN_PATH} is limited to ${this.#tokenLimiter.limit} requests every 1 minutes.`,
      );
      return;
    }
    const body = await readBody(x.req, 16 * 1024);
    if (body === undefined) {
      this.#sendOAuthError(x, 400, 'invalid_request', 'The request body is too large.');
      return;
    }
    const contentType = (x.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/x-www-form-urlencoded') {
      this.#sendOAuthError(
        x,
        400,
        'invalid_request',
        'Content-Type must be application/x-www-form-urlencoded.',
      );
      return;
    }
    const clientId = this.#authenticateClient(x.req.headers.authorization);
    if (clientId === undefined) {
      this.#sendOAuthError(x, 401, 'invalid_client', 'Client authentication failed.', {
        'WWW-Authenticate': `Basic realm="${DIGEST_REALM}"`,
      });
      return;
    }
    const form = new URLSearchParams(body);
    if (isToken) {
      const grantType = form.get('grant_type');
      if (grantType === null) {
        this.#sendOAuthError(x, 400, 'invalid_request', 'grant_type is missing.');
      } else if (grantType !== 'client_credentials') {
        this.#sendOAuthError(
          x,
          400,
          'unsupported_grant_type',
          'Only grant_type=client_credentials is supported.',
        );
      } else {
        // RFC 6749 §5.1: token answers must not be cached.
        this.#sendJson(x, 200, this.#oauth?.issue(clientId), {
          'Cache-Control': 'no-store',
          Pragma: 'no-cache',
        });
      }
      return;
    }
    const token = form.get('token');
    if (token === null) {
      this.#sendOAuthError(x, 400, 'invalid_request', 'token is missing.');
      return;
    }
    this.#oauth?.revoke(clientId, token);
    this.#write(x, 200, {}, '');
  }

  /** The client id from `Basic base64(clientId:clientSecret)` when it names a service account. */
  #authenticateClient(header: string | undefined): string | undefined {
    if (!this.#oauth || !header || !/^basic /i.test(header)) return undefined;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const clientId = decoded.slice(0, colon);
    return this.#oauth.authenticateClient(clientId, decoded.slice(colon + 1)) ? clientId : undefined;
  }

  #sendOAuthError(
    x: Exchange,
    status: number,
    error: string,
    description: string,
    headers: Record<string, string> = {},
  ): void {
    this.#write(
      x,
      status,
      { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
      JSON.stringify({ error, error_description: description }),
    );
  }

  // ---- faults -------------------------------------------------------------------------------------

  #takeFault(x: Exchange, applies: (fault: SimulatorFault) => boolean): SimulatorFault | undefined {
    const fault = this.#faults.take({ pathname: x.url.pathname, target: x.target }, applies);
    if (fault) {
      this.#stats.faults += 1;
      x.record.fault = fault.kind;
    }
    return fault;
  }

  async #applyFault(x: Exchange, fault: SimulatorFault): Promise<FaultOutcome> {
    switch (fault.kind) {
      case 'status': {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
        this.#sendError(
          x,
          fault.status,
          fault.errorCode ?? defaultErrorCode(fault.status),
          fault.detail ?? `Injected fault: HTTP ${fault.status}.`,
          headers,
        );
        return 'answered';
      }
      case 'delay':
        await this.#pause(fault.ms, x);
        return isGone(x) ? 'answered' : 'continue';
      case 'malformed-json':
        this.#write(
          x,
          200,
          { 'Content-Type': 'application/json' },
          '{"results": [{"id": "5f3a<html>Bad gateway',
        );
        return 'answered';
      case 'reset':
        x.record.status = 0;
        x.req.socket.resetAndDestroy();
        return 'answered';
      case 'reset-mid-body': {
        const full = JSON.stringify({ results: [], links: [], totalCount: 0, padding: 'x'.repeat(4096) });
        x.record.status = 200;
        x.res.writeHead(200, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(full),
        });
        x.res.write(full.slice(0, full.length / 2), () => x.req.socket.destroy());
        return 'answered';
      }
      case 'body':
        this.#write(
          x,
          fault.status ?? 200,
          { 'Content-Type': 'application/json' },
          JSON.stringify(fault.body) ?? '',
        );
        return 'answered';
      case 'empty-page':
        return 'continue';
    }
  }

  // ---- writing ------------------------------------------------------------------------------------

  #sendError(
    x: Exchange,
    status: number,
    errorCode: string,
    detail: string,
    headers: Record<string, string> = {},
  ): void {
    this.#sendJson(x, status, apiErrorBody(status, errorCode, detail), headers);
  }

  /** JSON with the caller's `pretty` and `envelope` flags applied. */
  #sendJson(x: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const payload = x.envelope ? { status, [this.#envelopeKey]: body } : body;
    const text = x.pretty ? JSON.stringify(payload, null, 2) : JSON.stringify(payload);
    this.#write(x, status, { 'Content-Type': 'application/json', ...headers }, text);
  }

  #write(x: Exchange, status: number, headers: Record<string, string>, text: string): void {
    if (isGone(x)) return;
    x.record.status = status;
    x.res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(text) });
    x.res.end(text);
  }

  /** Real-time wait that ends early when the client hangs up or the simulator stops. */
  #pause(ms: number, x: Exchange): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const socket = x.req.socket;
      const wake = (): void => {
        clearTimeout(timer);
        socket.off('close', wake);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      socket.once('close', wake);
      this.#sleepers.add(wake);
    });
  }

  #nowMs(): number {
    return this.#now().getTime();
  }
}

function optionProblems(options: SimulatorOptions): string[] {
  const problems: string[] = [];
  const positive = (value: number | undefined, what: string, integer = false) => {
    if (value === undefined) return;
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      problems.push(`${what} must be a ${integer ? 'whole ' : ''}number greater than 0`);
    }
  };
  positive(options.tokenTtlSeconds, 'tokenTtlSeconds');
  positive(options.requestsPerMinutePerProject, 'requestsPerMinutePerProject', true);
  positive(options.tokenRequestsPerMinute, 'tokenRequestsPerMinute', true);
  positive(options.digest?.nonceTtlMs, 'digest.nonceTtlMs');
  if (options.latencyMs !== undefined && !(options.latencyMs >= 0))
    problems.push('latencyMs must be 0 or more');
  if (options.host !== undefined && !isLoopbackHost(options.host)) {
    problems.push(`host ${options.host} is not a loopback address (use 127.0.0.1, ::1 or localhost)`);
  }
  if (
    options.tls &&
    !(options.tls.key?.includes('PRIVATE KEY') && options.tls.cert?.includes('CERTIFICATE'))
  ) {
    problems.push('tls needs a PEM private key (key) and a PEM certificate (cert)');
  }
  for (const [index, key] of (options.apiKeys ?? []).entries()) {
    if (!key.publicKey || !key.privateKey)
      problems.push(`apiKeys[${index}] needs a publicKey and a privateKey`);
  }
  for (const [index, account] of (options.serviceAccounts ?? []).entries()) {
    if (!account.clientId || !account.clientSecret) {
      problems.push(`serviceAccounts[${index}] needs a clientId and a clientSecret`);
    }
  }
  return problems;
}

function routeOf(pathname: string): ApiRoute {
  const segments = pathname.slice(API_PREFIX.length).split('/').slice(1);
  const [groups, projectId, clusters, clusterId, restoreJobs, jobId] = segments;
  if (groups !== 'groups' || !projectId || clusters !== 'clusters') return { kind: 'unknown' };
  if (segments.length === 3) return { kind: 'clusters', projectId };
  if (!clusterId || restoreJobs !== 'restoreJobs') return { kind: 'unknown' };
  if (segments.length === 5) return { kind: 'jobs', projectId, clusterId };
  if (segments.length === 6 && jobId) return { kind: 'job', projectId, clusterId, jobId };
  return { kind: 'unknown' };
}

/** The project a call is about (the rate limit is per project), whatever the rest of the path. */
function projectOf(pathname: string): string | undefined {
  const [groups, projectId] = pathname.slice(API_PREFIX.length).split('/').slice(1);
  return groups === 'groups' && projectId ? projectId : undefined;
}

function authSchemeOf(header: string | undefined): AuthScheme {
  if (!header) return 'none';
  const scheme = header.split(' ', 1)[0]?.toLowerCase();
  if (scheme === 'digest') return 'Digest';
  if (scheme === 'bearer') return 'Bearer';
  if (scheme === 'basic') return 'Basic';
  return 'other';
}

/** The `empty-page` fault: no results although `totalCount` says this page should have some. */
function asEmptyPage<T>(
  page: { results: T[]; links: unknown[]; totalCount: number },
  request: { pageNum: number; itemsPerPage: number },
) {
  const firstOnPage = (request.pageNum - 1) * request.itemsPerPage + 1;
  return { ...page, results: [], totalCount: Math.max(page.totalCount, firstOnPage) };
}

function isGone(x: Exchange): boolean {
  return x.res.writableEnded || x.res.destroyed || x.req.socket.destroyed;
}

/** The request body, or undefined when it is larger than `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even when too large, so the connection stays usable for the error answer.
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= limit) chunks.push(buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks).toString('utf8');
}
