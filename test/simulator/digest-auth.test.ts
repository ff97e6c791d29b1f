import { afterEach, describe, expect, it } from 'vitest';
import {
  CloudManagerSimulator,
  type SimulatorOptions,
} from '../../functions/simulator/cloud-manager-simulator.ts';
import { parseAuthParams } from '../../functions/simulator/digest-auth.ts';
import {
  API_KEY,
  digestAnswer,
  fetchNonce,
  getJson,
  ManualClock,
  PROJECT,
  parseChallenge,
  requestTarget,
} from './http-support.ts';

describe('Digest authentication', () => {
  let sim: CloudManagerSimulator;
  let listUrl: string;

  async function start(options: SimulatorOptions = {}): Promise<void> {
    sim = new CloudManagerSimulator({ apiKeys: [API_KEY], ...options });
    await sim.start();
    const cluster = sim.addCluster({ projectId: PROJECT });
    listUrl = `${sim.baseUrl}/groups/${PROJECT}/clusters/${cluster.id}/restoreJobs?pageNum=1&itemsPerPage=100`;
  }

  afterEach(async () => {
    await sim.stop();
  });

  const authorized = (authorization: string) =>
    getJson(listUrl, { headers: { Authorization: authorization } });

  it('challenges a call without credentials exactly as Cloud Manager does', async () => {
    // Prepare
    await start();

    // Act
    const answer = await getJson(listUrl);

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(
      /^Digest realm="MMS Public API", domain="", nonce="[^"]+", algorithm=MD5, qop="auth", stale=false$/,
    );
    expect(answer.body).toMatchObject({ error: 401, errorCode: 'NO_CURRENT_USER', parameters: [] });
    expect(sim.stats()).toMatchObject({ challenges: 1, staleChallenges: 0 });
  });

  it('accepts an MD5 answer with qop=auth', async () => {
    // Prepare
    await start();
    const nonce = await fetchNonce(listUrl);

    // Act
    const answer = await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl) }));

    // Assess
    expect(answer.status).toBe(200);
    expect(sim.requests.map((request) => request.authScheme)).toEqual(['none', 'Digest']);
  });

  it('accepts an answer without the algorithm parameter as MD5', async () => {
    // Prepare
    await start();
    const nonce = await fetchNonce(listUrl);

    // Act
    const answer = await authorized(
      digestAnswer({ nonce, uri: requestTarget(listUrl), omitAlgorithm: true }),
    );

    // Assess
    expect(answer.status).toBe(200);
  });

  it('offers and accepts SHA-256 when configured', async () => {
    // Prepare
    await start({ digest: { algorithm: 'SHA-256' } });
    const challenge = await getJson(listUrl);
    const nonce = parseChallenge(challenge.headers.get('www-authenticate')).nonce ?? '';

    // Act
    const sha = await authorized(
      digestAnswer({ nonce, uri: requestTarget(listUrl), algorithm: 'SHA-256', nc: 1 }),
    );
    const md5 = await authorized(
      digestAnswer({ nonce, uri: requestTarget(listUrl), algorithm: 'MD5', nc: 2 }),
    );

    // Assess
    expect(challenge.headers.get('www-authenticate')).toContain('algorithm=SHA-256, qop="auth"');
    expect(sha.status).toBe(200);
    expect(md5.status).toBe(401);
  });

  it('omits qop when configured for legacy digests and accepts the RFC 2069 answer', async () => {
    // Prepare
    await start({ digest: { qop: 'none' } });
    const challenge = await getJson(listUrl);
    const header = challenge.headers.get('www-authenticate') ?? '';
    const nonce = parseChallenge(header).nonce ?? '';

    // Act
    const first = await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), qop: 'none' }));
    const again = await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), qop: 'none' }));

    // Assess
    expect(header).not.toContain('qop');
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
  });

  it('rejects an answer that leaves out qop when qop="auth" was offered', async () => {
    // Prepare
    await start();
    const nonce = await fetchNonce(listUrl);

    // Act
    const answer = await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), qop: 'none' }));

    // Assess
    expect(answer.status).toBe(401);
  });

  it('lets one nonce serve many calls while nc increases: one challenge in all', async () => {
    // Prepare
    await start();
    const nonce = await fetchNonce(listUrl);

    // Act
    const statuses: number[] = [];
    for (let nc = 1; nc <= 5; nc++) {
      statuses.push((await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), nc }))).status);
    }

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(sim.stats()).toMatchObject({ requests: 6, challenges: 1 });
  });

  it('rejects a replayed or lower nc with 401 and a fresh nonce, stale=true as the digest itself is right', async () => {
    // Prepare
    await start();
    const nonce = await fetchNonce(listUrl);
    await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), nc: 2 }));

    // Act
    const replay = await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), nc: 2 }));
    const lower = await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), nc: 1 }));

    // Assess
    expect(replay.status).toBe(401);
    expect(lower.status).toBe(401);
    expect(parseChallenge(replay.headers.get('www-authenticate')).nonce).not.toBe(nonce);
    expect(parseChallenge(replay.headers.get('www-authenticate')).stale).toBe('true');
  });

  it('answers an expired nonce with stale=true and a fresh nonce that works', async () => {
    // Prepare
    const clock = new ManualClock();
    await start({ now: clock.now, digest: { nonceTtlMs: 60_000 } });
    const nonce = await fetchNonce(listUrl);
    clock.advance(60_001);

    // Act
    const stale = await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), nc: 1 }));
    const challenge = parseChallenge(stale.headers.get('www-authenticate'));
    const retried = await authorized(
      digestAnswer({ nonce: challenge.nonce ?? '', uri: requestTarget(listUrl) }),
    );

    // Assess
    expect(stale.status).toBe(401);
    expect(challenge.stale).toBe('true');
    expect(challenge.nonce).not.toBe(nonce);
    expect(retried.status).toBe(200);
    expect(sim.stats()).toMatchObject({ challenges: 2, staleChallenges: 1 });
  });

  it('makes every nonce issued so far stale on expireNonces()', async () => {
    // Prepare
    await start();
    const nonce = await fetchNonce(listUrl);
    await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), nc: 1 }));
    sim.expireNonces();

    // Act
    const answer = await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), nc: 2 }));

    // Assess
    expect(answer.status).toBe(401);
    expect(parseChallenge(answer.headers.get('www-authenticate')).stale).toBe('true');
  });

  it.each([
    ['a wrong password', { password: 'not-the-key' }],
    ['an unknown public key', { username: 'SOMEONEELSE' }],
    ['a wrong realm', { realm: 'Other Realm' }],
  ])('answers %s with 401 USER_UNAUTHORIZED and stale=false', async (_what, overrides) => {
    // Prepare
    await start();
    const nonce = await fetchNonce(listUrl);

    // Act
    const answer = await authorized(digestAnswer({ nonce, uri: requestTarget(listUrl), ...overrides }));

    // Assess
    expect(answer.status).toBe(401);
    expect(parseChallenge(answer.headers.get('www-authenticate')).stale).toBe('false');
    expect(answer.body).toMatchObject({ error: 401, errorCode: 'USER_UNAUTHORIZED' });
    expect(answer.text).not.toContain(API_KEY.privateKey);
  });

  it('rejects an answer computed for another uri (the query counts) with 400', async () => {
    // Prepare
    await start();
    const nonce = await fetchNonce(listUrl);

    // Act
    const answer = await authorized(digestAnswer({ nonce, uri: new URL(listUrl).pathname }));

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 400, errorCode: 'INVALID_AUTHORIZATION_HEADER' });
  });

  it('challenges a Basic authorization instead of accepting it', async () => {
    // Prepare
    await start();

    // Act
    const answer = await authorized(
      `Basic ${Buffer.from(`${API_KEY.publicKey}:${API_KEY.privateKey}`).toString('base64')}`,
    );

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Digest /);
    expect(sim.requests[0]?.authScheme).toBe('Basic');
  });
});

describe('parseAuthParams', () => {
  it('reads quoted values with commas and escapes, and bare tokens', () => {
    // Act
    const params = parseAuthParams('username="a\\"b", uri="/x?y=1,2", qop=auth, nc=00000001');

    // Assess
    expect(Object.fromEntries(params)).toEqual({
      username: 'a"b',
      uri: '/x?y=1,2',
      qop: 'auth',
      nc: '00000001',
    });
  });
});
