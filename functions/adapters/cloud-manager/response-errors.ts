/**
 * Turns a non-2xx answer into the typed error a person can act on. Upstream `detail` is scrubbed of
 * every secret the client knows plus anything shaped like a download link or a token, then truncated.
 */
import { REDACTED, scrubText } from '../../core/redact.ts';
import {
  CloudManagerAuthError,
  type CloudManagerError,
  CloudManagerNotFoundError,
  CloudManagerRateLimitError,
  CloudManagerResponseError,
  type CredentialKind,
} from './errors.ts';
import { errorBodySchema, tokenErrorSchema } from './restore-job-schema.ts';
import { parseRetryAfter } from './retry.ts';
import type { HttpExchange } from './transport.ts';

const MAX_DETAIL = 300;

export interface ErrorContext {
  target: string;
  credentialKind: CredentialKind;
  /** Public key or client id, shown shortened so the reader can tell which credential failed. */
  credentialHint: string;
  /** Attempts made so far, counting this one. */
  attempts: number;
  /** Every secret the client holds, removed from upstream text. */
  secrets: ReadonlyArray<string | undefined>;
  now: number;
  retryAfterCapMs: number;
}

/** First characters of an identifier; enough to recognise it, too few to matter if it was misplaced. */
export function credentialHint(value: string): string {
  const prefix = /^mdb_sa_id_/.exec(value)?.[0] ?? '';
  const rest = value.slice(prefix.length);
  return `${prefix}${rest.slice(0, 4)}${rest.length > 4 ? '…' : ''}`;
}

/**
 * `field: value`, `field=value`, `"field":"value"` and `field value` for secret-bearing field names:
 * catches an echoed job or token the client has never seen (so `scrubText` cannot know the value).
 */
const SECRET_ASSIGNMENT =
  /(["']?\b(?:url|urlV2|authValue|authBearer|authHeader|access_token|accessToken|client_secret|clientSecret|privateKey|password|token)["']?\s*[:=]\s*["']?|\b(?:authValue|authBearer|privateKey|client_secret|clientSecret|access_token|password)\s+)(?!\[redacted\])[^\s"',;)}\]&]+/gi;

export function scrubDetail(
  text: string | undefined,
  secrets: ReadonlyArray<string | undefined>,
): string | undefined {
  if (text === undefined) return undefined;
  const clean = scrubText(text.replace(/\s+/g, ' ').trim(), secrets).replace(
    SECRET_ASSIGNMENT,
    `$1${REDACTED}`,
  );
  if (clean === '') return undefined;
  return clean.length > MAX_DETAIL ? `${clean.slice(0, MAX_DETAIL)}…` : clean;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface UpstreamError {
  errorCode?: string;
  detail?: string;
}

function readErrorBody(exchange: HttpExchange, secrets: ReadonlyArray<string | undefined>): UpstreamError {
  const parsed = errorBodySchema.safeParse(parseJson(exchange.text));
  if (!parsed.success) return {};
  const out: UpstreamError = {};
  if (parsed.data.errorCode) out.errorCode = parsed.data.errorCode;
  const detail = scrubDetail(parsed.data.detail ?? parsed.data.reason, secrets);
  if (detail) out.detail = detail;
  return out;
}

const afterAttempts = (attempts: number) => (attempts > 1 ? ` after ${attempts} attempts` : '');
const codeSuffix = (status: number, errorCode?: string) => `${status}${errorCode ? ` ${errorCode}` : ''}`;
const detailSuffix = (detail?: string) => (detail ? `. Cloud Manager said: "${detail}"` : '');

function credentialName(ctx: ErrorContext): string {
  return ctx.credentialKind === 'apiKey'
    ? `API key ${ctx.credentialHint}`
    : `service account ${ctx.credentialHint}`;
}

/** Advice per auth failure; the fix for an access-list problem is not the fix for a wrong key. */
function authAdvice(ctx: ErrorContext, status: number, errorCode?: string): string {
  const isKey = ctx.credentialKind === 'apiKey';
  if (errorCode === 'IP_ADDRESS_NOT_ON_WHITELIST') {
    return `this machine's IP address is not on the ${isKey ? 'API key' : 'service account'}'s API access list: add the egress IP (for the Lambda, its NAT gateway's Elastic IP) to the access list in Cloud Manager (Access Manager > ${isKey ? 'API Keys' : 'Service Accounts'})`;
  }
  if (errorCode === 'NOT_IN_GROUP' || status === 403) {
    return `the ${isKey ? 'key' : 'service account'} has no access to this project: grant it at least the Project Read Only role on the project`;
  }
  return isKey
    ? 'check that CLOUD_MANAGER_PUBLIC_KEY and CLOUD_MANAGER_PRIVATE_KEY belong together and the key still exists, that it has access to this project, and that this IP is on its access list'
    : 'check that the service account still exists and has access to this project, and that this IP is on its access list';
}

export function authError(
  exchange: HttpExchange,
  ctx: ErrorContext,
  why?: string,
  cause?: unknown,
): CloudManagerAuthError {
  const upstream = readErrorBody(exchange, ctx.secrets);
  const message = `Cloud Manager rejected ${credentialName(ctx)} for ${ctx.target} (${codeSuffix(exchange.status, upstream.errorCode)})${why ? `, ${why}` : ''}: ${authAdvice(ctx, exchange.status, upstream.errorCode)}${detailSuffix(upstream.detail)}`;
  return new CloudManagerAuthError(message, {
    target: ctx.target,
    status: exchange.status,
    credentialKind: ctx.credentialKind,
    ...upstream,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The typed error for any API answer outside 2xx. 401/403 digest and token handling happen before. */
export function errorForApiResponse(exchange: HttpExchange, ctx: ErrorContext): CloudManagerError {
  const { status } = exchange;
  const upstream = readErrorBody(exchange, ctx.secrets);
  const fields = { target: ctx.target, status, ...upstream };
  const retryAfterMs = parseRetryAfter(exchange.headers.get('retry-after'), ctx.now, ctx.retryAfterCapMs);
  if (status >= 300 && status < 400) {
    let where = 'elsewhere';
    try {
      const location = exchange.headers.get('location');
      if (location) where = new URL(location, 'http://relative.invalid').origin;
    } catch {
      // an unreadable Location is still a redirect; say "elsewhere"
    }
    return new CloudManagerResponseError(
      `Cloud Manager answered ${ctx.target} with a redirect (${status}) to ${where === 'http://relative.invalid' ? 'another path' : where}; redirects are not followed so credentials stay with the configured host: set cloudManager.baseUrl to the API's final URL (…/api/public/v1.0, https)`,
      fields,
    );
  }
  if (status === 401 || status === 403) return authError(exchange, ctx);
  if (status === 404) {
    const what = upstream.errorCode?.includes('JOB') ? 'the restore job' : 'the project or cluster';
    return new CloudManagerNotFoundError(
      `Cloud Manager found no ${ctx.target.includes('/restoreJobs/') ? 'restore job' : 'such resource'} for ${ctx.target} (${codeSuffix(status, upstream.errorCode)}): check that ${what} id in the configuration is right and that ${credentialName(ctx)} can see the project${detailSuffix(upstream.detail)}`,
      fields,
    );
  }
  // Documented as 400 `RATE_LIMITED_IP`: a rate limit in all but status code, so treated as one.
  if (status === 429 || upstream.errorCode === 'RATE_LIMITED_IP' || upstream.errorCode === 'RATE_LIMITED') {
    return new CloudManagerRateLimitError(
      `Cloud Manager rate-limited ${ctx.target} (${codeSuffix(status, upstream.errorCode)})${afterAttempts(ctx.attempts)}: lower cloudManager.requestsPerMinute, poll less often, or check for other clients using the same project's budget${detailSuffix(upstream.detail)}`,
      { ...fields, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    );
  }
  if (status >= 500) {
    return new CloudManagerResponseError(
      `Cloud Manager failed to answer ${ctx.target} (${codeSuffix(status, upstream.errorCode)})${afterAttempts(ctx.attempts)}: usually transient; if it persists check the Cloud Manager / Ops Manager status${detailSuffix(upstream.detail)}`,
      { ...fields, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    );
  }
  return new CloudManagerResponseError(
    `Cloud Manager refused ${ctx.target} (${codeSuffix(status, upstream.errorCode)})${detailSuffix(upstream.detail)}`,
    fields,
  );
}

/** The typed error for a token endpoint answer outside 2xx (RFC 6749 §5.2). */
export function errorForTokenResponse(exchange: HttpExchange, ctx: ErrorContext): CloudManagerError {
  const { status } = exchange;
  if (status === 429) {
    const upstream = readErrorBody(exchange, ctx.secrets);
    const retryAfterMs = parseRetryAfter(exchange.headers.get('retry-after'), ctx.now, ctx.retryAfterCapMs);
    return new CloudManagerRateLimitError(
      `Cloud Manager's token endpoint rate-limited ${credentialName(ctx)} (${codeSuffix(status, upstream.errorCode)}; it allows about 10 requests a minute): the client caches tokens for their lifetime, so other clients probably share this service account${detailSuffix(upstream.detail)}`,
      { target: ctx.target, status, ...upstream, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    );
  }
  if (status >= 500 || (status >= 300 && status < 400)) return errorForApiResponse(exchange, ctx);
  const parsed = tokenErrorSchema.safeParse(parseJson(exchange.text));
  const oauthError = parsed.success ? parsed.data.error : undefined;
  const description = parsed.success ? scrubDetail(parsed.data.error_description, ctx.secrets) : undefined;
  const fromApiBody = readErrorBody(exchange, ctx.secrets);
  const errorCode = oauthError ?? fromApiBody.errorCode;
  const detail = description ?? fromApiBody.detail;
  const credentialProblem =
    status === 401 ||
    status === 403 ||
    errorCode === 'invalid_client' ||
    errorCode === 'unauthorized_client' ||
    errorCode === 'invalid_grant';
  if (credentialProblem) {
    const advice =
      errorCode === 'IP_ADDRESS_NOT_ON_WHITELIST'
        ? authAdvice(ctx, status, errorCode)
        : 'check CLOUD_MANAGER_CLIENT_ID and CLOUD_MANAGER_CLIENT_SECRET, and that the secret has not expired or been revoked (Access Manager > Service Accounts)';
    return new CloudManagerAuthError(
      `Cloud Manager's token endpoint rejected ${credentialName(ctx)} (${codeSuffix(status, errorCode)}): ${advice}${detailSuffix(detail)}`,
      {
        target: ctx.target,
        status,
        credentialKind: ctx.credentialKind,
        ...(errorCode ? { errorCode } : {}),
        ...(detail ? { detail } : {}),
      },
    );
  }
  return new CloudManagerResponseError(
    `Cloud Manager's token endpoint refused the request (${codeSuffix(status, errorCode)})${detailSuffix(detail)}`,
    { target: ctx.target, status, ...(errorCode ? { errorCode } : {}), ...(detail ? { detail } : {}) },
  );
}
