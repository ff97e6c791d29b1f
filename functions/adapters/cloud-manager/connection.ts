/**
 * How the Cloud Manager client reaches the API: which certificate authorities it trusts and whether
 * it goes through an HTTP proxy. One `CloudManagerConnection` per process (the composition root
 * builds it from the configuration), holding keep-alive agents that every request reuses.
 *
 * 1. **Trust.** Node's default roots (its bundled Mozilla store, plus `NODE_EXTRA_CA_CERTS` or
 *    `--use-system-ca` when the process was started with them) and, with `cloudManager.caFile`, the
 *    certificates of that file *in addition*, never instead: a public Cloud Manager keeps working.
 * 2. **Proxy.** None; an explicit URL (`cloudManager.proxyUrl`: every Cloud Manager request is
 *    tunnelled through it with CONNECT); or the environment (the CLI: `HTTPS_PROXY`, `HTTP_PROXY`,
 *    `NO_PROXY` and their lower-case forms, with exactly Node's semantics, because the agents get
 *    them as Node's own `proxyEnv` option, available from Node 22.21 and 24.5).
 * 3. Only Cloud Manager calls use this. The AWS SDK builds its own agents: its calls go direct, or
 *    through VPC endpoints inside a VPC.
 *
 * After a TLS failure, `inspectCertificate` opens one more connection (same trust, same proxy) that
 * accepts any certificate, reads the server's certificate and closes before a byte of HTTP is sent,
 * so the error can say which names it carries, who issued it and when it expires.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import {
  type DetailedPeerCertificate,
  getCACertificates,
  type PeerCertificate,
  type TLSSocket,
} from 'node:tls';

/** The variables naming a proxy, in Node's order of precedence (lower case wins). */
export const PROXY_URL_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;
/** Every variable Node's proxy support reads (`proxyEnv`). */
export const PROXY_VARIABLES = [...PROXY_URL_VARIABLES, 'no_proxy', 'NO_PROXY'] as const;

export type ProxySetting =
  | { kind: 'none' }
  /** `cloudManager.proxyUrl`: every request through this proxy, no exceptions. */
  | { kind: 'url'; url: string }
  /** The CLI's environment: Node's `HTTPS_PROXY` / `NO_PROXY` rules decide per request. */
  | { kind: 'environment'; env: Readonly<Record<string, string | undefined>> };

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

/** The Node versions whose agents honour `proxyEnv` (older ones ignore it silently). */
export function nodeSupportsAgentProxy(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21) || major === 23;
}

/** The proxy's origin without credentials, for messages and logs. */
export function proxyOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(an unparseable proxy URL)';
  }
}

function proxyEnvOf(proxy: ProxySetting): Record<string, string> | undefined {
  if (proxy.kind === 'none') return undefined;
  if (proxy.kind === 'url') return { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url };
  const env: Record<string, string> = {};
  for (const name of PROXY_VARIABLES) {
    const value = proxy.env[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  return Object.keys(env).length > 0 ? env : undefined;
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

export class CloudManagerConnection {
  /** What `cloudManager.caFile` added, for messages; undefined with the default roots only. */
  readonly caSource: string | undefined;
  readonly proxy: ProxySetting;
  readonly #ca: string[] | undefined;
  readonly #proxyEnv: Record<string, string> | undefined;
  readonly #https: HttpsAgent;
  readonly #http: HttpAgent;

  constructor(options: CloudManagerConnectionOptions = {}) {
    this.caSource = options.extraCaPem ? (options.caSource ?? 'the extra CA certificates') : undefined;
    this.proxy = options.proxy ?? { kind: 'none' };
    // `ca` replaces the default roots, so the defaults go first: the file adds, it never narrows.
    this.#ca = options.extraCaPem ? [...getCACertificates('default'), options.extraCaPem] : undefined;
    this.#proxyEnv = proxyEnvOf(this.proxy);
    const proxyEnv = this.#proxyEnv ? { proxyEnv: this.#proxyEnv } : {};
    this.#https = new HttpsAgent({ keepAlive: true, ...(this.#ca ? { ca: this.#ca } : {}), ...proxyEnv });
    this.#http = new HttpAgent({ keepAlive: true, ...proxyEnv });
  }

  /** The keep-alive agent for a URL's scheme. */
  agentFor(url: URL): HttpAgent {
    return url.protocol === 'https:' ? this.#https : this.#http;
  }

  /**
   * Where requests may be tunnelled, for messages: `http://proxy:3128 (cloudManager.proxyUrl)`.
   * With environment proxies NO_PROXY may still exempt the host; the message says "may".
   */
  describeProxy(): string | undefined {
    if (this.proxy.kind === 'url') return `${proxyOrigin(this.proxy.url)} (cloudManager.proxyUrl)`;
    const env = this.#proxyEnv;
    if (!env) return undefined;
    const name = PROXY_URL_VARIABLES.find((n) => env[n]);
    return name ? `${proxyOrigin(env[name] as string)} (${name})` : undefined;
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
      ...(this.#ca ? { ca: this.#ca } : {}),
      ...(this.#proxyEnv ? { proxyEnv: this.#proxyEnv } : {}),
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

  /** Closes idle keep-alive sockets (the CLI at exit; the Lambda never needs to). */
  close(): void {
    this.#https.destroy();
    this.#http.destroy();
  }
}

/** Direct, default roots: what a client without an explicit connection uses. */
export const DIRECT_CONNECTION = new CloudManagerConnection();
