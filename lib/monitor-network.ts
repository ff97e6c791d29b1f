import { Annotations, Fn, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Config, NetworkConfig } from '../functions/core/config.ts';
import type { InterfaceEndpointName } from '../functions/core/config-deploy.ts';

/** AWS services the function can reach through an interface endpoint, by configuration name. */
const INTERFACE_SERVICES: Readonly<Record<InterfaceEndpointName, ec2.InterfaceVpcEndpointAwsService>> = {
  sns: ec2.InterfaceVpcEndpointAwsService.SNS,
  secretsmanager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  monitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  xray: ec2.InterfaceVpcEndpointAwsService.XRAY,
};

/**
 * The actions of the AWS managed `AWSLambdaVPCAccessExecutionRole` that Lambda uses (with the
 * function's role) to manage the function's network interfaces in the subnets.
 */
export const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/**
 * The TCP ports the function opens connections to: 443 (AWS APIs, Cloud Manager, PagerDuty), the port
 * of an Ops Manager `baseUrl` on another port (8443 is its default), and the ports of the proxies
 * (`cloudManager.proxyUrl`, `alerts.pagerduty.proxyUrl`).
 */
export function egressPorts(config: Config): number[] {
  const portOf = (url: string) => {
    const parsed = new URL(url);
    return Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80);
  };
  const ports = [443, portOf(config.cloudManager.baseUrl)];
  for (const proxy of [config.cloudManager.proxyUrl, config.alerts.pagerduty.proxyUrl]) {
    if (proxy) ports.push(portOf(proxy));
  }
  return [...new Set(ports)];
}

export interface MonitorNetworkProps {
  /** `deploy.network` of the configuration: a new VPC with NAT egress, or an existing VPC by ids. */
  readonly network: NetworkConfig;
  /**
   * TCP ports the function's security group allows out (to any address).
   * @default [443]
   */
  readonly egressPorts?: readonly number[];
  /**
   * Retention of the VPC flow log (rejected traffic) of a created VPC.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: logs.RetentionDays;
}

/**
 * Where the poll function runs when `deploy.network` is set.
 *
 * - **NAT** (`{ "egress": "nat" }`): a VPC with a public and a private subnet per AZ (AZs taken with
 *   `Fn::GetAZs`, so synth needs no lookup), NAT gateways with Elastic IPs created here (their
 *   addresses are the stack's `EgressIps` output, for the API key's access list), a DynamoDB gateway
 *   endpoint (free; DynamoDB traffic skips the NAT), and a flow log of rejected traffic.
 * - **Existing VPC** (`vpcId` + `subnetIds`): imported by id (`Vpc.fromVpcAttributes`,
 *   `Subnet.fromSubnetId`: no context lookup), optionally with interface endpoints for subnets that
 *   have no route out, behind their own security group that admits HTTPS from the function only.
 *
 * Either way the function gets a security group that allows only the `egressPorts` out (HTTPS), or
 * the configured `securityGroupIds`; and the ENI permissions Lambda needs, in their own policy.
 */
export class MonitorNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  /** The subnets the function joins. */
  readonly subnets: ec2.SubnetSelection;
  /** The function's security groups. */
  readonly securityGroups: ec2.ISecurityGroup[];
  /** Public IPs of the NAT gateways' Elastic IPs (NAT mode), in AZ order; empty otherwise. */
  readonly egressIps: string[];
  /** The interface endpoints created, by configuration name (existing-VPC mode). */
  readonly interfaceEndpoints: Partial<Record<InterfaceEndpointName, ec2.InterfaceVpcEndpoint>> = {};

  constructor(scope: Construct, id: string, props: MonitorNetworkProps) {
    super(scope, id);
    const network = props.network;
    if (network.egress === 'nat') {
      const built = this.natVpc(network, props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH);
      this.vpc = built.vpc;
      this.egressIps = built.egressIps;
      this.subnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    } else {
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: network.vpcId,
        // Required by the type and never used: the subnets are given by id below.
        availabilityZones: [Fn.select(0, Fn.getAzs())],
      });
      this.egressIps = [];
      this.subnets = {
        subnets: network.subnetIds.map((subnetId) => {
          const subnet = ec2.Subnet.fromSubnetId(this, subnetId, subnetId);
          Annotations.of(subnet).acknowledgeWarning(
            '@aws-cdk/aws-ec2:noSubnetRouteTableId',
            'Nothing here reads the route table of an imported subnet: the function and the interface endpoints only need the subnet ids.',
          );
          return subnet;
        }),
      };
    }

    const configuredGroups = network.egress === 'nat' ? undefined : network.securityGroupIds;
    this.securityGroups = configuredGroups
      ? configuredGroups.map((groupId) =>
          ec2.SecurityGroup.fromSecurityGroupId(this, groupId, groupId, { mutable: false }),
        )
      : [this.functionSecurityGroup(props.egressPorts ?? [443])];

    if (network.egress !== 'nat' && network.interfaceEndpoints.length > 0) {
      this.addInterfaceEndpoints(network.interfaceEndpoints);
    }
  }

  /**
   * Lets `role` manage the function's network interfaces (what Lambda needs to place the function in
   * the subnets), in a policy of its own; the function must depend on it, or CloudFormation may create
   * the function before the permission exists.
   */
  allowNetworkInterfaces(role: iam.IRole): iam.Policy {
    const policy = new iam.Policy(this, 'NetworkInterfaces', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'LambdaVpcNetworkInterfaces',
          actions: [...NETWORK_INTERFACE_ACTIONS],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The network-interface actions of AWSLambdaVPCAccessExecutionRole, which Lambda uses to place the function in the subnets: ec2:Describe* supports no resource-level permission, and Lambda creates and deletes the interfaces in subnets and with ids it chooses.',
    });
    return policy;
  }

  private natVpc(
    network: Extract<NetworkConfig, { egress: 'nat' }>,
    flowLogRetention: logs.RetentionDays,
  ): { vpc: ec2.Vpc; egressIps: string[] } {
    const azCount = network.maxAzs;
    const natCount = network.natGateways === 'perAz' ? azCount : 1;
    // Our own Elastic IPs: their addresses are what the API key's access list holds, so they are
    // named resources of this construct, output by the stack.
    const eips = Array.from(
      { length: natCount },
      (_, index) =>
        new ec2.CfnEIP(this, `NatEip${index + 1}`, {
          domain: 'vpc',
          tags: [{ key: 'Name', value: `restore-watch NAT egress ${index + 1}` }],
        }),
    );
    const flowLogGroup = new logs.LogGroup(this, 'FlowLog', { retention: flowLogRetention });
    const vpc = new ec2.Vpc(this, 'Vpc', {
      // Fn::GetAZs instead of an availability-zones lookup: synth stays offline and account-agnostic.
      availabilityZones: Array.from({ length: azCount }, (_, index) => Fn.select(index, Fn.getAzs())),
      natGateways: natCount,
      natGatewayProvider: ec2.NatProvider.gateway({
        eipAllocationIds: eips.map((eip) => eip.attrAllocationId),
      }),
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
      gatewayEndpoints: { DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB } },
      // Only what was refused: the accepted traffic is the function's own calls, logged by it.
      flowLogs: {
        Rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    return { vpc, egressIps: eips.map((eip) => eip.attrPublicIp) };
  }

  private functionSecurityGroup(ports: readonly number[]): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'restore-watch poll function: HTTPS out only (Cloud Manager, AWS APIs), nothing in',
      allowAllOutbound: false,
    });
    for (const port of ports) {
      group.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(port),
        port === 443
          ? 'HTTPS: Cloud Manager / Ops Manager and AWS APIs (DynamoDB through its gateway endpoint)'
          : `Ops Manager or the proxy on port ${port}`,
      );
    }
    return group;
  }

  private addInterfaceEndpoints(names: readonly InterfaceEndpointName[]): void {
    const group = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'restore-watch interface endpoints: HTTPS from the poll function only',
      allowAllOutbound: false,
    });
    for (const source of this.securityGroups) {
      group.addIngressRule(
        ec2.Peer.securityGroupId(source.securityGroupId),
        ec2.Port.tcp(443),
        'HTTPS from the poll function',
      );
    }
    for (const name of names) {
      this.interfaceEndpoints[name] = new ec2.InterfaceVpcEndpoint(this, `Endpoint-${name}`, {
        vpc: this.vpc,
        service: INTERFACE_SERVICES[name],
        subnets: this.subnets,
        securityGroups: [group],
        // The SDK's default endpoint names resolve to the endpoint inside the VPC.
        privateDnsEnabled: true,
        open: false,
      });
    }
  }
}
