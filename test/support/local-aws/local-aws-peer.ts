/**
 * What every local AWS peer shares: a plain HTTP server on 127.0.0.1 with an ephemeral port, the
 * loose SigV4 presence check, per-action call counts, "fail the next N calls" fault injection, and
 * the client options / environment that point the SDK at it. Each service (local-sns.ts,
 * local-secrets-manager.ts) extends `LocalAwsPeer` with its wire protocol: how a request names its
 * action, how the action runs, and how an error is written.
 *
 * Guarantees:
 * 1. One server per instance, nothing global: two peers in one test file never see each other's
 *    calls, faults or data.
 * 2. Every request is counted under its action before anything else happens to it, so a test can
 *    assert "nothing was sent" (count 0) and "the SDK retried" (count 3) alike.
 * 3. An injected fault answers exactly the number of calls it was given, in arrival order, then
 *    stops; the calls it answered never reach the service logic (nothing is recorded for them).
 * 4. A request without an `Authorization` header is refused before the service logic sees it; the
 *    signature itself is never checked (the peers accept any credentials).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Region, account and dummy credentials the peers default to. */
export const LOCAL_AWS_REGION = 'us-east-1';
export const LOCAL_AWS_ACCOUNT_ID = '123456789012';
export const LOCAL_AWS_CREDENTIALS: { readonly accessKeyId: string; readonly secretAccessKey: string } = {
  accessKeyId: 'AKIALOCALPEERTEST000',
  secretAccessKey: 'local-peer-secret-access-key-not-checked',
};

/** One request as a peer's protocol code sees it. */
export interface PeerRequest {
  headers: IncomingHttpHeaders;
  /** The raw body, UTF-8 decoded. */
  body: string;
  /** The request's query string (awsQuery also accepts parameters there). */
  search: string;
  requestId: string;
}

/** One HTTP answer. */
export interface PeerReply {
  status: number;
  contentType: string;
  body: string;
}

/** An error a peer answers with instead of running the action: the service's error code and status. */
export interface InjectedFault {
  /** The error code on the wire (awsQuery `<Code>`, JSON `__type`), e.g. `InternalError`. */
  code: string;
  status: number;
  /** @default a short text naming the injected fault */
  message?: string;
}

export interface FailNextOptions<Action extends string> {
  /** How many calls get the fault. @default 1 */
  times?: number;
  /** Only calls of this action get it (others pass untouched). @default any action */
  action?: Action;
}

/** Where a peer's ARNs live. */
export interface LocalAwsPeerOptions {
  /** Region in ARNs and in `clientConfig()` / `env()`. @default 'us-east-1' */
  region?: string;
  /** Account in ARNs. @default '123456789012' */
  accountId?: string;
}

/** Options for an SDK v3 client: the peer's endpoint, its region, dummy credentials. */
export interface LocalAwsClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

interface ScheduledFault<Action extends string> {
  fault: Required<InjectedFault>;
  remaining: number;
  action: Action | undefined;
}

/** The HTTP server, counters and fault schedule behind one local peer. */
export abstract class LocalAwsPeer<Action extends string> {
  readonly region: string;
  readonly accountId: string;
  readonly #calls = new Map<string, number>();
  #faults: Array<ScheduledFault<Action>> = [];
  #server: Server | undefined;
  #url: string | undefined;

  /** The SDK's service-specific endpoint variable, e.g. `AWS_ENDPOINT_URL_SNS`. */
  protected abstract readonly endpointEnvName: string;
  /** What the service answers to a request with no `Authorization` header. */
  protected abstract readonly missingAuthentication: Required<InjectedFault>;
  /** Names the action (for counting and fault matching) without validating anything. */
  protected abstract actionOf(request: PeerRequest): string;
  /** Runs the action. */
  protected abstract handle(action: string, request: PeerRequest): PeerReply;
  /** Writes an error the way the service does. */
  protected abstract errorReply(fault: Required<InjectedFault>, requestId: string): PeerReply;

  constructor(options: LocalAwsPeerOptions = {}) {
    this.region = options.region ?? LOCAL_AWS_REGION;
    this.accountId = options.accountId ?? LOCAL_AWS_ACCOUNT_ID;
  }

  /** `http://127.0.0.1:{port}`; throws before `start()`. */
  get url(): string {
    if (!this.#url) throw new Error('The local AWS peer is not started; call start() first');
    return this.#url;
  }

  /** Starts listening on 127.0.0.1 (ephemeral port); resolves to `url`. */
  async start(): Promise<string> {
    if (this.#url) return this.#url;
    const server = createServer((req, res) => {
      readBody(req).then(
        (body) => {
          const reply = this.#answer(req, body);
          res.writeHead(reply.status, {
            'content-type': reply.contentType,
            'content-length': Buffer.byteLength(reply.body),
            'x-amzn-requestid': reply.requestId,
          });
          res.end(reply.body);
        },
        () => res.destroy(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.#url = undefined;
    // SDK clients keep connections alive; close them so stop() does not wait for their idle timeout.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Options for the SDK client's constructor; a fresh object each time (the SDK writes into it). */
  clientConfig(): LocalAwsClientConfig {
    return { endpoint: this.url, region: this.region, credentials: { ...LOCAL_AWS_CREDENTIALS } };
  }

  /** Environment for a child process whose SDK should talk to this peer (the server stays here). */
  env(): Record<string, string> {
    return {
      [this.endpointEnvName]: this.url,
      AWS_REGION: this.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
    };
  }

  /** HTTP calls received for `action`, whatever their outcome (accepted, rejected or faulted). */
  callCount(action: Action): number {
    return this.#calls.get(action) ?? 0;
  }

  /** HTTP calls received per action name, unknown action names included. */
  callCounts(): ReadonlyMap<string, number> {
    return new Map(this.#calls);
  }

  /**
   * The next `times` calls (of `action`, when given) answer `fault` instead of running. The SDK's
   * own retries are calls too: a client with the default 3 attempts uses up 3 of a retryable fault.
   */
  failNext(fault: InjectedFault, options: FailNextOptions<Action> = {}): void {
    const times = Math.floor(options.times ?? 1);
    if (times < 1) throw new Error(`failNext needs times >= 1, got ${options.times}`);
    this.#faults.push({
      fault: { message: `Injected fault ${fault.code}`, ...fault },
      remaining: times,
      action: options.action,
    });
  }

  /** Injected faults not used up yet (a test checks that its plan was consumed). */
  pendingFaults(): number {
    return this.#faults.reduce((sum, f) => sum + f.remaining, 0);
  }

  /** Forgets counts and pending faults; subclasses also forget what they recorded. */
  reset(): void {
    this.#calls.clear();
    this.#faults = [];
  }

  #answer(req: IncomingMessage, body: string): PeerReply & { requestId: string } {
    const request: PeerRequest = {
      headers: req.headers,
      body,
      search: new URL(req.url ?? '/', 'http://local').search,
      requestId: randomUUID(),
    };
    const action = this.actionOf(request);
    this.#calls.set(action, (this.#calls.get(action) ?? 0) + 1);
    const withId = (reply: PeerReply) => ({ ...reply, requestId: request.requestId });

    if (!req.headers.authorization)
      return withId(this.errorReply(this.missingAuthentication, request.requestId));
    const scheduled = this.#faults.find((f) => f.action === undefined || f.action === action);
    if (scheduled) {
      scheduled.remaining--;
      if (scheduled.remaining === 0) this.#faults = this.#faults.filter((f) => f !== scheduled);
      return withId(this.errorReply(scheduled.fault, request.requestId));
    }
    return withId(this.handle(action, request));
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** UTF-8 length, the unit every AWS size limit is stated in. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
