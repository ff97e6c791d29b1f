/**
 * Chooses how Cloud Manager is reached, the same way for the CLI and the Lambda:
 *
 * - trust: Node's default roots, plus the certificates of `cloudManager.caFile` (read by the loader);
 * - proxy: `cloudManager.proxyUrl` when set (the Lambda's only way: a VPC that reaches the API through
 *   a proxy); else, for the CLI only, the environment's `HTTPS_PROXY` / `NO_PROXY` (Node's rules);
 *   else direct.
 *
 * A proxy on a Node whose agents ignore `proxyEnv` (before 22.21 / 24.5) would silently go direct: that
 * is reported as a problem instead.
 */
import {
  CloudManagerConnection,
  nodeSupportsAgentProxy,
  PROXY_URL_VARIABLES,
  PROXY_VARIABLES,
  type ProxySetting,
} from '../adapters/cloud-manager/connection.ts';
import type { Config } from '../core/config.ts';

export interface ConnectionInput {
  config: Config;
  /** The certificates of `cloudManager.caFile`, as read and checked by the loader. */
  caBundle?: { pem: string; source: string };
  /** The CLI passes its environment (HTTPS_PROXY, NO_PROXY); the Lambda passes none. */
  proxyEnvironment?: Readonly<Record<string, string | undefined>>;
  /** @default process.versions.node */
  nodeVersion?: string;
}

export function proxySettingFor(input: ConnectionInput): ProxySetting {
  const proxyUrl = input.config.cloudManager.proxyUrl;
  if (proxyUrl) return { kind: 'url', url: proxyUrl };
  const env = input.proxyEnvironment;
  if (!env || !PROXY_URL_VARIABLES.some((name) => env[name])) return { kind: 'none' };
  const copy: Record<string, string> = {};
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (value) copy[name] = value;
  }
  return { kind: 'environment', env: copy };
}

/** Problems that would make the connection silently different from what was asked for. */
export function connectionProblems(input: ConnectionInput): string[] {
  const proxy = proxySettingFor(input);
  const version = input.nodeVersion ?? process.versions.node;
  if (proxy.kind === 'none' || nodeSupportsAgentProxy(version)) return [];
  const what = proxy.kind === 'url' ? 'cloudManager.proxyUrl' : 'HTTPS_PROXY / HTTP_PROXY';
  return [
    `${what} is set, but Node ${version} cannot send requests through a proxy this way: use Node 22.21+ or 24.5+ (e.g. npx -y -p node@24 ...)`,
  ];
}

export function createCloudManagerConnection(input: ConnectionInput): CloudManagerConnection {
  return new CloudManagerConnection({
    ...(input.caBundle ? { extraCaPem: input.caBundle.pem, caSource: input.caBundle.source } : {}),
    proxy: proxySettingFor(input),
  });
}
