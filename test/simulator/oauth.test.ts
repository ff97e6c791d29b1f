import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { API_KEY, getJson, ManualClock, PROJECT } from './http-support.ts';

const ACCOUNT = { clientId: 'mdb_sa_id_0123456789abcdef', clientSecret: 'mdb_sa_sk_test-secret' };

const basic = (clientId: string, clientSecret: string) =>
  `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;

describe('OAuth 2.0 service accounts', () => {
  let clock: ManualClock;
  let sim: CloudManagerSimulator;
  let clustersUrl: string;

  beforeEach(async () => {
    clock = new ManualClock();
    sim = new CloudManagerSimulator({
      apiKeys: [API_KEY],
      serviceAccounts: [ACCOUNT],
      tokenTtlSeconds: 600,
      now: clock.now,
    });
    await sim.start();
    sim.addCluster({ projectId: PROJECT });
    clustersUrl = `${sim.baseUrl}/groups/${PROJECT}/clusters`;
  });

  afterEach(async () => {
    await sim.stop();
  });

  function requestToken(
    overrides: { authorization?: string; contentType?: string; body?: string; path?: string } = {},
  ) {
    return getJson(`${sim.origin}${overrides.path ?? '/api/oauth/token'}`, {
      method: 'POST',
      headers: {
        Authorization: overrides.authorization ?? basic(ACCOUNT.clientId, ACCOUNT.clientSecret),
        'Content-Type': overrides.contentType ?? 'application/x-www-form-urlencoded',
      },
      body: overrides.body ?? 'grant_type=client_credentials',
    });
  }

  async function accessToken(): Promise<string> {
    const answer = await requestToken();
    return String(answer.body.access_token);
  }

  it('issues a bearer token for client credentials at the origin, outside the API path', async () => {
    // Act
    const answer = await requestToken();

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600 });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(sim.stats().tokenRequests).toBe(1);
  });

  it('accepts API calls with the bearer token', async () => {
    // Prepare
    const token = await accessToken();

    // Act
    const answer = await getJson(clustersUrl, { headers: { Authorization: `Bearer ${token}` } });

    // Assess
    expect(answer.status).toBe(200);
    expect(sim.requests.at(-1)?.authScheme).toBe('Bearer');
  });

  it('rejects a token once it has expired on the injected clock', async () => {
    // Prepare
    const token = await accessToken();
    clock.advance(600_000);

    // Act
    const answer = await getJson(clustersUrl, { headers: { Authorization: `Bearer ${token}` } });

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 401, errorCode: 'USER_UNAUTHORIZED' });
    expect(answer.headers.get('www-authenticate')).toMatch(/^Digest realm="MMS Public API"/);
    expect(answer.text).not.toContain(token);
  });

  it('rejects an unknown token with 401', async () => {
    // Act
    const answer = await getJson(clustersUrl, { headers: { Authorization: 'Bearer made-up' } });

    // Assess
    expect(answer.status).toBe(401);
  });

  it('offers a Bearer challenge when no API keys are configured', async () => {
    // Prepare
    const oauthOnly = new CloudManagerSimulator({ serviceAccounts: [ACCOUNT] });
    await oauthOnly.start();
    oauthOnly.addProject(PROJECT);

    try {
      // Act
      const answer = await getJson(`${oauthOnly.baseUrl}/groups/${PROJECT}/clusters`);

      // Assess
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="MMS Public API"');
      expect(oauthOnly.stats().challenges).toBe(0);
    } finally {
      await oauthOnly.stop();
    }
  });

  it.each([
    ['a wrong secret', basic(ACCOUNT.clientId, 'wrong')],
    ['an unknown client', basic('someone', ACCOUNT.clientSecret)],
    ['no Basic credentials', 'Bearer x'],
  ])('answers %s with 401 invalid_client', async (_what, authorization) => {
    // Act
    const answer = await requestToken({ authorization });

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 'invalid_client' });
    expect(answer.text).not.toContain(ACCOUNT.clientSecret);
  });

  it('answers a grant other than client_credentials with 400 unsupported_grant_type', async () => {
    // Act
    const answer = await requestToken({ body: 'grant_type=password' });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('answers a missing grant_type or a JSON body with 400 invalid_request', async () => {
    // Act
    const missing = await requestToken({ body: 'scope=x' });
    const json = await requestToken({
      contentType: 'application/json',
      body: '{"grant_type":"client_credentials"}',
    });

    // Assess
    expect([missing.status, json.status]).toEqual([400, 400]);
    expect(missing.body).toMatchObject({ error: 'invalid_request' });
    expect(json.body).toMatchObject({ error: 'invalid_request' });
  });

  it('limits the token endpoint to 10 requests a minute, counting again in the next minute', async () => {
    // Prepare
    clock.ms = Date.parse('2026-11-28T08:00:00.000Z');
    const statuses: number[] = [];

    // Act
    for (let i = 0; i < 11; i++) statuses.push((await requestToken()).status);
    const limited = await requestToken();
    clock.advance(60_000);
    const nextMinute = await requestToken();

    // Assess
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses[10]).toBe(429);
    expect(limited.body).toMatchObject({ error: 429, errorCode: 'RATE_LIMITED' });
    expect(nextMinute.status).toBe(200);
    expect(sim.stats()).toMatchObject({ tokenRequests: 13, rateLimited: 2 });
  });

  it('revokes a token so the API stops accepting it', async () => {
    // Prepare
    const token = await accessToken();

    // Act
    const revoke = await requestToken({
      path: '/api/oauth/revoke',
      body: `token=${encodeURIComponent(token)}`,
    });
    const answer = await getJson(clustersUrl, { headers: { Authorization: `Bearer ${token}` } });

    // Assess
    expect(revoke.status).toBe(200);
    expect(answer.status).toBe(401);
  });
});
