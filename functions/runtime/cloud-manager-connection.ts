/**
 * Chooses how Cloud Manager is reached, the same way for the CLI and the Lambda:
 *
 * - trust: Node's default roots, plus the certificates of `cloudManager.caFile` (read by the loader);
 * - proxy: `cloudManager.proxyUrl` when set (the Lambda's only way: a VPC that reaches the API through
 *   a proxy); else, for the CLI only, the environment's `HTTPS_PROXY` / `NO_PROXY` (Node's rules);
 *   else direct (proxy-setting.ts, shared with PagerDuty).
 *
 * A proxy on a Node whose agents ignore `proxyEnv` (before 22.21 / 24.5) would silently go direct: that
 * is reported as a problem instead.
 */
import { CloudManagerConnection } from '../adapters/cloud-manager/connection.ts';
import type { ProxySetting } from '../adapters/outbound-connection.ts';
import type { Config } from '../core/config.ts';
import { proxySettingFrom, proxySupportProblems } from './proxy-setting.ts';

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
  return proxySettingFrom(input.config.cloudManager.proxyUrl, input.proxyEnvironment);
}

/** Problems that would make the connection silently different from what was asked for. */
export function connectionProblems(input: ConnectionInput): string[] {
  return proxySupportProblems(proxySettingFor(input), 'cloudManager.proxyUrl', input.nodeVersion);
}

export function createCloudManagerConnection(input: ConnectionInput): CloudManagerConnection {
  return new CloudManagerConnection({
    ...(input.caBundle ? { extraCaPem: input.caBundle.pem, caSource: input.caBundle.source } : {}),
    proxy: proxySettingFor(input),
  });
}
