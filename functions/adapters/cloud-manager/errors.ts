/**
 * Typed errors of the Cloud Manager client. Every one names its `target` (which project / cluster /
 * request failed) and, when the API said so, the HTTP `status`, the API's `errorCode` and its `detail`
 * (already scrubbed of secrets). Messages are written for the person reading the poll log: what is
 * wrong and how to fix it. No message ever contains a key, secret, token or download URL.
 *
 * They extend the core's `SourceError`, each with its `kind`, so the poll classifies a failure without
 * knowing this adapter exists.
 */
import { SourceError, type SourceFailureKind } from '../../core/errors.ts';

export interface CloudManagerErrorFields {
  /** What was being called, e.g. `project 5f3a… cluster 6a1b…` or `GET /groups/…/restoreJobs page 2`. */
  target: string;
  status?: number;
  errorCode?: string;
  /** Upstream `detail`, scrubbed of secrets and truncated. */
  detail?: string;
  /** Transient by nature: a later attempt may succeed (429, 5xx, network). */
  retryable?: boolean;
  cause?: unknown;
}

export class CloudManagerError extends SourceError {
  readonly target: string;
  readonly detail?: string;

  constructor(message: string, fields: CloudManagerErrorFields & { kind: SourceFailureKind }) {
    super(message, {
      kind: fields.kind,
      retryable: fields.retryable ?? false,
      ...(fields.status !== undefined ? { status: fields.status } : {}),
      ...(fields.errorCode !== undefined ? { errorCode: fields.errorCode } : {}),
      ...(fields.cause !== undefined ? { cause: fields.cause } : {}),
    });
    this.name = 'CloudManagerError';
    this.target = fields.target;
    if (fields.detail !== undefined) this.detail = fields.detail;
  }

  /** What a structured log line or `lastError` should hold: never the cause chain's internals. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      target: this.target,
      status: this.status,
      errorCode: this.errorCode,
      detail: this.detail,
      retryable: this.retryable,
    };
  }
}

/** Which credential kind was rejected: the fix differs (key pair vs service account). */
export type CredentialKind = 'apiKey' | 'serviceAccount';

/** 401/403 from the API, or the token endpoint refusing the service account. Never retried. */
export class CloudManagerAuthError extends CloudManagerError {
  readonly credentialKind: CredentialKind;
  constructor(message: string, fields: CloudManagerErrorFields & { credentialKind: CredentialKind }) {
    super(message, { ...fields, kind: 'auth', retryable: false });
    this.name = 'CloudManagerAuthError';
    this.credentialKind = fields.credentialKind;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), credentialKind: this.credentialKind };
  }
}

/** 404: the project, cluster or job does not exist (or the key cannot see it). Never retried. */
export class CloudManagerNotFoundError extends CloudManagerError {
  constructor(message: string, fields: CloudManagerErrorFields) {
    super(message, { ...fields, kind: 'not-found', retryable: false });
    this.name = 'CloudManagerNotFoundError';
  }
}

/** 429 (or the documented 400 `RATE_LIMITED_IP`): still limited when the retries ran out. */
export class CloudManagerRateLimitError extends CloudManagerError {
  /** What the server asked for via `Retry-After`, when it did. */
  readonly retryAfterMs?: number;
  constructor(message: string, fields: CloudManagerErrorFields & { retryAfterMs?: number }) {
    super(message, { ...fields, kind: 'rate-limited', retryable: true });
    this.name = 'CloudManagerRateLimitError';
    if (fields.retryAfterMs !== undefined) this.retryAfterMs = fields.retryAfterMs;
  }
}

/**
 * The server answered but not usefully: 5xx after retries (retryable), an unexpected redirect or
 * 4xx, or a structurally broken body (not JSON, `results` not an array, a job without `id`).
 */
export class CloudManagerResponseError extends CloudManagerError {
  /** Server-requested delay for 503s that carry `Retry-After`. */
  readonly retryAfterMs?: number;
  constructor(message: string, fields: CloudManagerErrorFields & { retryAfterMs?: number }) {
    // Retryable (5xx, an incomplete listing) means the API is unavailable for now; else it answered badly.
    super(message, { ...fields, kind: fields.retryable ? 'unavailable' : 'bad-response' });
    this.name = 'CloudManagerResponseError';
    if (fields.retryAfterMs !== undefined) this.retryAfterMs = fields.retryAfterMs;
  }
}

/** No usable answer: connection refused or reset, a timeout, a body cut off mid-read. */
export class CloudManagerNetworkError extends CloudManagerError {
  constructor(message: string, fields: CloudManagerErrorFields) {
    super(message, { ...fields, kind: 'unavailable', retryable: true });
    this.name = 'CloudManagerNetworkError';
  }
}

/**
 * The TLS handshake with the API failed: the certificate is not trusted (a private CA not in
 * `cloudManager.caFile`, a self-signed certificate), names another host, has expired, or the server
 * does not speak TLS on that port. Never retried: the next attempt meets the same certificate. The
 * message names the cause and the fix; `errorCode` is Node's code (e.g. `CERT_HAS_EXPIRED`).
 */
export class CloudManagerTlsError extends CloudManagerError {
  /** The host whose certificate was refused. */
  readonly host: string;
  constructor(message: string, fields: CloudManagerErrorFields & { host: string; errorCode: string }) {
    // A trust problem never heals by itself: never retried, and alerted at the first failure.
    super(message, { ...fields, kind: 'untrusted', retryable: false });
    this.name = 'CloudManagerTlsError';
    this.host = fields.host;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), host: this.host };
  }
}

/**
 * The HTTP proxy in the way did not carry the request: it refused the tunnel (403, 407 proxy
 * authentication) or could not be reached. A refusal is not retried; an unreachable proxy is.
 */
export class CloudManagerProxyError extends CloudManagerError {
  /** The proxy's origin (never its credentials). */
  readonly proxy: string;
  constructor(message: string, fields: CloudManagerErrorFields & { proxy: string }) {
    super(message, { ...fields, kind: 'unavailable' });
    this.name = 'CloudManagerProxyError';
    this.proxy = fields.proxy;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), proxy: this.proxy };
  }
}

/** A bad id or option, detected before any request was sent. Safe to show: never echoes the value. */
export class CloudManagerValidationError extends CloudManagerError {
  /** The option or argument at fault, e.g. `projectId`. */
  readonly field: string;
  constructor(message: string, fields: CloudManagerErrorFields & { field: string }) {
    super(message, { ...fields, kind: 'invalid-request', retryable: false });
    this.name = 'CloudManagerValidationError';
    this.field = fields.field;
  }
}

/** The caller's `AbortSignal` fired; `cause` is the signal's reason. Never retried. */
export class CloudManagerAbortedError extends CloudManagerError {
  constructor(target: string, reason: unknown) {
    super(`Cloud Manager call aborted by the caller (${target})`, {
      target,
      kind: 'aborted',
      cause: reason,
      retryable: false,
    });
    this.name = 'CloudManagerAbortedError';
  }
}

/**
 * True when a later attempt may succeed: rate limits, 5xx, timeouts and connection failures.
 * Auth, not-found, validation, broken bodies and aborts are not.
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof CloudManagerError && error.retryable;
}
