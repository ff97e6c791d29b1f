/**
 * Which proxy an outbound channel uses, decided the same way for each (Cloud Manager, PagerDuty) and
 * for the CLI and the Lambda alike: the channel's own `proxyUrl` of the configuration when set (the
 * Lambda's only way); else, for the CLI only, the environment's `HTTPS_PROXY` / `NO_PROXY` (Node's
 * rules); else direct.
 *
 * A proxy on a Node whose agents ignore `proxyEnv` (before 22.21 / 24.5) would silently go direct:
 * that is reported as a problem instead.
 */
import {
  nodeSupportsAgentProxy,
  PROXY_URL_VARIABLES,
  PROXY_VARIABLES,
  type ProxySetting,
} from '../adapters/outbound-connection.ts';

/** `proxyUrl` of the configuration wins; the environment (the CLI passes it, the Lambda none) next. */
export function proxySettingFrom(
  proxyUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>> | undefined,
): ProxySetting {
  if (proxyUrl) return { kind: 'url', url: proxyUrl };
  if (!env || !PROXY_URL_VARIABLES.some((name) => env[name])) return { kind: 'none' };
  const copy: Record<string, string> = {};
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (value) copy[name] = value;
  }
  return { kind: 'environment', env: copy };
}

/** What would make a channel silently go direct although a proxy is set. */
export function proxySupportProblems(
  proxy: ProxySetting,
  /** The configuration key of the channel's proxy URL, e.g. `cloudManager.proxyUrl`. */
  proxyUrlSetting: string,
  version: string = process.versions.node,
): string[] {
  if (proxy.kind === 'none' || nodeSupportsAgentProxy(version)) return [];
  const what = proxy.kind === 'url' ? proxyUrlSetting : 'HTTPS_PROXY / HTTP_PROXY';
  return [
    `${what} is set, but Node ${version} cannot send requests through a proxy this way: use Node 22.21+ or 24.5+ (e.g. npx -y -p node@24 ...)`,
  ];
}
