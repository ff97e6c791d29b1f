/**
 * The `deploy` section of the configuration: what the CDK stack is built from (schedule, subscriptions,
 * network, shards, the monthly report). The CLI and the Lambda ignore it; it is validated with the
 * rest so that one file, checked once, serves all three.
 */
import {
  array,
  discriminatedUnion,
  email,
  literal,
  never,
  number,
  strictObject,
  string,
  undefined as undefinedValue,
  union,
  enum as zodEnum,
} from 'zod';
import { severity, team } from './config-fields.ts';
import { MAX_SHARDS } from './shard.ts';

/** SNS topic ARN, e.g. arn:aws:sns:eu-west-1:123456789012:restore-watch-alerts */
export const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
/** DynamoDB table name rules. */
export const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
/** EventBridge Scheduler expressions: rate(...) or cron(6 fields). */
export const SCHEDULE_EXPRESSION =
  /^(rate\(\s*[1-9]\d*\s+(minute|minutes|hour|hours|day|days)\s*\)|cron\(\s*\S+(\s+\S+){5}\s*\))$/;

/** The monthly digest's default: 08:00 UTC on the first of every month (the previous month is reported). */
export const DEFAULT_REPORT_SCHEDULE = 'cron(0 8 1 * ? *)';

/** AWS resource ids as the console shows them: a prefix, then 8 or 17 hexadecimal digits. */
const awsId = (prefix: string, what: string) =>
  string({ error: `must be ${what} id such as ${prefix}-0123456789abcdef0` }).regex(
    new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`),
    { error: `must be ${what} id such as ${prefix}-0123456789abcdef0` },
  );
const distinct = <T>(list: readonly T[]) => new Set(list).size === list.length;

/** Interface endpoints `deploy.network` can add to an existing VPC (docs/deploy.md "Reaching the API"). */
export const INTERFACE_ENDPOINTS = ['sns', 'secretsmanager', 'logs', 'monitoring', 'xray'] as const;
export type InterfaceEndpointName = (typeof INTERFACE_ENDPOINTS)[number];

const NAT_MODE = '"egress": "nat" (the stack creates the VPC)';
const EXISTING_MODE = 'an existing VPC ("vpcId" + "subnetIds")';
const onlyIn = (mode: string) =>
  never({ error: `belongs to ${mode} only: remove it, or switch modes` }).optional();

/** `{ "egress": "nat" }`: a new VPC whose private subnets reach out through NAT gateways with Elastic IPs. */
const natNetworkSchema = strictObject({
  egress: literal('nat', { error: 'must be "nat" (or absent, with vpcId + subnetIds for an existing VPC)' }),
  /** Availability zones: one public and one private subnet in each. */
  maxAzs: number({ error: 'maxAzs must be 1, 2 or 3' })
    .int({ error: 'maxAzs must be 1, 2 or 3' })
    .min(1, { error: 'maxAzs must be 1, 2 or 3' })
    .max(3, { error: 'maxAzs must be 1, 2 or 3' })
    .default(2),
  /** One NAT gateway (and Elastic IP) per AZ, or a single one for the whole VPC (cheaper, one AZ). */
  natGateways: union([literal(1), literal('perAz')], { error: 'natGateways must be 1 or "perAz"' }).default(
    'perAz',
  ),
  vpcId: onlyIn(EXISTING_MODE),
  subnetIds: onlyIn(EXISTING_MODE),
  securityGroupIds: onlyIn(EXISTING_MODE),
  interfaceEndpoints: onlyIn(EXISTING_MODE),
});

/** `{ "vpcId", "subnetIds", ... }`: the function joins existing subnets (no context lookup at synth). */
const existingVpcSchema = strictObject({
  egress: undefinedValue({
    error: 'must be "nat" (or absent, with vpcId + subnetIds for an existing VPC)',
  }).optional(),
  vpcId: awsId('vpc', 'a VPC'),
  subnetIds: array(awsId('subnet', 'a subnet'), { error: 'subnetIds must list the subnets to join' })
    .min(1, { error: 'list at least one subnet (two or more in different AZs survive an AZ outage)' })
    .max(16)
    .refine(distinct, { error: 'lists a subnet twice' }),
  /** The function's security groups; without them the stack creates one that allows HTTPS out only. */
  securityGroupIds: array(awsId('sg', 'a security group'))
    .min(1)
    .max(5)
    .refine(distinct, { error: 'lists a security group twice' })
    .optional(),
  interfaceEndpoints: array(
    zodEnum(INTERFACE_ENDPOINTS, { error: `must be one of ${INTERFACE_ENDPOINTS.join(', ')}` }),
  )
    .refine(distinct, { error: 'lists an endpoint twice' })
    .default([]),
  maxAzs: onlyIn(NAT_MODE),
  natGateways: onlyIn(NAT_MODE),
});

const networkSchema = discriminatedUnion('egress', [natNetworkSchema, existingVpcSchema], {
  error:
    'must be {"egress": "nat"} (a new VPC with NAT gateways and fixed egress IPs) or {"vpcId": "vpc-...", "subnetIds": ["subnet-..."]} (an existing VPC)',
});

export const deploySchema = strictObject({
  schedule: string()
    .regex(SCHEDULE_EXPRESSION, {
      error: 'must be an EventBridge Scheduler expression such as "rate(5 minutes)" or "cron(0/5 * * * ? *)"',
    })
    .default('rate(5 minutes)'),
  subscriptions: strictObject({
    /**
     * Addresses subscribed to the alerts and operations topics. An entry may be an object with a filter
     * on the alerts topic (`teams`, `minSeverity`), which becomes an SNS subscription filter policy.
     */
    emails: array(
      union([
        email({ error: 'must be an email address' }),
        strictObject({
          address: email({ error: 'must be an email address' }),
          /** Only alerts whose `team` attribute is one of these. */
          teams: array(team)
            .min(1, { error: 'list at least one team, or leave teams out' })
            .max(100)
            .optional(),
          /** Only alerts at or above this severity. */
          minSeverity: severity.optional(),
        }),
      ]),
    ).default([]),
    slack: strictObject({
      workspaceId: string().regex(/^[A-Z0-9]{9,11}$/, {
        error: 'must be a Slack workspace (team) id such as T012ABCDE',
      }),
      channelId: string().regex(/^[A-Z0-9]{9,11}$/, {
        error: 'must be a Slack channel id such as C012ABCDE',
      }),
    }).optional(),
  }).prefault({}),
  /** Existing Secrets Manager secret (name or ARN) with the Cloud Manager credentials. */
  credentialsSecret: string().min(1).max(2048).optional(),
  /** Log retention of the function in days. */
  logRetentionDays: number().int().positive().default(30),
  /**
   * Partitions of the fleet, by project, each polled by its own schedule under its own lease
   * (functions/core/shard.ts). 1: one run polls everything, as without the key.
   */
  shards: number()
    .int({ error: 'shards must be a whole number' })
    .min(1, { error: 'shards must be at least 1 (1 polls the whole fleet in one run)' })
    .max(MAX_SHARDS, { error: `shards must be at most ${MAX_SHARDS}` })
    .default(1),
  /** Where the function runs: absent = outside any VPC (as before); see docs/deploy.md "Reaching the API". */
  network: networkSchema.optional(),
  /** Optional monthly digest: the text report of the previous month, published to the alerts topic. */
  report: strictObject({
    schedule: string()
      .regex(SCHEDULE_EXPRESSION, {
        error: `must be an EventBridge Scheduler expression such as "${DEFAULT_REPORT_SCHEDULE}" (08:00 UTC on the 1st)`,
      })
      .default(DEFAULT_REPORT_SCHEDULE),
  }).optional(),
});
