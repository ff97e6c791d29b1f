/**
 * The CLI's AWS SDK clients (a real state table, an SNS topic) honour `HTTPS_PROXY` / `HTTP_PROXY` /
 * `NO_PROXY` as its Cloud Manager and PagerDuty calls do, with Node's rules: an on-call engineer
 * behind a corporate proxy runs `incidents`, `report` or `silence add` against the production table.
 * The SDK builds its own agents, which neither `NODE_USE_ENV_PROXY` nor `setGlobalProxyFromEnv`
 * reaches (measured on Node 24.21, docs/deploy.md), so each client is handed the agents of an
 * `OutboundConnection` that carries the environment as Node's `proxyEnv`.
 *
 * Without a proxy variable the SDK keeps its own defaults, untouched. The embedded state (dynalite on
 * loopback) never goes through a proxy; the Lambda never uses this (its clients go direct or through
 * VPC endpoints).
 */
import { OutboundConnection } from '../adapters/outbound-connection.ts';
import { ConfigError } from '../core/config.ts';
import { proxySettingFrom, proxySupportProblems } from '../runtime/proxy-setting.ts';

export interface AwsNetwork {
  /** Spread into an AWS SDK client's constructor options. */
  clientOptions: { requestHandler?: ReturnType<OutboundConnection['agents']> };
  /** Where the calls go through, for messages; undefined when direct. */
  proxy?: string;
  close(): void;
}

/** The network of the CLI's AWS clients from its environment; throws `ConfigError` when a proxy is set on a Node that would ignore it. */
export function awsNetwork(
  env: Readonly<Record<string, string | undefined>>,
  nodeVersion?: string,
): AwsNetwork {
  const proxy = proxySettingFrom(undefined, env);
  if (proxy.kind === 'none') return { clientOptions: {}, close: () => {} };
  const problems = proxySupportProblems(proxy, 'HTTPS_PROXY', nodeVersion);
  if (problems.length > 0) throw new ConfigError('the environment', problems);
  const connection = new OutboundConnection({ proxy });
  const described = connection.describeProxy();
  return {
    clientOptions: { requestHandler: connection.agents() },
    ...(described ? { proxy: described } : {}),
    close: () => connection.close(),
  };
}

/**
 * For a state-table failure while the environment names a proxy: where the AWS calls went and what
 * to do if the proxy is what failed (a proxy's refusal reaches the SDK as a bare HTTP status).
 */
export function awsProxyHint(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const proxy = proxySettingFrom(undefined, env);
  if (proxy.kind === 'none') return undefined;
  const connection = new OutboundConnection({ proxy });
  const described = connection.describeProxy();
  connection.close();
  return `The AWS calls went through the proxy ${described ?? 'of the environment'}: if it refused them, let it pass the AWS endpoints, or exempt them with NO_PROXY.`;
}
