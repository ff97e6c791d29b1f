/**
 * The wording of TLS failures for the cases a real handshake in the other tests does not reach: an
 * expired CA behind a valid server certificate, a certificate that could not be read, codes outside
 * the TLS families; and which Node versions honour the agents' proxy settings.
 */
import { describe, expect, it } from 'vitest';
import { tlsFailureKind, tlsFailureMessage } from '../../../functions/adapters/cloud-manager/tls-failure.ts';
import { nodeSupportsAgentProxy } from '../../../functions/adapters/outbound-connection.ts';

const NOW = new Date('2026-12-02T12:00:00Z');
const base = {
  host: 'ops.corp.example',
  port: 8443,
  target: 'GET /groups/5f1a2b3c4d5e6f7081920a1b/clusters/6a1b2c3d4e5f60718293a4b5/restoreJobs page 12',
  now: NOW,
};

describe('tlsFailureKind', () => {
  it.each([
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'untrusted'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'untrusted'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'untrusted'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'wrong-host'],
    ['CERT_HAS_EXPIRED', 'expired'],
    ['CERT_NOT_YET_VALID', 'not-yet-valid'],
    ['CERT_REVOKED', 'invalid-chain'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'handshake'],
    ['EPROTO', 'handshake'],
  ])('sorts %s as %s', (code, kind) => {
    expect(tlsFailureKind(code)).toBe(kind);
  });

  it('leaves network codes to the network error', () => {
    expect(['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', undefined].map(tlsFailureKind)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('tlsFailureMessage', () => {
  it('blames an expired CA, not the server certificate, when the server certificate is still valid', () => {
    const message = tlsFailureMessage({
      ...base,
      code: 'CERT_HAS_EXPIRED',
      caSource: 'corp-ca.pem',
      certificate: {
        names: ['ops.corp.example'],
        issuer: 'Corp Issuing CA',
        validTo: new Date('2027-03-01T00:00:00Z'),
        selfSigned: false,
      },
    });
    expect(message).toContain(
      "a CA certificate in the chain has expired (the server's own is valid until 2027-03-01T00:00:00Z",
    );
    expect(message).toContain('and corp-ca.pem');
  });

  it('still names the cause and the fix when the certificate could not be read', () => {
    expect(tlsFailureMessage({ ...base, code: 'CERT_HAS_EXPIRED' })).toContain(
      "the certificate of ops.corp.example (or one in its chain) has expired; renew the server's certificate",
    );
    expect(tlsFailureMessage({ ...base, code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' })).toContain(
      "is not signed by a CA this monitor trusts; set cloudManager.caFile to the PEM certificate of the CA that signed ops.corp.example's certificate",
    );
  });

  it('points at the chain the server sends for an invalid chain, with the port to inspect', () => {
    expect(tlsFailureMessage({ ...base, code: 'INVALID_CA' })).toContain(
      'openssl s_client -connect ops.corp.example:8443 -showcerts',
    );
  });

  it('is one line that fits a target failure (500 characters)', () => {
    const names = Array.from({ length: 40 }, (_, i) => `very-long-host-name-number-${i}.corp.example`);
    const message = tlsFailureMessage({
      ...base,
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      certificate: { names, selfSigned: false },
    });
    expect(message).toContain('and 37 more, not ops.corp.example');
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThanOrEqual(500);
  });
});

describe('nodeSupportsAgentProxy', () => {
  it('is true from Node 22.21 and 24.5, where http.Agent honours proxyEnv', () => {
    expect(['22.18.0', '22.20.0', '24.4.1'].map((v) => nodeSupportsAgentProxy(v))).toEqual([
      false,
      false,
      false,
    ]);
    expect(['22.21.0', '24.5.0', '24.21.0', '26.0.0'].map((v) => nodeSupportsAgentProxy(v))).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });
});
