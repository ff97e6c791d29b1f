import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CloudManagerAbortedError,
  CloudManagerNetworkError,
  CloudManagerNotFoundError,
  CloudManagerRateLimitError,
  CloudManagerResponseError,
  CloudManagerValidationError,
  isRetryable,
} from '../../../functions/adapters/cloud-manager/client.ts';
import type { CloudManagerSimulator } from '../../../functions/simulator/cloud-manager-simulator.ts';
import {
  API_KEY_CREDENTIALS,
  addTarget,
  clientFor,
  endlessSleep,
  memoryLogger,
  recordingSleep,
  startSimulator,
} from './client-fixtures.ts';

let sim: CloudManagerSimulator;
let target: { projectId: string; clusterId: string };
beforeEach(async () => {
  sim = await startSimulator();
  target = addTarget(sim);
  sim.addRestoreJob(target.projectId, target.clusterId);
});
afterEach(async () => {
  await sim.stop();
});

/** Status of each authenticated (answered) request, challenges left out. */
const answered = () => sim.requests.filter((r) => r.authScheme !== 'none').map((r) => r.status);

describe('retries with backoff', () => {
  it('honours Retry-After on a 429 and then succeeds', async () => {
    // Prepare
    const { sleeps, sleep } = recordingSleep();
    sim.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 7 });
    const client = clientFor(sim, { sleep });

    // Act
    const jobs = await client.listRestoreJobs(target);

    // Assess
    expect(jobs).toHaveLength(1);
    expect(sleeps).toEqual([7000]);
    expect(answered()).toEqual([429, 200]);
    expect(client.stats).toMatchObject({ rateLimited: 1, retries: 1 });
  });

  it('backs off exponentially with full jitter on a 429 without Retry-After', async () => {
    // Prepare
    const { sleeps, sleep } = recordingSleep();
    sim.injectFault({ kind: 'status', status: 429 }, { times: 3 });
    const client = clientFor(sim, { sleep, random: () => 0.5, backoff: { baseMs: 200, maxMs: 10_000 } });

    // Act
    await client.listRestoreJobs(target);

    // Assess: half of 200, 400, 800
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('gives up on a persistent 429 with CloudManagerRateLimitError after maxRetries', async () => {
    // Prepare
    const { sleeps, sleep } = recordingSleep();
    sim.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 1 }, { times: 10 });
    const client = clientFor(sim, { sleep, maxRetries: 3 });

    // Act
    const error = await client.listRestoreJobs(target).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CloudManagerRateLimitError);
    expect(error).toMatchObject({ status: 429, errorCode: 'RATE_LIMITED', retryAfterMs: 1000 });
    expect((error as Error).message).toMatch(/after 4 attempts/);
    expect(isRetryable(error)).toBe(true);
    expect(sleeps).toEqual([1000, 1000, 1000]);
    expect(answered()).toEqual([429, 429, 429, 429]);
  });

  it('retries a 503 and then succeeds', async () => {
    const { sleeps, sleep } = recordingSleep();
    sim.injectFault({ kind: 'status', status: 503 }, { times: 2 });
    const client = clientFor(sim, { sleep, backoff: { baseMs: 1000 } });
    expect(await client.listRestoreJobs(target)).toHaveLength(1);
    expect(sleeps).toEqual([500, 1000]);
  });

  it('gives up on a persistent 500 with a retryable CloudManagerResponseError', async () => {
    // Prepare
    sim.injectFault({ kind: 'status', status: 500 }, { times: 10 });
    const client = clientFor(sim, { maxRetries: 2 });

    // Act
    const error = await client.listRestoreJobs(target).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CloudManagerResponseError);
    expect(error).toMatchObject({ status: 500, errorCode: 'UNEXPECTED_ERROR', retryable: true });
    expect((error as Error).message).toMatch(/restoreJobs page 1 \(500 UNEXPECTED_ERROR\) after 3 attempts/);
    expect(answered()).toEqual([500, 500, 500]);
  });

  it.each([
    [400, 'INVALID_QUERY_PARAMETER', CloudManagerResponseError],
    [404, 'CLUSTER_NOT_FOUND', CloudManagerNotFoundError],
  ] as const)('never retries a %i', async (status, errorCode, type) => {
    const { sleeps, sleep } = recordingSleep();
    sim.injectFault({ kind: 'status', status, errorCode }, { times: 5 });
    const error = await clientFor(sim, { sleep })
      .listRestoreJobs(target)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ status, errorCode, retryable: false });
    expect(sleeps).toEqual([]);
    expect(answered()).toEqual([status]);
  });

  it('reports an unknown cluster as CloudManagerNotFoundError with the fix', async () => {
    const error = await clientFor(sim)
      .listRestoreJobs({ projectId: target.projectId, clusterId: 'aaaaaaaaaaaaaaaaaaaaaaaa' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerNotFoundError);
    expect(error).toMatchObject({ status: 404, errorCode: 'CLUSTER_NOT_FOUND' });
    expect((error as Error).message).toMatch(/check that the project or cluster id/);
  });
});

describe('network failures', () => {
  it('retries a connection reset and then succeeds', async () => {
    const { sleeps, sleep } = recordingSleep();
    sim.injectFault({ kind: 'reset' });
    const client = clientFor(sim, { sleep });
    expect(await client.listRestoreJobs(target)).toHaveLength(1);
    expect(sleeps).toHaveLength(1);
    expect(client.stats.retries).toBe(1);
  });

  it('retries a body cut off mid-read and then succeeds', async () => {
    sim.injectFault({ kind: 'reset-mid-body' });
    const client = clientFor(sim);
    expect(await client.listRestoreJobs(target)).toHaveLength(1);
    expect(client.stats.retries).toBe(1);
  });

  it('gives up on persistent resets with CloudManagerNetworkError', async () => {
    sim.injectFault({ kind: 'reset' }, { times: 10 });
    const error = await clientFor(sim, { maxRetries: 2 })
      .listRestoreJobs(target)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerNetworkError);
    expect(isRetryable(error)).toBe(true);
    expect((error as Error).message).toMatch(/restoreJobs page 1/);
    expect(sim.requests.filter((r) => r.fault === 'reset')).toHaveLength(3);
  });

  it('times out a slow answer, retries, and then succeeds', async () => {
    sim.injectFault({ kind: 'delay', ms: 5_000 });
    const client = clientFor(sim, { requestTimeoutMs: 150 });
    expect(await client.listRestoreJobs(target)).toHaveLength(1);
    expect(client.stats.retries).toBe(1);
  });

  it('gives up on persistent timeouts with CloudManagerNetworkError naming the timeout', async () => {
    sim.injectFault({ kind: 'delay', ms: 5_000 }, { times: 5 });
    const error = await clientFor(sim, { requestTimeoutMs: 100, maxRetries: 1 })
      .listRestoreJobs(target)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerNetworkError);
    expect((error as Error).message).toMatch(/within 100 ms/);
  });

  it('reports a refused connection as CloudManagerNetworkError', async () => {
    const client = clientFor(sim, { maxRetries: 1 });
    await sim.stop();
    const error = await client.listRestoreJobs(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerNetworkError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    sim = await startSimulator(); // for afterEach
  });
});

describe('validation before any request', () => {
  it.each([
    ['projectId', { projectId: '5f3a', clusterId: 'a'.repeat(24) }],
    ['clusterId', { projectId: 'a'.repeat(24), clusterId: '../../../admin?x=' }],
    ['batchId', { projectId: 'a'.repeat(24), clusterId: 'b'.repeat(24), batchId: 'z'.repeat(24) }],
  ])('rejects a bad %s with no request sent', async (field, query) => {
    const error = await clientFor(sim)
      .listRestoreJobs(query)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerValidationError);
    expect(error).toMatchObject({ field });
    expect((error as Error).message).toMatch(
      new RegExp(`^${field} must be a 24-character hexadecimal ObjectId`),
    );
    expect(sim.requests).toHaveLength(0);
  });

  it('rejects a bad jobId and a bad projectId for clusters with no request sent', async () => {
    const client = clientFor(sim);
    await expect(client.getRestoreJob({ ...target, jobId: `${'a'.repeat(23)}/` })).rejects.toMatchObject({
      name: 'CloudManagerValidationError',
      field: 'jobId',
    });
    await expect(client.listClusters('nope')).rejects.toBeInstanceOf(CloudManagerValidationError);
    expect(sim.requests).toHaveLength(0);
  });

  it.each([
    ['plain http to a remote host', 'http://cloud.mongodb.com/api/public/v1.0'],
    ['not a URL', 'cloud.mongodb.com'],
    ['credentials in the URL', 'https://user:pw@cloud.mongodb.com/api/public/v1.0'],
    ['a query string', 'https://cloud.mongodb.com/api/public/v1.0?envelope=true'],
  ])('refuses a base URL with %s', (_name, baseUrl) => {
    expect(() => clientFor(sim, { baseUrl })).toThrow(CloudManagerValidationError);
  });

  it('refuses a plain-http token URL to a remote host', () => {
    expect(() => clientFor(sim, { tokenUrl: 'http://example.com/api/oauth/token' })).toThrow(/tokenUrl/);
  });

  it('accepts https and loopback http base URLs', () => {
    expect(() => clientFor(sim, { baseUrl: 'https://ops.example.com:8443/api/public/v1.0/' })).not.toThrow();
    expect(() => clientFor(sim, { baseUrl: 'http://[::1]:8080/api/public/v1.0' })).not.toThrow();
  });
});

describe('redirects', () => {
  it('does not follow a redirect with credentials and says why', async () => {
    sim.injectFault({ kind: 'status', status: 302 });
    const error = await clientFor(sim)
      .listRestoreJobs(target)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerResponseError);
    expect((error as Error).message).toMatch(/redirect \(302\)/);
    expect(answered()).toEqual([302]);
  });
});

describe('client-side rate limiter', () => {
  it('keeps a burst under the configured rate per project, so the server never answers 429', async () => {
    // Prepare: one clock for client and server; sleeping moves it
    await sim.stop();
    let now = Date.parse('2026-05-01T00:00:00Z');
    sim = await startSimulator({ requestsPerMinutePerProject: 5, now: () => new Date(now) });
    target = addTarget(sim);
    sim.addRestoreJob(target.projectId, target.clusterId);
    const sleeps: number[] = [];
    const client = clientFor(sim, {
      requestsPerMinute: 5,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });

    // Act: 12 calls (+1 challenge) in a burst
    for (let i = 0; i < 12; i++) await client.listRestoreJobs(target);

    // Assess
    expect(sim.stats()).toMatchObject({ requests: 13, rateLimited: 0 });
    expect(client.stats.limiterWaits).toBeGreaterThan(0);
    expect(sleeps.every((ms) => ms > 0 && ms <= 60_000)).toBe(true);
    const times = sim.requests.map((r) => r.at.getTime());
    for (const t of times)
      expect(times.filter((u) => u >= t && u < t + 60_000).length).toBeLessThanOrEqual(5);
  });

  it('limits each project separately', async () => {
    const other = addTarget(sim);
    const { sleeps, sleep } = recordingSleep();
    const client = clientFor(sim, { requestsPerMinute: 2, now: () => 0, sleep });
    await client.listRestoreJobs(target); // challenge + answer: project full
    await client.listRestoreJobs(other);
    expect(sleeps).toEqual([]);
  });
});

describe('abort', () => {
  it('fails at once, with no request, when the signal already aborted', async () => {
    const error = await clientFor(sim)
      .listRestoreJobs({ ...target, signal: AbortSignal.abort(new Error('deadline')) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerAbortedError);
    expect((error as Error).cause).toMatchObject({ message: 'deadline' });
    expect(sim.requests).toHaveLength(0);
  });

  it('stops a backoff sleep and sends no further request', async () => {
    // Prepare
    const { sleeps, sleep } = endlessSleep();
    sim.injectFault({ kind: 'status', status: 503 }, { times: 10 });
    const controller = new AbortController();
    const pending = clientFor(sim, { sleep }).listRestoreJobs({ ...target, signal: controller.signal });
    await vi.waitFor(() => expect(sleeps).toHaveLength(1));

    // Act
    controller.abort(new Error('poll deadline'));
    const error = await pending.catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CloudManagerAbortedError);
    expect(isRetryable(error)).toBe(false);
    expect(answered()).toEqual([503]);
  });

  it('stops a request in flight', async () => {
    sim.injectFault({ kind: 'delay', ms: 10_000 });
    const controller = new AbortController();
    const pending = clientFor(sim).listRestoreJobs({ ...target, signal: controller.signal });
    await vi.waitFor(() => expect(sim.requests.some((r) => r.fault === 'delay')).toBe(true));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CloudManagerAbortedError);
  });

  it('stops a wait for the client-side limiter', async () => {
    const { sleeps, sleep } = endlessSleep();
    const client = clientFor(sim, { requestsPerMinute: 2, now: () => 0, sleep });
    await client.listRestoreJobs(target);
    const controller = new AbortController();
    const pending = client.listRestoreJobs({ ...target, signal: controller.signal });
    await vi.waitFor(() => expect(sleeps).toHaveLength(1));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CloudManagerAbortedError);
    expect(sim.requests).toHaveLength(2);
  });
});

describe('stats', () => {
  it('counts latency of every HTTP request and resets in place', async () => {
    const { lines, logger } = memoryLogger();
    const client = clientFor(sim, { credentials: API_KEY_CREDENTIALS, logger });
    const held = client.stats;
    await client.listRestoreJobs(target);
    expect(held.latency.count).toBe(2);
    expect(held.latency.maxMs).toBeGreaterThanOrEqual(0);
    expect(lines.filter((l) => l.startsWith('debug Cloud Manager request'))).toHaveLength(2);
    client.resetStats();
    expect(held).toMatchObject({ requests: 0, apiCalls: 0, challenges: 0 });
    expect(held.latency.count).toBe(0);
  });
});
