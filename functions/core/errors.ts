/**
 * The errors the core branches on, declared here so that no core module inspects an adapter's
 * classes (the Powertools idempotency pattern: adapters translate their SDK's errors into these).
 *
 * - `SourceError`: the contract of a restore-job source's failures. `CloudManagerError` and its
 *   subclasses extend it; the poll reads `kind` (an auth failure alerts at once, a not-found names the
 *   configuration, ...), never a class name.
 * - `LeaseLostError`: another run took over; nothing may be written or published after it.
 */
import { scrubText } from './redact.ts';

/** Why a source call failed, as far as the poll cares. */
export type SourceFailureKind =
  /** Credentials refused or not allowed (401/403): retrying cannot help, alert at once. */
  | 'auth'
  /** The project or cluster does not exist (or the key cannot see it). */
  | 'not-found'
  /** Still rate limited after the source's own retries. */
  | 'rate-limited'
  /** No usable answer: network, timeout, 5xx after retries. A later poll may work. */
  | 'unavailable'
  /**
   * The API's TLS certificate is not trusted (unknown CA, wrong host name, expired): configuration,
   * not an outage. Like `auth`, it never heals by itself, so it is alerted at once.
   */
  | 'untrusted'
  /** The server answered, but not with something usable (broken body, unexpected status). */
  | 'bad-response'
  /** A bad id or option, refused before anything was sent. */
  | 'invalid-request'
  /** The caller's signal fired. */
  | 'aborted';

export interface SourceErrorFields {
  kind: SourceFailureKind;
  status?: number;
  errorCode?: string;
  /** @default true for `rate-limited` and `unavailable`, false otherwise */
  retryable?: boolean;
  cause?: unknown;
}

/** A failure of a `RestoreJobSource`. Messages are for people and must already be free of secrets. */
export class SourceError extends Error {
  readonly kind: SourceFailureKind;
  readonly status?: number;
  readonly errorCode?: string;
  /** Transient by nature: a later attempt may succeed. */
  readonly retryable: boolean;

  constructor(message: string, fields: SourceErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'SourceError';
    this.kind = fields.kind;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.errorCode !== undefined) this.errorCode = fields.errorCode;
    this.retryable = fields.retryable ?? (fields.kind === 'rate-limited' || fields.kind === 'unavailable');
  }
}

/**
 * The run lost its lease: it expired (a long pause, a frozen Lambda) and another run took it, or a
 * renewal was refused. Whoever notices it stops the run; nothing is written or published after it.
 */
export class LeaseLostError extends Error {
  readonly runId: string;
  /** The run that holds the lease now, when known. */
  readonly holder?: string;
  constructor(runId: string, options: { holder?: string; cause?: unknown } = {}) {
    super(
      `Run ${runId} lost its poll lease${options.holder ? ` to ${options.holder}` : ''} (it expired during a pause and another run took over); it stopped without writing or publishing anything more, to avoid double alerts. Nothing to do: the other run owns the work now.`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'LeaseLostError';
    this.runId = runId;
    if (options.holder !== undefined) this.holder = options.holder;
  }
}

/** A secret-free one-line description of any error, for logs, summaries and stored failures. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return scrubText(text).split('\n')[0]?.slice(0, 500) ?? 'unknown error';
}
