import { afterEach, describe, expect, it } from 'vitest';
import { CloudManagerAuthError } from '../../../functions/adapters/cloud-manager/client.ts';
import type {
  CloudManagerSimulator,
  SimulatorOptions,
} from '../../../functions/simulator/cloud-manager-simulator.ts';
import {
  API_KEY,
  addTarget,
  clientFor,
  SERVICE_ACCOUNT,
  SERVICE_ACCOUNT_CREDENTIALS,
  startSimulator,
} from './client-fixtures.ts';

let sim: CloudManagerSimulator;
afterEach(async () => {
  await sim?.stop();
});

async function simulatorWithJobs(options: SimulatorOptions = {}) {
  sim = await startSimulator(options);
  const target = addTarget(sim);
  sim.addRestoreJob(target.projectId, target.clusterId);
  return target;
}

describe('Digest authentication (API keys)', () => {
  it('costs exactly one HTTP request per call after the first challenge', async () => {
    // Prepare
    const target = await simulatorWithJobs();
    const client = clientFor(sim);

    // Act
    for (let i = 0; i < 10; i++) await client.listRestoreJobs(target);

    // Assess
    expect(sim.stats()).toMatchObject({ requests: 11, challenges: 1, staleChallenges: 0 });
    expect(sim.requests.map((r) => `${r.authScheme} ${r.status}`)).toEqual([
      'none 401',
      ...Array.from({ length: 10 }, () => 'Digest 200'),
    ]);
    expect(client.stats).toMatchObject({ requests: 11, apiCalls: 10, challenges: 1, retries: 0 });
  });

  it('shares the first challenge between concurrent calls', async () => {
    const target = await simulatorWithJobs();
    const client = clientFor(sim);
    await Promise.all(Array.from({ length: 8 }, () => client.listRestoreJobs(target)));
    expect(sim.stats().challenges).toBe(1);
    expect(sim.stats().requests).toBe(9);
  });

  it('keeps one request per call under concurrency once the nonce is cached (nc never collides)', async () => {
    const target = await simulatorWithJobs();
    const client = clientFor(sim);
    await client.listRestoreJobs(target);
    sim.resetStats();
    await Promise.all(Array.from({ length: 30 }, () => client.listRestoreJobs(target)));
    expect(sim.stats()).toMatchObject({ requests: 30, challenges: 0, staleChallenges: 0 });
  });

  it.each([
    ['MD5 with qop=auth', { algorithm: 'MD5', qop: 'auth' }],
    ['SHA-256 with qop=auth', { algorithm: 'SHA-256', qop: 'auth' }],
    ['legacy MD5 without qop (RFC 2069)', { algorithm: 'MD5', qop: 'none' }],
    ['legacy SHA-256 without qop', { algorithm: 'SHA-256', qop: 'none' }],
  ] as const)('authenticates with %s', async (_name, digest) => {
    const target = await simulatorWithJobs({ digest });
    const client = clientFor(sim);
    expect(await client.listRestoreJobs(target)).toHaveLength(1);
    expect(await client.listRestoreJobs(target)).toHaveLength(1);
    expect(sim.stats()).toMatchObject({ requests: 3, challenges: 1 });
  });

  it('recovers a stale nonce transparently with one extra request', async () => {
    // Prepare
    const target = await simulatorWithJobs();
    const client = clientFor(sim);
    await client.listRestoreJobs(target);
    sim.expireNonces();
    sim.resetStats();

    // Act
    const jobs = await client.listRestoreJobs(target);
    const next = await client.listRestoreJobs(target);

    // Assess
    expect(jobs).toHaveLength(1);
    expect(next).toHaveLength(1);
    expect(sim.stats()).toMatchObject({ requests: 3, staleChallenges: 1 });
    expect(client.stats.staleRetries).toBe(1);
  });

  it('recovers when nonces expire by age on the server clock', async () => {
    // Prepare
    let now = Date.parse('2026-05-01T00:00:00Z');
    const target = await simulatorWithJobs({ digest: { nonceTtlMs: 60_000 }, now: () => new Date(now) });
    const client = clientFor(sim);
    await client.listRestoreJobs(target);

    // Act
    now += 61_000;
    const jobs = await client.listRestoreJobs(target);

    // Assess
    expect(jobs).toHaveLength(1);
    expect(sim.stats().staleChallenges).toBe(1);
  });

  it('fails wrong keys with CloudManagerAuthError after exactly one challenge and one answer', async () => {
    // Prepare
    const target = await simulatorWithJobs();
    const client = clientFor(sim, {
      credentials: { kind: 'apiKey', publicKey: API_KEY.publicKey, privateKey: 'not-the-private-key' },
    });

    // Act
    const error = await client.listRestoreJobs(target).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CloudManagerAuthError);
    expect(error).toMatchObject({ status: 401, credentialKind: 'apiKey', retryable: false });
    expect((error as Error).message).toMatch(/API key PUBK…/);
    expect((error as Error).message).toMatch(/CLOUD_MANAGER_PRIVATE_KEY/);
    expect(sim.stats().requests).toBe(2);
    expect(client.stats.retries).toBe(0);
  });

  it('fails revoked access at once, without a retry storm', async () => {
    // Prepare
    const target = await simulatorWithJobs();
    const client = clientFor(sim);
    await client.listRestoreJobs(target);
    sim.revokeAccess(target.projectId, 401);
    sim.resetStats();

    // Act
    const error = await client.listRestoreJobs(target).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CloudManagerAuthError);
    expect(sim.stats().requests).toBe(1);
  });

  it('explains an IP access list refusal (403 IP_ADDRESS_NOT_ON_WHITELIST)', async () => {
    const target = await simulatorWithJobs();
    sim.revokeAccess(target.projectId, 403);
    const error = await clientFor(sim)
      .listRestoreJobs(target)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerAuthError);
    expect(error).toMatchObject({ status: 403, errorCode: 'IP_ADDRESS_NOT_ON_WHITELIST' });
    expect((error as Error).message).toMatch(/access list/);
    expect(sim.stats().requests).toBe(2);
  });
});

describe('OAuth 2.0 (service accounts)', () => {
  it('fetches one token and reuses it across many calls', async () => {
    // Prepare
    const target = await simulatorWithJobs();
    const client = clientFor(sim, { credentials: SERVICE_ACCOUNT_CREDENTIALS });

    // Act
    for (let i = 0; i < 10; i++) await client.listRestoreJobs(target);

    // Assess
    expect(sim.stats()).toMatchObject({ tokenRequests: 1, requests: 11 });
    expect(sim.requests.filter((r) => r.path.endsWith('/restoreJobs')).map((r) => r.authScheme)).toEqual(
      Array.from({ length: 10 }, () => 'Bearer'),
    );
    expect(client.stats).toMatchObject({ tokenFetches: 1, apiCalls: 10 });
  });

  it('asks for the token with Basic auth and a client_credentials form (the simulator answers 400 otherwise)', async () => {
    const target = await simulatorWithJobs();
    await clientFor(sim, { credentials: SERVICE_ACCOUNT_CREDENTIALS }).listClusters(target.projectId);
    const token = sim.requests.find((r) => r.path === '/api/oauth/token');
    expect(token).toMatchObject({ method: 'POST', authScheme: 'Basic', status: 200 });
  });

  it('shares one token request between concurrent calls', async () => {
    const target = await simulatorWithJobs();
    const client = clientFor(sim, { credentials: SERVICE_ACCOUNT_CREDENTIALS });
    await Promise.all(Array.from({ length: 6 }, () => client.listRestoreJobs(target)));
    expect(sim.stats().tokenRequests).toBe(1);
  });

  it('refreshes a token shortly before it expires, by the injected clock', async () => {
    // Prepare
    let now = 0;
    const target = await simulatorWithJobs({ tokenTtlSeconds: 600 });
    const client = clientFor(sim, { credentials: SERVICE_ACCOUNT_CREDENTIALS, now: () => now });

    // Act
    await client.listRestoreJobs(target);
    now = 539_000; // 600 s lifetime, refresh margin 60 s
    await client.listRestoreJobs(target);
    now = 540_000;
    await client.listRestoreJobs(target);

    // Assess
    expect(sim.stats().tokenRequests).toBe(2);
  });

  it('refreshes once and retries once when the API refuses a cached token', async () => {
    // Prepare: the server's clock runs ahead, so the cached token died early
    let serverNow = Date.parse('2026-05-01T00:00:00Z');
    const target = await simulatorWithJobs({ tokenTtlSeconds: 3600, now: () => new Date(serverNow) });
    const client = clientFor(sim, { credentials: SERVICE_ACCOUNT_CREDENTIALS });
    await client.listRestoreJobs(target);
    serverNow += 3601_000;
    sim.resetStats();

    // Act
    const jobs = await client.listRestoreJobs(target);

    // Assess
    expect(jobs).toHaveLength(1);
    expect(sim.requests.map((r) => `${r.method} ${r.authScheme} ${r.status}`)).toEqual([
      'GET Bearer 401',
      'POST Basic 200',
      'GET Bearer 200',
    ]);
  });

  it('fails an invalid client secret with CloudManagerAuthError naming the fix', async () => {
    const target = await simulatorWithJobs();
    const client = clientFor(sim, {
      credentials: {
        kind: 'serviceAccount',
        clientId: SERVICE_ACCOUNT.clientId,
        clientSecret: 'wrong-secret',
      },
    });
    const error = await client.listRestoreJobs(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerAuthError);
    expect(error).toMatchObject({ errorCode: 'invalid_client', credentialKind: 'serviceAccount' });
    expect((error as Error).message).toMatch(/CLOUD_MANAGER_CLIENT_SECRET/);
    expect(sim.stats()).toMatchObject({ tokenRequests: 1, requests: 1 });
  });

  it('fails revoked project access after one refresh, not in a loop', async () => {
    const target = await simulatorWithJobs();
    const client = clientFor(sim, { credentials: SERVICE_ACCOUNT_CREDENTIALS });
    await client.listRestoreJobs(target);
    sim.revokeAccess(target.projectId, 401);
    sim.resetStats();
    const error = await client.listRestoreJobs(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerAuthError);
    expect(sim.stats()).toMatchObject({ requests: 3, tokenRequests: 1 });
  });
});
