/**
 * The configuration keys that decide how the API is reached: `cloudManager.caFile` (a path; the file
 * itself is the loaders' business), `cloudManager.proxyUrl`, `alerts.pagerduty.proxyUrl` (the same
 * rule, config-fields.ts), and `deploy.network` in its two shapes, each problem named at its field
 * and all of them at once.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigInput, parseConfig } from '../../functions/core/config.ts';

const TARGETS = [{ projectId: '5f1e2d3c4b5a697887766554' }];

/** Deliberately wrong input: typed loosely, as a JSON file would be. */
function problemsOf(input: Record<string, unknown>): readonly string[] {
  try {
    parseConfig({ targets: TARGETS, ...input }, 'test.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
const networkOf = (network: unknown) =>
  parseConfig({ targets: TARGETS, deploy: { network } } as ConfigInput, 'test.json').deploy.network;

describe('deploy.network', () => {
  it('is absent by default: the function runs outside any VPC', () => {
    expect(parseConfig({ targets: TARGETS }).deploy.network).toBeUndefined();
  });

  it('defaults a NAT network to two AZs with a NAT gateway in each', () => {
    expect(networkOf({ egress: 'nat' })).toEqual({ egress: 'nat', maxAzs: 2, natGateways: 'perAz' });
    expect(networkOf({ egress: 'nat', maxAzs: 1, natGateways: 1 })).toEqual({
      egress: 'nat',
      maxAzs: 1,
      natGateways: 1,
    });
  });

  it('takes an existing VPC by ids, with no interface endpoints unless asked', () => {
    expect(
      networkOf({ vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123abcd', 'subnet-89abcdef'] }),
    ).toEqual({
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123abcd', 'subnet-89abcdef'],
      interfaceEndpoints: [],
    });
  });

  it('checks every id by its pattern and reports all problems at once', () => {
    expect(
      problemsOf({
        deploy: {
          network: {
            vpcId: 'vpc-123',
            subnetIds: ['subnet-0123abcd', 'sg-0123abcd', 'subnet-0123abcd'],
            securityGroupIds: ['security-group-1'],
            interfaceEndpoints: ['sns', 's3'],
          },
        },
      }),
    ).toEqual([
      'deploy.network.vpcId: must be a VPC id such as vpc-0123456789abcdef0',
      'deploy.network.subnetIds[1]: must be a subnet id such as subnet-0123456789abcdef0',
      'deploy.network.subnetIds: lists a subnet twice',
      'deploy.network.securityGroupIds[0]: must be a security group id such as sg-0123456789abcdef0',
      'deploy.network.interfaceEndpoints[1]: must be one of sns, secretsmanager, logs, monitoring, xray',
    ]);
  });

  it('names the keys that belong to the other shape', () => {
    expect(problemsOf({ deploy: { network: { egress: 'nat', vpcId: 'vpc-0123abcd', maxAzs: 4 } } })).toEqual([
      'deploy.network.maxAzs: maxAzs must be 1, 2 or 3',
      'deploy.network.vpcId: belongs to an existing VPC ("vpcId" + "subnetIds") only: remove it, or switch modes',
    ]);
    expect(
      problemsOf({
        deploy: { network: { vpcId: 'vpc-0123abcd', subnetIds: ['subnet-0123abcd'], natGateways: 1 } },
      }),
    ).toEqual([
      'deploy.network.natGateways: belongs to "egress": "nat" (the stack creates the VPC) only: remove it, or switch modes',
    ]);
  });

  it('explains both shapes when the egress is unknown', () => {
    expect(problemsOf({ deploy: { network: { egress: 'internet-gateway' } } })).toEqual([
      'deploy.network.egress: must be {"egress": "nat"} (a new VPC with NAT gateways and fixed egress IPs) or {"vpcId": "vpc-...", "subnetIds": ["subnet-..."]} (an existing VPC)',
    ]);
  });
});

describe('cloudManager.caFile and cloudManager.proxyUrl', () => {
  it('keeps the caFile path as written (the loaders resolve it against the configuration file)', () => {
    const config = parseConfig({ targets: TARGETS, cloudManager: { caFile: 'certs/corp-ca.pem' } });
    expect(config.cloudManager.caFile).toBe('certs/corp-ca.pem');
  });

  it('accepts an http or https proxy given as scheme, host and port', () => {
    for (const proxyUrl of ['http://proxy.internal:3128', 'https://10.0.0.5:8443']) {
      expect(parseConfig({ targets: TARGETS, cloudManager: { proxyUrl } }).cloudManager.proxyUrl).toBe(
        proxyUrl,
      );
    }
  });

  it.each([
    ['http://user:SENTINEL-PROXY-PASSWORD@proxy:3128', 'must not contain credentials'],
    ['socks5://proxy:1080', 'must be an http:// (or https://) proxy URL'],
    ['http://proxy:3128/path', 'must be only scheme, host and port'],
    ['proxy.internal:3128', 'must be an http:// (or https://) proxy URL'],
  ])('refuses %s', (proxyUrl, expected) => {
    const problems = problemsOf({ cloudManager: { proxyUrl } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`cloudManager.proxyUrl: ${expected}`);
    expect(problems[0]).not.toContain('SENTINEL-PROXY-PASSWORD');
  });

  it('refuses an empty caFile together with every other problem', () => {
    expect(
      problemsOf({
        cloudManager: { caFile: '', proxyUrl: 'ftp://x' },
        deploy: { network: { egress: 'nat', maxAzs: 0 } },
      }),
    ).toEqual([
      'cloudManager.caFile: caFile must be the path of a PEM file',
      'cloudManager.proxyUrl: must be an http:// (or https://) proxy URL such as http://proxy.internal:3128, not ftp:',
      'deploy.network.maxAzs: maxAzs must be 1, 2 or 3',
    ]);
  });
});

describe('alerts.pagerduty.proxyUrl', () => {
  it('is absent by default: PagerDuty is called directly', () => {
    expect(parseConfig({ targets: TARGETS }).alerts.pagerduty.proxyUrl).toBeUndefined();
  });

  it('accepts a proxy given as scheme, host and port, next to the Cloud Manager one or alone', () => {
    const config = parseConfig({
      targets: TARGETS,
      cloudManager: { proxyUrl: 'http://proxy.internal:3128' },
      alerts: { pagerduty: { proxyUrl: 'http://egress.internal:8080' } },
    });
    expect(config.alerts.pagerduty.proxyUrl).toBe('http://egress.internal:8080');
    expect(config.cloudManager.proxyUrl).toBe('http://proxy.internal:3128');
  });

  it.each([
    ['http://user:SENTINEL-PROXY-PASSWORD@proxy:3128', 'must not contain credentials'],
    ['socks5://proxy:1080', 'must be an http:// (or https://) proxy URL'],
    ['http://proxy:3128/path', 'must be only scheme, host and port'],
    ['proxy.internal:3128', 'must be an http:// (or https://) proxy URL'],
  ])('refuses %s with the words of cloudManager.proxyUrl, at its own field', (proxyUrl, expected) => {
    const problems = problemsOf({ alerts: { pagerduty: { proxyUrl } } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`alerts.pagerduty.proxyUrl: ${expected}`);
    expect(problems[0]).not.toContain('SENTINEL-PROXY-PASSWORD');
  });

  it('is reported together with every other problem, the Cloud Manager proxy included', () => {
    expect(
      problemsOf({
        cloudManager: { proxyUrl: 'ftp://x' },
        alerts: {
          stuckAfterMinutes: 0,
          pagerduty: { proxyUrl: 'http://u:p@proxy:3128', minSeverity: 'loud' },
        },
      }),
    ).toEqual([
      'cloudManager.proxyUrl: must be an http:// (or https://) proxy URL such as http://proxy.internal:3128, not ftp:',
      'alerts.stuckAfterMinutes: stuckAfterMinutes must be greater than 0',
      expect.stringMatching(/^alerts\.pagerduty\.minSeverity: /),
      expect.stringMatching(/^alerts\.pagerduty\.proxyUrl: must not contain credentials/),
    ]);
  });
});
