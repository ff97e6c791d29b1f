/**
 * `deploy.network` in the synthesised template: a NAT VPC with fixed egress addresses, or an existing
 * VPC joined by ids (with interface endpoints when asked), HTTPS-only security groups, the ENI
 * permission in its own acknowledged policy, cdk-nag clean; and nothing of it without the key.
 * Synthesised without bundling: the template is all these tests read.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { type ConfigInput, parseConfig } from '../../functions/core/config.ts';
import { NETWORK_INTERFACE_ACTIONS } from '../../lib/monitor-network.ts';
import { RestoreWatchStack } from '../../lib/restore-watch-stack.ts';
import { BASE_CONFIG, type BuiltStack, buildStack, cdkApp, normaliseAssetHashes } from './stack-fixture.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

const VPC_ID = 'vpc-0123456789abcdef0';
const SUBNETS = ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'];

function withNetwork(network: unknown, cloudManager?: ConfigInput['cloudManager']): BuiltStack {
  return buildStack({
    ...BASE_CONFIG,
    ...(cloudManager ? { cloudManager } : {}),
    deploy: { ...BASE_CONFIG.deploy, network } as ConfigInput['deploy'],
  });
}

function resourcesOf(template: Template, type?: string): Array<[string, Resource]> {
  const all = Object.entries(template.toJSON().Resources as Record<string, Resource>);
  return type ? all.filter(([, resource]) => resource.Type === type) : all;
}

const only = <T>(list: readonly T[]): T => {
  expect(list).toHaveLength(1);
  return list[0] as T;
};

const pollFunction = (template: Template) =>
  only(resourcesOf(template, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('Monitor')));

function nagViolations(built: BuiltStack): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.stack);
  return report.violations.map(
    (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
}

/** The policy that grants the ENI actions, and the role it is attached to. */
function networkInterfacePolicy(template: Template): [string, Resource] {
  return only(
    resourcesOf(template, 'AWS::IAM::Policy').filter(([, policy]) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('ec2:CreateNetworkInterface'),
    ),
  );
}

describe('without deploy.network', () => {
  it('creates no network resource and leaves the function outside any VPC', () => {
    const { template } = buildStack(BASE_CONFIG);
    const types = new Set(resourcesOf(template).map(([, r]) => r.Type));
    expect([...types].filter((type) => type.startsWith('AWS::EC2::'))).toEqual([]);
    expect(pollFunction(template)[1].Properties.VpcConfig).toBeUndefined();
    expect(template.toJSON().Outputs.EgressIps).toBeUndefined();
  });
});

describe('deploy.network { egress: "nat" }', () => {
  const built = withNetwork({ egress: 'nat' });
  const { template } = built;

  it('creates a VPC over two AZs taken with Fn::GetAZs, so synth needs no lookup', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    const zones = resourcesOf(template, 'AWS::EC2::Subnet').map(([, s]) => s.Properties.AvailabilityZone);
    expect(zones).toHaveLength(4);
    expect(new Set(zones.map((zone) => JSON.stringify(zone)))).toEqual(
      new Set([0, 1].map((i) => JSON.stringify({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] }))),
    );
  });

  it('gives each AZ a NAT gateway on an Elastic IP of its own, and outputs the addresses for the access list', () => {
    const eips = resourcesOf(template, 'AWS::EC2::EIP').map(([id]) => id);
    const nats = resourcesOf(template, 'AWS::EC2::NatGateway').map(([, nat]) => nat.Properties.AllocationId);
    expect(eips).toHaveLength(2);
    expect(nats).toEqual(eips.map((id) => ({ 'Fn::GetAtt': [id, 'AllocationId'] })));
    const output = template.toJSON().Outputs.EgressIps as { Value: unknown; Description: string };
    expect(output.Value).toEqual({
      'Fn::Join': [', ', eips.map((id) => ({ 'Fn::GetAtt': [id, 'PublicIp'] }))],
    });
    expect(output.Description).toContain(
      "add these addresses to the API key's (or service account's) IP access list",
    );
  });

  it('puts the function in the private subnets behind the NAT, in its own security group', () => {
    const privateSubnets = resourcesOf(template, 'AWS::EC2::Subnet')
      .filter(([id]) => id.includes('Private'))
      .map(([id]) => ({ Ref: id }));
    const group = only(resourcesOf(template, 'AWS::EC2::SecurityGroup'));
    const vpcConfig = pollFunction(template)[1].Properties.VpcConfig as Record<string, unknown>;
    expect(vpcConfig.SubnetIds).toEqual(privateSubnets);
    expect(vpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [group[0], 'GroupId'] }]);
  });

  it('lets the function out on HTTPS only, and nothing in', () => {
    const group = only(resourcesOf(template, 'AWS::EC2::SecurityGroup'))[1];
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('routes DynamoDB through a gateway endpoint in the private route tables', () => {
    const privateTables = resourcesOf(template, 'AWS::EC2::RouteTable')
      .filter(([id]) => id.includes('Private'))
      .map(([id]) => ({ Ref: id }));
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
      RouteTableIds: Match.arrayWith(privateTables),
    });
  });

  it('logs rejected traffic of the VPC', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', ResourceType: 'VPC' });
  });

  it('grants the ENI actions in a policy of their own, which the function waits for', () => {
    const [policyId, policy] = networkInterfacePolicy(template);
    const [, fn] = pollFunction(template);
    expect(policy.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'LambdaVpcNetworkInterfaces',
          Effect: 'Allow',
          Action: [...NETWORK_INTERFACE_ACTIONS].sort(),
          Resource: '*',
        },
      ],
    });
    const role = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    expect(policy.Properties.Roles).toEqual([{ Ref: role }]);
    expect(fn.DependsOn).toContain(policyId);
  });

  it('passes cdk-nag, with a reason for the acknowledged ENI wildcard', () => {
    expect(nagViolations(built)).toEqual([]);
    const acknowledged = built.stack.node
      .findAll()
      .filter((c) => c.node.path.endsWith('/Network/NetworkInterfaces'))
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'));
    expect(JSON.stringify(acknowledged)).toContain('AWSLambdaVPCAccessExecutionRole');
  });

  it('matches the reviewed template (asset hashes normalised)', () => {
    expect(normaliseAssetHashes(template.toJSON())).toMatchSnapshot();
  });
});

describe('deploy.network in a stack with an account and a region', () => {
  it('synthesises without looking anything up in the account', () => {
    const app = cdkApp();
    new RestoreWatchStack(app, 'RestoreWatch', {
      config: parseConfig({ ...BASE_CONFIG, deploy: { network: { egress: 'nat', maxAzs: 3 } } }),
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    expect(app.synth().manifest.missing ?? []).toEqual([]);
  });
});

describe('deploy.network { egress: "nat", maxAzs: 3, natGateways: 1 }', () => {
  const { template } = withNetwork({ egress: 'nat', maxAzs: 3, natGateways: 1 });

  it('spreads the subnets over three AZs but pays for one NAT gateway and one address', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 6);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::EIP', 1);
    const defaultRoutes = resourcesOf(template, 'AWS::EC2::Route').filter(([id]) => id.includes('Private'));
    expect(
      new Set(defaultRoutes.map(([, route]) => JSON.stringify(route.Properties.NatGatewayId))).size,
    ).toBe(1);
  });
});

describe('deploy.network with an existing VPC', () => {
  const built = withNetwork({
    vpcId: VPC_ID,
    subnetIds: SUBNETS,
    interfaceEndpoints: ['sns', 'secretsmanager'],
  });
  const { template } = built;

  it('joins the subnets by id and creates no VPC, NAT or address', () => {
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP']) {
      template.resourceCountIs(type, 0);
    }
    const vpcConfig = pollFunction(template)[1].Properties.VpcConfig as Record<string, unknown>;
    expect(vpcConfig.SubnetIds).toEqual(SUBNETS);
    expect(template.toJSON().Outputs.EgressIps).toBeUndefined();
  });

  it('adds the interface endpoints asked for, with private DNS, in the same subnets', () => {
    const endpoints = resourcesOf(template, 'AWS::EC2::VPCEndpoint').map(([, e]) => e.Properties);
    expect(endpoints.map((e) => JSON.stringify(e.ServiceName))).toEqual([
      expect.stringContaining('.sns'),
      expect.stringContaining('.secretsmanager'),
    ]);
    for (const endpoint of endpoints) {
      expect(endpoint).toMatchObject({
        VpcEndpointType: 'Interface',
        VpcId: VPC_ID,
        PrivateDnsEnabled: true,
      });
      expect(endpoint.SubnetIds).toEqual(SUBNETS);
    }
  });

  it("admits HTTPS to the endpoints from the function's security group only", () => {
    const groups = resourcesOf(template, 'AWS::EC2::SecurityGroup');
    const functionGroup = only(groups.filter(([id]) => id.includes('FunctionSecurityGroup')))[0];
    const endpointGroup = only(groups.filter(([id]) => id.includes('EndpointSecurityGroup')))[0];
    const endpointRules = only(groups.filter(([id]) => id === endpointGroup))[1].Properties
      .SecurityGroupIngress;
    expect(endpointRules).toEqual([
      expect.objectContaining({
        SourceSecurityGroupId: { 'Fn::GetAtt': [functionGroup, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      }),
    ]);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    for (const endpoint of resourcesOf(template, 'AWS::EC2::VPCEndpoint')) {
      expect(endpoint[1].Properties.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [endpointGroup, 'GroupId'] }]);
    }
  });

  it('passes cdk-nag', () => {
    expect(nagViolations(built)).toEqual([]);
  });

  it('matches the reviewed template (asset hashes normalised)', () => {
    expect(normaliseAssetHashes(template.toJSON())).toMatchSnapshot();
  });
});

describe('deploy.network with an existing VPC and its own security groups', () => {
  const built = withNetwork({ vpcId: VPC_ID, subnetIds: SUBNETS, securityGroupIds: ['sg-0a1b2c3d'] });

  it('uses exactly those groups and creates none', () => {
    built.template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    const vpcConfig = pollFunction(built.template)[1].Properties.VpcConfig as Record<string, unknown>;
    expect(vpcConfig.SecurityGroupIds).toEqual(['sg-0a1b2c3d']);
    expect(nagViolations(built)).toEqual([]);
  });
});

describe('egress ports', () => {
  it('opens the port of an Ops Manager on 8443 and of the proxy, besides 443', () => {
    const { template } = withNetwork(
      { vpcId: VPC_ID, subnetIds: SUBNETS },
      {
        baseUrl: 'https://ops.corp.example:8443/api/public/v1.0',
        proxyUrl: 'http://proxy.corp.example:3128',
      },
    );
    const group = only(resourcesOf(template, 'AWS::EC2::SecurityGroup'))[1];
    expect(
      (group.Properties.SecurityGroupEgress as Array<{ FromPort: number }>).map((rule) => rule.FromPort),
    ).toEqual([443, 8443, 3128]);
  });

  it('opens the port of the PagerDuty proxy too, once when both channels share a proxy port', () => {
    const ports = (config: ConfigInput) => {
      const { template } = buildStack(config);
      const group = only(resourcesOf(template, 'AWS::EC2::SecurityGroup'))[1];
      return (group.Properties.SecurityGroupEgress as Array<{ FromPort: number; ToPort: number }>).map(
        (rule) => [rule.FromPort, rule.ToPort],
      );
    };
    const network = { vpcId: VPC_ID, subnetIds: SUBNETS };
    const deploy = { ...BASE_CONFIG.deploy, network } as ConfigInput['deploy'];

    expect(
      ports({
        ...BASE_CONFIG,
        alerts: { pagerduty: { proxyUrl: 'http://pd-proxy.corp.example:8080' } },
        deploy,
      }),
    ).toEqual([
      [443, 443],
      [8080, 8080],
    ]);
    expect(
      ports({
        ...BASE_CONFIG,
        cloudManager: { proxyUrl: 'http://proxy.corp.example:3128' },
        alerts: { pagerduty: { proxyUrl: 'http://proxy.corp.example:3128' } },
        deploy,
      }),
    ).toEqual([
      [443, 443],
      [3128, 3128],
    ]);
  });
});
