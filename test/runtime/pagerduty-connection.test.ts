/**
 * How the CLI and the Lambda choose the way to PagerDuty: `alerts.pagerduty.proxyUrl` wins, the
 * CLI's environment comes next, direct otherwise (the rule Cloud Manager follows, proxy-setting.ts);
 * a proxy on a Node that would ignore it is a problem naming the PagerDuty key.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutboundConnection } from '../../functions/adapters/outbound-connection.ts';
import { parseConfig } from '../../functions/core/config.ts';
import {
  createPagerDutyConnection,
  pagerDutyConnectionProblems,
} from '../../functions/runtime/pagerduty-connection.ts';

const TARGETS = [{ projectId: '5f1e2d3c4b5a697887766554' }];
const plain = parseConfig({ targets: TARGETS });
const withProxyUrl = parseConfig({
  targets: TARGETS,
  // The Cloud Manager proxy is another one: PagerDuty never takes it.
  cloudManager: { proxyUrl: 'http://cm-proxy.internal:3128' },
  alerts: { pagerduty: { proxyUrl: 'http://pd-proxy.internal:8080' } },
});

const made: OutboundConnection[] = [];
afterEach(() => {
  for (const connection of made.splice(0)) connection.close();
  vi.unstubAllEnvs();
});
const connect = (input: Parameters<typeof createPagerDutyConnection>[0]) => {
  const connection = createPagerDutyConnection(input);
  made.push(connection);
  return connection;
};

describe('createPagerDutyConnection', () => {
  it('uses alerts.pagerduty.proxyUrl whatever the environment says', () => {
    const connection = connect({
      config: withProxyUrl,
      proxyEnvironment: { HTTPS_PROXY: 'http://other:1' },
    });
    expect(connection.proxy).toEqual({ kind: 'url', url: 'http://pd-proxy.internal:8080' });
    expect(connection.describeProxy()).toBe('http://pd-proxy.internal:8080 (alerts.pagerduty.proxyUrl)');
  });

  it("takes the CLI's proxy variables without a proxyUrl, naming the variable and never its credentials", () => {
    const connection = connect({
      config: plain,
      proxyEnvironment: { https_proxy: 'http://user:SENTINEL-PW@p:3128', NO_PROXY: 'localhost', OTHER: 'x' },
    });
    expect(connection.proxy).toEqual({
      kind: 'environment',
      env: { https_proxy: 'http://user:SENTINEL-PW@p:3128', NO_PROXY: 'localhost' },
    });
    expect(connection.describeProxy()).toBe('http://p:3128 (https_proxy)');
    expect(connection.proxySecrets()).toEqual(['user', 'SENTINEL-PW']);
  });

  it('goes direct without either; without an environment passed (the Lambda) the process HTTPS_PROXY is not read', () => {
    vi.stubEnv('HTTPS_PROXY', 'http://process-proxy:3128');
    expect(connect({ config: plain }).proxy).toEqual({ kind: 'none' });
    expect(connect({ config: plain, proxyEnvironment: { NO_PROXY: '*' } }).describeProxy()).toBeUndefined();
  });
});

describe('pagerDutyConnectionProblems', () => {
  it('refuses alerts.pagerduty.proxyUrl on a Node whose agents would ignore it', () => {
    expect(pagerDutyConnectionProblems({ config: withProxyUrl, nodeVersion: '22.20.0' })).toEqual([
      'alerts.pagerduty.proxyUrl is set, but Node 22.20.0 cannot send requests through a proxy this way: use Node 22.21+ or 24.5+ (e.g. npx -y -p node@24 ...)',
    ]);
  });

  it('has nothing to say without a proxy, or on a Node that supports it', () => {
    expect(pagerDutyConnectionProblems({ config: plain, nodeVersion: '22.18.0' })).toEqual([]);
    expect(pagerDutyConnectionProblems({ config: withProxyUrl, nodeVersion: '24.5.0' })).toEqual([]);
  });
});
