import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildDigestAuthorization,
  computeDigestResponse,
  DigestAuthenticator,
} from '../../../functions/adapters/cloud-manager/digest-auth.ts';
import { parseWwwAuthenticate } from '../../../functions/adapters/cloud-manager/www-authenticate.ts';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** RFC 7616 §3.9.1 example. */
const RFC7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  method: 'GET',
  uri: '/dir/index.html',
  qop: 'auth' as const,
};

describe('computeDigestResponse', () => {
  it('matches the RFC 7616 MD5 test vector', () => {
    expect(computeDigestResponse({ ...RFC7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('matches the RFC 7616 SHA-256 test vector', () => {
    expect(computeDigestResponse({ ...RFC7616, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('matches the RFC 2617 §3.5 example', () => {
    const response = computeDigestResponse({
      algorithm: 'MD5',
      username: 'Mufasa',
      password: 'Circle Of Life',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      cnonce: '0a4f113b',
      nc: '00000001',
      qop: 'auth',
      method: 'GET',
      uri: '/dir/index.html',
    });
    expect(response).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('answers a legacy RFC 2069 challenge as MD5(HA1:nonce:HA2)', () => {
    const ha1 = md5('Mufasa:testrealm@host.com:CircleOfLife');
    const ha2 = md5('GET:/dir/index.html');
    const response = computeDigestResponse({
      algorithm: 'MD5',
      username: 'Mufasa',
      password: 'CircleOfLife',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      method: 'GET',
      uri: '/dir/index.html',
    });
    expect(response).toBe(md5(`${ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:${ha2}`));
  });

  it('binds the -sess session key to nonce and cnonce', () => {
    const ha1 = md5(`${md5('u:r:p')}:n:c`);
    const ha2 = md5('GET:/x');
    const response = computeDigestResponse({
      algorithm: 'MD5-sess',
      username: 'u',
      password: 'p',
      realm: 'r',
      nonce: 'n',
      cnonce: 'c',
      nc: '00000002',
      qop: 'auth',
      method: 'GET',
      uri: '/x',
    });
    expect(response).toBe(md5(`${ha1}:n:00000002:c:auth:${ha2}`));
  });
});

describe('buildDigestAuthorization', () => {
  it('sends qop, nc, cnonce and opaque the server can verify', () => {
    // Act
    const header = buildDigestAuthorization({
      challenge: {
        realm: 'r',
        nonce: 'n"1',
        opaque: 'op',
        algorithm: 'MD5',
        qop: ['auth'],
        stale: false,
        userhash: false,
      },
      username: 'key',
      password: 'secret',
      method: 'GET',
      uri: '/api/x?pageNum=1&itemsPerPage=500',
      nc: 26,
      cnonce: 'cn',
    });

    // Assess: parse it back as a server would
    const [parsed] = parseWwwAuthenticate(header);
    expect(parsed?.scheme).toBe('Digest');
    expect(parsed?.params).toMatchObject({
      username: 'key',
      realm: 'r',
      nonce: 'n"1',
      uri: '/api/x?pageNum=1&itemsPerPage=500',
      qop: 'auth',
      nc: '0000001a',
      cnonce: 'cn',
      opaque: 'op',
    });
    const expected = md5(
      `${md5('key:r:secret')}:n"1:0000001a:cn:auth:${md5('GET:/api/x?pageNum=1&itemsPerPage=500')}`,
    );
    expect(parsed?.params.response).toBe(expected);
    expect(header).not.toContain('secret');
  });

  it('omits qop, nc and cnonce for a legacy challenge', () => {
    const header = buildDigestAuthorization({
      challenge: { realm: 'r', nonce: 'n', algorithm: 'MD5', qop: [], stale: false, userhash: false },
      username: 'key',
      password: 'pw',
      method: 'GET',
      uri: '/x',
      nc: 1,
      cnonce: 'cn',
    });
    expect(header).not.toMatch(/qop=|nc=|cnonce=/);
  });
});

describe('DigestAuthenticator', () => {
  const challenge = {
    realm: 'r',
    nonce: 'n',
    algorithm: 'MD5',
    qop: ['auth'],
    stale: false,
    userhash: false,
  };
  const ncOf = (header: string | undefined) => parseWwwAuthenticate(header ?? '')[0]?.params.nc;
  const cnonceOf = (header: string | undefined) => parseWwwAuthenticate(header ?? '')[0]?.params.cnonce;

  it('answers nothing before the first challenge', () => {
    const auth = new DigestAuthenticator({ username: 'u', password: 'p' });
    expect(auth.authorize('http://a', 'GET', '/x')).toBeUndefined();
  });

  it('increments nc and uses a fresh cnonce for every request on a cached nonce', () => {
    // Prepare
    const auth = new DigestAuthenticator({ username: 'u', password: 'p' });
    auth.remember('http://a', challenge);

    // Act
    const headers = [1, 2, 3].map(() => auth.authorize('http://a', 'GET', '/x'));

    // Assess
    expect(headers.map(ncOf)).toEqual(['00000001', '00000002', '00000003']);
    expect(new Set(headers.map(cnonceOf)).size).toBe(3);
  });

  it('restarts nc for a new nonce but keeps counting when the same nonce comes back', () => {
    const auth = new DigestAuthenticator({ username: 'u', password: 'p' });
    auth.remember('http://a', challenge);
    auth.authorize('http://a', 'GET', '/x');
    auth.remember('http://a', { ...challenge, stale: true });
    expect(ncOf(auth.authorize('http://a', 'GET', '/x'))).toBe('00000002');
    auth.remember('http://a', { ...challenge, nonce: 'other' });
    expect(ncOf(auth.authorize('http://a', 'GET', '/x'))).toBe('00000001');
  });

  it('keeps one cnonce per nonce for -sess algorithms', () => {
    const auth = new DigestAuthenticator({ username: 'u', password: 'p' });
    auth.remember('http://a', { ...challenge, algorithm: 'SHA-256-SESS' });
    const a = auth.authorize('http://a', 'GET', '/x');
    const b = auth.authorize('http://a', 'GET', '/x');
    expect(cnonceOf(a)).toBe(cnonceOf(b));
  });

  it('lets exactly one concurrent caller fetch the first challenge', async () => {
    // Prepare
    const auth = new DigestAuthenticator({ username: 'u', password: 'p' });
    const wait = (pending: Promise<void>) => pending;

    // Act
    const first = await auth.claimChallenge('http://a', wait);
    const others = [auth.claimChallenge('http://a', wait), auth.claimChallenge('http://a', wait)];
    auth.remember('http://a', challenge);
    first?.();

    // Assess
    expect(first).toBeTypeOf('function');
    expect(await Promise.all(others)).toEqual([undefined, undefined]);
  });

  it('hands the challenge to a waiter when the first caller fails before getting one', async () => {
    const auth = new DigestAuthenticator({ username: 'u', password: 'p' });
    const wait = (pending: Promise<void>) => pending;
    const first = await auth.claimChallenge('http://a', wait);
    const second = auth.claimChallenge('http://a', wait);
    first?.();
    expect(await second).toBeTypeOf('function');
  });
});
