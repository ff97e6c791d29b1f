/**
 * What a failed TLS handshake means, in words a person can act on. Node reports a certificate
 * problem as an OpenSSL verify code (`CERT_HAS_EXPIRED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, ...), a
 * name mismatch as `ERR_TLS_CERT_ALTNAME_INVALID`, and a broken handshake as `ERR_SSL_*` / `EPROTO`.
 * Each family has a different fix: only an untrusted issuer is fixed by `cloudManager.caFile`; a
 * wrong name by the URL or the certificate; an expired certificate by renewing it. The messages say
 * which, naming the host, the certificate's names, issuer and dates when they are known.
 */
import type { PeerCertificateSummary } from './connection.ts';

/** The issuer is not among the trusted roots: fixed by trusting the CA (`cloudManager.caFile`). */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
]);

/** Other verify results Node passes through from OpenSSL: the chain itself is wrong. */
const INVALID_CHAIN = new Set([
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'UNABLE_TO_GET_CRL',
  'CRL_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
]);

export type TlsFailureKind =
  | 'untrusted'
  | 'self-signed'
  | 'wrong-host'
  | 'expired'
  | 'not-yet-valid'
  | 'invalid-chain'
  | 'handshake';

/** The family of a TLS error code, or undefined when the code is not a TLS failure. */
export function tlsFailureKind(code: string | undefined): TlsFailureKind | undefined {
  if (!code) return undefined;
  if (UNTRUSTED.has(code)) return 'untrusted';
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT') return 'self-signed';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'wrong-host';
  if (code === 'CERT_HAS_EXPIRED') return 'expired';
  if (code === 'CERT_NOT_YET_VALID') return 'not-yet-valid';
  if (INVALID_CHAIN.has(code)) return 'invalid-chain';
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO' || code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
    return 'handshake';
  }
  return undefined;
}

export interface TlsFailureContext {
  code: string;
  /** The host name (or address) of the URL, as the client asked for it. */
  host: string;
  /** The port of the URL (443 when it names none). */
  port: number;
  /** What was being called, e.g. `GET /groups/…/clusters page 1`. */
  target: string;
  /** The presented certificate, when it could be read. */
  certificate?: PeerCertificateSummary;
  /** The configured `cloudManager.caFile`, when there is one. */
  caSource?: string;
  now: Date;
}

const day = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const quoted = (value: string | undefined) => (value ? `"${value}"` : 'an unknown issuer');
/** Three names say enough; more would push the fix past the 500 characters a target failure keeps. */
const listNames = (names: readonly string[]) =>
  names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');

/** One line: what is wrong with the certificate of which host, and the fix. */
export function tlsFailureMessage(context: TlsFailureContext): string {
  const { code, host, target, certificate: cert, caSource } = context;
  const head = `TLS to ${host} failed for ${target} (${code})`;
  const trustFix = caSource
    ? `add the PEM certificate of the CA that signed ${host}'s certificate to cloudManager.caFile (${caSource} does not contain it)`
    : `set cloudManager.caFile to the PEM certificate of the CA that signed ${host}'s certificate (its path relative to the configuration file)`;
  switch (tlsFailureKind(code)) {
    case 'untrusted':
      return `${head}: its certificate${cert?.issuer ? ` is issued by ${quoted(cert.issuer)}, a CA this monitor does not trust` : ' is not signed by a CA this monitor trusts'}; ${trustFix}`;
    case 'self-signed':
      return `${head}: ${host} presents a self-signed certificate${cert?.subject ? ` (${quoted(cert.subject)})` : ''}; set cloudManager.caFile to a PEM file with that certificate, or better, give the server a certificate from your CA and put that CA in cloudManager.caFile`;
    case 'wrong-host': {
      const names = cert && cert.names.length > 0 ? listNames(cert.names) : undefined;
      return `${head}: the certificate is for ${names ?? 'other names'}, not ${host}; set cloudManager.baseUrl to a name it carries, or reissue it with ${host} in its subjectAltName (cloudManager.caFile cannot fix a name mismatch)`;
    }
    case 'expired': {
      if (cert?.validTo && cert.validTo.getTime() > context.now.getTime()) {
        return `${head}: a CA certificate in the chain has expired (the server's own is valid until ${day(cert.validTo)}, issued by ${quoted(cert.issuer)}); renew that CA and update the server's chain${caSource ? ` and ${caSource}` : ''}`;
      }
      const when = cert?.validTo ? ` expired on ${day(cert.validTo)}` : ' (or one in its chain) has expired';
      return `${head}: the certificate of ${host}${when}; renew the server's certificate (if it was renewed, check this machine's clock)`;
    }
    case 'not-yet-valid': {
      const when = cert?.validFrom ? ` before ${day(cert.validFrom)}` : ' yet';
      return `${head}: the certificate of ${host} is not valid${when}; check the clocks of this machine and of the server`;
    }
    case 'invalid-chain':
      return `${head}: the server's certificate chain is invalid${cert?.issuer ? ` (issued by ${quoted(cert.issuer)})` : ''}; fix the chain the server sends (openssl s_client -connect ${host}:${context.port} -showcerts shows it)`;
    case 'handshake':
      return `${head}: no TLS session could be agreed; check that cloudManager.baseUrl is https:// on a port that speaks TLS (not plain HTTP), and that the server accepts TLS 1.2 or 1.3`;
    default:
      return `${head}: ${trustFix}`;
  }
}
