/**
 * How the Cloud Manager client reaches the API: which certificate authorities it trusts and whether
 * it goes through an HTTP proxy. One `CloudManagerConnection` per process (the composition root
 * builds it from the configuration), holding keep-alive agents that every request reuses.
 *
 * 1. **Trust.** Node's default roots and, with `cloudManager.caFile`, the certificates of that file
 *    *in addition*, never instead: a public Cloud Manager keeps working.
 * 2. **Proxy.** None; `cloudManager.proxyUrl` (every Cloud Manager request is tunnelled through it
 *    with CONNECT); or the CLI's environment (`HTTPS_PROXY`, `NO_PROXY`: Node's own rules).
 * 3. Only Cloud Manager calls use this. The agents, the proxy rules and what (1) and (2) mean in
 *    detail are the shared `OutboundConnection`'s (../outbound-connection.ts).
 *
 * After a TLS failure, `inspectCertificate` opens one more connection (same trust, same proxy) that
 * accepts any certificate, reads the server's certificate and closes before a byte of HTTP is sent,
 * so the error can say which names it carries, who issued it and when it expires.
 */
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';
import { OutboundConnection, type ProxySetting } from '../outbound-connection.ts';

export interface CloudManagerConnectionOptions {
  /** PEM certificates trusted in addition to the default roots (the contents of `cloudManager.caFile`). */
  extraCaPem?: string;
  /** Where `extraCaPem` came from, for messages (e.g. the caFile path). */
  caSource?: string;
  /** @default { kind: 'none' } */
  proxy?: ProxySetting;
}

/** What a TLS failure message needs to know about the certificate the server presented. */
export interface PeerCertificateSummary {
  subject?: string;
  issuer?: string;
  /** DNS names and IP addresses of subjectAltName (or the subject CN when there is none). */
  names: string[];
  validFrom?: Date;
  validTo?: Date;
  selfSigned: boolean;
}

/** PeerCertificate fields hold `CN` etc. as strings, or arrays when repeated. */
function distinguishedName(name: PeerCertificate['subject'] | undefined): string | undefined {
  if (!name) return undefined;
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  return first(name.CN) ?? first(name.O) ?? undefined;
}

function dateOf(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The facts of a peer certificate that a person fixing TLS needs. */
export function summariseCertificate(
  cert: PeerCertificate | DetailedPeerCertificate,
): PeerCertificateSummary {
  const names = (cert.subjectaltname ?? '')
    .split(',')
    .map((entry) => entry.trim().replace(/^(DNS|IP Address):/, ''))
    .filter((entry) => entry !== '');
  const subject = distinguishedName(cert.subject);
  const issuer = distinguishedName(cert.issuer);
  const validFrom = dateOf(cert.valid_from);
  const validTo = dateOf(cert.valid_to);
  // With the chain (getPeerCertificate(true)) a self-signed certificate is its own issuer.
  const issuerCertificate = 'issuerCertificate' in cert ? cert.issuerCertificate : undefined;
  const selfSigned = issuerCertificate
    ? issuerCertificate.fingerprint256 === cert.fingerprint256
    : subject !== undefined && subject === issuer;
  return {
    ...(subject ? { subject } : {}),
    ...(issuer ? { issuer } : {}),
    names: names.length > 0 ? names : subject ? [subject] : [],
    ...(validFrom ? { validFrom } : {}),
    ...(validTo ? { validTo } : {}),
    selfSigned,
  };
}

export class CloudManagerConnection extends OutboundConnection {
  /** What `cloudManager.caFile` added, for messages; undefined with the default roots only. */
  readonly caSource: string | undefined;

  constructor(options: CloudManagerConnectionOptions = {}) {
    super({
      ...(options.extraCaPem ? { extraCaPem: options.extraCaPem } : {}),
      proxy: options.proxy ?? { kind: 'none' },
      proxyUrlSetting: 'cloudManager.proxyUrl',
    });
    this.caSource = options.extraCaPem ? (options.caSource ?? 'the extra CA certificates') : undefined;
  }

  /**
   * The certificate `url`'s server presents, read over a connection that accepts any certificate and
   * is closed right after the handshake (no request is sent). Undefined when it cannot be read.
   */
  async inspectCertificate(url: URL, timeoutMs = 5_000): Promise<PeerCertificateSummary | undefined> {
    if (url.protocol !== 'https:') return undefined;
    const agent = new HttpsAgent({
      keepAlive: false,
      // Only to read the certificate for an error message: the socket is closed before any HTTP.
      rejectUnauthorized: false,
      ...(this.ca ? { ca: this.ca } : {}),
      ...(this.proxyEnv ? { proxyEnv: this.proxyEnv } : {}),
    });
    try {
      return await new Promise<PeerCertificateSummary | undefined>((resolve) => {
        const request = httpsRequest(url.origin, { method: 'HEAD', agent, timeout: timeoutMs });
        const finish = (summary: PeerCertificateSummary | undefined) => {
          resolve(summary);
          request.destroy();
        };
        request.on('socket', (socket) => {
          const tlsSocket = socket as TLSSocket;
          const read = () => {
            const cert = tlsSocket.getPeerCertificate(true);
            finish(cert && Object.keys(cert).length > 0 ? summariseCertificate(cert) : undefined);
          };
          // Through a proxy tunnel the agent hands over a socket whose handshake is already done.
          if (Object.keys(tlsSocket.getPeerCertificate?.() ?? {}).length > 0) read();
          else tlsSocket.once('secureConnect', read);
        });
        request.on('timeout', () => finish(undefined));
        request.on('error', () => finish(undefined));
        request.end();
      });
    } finally {
      agent.destroy();
    }
  }
}

/** Direct, default roots: what a client without an explicit connection uses. */
export const DIRECT_CONNECTION = new CloudManagerConnection();
