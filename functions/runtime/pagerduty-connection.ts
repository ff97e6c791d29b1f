/**
 * Chooses how PagerDuty is reached, the same way for the CLI and the Lambda: `alerts.pagerduty.proxyUrl`
 * when set (the Lambda's only way: a VPC whose one way out is a proxy); else, for the CLI only, the
 * environment's `HTTPS_PROXY` / `NO_PROXY` (Node's rules, as for Cloud Manager); else direct. Trust is
 * Node's default roots: PagerDuty's certificate is public.
 */
import { OutboundConnection } from '../adapters/outbound-connection.ts';
import type { Config } from '../core/config.ts';
import { proxySettingFrom, proxySupportProblems } from './proxy-setting.ts';

export const PAGERDUTY_PROXY_SETTING = 'alerts.pagerduty.proxyUrl';

export interface PagerDutyConnectionInput {
  config: Pick<Config, 'alerts'>;
  /** The CLI passes its environment (HTTPS_PROXY, NO_PROXY); the Lambda passes none. */
  proxyEnvironment?: Readonly<Record<string, string | undefined>>;
  /** @default process.versions.node */
  nodeVersion?: string;
}

/** Problems that would make PagerDuty calls silently go direct although a proxy is set. */
export function pagerDutyConnectionProblems(input: PagerDutyConnectionInput): string[] {
  const proxy = proxySettingFrom(input.config.alerts.pagerduty.proxyUrl, input.proxyEnvironment);
  return proxySupportProblems(proxy, PAGERDUTY_PROXY_SETTING, input.nodeVersion);
}

export function createPagerDutyConnection(input: PagerDutyConnectionInput): OutboundConnection {
  return new OutboundConnection({
    proxy: proxySettingFrom(input.config.alerts.pagerduty.proxyUrl, input.proxyEnvironment),
    proxyUrlSetting: PAGERDUTY_PROXY_SETTING,
    // A run sends a few events, five minutes after the last run's: a tunnel kept open in between
    // would be found closed by the proxy's idle timeout (or frozen with the Lambda), costing a retry.
    keepAlive: false,
  });
}
