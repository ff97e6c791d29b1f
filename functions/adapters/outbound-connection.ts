/**
 * How an adapter reaches a service over HTTP(S) on its own agents: which certificate authorities it
 * trusts and whether it goes through an HTTP proxy. Shared by the Cloud Manager client
 * (`CloudManagerConnection` adds its certificate diagnosis) and the PagerDuty notifier; each names
 * the setting its proxy came from, so a message points at the right key.
 *
 * 1. **Trust.** Node's default roots (its bundled Mozilla store, plus `NODE_EXTRA_CA_CERTS` or
 *    `--use-system-ca` when the process was started with them) and, with `extraCaPem`, those
 *    certificates *in addition*, never instead.
 * 2. **Proxy.** None; an explicit URL (a `proxyUrl` of the configuration: every request is tunnelled
 *    through it with CONNECT); or the environment (the CLI: `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`
 *    and their lower-case forms, with exactly Node's semantics, because the agents get them as
 *    Node's own `proxyEnv` option, available from Node 22.21 and 24.5).
 * 3. Only the client handed the connection uses it. The AWS SDK builds its own agents: in the Lambda
 *    its calls go direct, or through VPC endpoints inside a VPC; the CLI hands its AWS clients the
 *    agents of a connection from the environment (functions/cli/aws-network.ts).
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { getCACertificates } from 'node:tls';

/** The variables naming a proxy, in Node's order of precedence (lower case wins). */
export const PROXY_URL_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;
/** Every variable Node's proxy support reads (`proxyEnv`). */
export const PROXY_VARIABLES = [...PROXY_URL_VARIABLES, 'no_proxy', 'NO_PROXY'] as const;

export type ProxySetting =
  | { kind: 'none' }
  /** A `proxyUrl` of the configuration: every request through this proxy, no exceptions. */
  | { kind: 'url'; url: string }
  /** The CLI's environment: Node's `HTTPS_PROXY` / `NO_PROXY` rules decide per request. */
  | { kind: 'environment'; env: Readonly<Record<string, string | undefined>> };

export interface OutboundConnectionOptions {
  /** PEM certificates trusted in addition to the default roots. */
  extraCaPem?: string;
  /** @default { kind: 'none' } */
  proxy?: ProxySetting;
  /** The configuration key an explicit proxy URL came from, for messages. @default 'proxyUrl' */
  proxyUrlSetting?: string;
  /**
   * Keep connections (and proxy tunnels) open between requests. @default true
   * Off for a caller that makes a few requests minutes apart, which an idle timeout or a frozen
   * Lambda would only find dead.
   */
  keepAlive?: boolean;
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

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNRESET: 'the connection was reset',
  ECONNREFUSED: 'the connection was refused',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  ETIMEDOUT: 'the connection timed out',
  EPIPE: 'the connection was closed while sending',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ERR_STREAM_PREMATURE_CLOSE: 'the server closed the connection',
};

/** A socket error code in words (`ECONNREFUSED`: "the connection was refused"), if it is a known one. */
export function describeNetworkCode(code: string | undefined): string | undefined {
  return code ? NETWORK_CODES[code] : undefined;
}

/** First error `code` along the cause chain (a wrapped socket error sits in `cause`). */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '' && code !== 'ABORT_ERR') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export class OutboundConnection {
  readonly proxy: ProxySetting;
  /** The trusted roots when `extraCaPem` adds to them; undefined with the defaults only. */
  protected readonly ca: string[] | undefined;
  /** What the agents get as `proxyEnv`; undefined without a proxy. */
  protected readonly proxyEnv: Record<string, string> | undefined;
  readonly #proxyUrlSetting: string;
  readonly #https: HttpsAgent;
  readonly #http: HttpAgent;

  constructor(options: OutboundConnectionOptions = {}) {
    this.proxy = options.proxy ?? { kind: 'none' };
    this.#proxyUrlSetting = options.proxyUrlSetting ?? 'proxyUrl';
    // `ca` replaces the default roots, so the defaults go first: the extra ones add, never narrow.
    this.ca = options.extraCaPem ? [...getCACertificates('default'), options.extraCaPem] : undefined;
    this.proxyEnv = proxyEnvOf(this.proxy);
    const keepAlive = options.keepAlive ?? true;
    const proxyEnv = this.proxyEnv ? { proxyEnv: this.proxyEnv } : {};
    this.#https = new HttpsAgent({ keepAlive, ...(this.ca ? { ca: this.ca } : {}), ...proxyEnv });
    this.#http = new HttpAgent({ keepAlive, ...proxyEnv });
  }

  /** The agent for a URL's scheme. */
  agentFor(url: URL): HttpAgent {
    return url.protocol === 'https:' ? this.#https : this.#http;
  }

  /** Both agents, for a client that picks one per request itself (the AWS SDK's `requestHandler`). */
  agents(): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
    return { httpAgent: this.#http, httpsAgent: this.#https };
  }

  /**
   * Where requests may be tunnelled, for messages: `http://proxy:3128 (cloudManager.proxyUrl)`, never
   * with credentials. With environment proxies NO_PROXY may still exempt a host.
   */
  describeProxy(): string | undefined {
    if (this.proxy.kind === 'url') return `${proxyOrigin(this.proxy.url)} (${this.#proxyUrlSetting})`;
    const env = this.proxyEnv;
    if (!env) return undefined;
    const name = PROXY_URL_VARIABLES.find((n) => env[n]);
    return name ? `${proxyOrigin(env[name] as string)} (${name})` : undefined;
  }

  /** Credentials of the proxy URL (the CLI's HTTPS_PROXY may carry them), to keep out of any text. */
  proxySecrets(): string[] {
    const secrets: string[] = [];
    for (const url of Object.values(this.proxyEnv ?? {})) {
      try {
        const parsed = new URL(url);
        for (const part of [parsed.username, parsed.password]) {
          if (part !== '') secrets.push(part, decodeURIComponent(part));
        }
      } catch {
        // NO_PROXY, or an unparseable URL Node will refuse anyway.
      }
    }
    return [...new Set(secrets)];
  }

  /** Closes idle keep-alive sockets (the CLI at exit; the Lambda never needs to). */
  close(): void {
    this.#https.destroy();
    this.#http.destroy();
  }
}
