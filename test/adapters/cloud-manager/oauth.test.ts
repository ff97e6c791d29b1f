import { describe, expect, it } from 'vitest';
import { OAuthTokenCache, refreshMarginMs } from '../../../functions/adapters/cloud-manager/oauth.ts';

function issuer(expiresInSeconds = 3600) {
  const state = { fetches: 0, now: 0 };
  let release: (() => void) | undefined;
  const gate = { hold: false };
  const cache = new OAuthTokenCache({
    now: () => state.now,
    fetchToken: async () => {
      state.fetches += 1;
      if (gate.hold) await new Promise<void>((r) => (release = r));
      return { accessToken: `token-${state.fetches}`, expiresInSeconds };
    },
  });
  return { cache, state, gate, release: () => release?.() };
}

describe('OAuthTokenCache', () => {
  it('fetches once and serves the cached token until shortly before expiry', async () => {
    // Prepare
    const { cache, state } = issuer(3600);

    // Act
    const first = await cache.get();
    state.now = 3540_000 - 1;
    const beforeMargin = await cache.get();
    state.now = 3540_000;
    const afterMargin = await cache.get();

    // Assess
    expect(first).toEqual({ token: 'token-1', fromCache: false });
    expect(beforeMargin).toEqual({ token: 'token-1', fromCache: true });
    expect(afterMargin).toEqual({ token: 'token-2', fromCache: false });
  });

  it('refreshes short-lived tokens 10% before expiry', () => {
    expect(refreshMarginMs(3600_000)).toBe(60_000);
    expect(refreshMarginMs(100_000)).toBe(10_000);
  });

  it('shares one in-flight token request between concurrent callers', async () => {
    const { cache, state, gate, release } = issuer();
    gate.hold = true;
    const callers = Array.from({ length: 5 }, () => cache.get());
    await Promise.resolve();
    release();
    const leases = await Promise.all(callers);
    expect(state.fetches).toBe(1);
    expect(new Set(leases.map((l) => l.token))).toEqual(new Set(['token-1']));
  });

  it('lets an aborted caller leave while the shared request goes on for the others', async () => {
    const { cache, gate, release } = issuer();
    gate.hold = true;
    const controller = new AbortController();
    const leaving = cache.get(controller.signal);
    const staying = cache.get();
    controller.abort(new Error('deadline'));
    await expect(leaving).rejects.toThrow('deadline');
    release();
    await expect(staying).resolves.toMatchObject({ token: 'token-1' });
  });

  it('drops a refused token only if it is still the cached one', async () => {
    const { cache } = issuer();
    await cache.get();
    cache.invalidate('some-older-token');
    expect((await cache.get()).fromCache).toBe(true);
    cache.invalidate('token-1');
    expect(await cache.get()).toEqual({ token: 'token-2', fromCache: false });
  });

  it('retries the fetch on the next call after a failed one', async () => {
    let fail = true;
    const cache = new OAuthTokenCache({
      now: () => 0,
      fetchToken: async () => {
        if (fail) throw new Error('token endpoint down');
        return { accessToken: 't' };
      },
    });
    await expect(cache.get()).rejects.toThrow('token endpoint down');
    fail = false;
    await expect(cache.get()).resolves.toMatchObject({ token: 't' });
  });
});
