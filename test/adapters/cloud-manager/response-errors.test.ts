import { describe, expect, it } from 'vitest';
import {
  CloudManagerAuthError,
  CloudManagerNotFoundError,
  CloudManagerRateLimitError,
  CloudManagerResponseError,
} from '../../../functions/adapters/cloud-manager/errors.ts';
import {
  credentialHint,
  type ErrorContext,
  errorForApiResponse,
  errorForTokenResponse,
  scrubDetail,
} from '../../../functions/adapters/cloud-manager/response-errors.ts';
import type { HttpExchange } from '../../../functions/adapters/cloud-manager/transport.ts';

const ctx: ErrorContext = {
  target: 'GET /groups/5f3a00000000000000000001/clusters page 1',
  credentialKind: 'apiKey',
  credentialHint: 'ABCD…',
  attempts: 1,
  secrets: ['sentinel-secret-value'],
  now: Date.parse('2026-05-01T00:00:00Z'),
  retryAfterCapMs: 60_000,
};

const exchange = (status: number, body: unknown, headers: Record<string, string> = {}): HttpExchange => ({
  status,
  headers: new Headers(headers),
  text: typeof body === 'string' ? body : JSON.stringify(body),
  ms: 1,
});

describe('errorForApiResponse', () => {
  it.each([
    [401, 'USER_UNAUTHORIZED', CloudManagerAuthError, /CLOUD_MANAGER_PRIVATE_KEY/],
    [401, 'NOT_IN_GROUP', CloudManagerAuthError, /Project Read Only/],
    [403, 'IP_ADDRESS_NOT_ON_WHITELIST', CloudManagerAuthError, /access list/],
    [403, 'FEATURE_UNSUPPORTED', CloudManagerAuthError, /no access to this project/],
    [404, 'GROUP_NOT_FOUND', CloudManagerNotFoundError, /project or cluster id/],
    [429, 'RATE_LIMITED', CloudManagerRateLimitError, /requestsPerMinute/],
    [400, 'RATE_LIMITED_IP', CloudManagerRateLimitError, /rate-limited/],
    [500, 'UNEXPECTED_ERROR', CloudManagerResponseError, /usually transient/],
    [402, 'ACCOUNT_SUSPENDED', CloudManagerResponseError, /refused/],
  ] as const)('maps %i %s to the right type and advice', (status, errorCode, type, advice) => {
    const error = errorForApiResponse(exchange(status, { error: status, errorCode, detail: 'd' }), ctx);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ status, errorCode, detail: 'd', target: ctx.target });
    expect(error.message).toMatch(advice);
    expect(error.message).toContain(ctx.target);
  });

  it('marks 5xx and rate limits retryable, the rest not', () => {
    expect(errorForApiResponse(exchange(503, {}), ctx).retryable).toBe(true);
    expect(errorForApiResponse(exchange(429, {}), ctx).retryable).toBe(true);
    expect(errorForApiResponse(exchange(404, {}), ctx).retryable).toBe(false);
    expect(errorForApiResponse(exchange(409, {}), ctx).retryable).toBe(false);
  });

  it('copes with an error body that is not JSON', () => {
    const error = errorForApiResponse(exchange(502, '<html>Bad Gateway</html>'), ctx);
    expect(error).toMatchObject({ status: 502 });
    expect(error.errorCode).toBeUndefined();
  });

  it('keeps Retry-After on a rate limit', () => {
    const error = errorForApiResponse(exchange(429, {}, { 'retry-after': '3' }), ctx);
    expect(error).toMatchObject({ retryAfterMs: 3000 });
  });
});

describe('errorForTokenResponse', () => {
  const oauth = { ...ctx, credentialKind: 'serviceAccount' as const, target: 'POST /api/oauth/token' };

  it('turns invalid_client into CloudManagerAuthError naming the environment variables', () => {
    const error = errorForTokenResponse(
      exchange(400, { error: 'invalid_client', error_description: 'bad' }),
      oauth,
    );
    expect(error).toBeInstanceOf(CloudManagerAuthError);
    expect(error).toMatchObject({ errorCode: 'invalid_client', detail: 'bad', status: 400 });
    expect(error.message).toMatch(/CLOUD_MANAGER_CLIENT_ID and CLOUD_MANAGER_CLIENT_SECRET/);
  });

  it('reports other 4xx as a non-retryable response error', () => {
    const error = errorForTokenResponse(exchange(400, { error: 'unsupported_grant_type' }), oauth);
    expect(error).toBeInstanceOf(CloudManagerResponseError);
    expect(error.retryable).toBe(false);
  });

  it('explains a rate-limited token endpoint', () => {
    const error = errorForTokenResponse(exchange(429, {}), oauth);
    expect(error).toBeInstanceOf(CloudManagerRateLimitError);
    expect(error.message).toMatch(/10 requests a minute/);
  });
});

describe('scrubDetail', () => {
  it('removes known secrets, download links, bearer tokens and secret-looking assignments', () => {
    const text =
      'x sentinel-secret-value https://h/backup/restore/v2/pull/abc Bearer abc.def "authValue":"zzz" token=qqq url: https://a/b';
    const scrubbed = scrubDetail(text, ctx.secrets) as string;
    for (const secret of [
      'sentinel-secret-value',
      'backup/restore',
      'abc.def',
      'zzz',
      'qqq',
      'https://a/b',
    ]) {
      expect(scrubbed).not.toContain(secret);
    }
  });

  it('leaves ordinary text alone and truncates long text', () => {
    expect(scrubDetail('No cluster with ID 5f3a exists.', [])).toBe('No cluster with ID 5f3a exists.');
    expect(scrubDetail('a'.repeat(1000), [])?.length).toBe(301);
    expect(scrubDetail('   ', [])).toBeUndefined();
  });
});

describe('credentialHint', () => {
  it('shows only the first characters of a key or client id', () => {
    expect(credentialHint('ABCDEFGH')).toBe('ABCD…');
    expect(credentialHint('mdb_sa_id_65f0c4b6e9a2f71d')).toBe('mdb_sa_id_65f0…');
    expect(credentialHint('abc')).toBe('abc');
  });
});
