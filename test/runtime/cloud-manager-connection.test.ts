/**
 * How the CLI and the Lambda choose the way to Cloud Manager: `cloudManager.proxyUrl` wins, the
 * CLI's environment comes next, direct otherwise; a proxy on a Node that would ignore it is a problem.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.ts';
import { connectionProblems, proxySettingFor } from '../../functions/runtime/cloud-manager-connection.ts';

const TARGETS = [{ projectId: '5f1e2d3c4b5a697887766554' }];
const plain = parseConfig({ targets: TARGETS });
const withProxyUrl = parseConfig({
  targets: TARGETS,
  cloudManager: { proxyUrl: 'http://proxy.internal:3128' },
});

describe('proxySettingFor', () => {
  it('uses cloudManager.proxyUrl whatever the environment says', () => {
    expect(
      proxySettingFor({ config: withProxyUrl, proxyEnvironment: { HTTPS_PROXY: 'http://other:8080' } }),
    ).toEqual({ kind: 'url', url: 'http://proxy.internal:3128' });
  });

  it("takes the CLI's proxy variables, and only those", () => {
    expect(
      proxySettingFor({
        config: plain,
        proxyEnvironment: {
          https_proxy: 'http://p:1',
          NO_PROXY: 'localhost',
          CLOUD_MANAGER_PRIVATE_KEY: 'x',
        },
      }),
    ).toEqual({ kind: 'environment', env: { https_proxy: 'http://p:1', NO_PROXY: 'localhost' } });
  });

  it('goes direct with NO_PROXY alone, or without an environment (the Lambda)', () => {
    expect(proxySettingFor({ config: plain, proxyEnvironment: { NO_PROXY: '*' } })).toEqual({ kind: 'none' });
    expect(proxySettingFor({ config: plain })).toEqual({ kind: 'none' });
  });
});

describe('connectionProblems', () => {
  it('refuses a proxy on a Node whose agents would ignore it', () => {
    expect(connectionProblems({ config: withProxyUrl, nodeVersion: '22.18.0' })).toEqual([
      'cloudManager.proxyUrl is set, but Node 22.18.0 cannot send requests through a proxy this way: use Node 22.21+ or 24.5+ (e.g. npx -y -p node@24 ...)',
    ]);
    expect(
      connectionProblems({
        config: plain,
        proxyEnvironment: { HTTPS_PROXY: 'http://p:1' },
        nodeVersion: '22.20.0',
      }),
    ).toHaveLength(1);
  });

  it('has nothing to say without a proxy, or on a Node that supports it', () => {
    expect(connectionProblems({ config: plain, nodeVersion: '22.18.0' })).toEqual([]);
    expect(connectionProblems({ config: withProxyUrl, nodeVersion: '24.5.0' })).toEqual([]);
  });
});
