import { describe, expect, it } from 'vitest';
import {
  parseDigestChallenge,
  parseWwwAuthenticate,
} from '../../../functions/adapters/cloud-manager/www-authenticate.ts';

describe('parseWwwAuthenticate', () => {
  it('reads the challenge exactly as Cloud Manager documents it', () => {
    // Prepare
    const header =
      'Digest realm="MMS Public API", domain="", nonce="OSk9Y1xy0BUSAP2Y5r/dO9hh6JUKWq4g", algorithm=MD5, qop="auth", stale=false';

    // Act
    const challenge = parseDigestChallenge(header);

    // Assess
    expect(challenge).toEqual({
      realm: 'MMS Public API',
      nonce: 'OSk9Y1xy0BUSAP2Y5r/dO9hh6JUKWq4g',
      algorithm: 'MD5',
      qop: ['auth'],
      stale: false,
      userhash: false,
    });
  });

  it('tolerates the docs typo op="auth" as qop', () => {
    const challenge = parseDigestChallenge('Digest realm="MMS Public API", nonce="n1", op="auth"');
    expect(challenge?.qop).toEqual(['auth']);
  });

  it('keeps commas and escaped quotes inside quoted values', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="a, \\"quoted\\" realm", nonce="abc,def", opaque="x=y", qop="auth,auth-int"',
    );
    expect(challenge?.realm).toBe('a, "quoted" realm');
    expect(challenge?.nonce).toBe('abc,def');
    expect(challenge?.opaque).toBe('x=y');
    expect(challenge?.qop).toEqual(['auth', 'auth-int']);
  });

  it('accepts bare values, odd spacing and any letter case', () => {
    const challenge = parseDigestChallenge('digest REALM=api ,NONCE = n2 , Algorithm=sha-256,stale=TRUE');
    expect(challenge).toMatchObject({ realm: 'api', nonce: 'n2', algorithm: 'SHA-256', stale: true });
  });

  it('finds the Digest challenge among several in one header', () => {
    // Prepare: fetch joins repeated WWW-Authenticate headers with ", "
    const header = 'Basic realm="x", Bearer realm="y", error="invalid_token", Digest realm="z", nonce="n3"';

    // Act
    const all = parseWwwAuthenticate(header);
    const digest = parseDigestChallenge(header);

    // Assess
    expect(all.map((c) => c.scheme)).toEqual(['Basic', 'Bearer', 'Digest']);
    expect(all[1]?.params).toEqual({ realm: 'y', error: 'invalid_token' });
    expect(digest).toMatchObject({ realm: 'z', nonce: 'n3' });
  });

  it('skips a token68 credential without losing the next challenge', () => {
    const all = parseWwwAuthenticate('Negotiate abc==, Digest realm="r", nonce="n"');
    expect(all.map((c) => c.scheme)).toEqual(['Negotiate', 'Digest']);
    expect(all[1]?.params.nonce).toBe('n');
  });

  it('reports a legacy RFC 2069 challenge as offering no qop and MD5', () => {
    expect(parseDigestChallenge('Digest realm="r", nonce="n"')).toMatchObject({ qop: [], algorithm: 'MD5' });
  });

  it('returns undefined without a Digest challenge or without a nonce', () => {
    expect(parseDigestChallenge('Bearer realm="x"')).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="x"')).toBeUndefined();
    expect(parseDigestChallenge(null)).toBeUndefined();
  });

  it('never throws on garbage', () => {
    for (const header of [
      '=',
      '"',
      'Digest ="',
      'Digest nonce="unterminated',
      ',,,',
      'Digest a=b=c, nonce=x',
    ]) {
      expect(() => parseWwwAuthenticate(header)).not.toThrow();
    }
    expect(parseDigestChallenge('Digest nonce="unterminated')?.nonce).toBe('unterminated');
  });
});
