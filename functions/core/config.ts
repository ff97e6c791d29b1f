/**
 * The one configuration schema, shared by the CLI, the Lambda handler and the CDK stack. Validation
 * reports every problem at once, each naming the field, so a user fixes a file in one pass.
 */

import type { core, input, output } from 'zod';
import {
  array,
  boolean,
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
import { ENV } from './environment.ts';
import { MAX_SHARDS } from './shard.ts';
import { DEFAULT_AUDIT_RETENTION_DAYS } from './table-schema.ts';
import type { AlertSettings } from './types.ts';

export const DEFAULT_CONFIG_FILE = 'restore-watch.config.json';
export const DEFAULT_BASE_URL = 'https://cloud.mongodb.com/api/public/v1.0';
/** PagerDuty Events API v2 (EU service regions: https://events.eu.pagerduty.com/v2/enqueue). */
export const DEFAULT_PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/**
 * Cloud Manager call defaults, shared by the schema and `CloudManagerClient` (which can be built
 * without a configuration): the documented 100 requests per minute per project, a timeout that fits a
 * 500-job page over a slow link, and the targets polled at once (`concurrency`).
 *
 * `concurrency` is sized for I/O, not for CPUs: a target waits on the network almost all the time
 * (a page takes a few hundred milliseconds to arrive and about a millisecond to process), so a poll
 * hides latency by keeping about latency ÷ processing time targets in flight: 0.3 s ÷ ~0.6 ms ≈ 500
 * on one full core (bench/README.md "Concurrency"). Each target in flight holds one request, hence
 * one keep-alive socket, and at most one page: 512 sockets are half of Lambda's 1,024 file
 * descriptors, and `JOBS_IN_FLIGHT` (poll.ts) bounds what the pages and listings hold in memory.
 * The per-project limiter, not this number, keeps each project under its rate limit.
 */
export const CLOUD_MANAGER_DEFAULTS = {
  requestsPerMinute: 100,
  requestTimeoutMs: 15_000,
  concurrency: 512,
} as const;
/**
 * The most targets a poll may keep in flight (the default): one socket each, half of Lambda's 1,024
 * descriptors (the rest: DynamoDB's pool of 50, SNS, X-Ray, the runtime). Past it, shard the fleet.
 */
export const MAX_CONCURRENCY = 512;

const OBJECT_ID = /^[0-9a-f]{24}$/i;
const objectId = (what: string) =>
  string({ error: `${what} must be a string` }).regex(OBJECT_ID, {
    error: `${what} must be a 24-character hexadecimal ObjectId`,
  });

/** Base URLs must be https unless they point at this machine (the simulator, a tunnel). */
export function isAllowedBaseUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

const baseUrl = string().refine(isAllowedBaseUrl, {
  error: 'must be an https:// URL (plain http is allowed only for localhost / 127.0.0.1 / [::1])',
});

/** A proxy for Cloud Manager calls: http(s)://host:port, nothing else (credentials stay out of the file). */
export function proxyUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL such as http://proxy.internal:3128';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must be an http:// (or https://) proxy URL such as http://proxy.internal:3128, not ${url.protocol}`;
  }
  if (url.username || url.password) {
    return 'must not contain credentials: the configuration file is not a place for secrets, and an authenticating proxy is not supported for the Lambda (the CLI takes one from HTTPS_PROXY)';
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return 'must be only scheme, host and port (no path, query or fragment)';
  }
  return undefined;
}

const proxyUrl = string().superRefine((value, ctx) => {
  const problem = proxyUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const minutes = (what: string) =>
  number({ error: `${what} must be a number of minutes` })
    .int({ error: `${what} must be a whole number of minutes` })
    .positive({ error: `${what} must be greater than 0` });

/** A team name as alerts carry it (`team` attribute) and subscription filters name it. */
const TEAM_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;
const team = string().regex(TEAM_NAME, {
  error: 'must be 1-64 characters: letters, digits, space, _ . - (starting with a letter or digit)',
});
const severity = zodEnum(['info', 'warning', 'critical']);

const targetSchema = strictObject({
  projectId: objectId('projectId'),
  clusterId: objectId('clusterId').optional(),
  name: string().min(1).max(64).optional(),
  batchId: objectId('batchId').optional(),
  /** Who owns the target: every alert about it carries this as its `team` attribute. */
  team: team.optional(),
});

const alertsSchema = strictObject({
  expiryWarningMinutes: array(minutes('each expiry warning')).max(10).default([60, 15]),
  stuckAfterMinutes: minutes('stuckAfterMinutes').default(360),
  failingAfterPolls: number().int().min(1).max(100).default(3),
  minSeverity: severity.default('info'),
  includeDownloadUrl: boolean().default(false),
  /**
   * An open incident at warning or above is re-announced on SNS (as a reminder) after this long, once
   * per interval; 0 turns reminders off. Alertmanager's `repeat_interval` default is 4 h.
   */
  repeatEveryMinutes: number({ error: 'repeatEveryMinutes must be a number of minutes' })
    .int({ error: 'repeatEveryMinutes must be a whole number of minutes' })
    .min(0, { error: 'repeatEveryMinutes must be 0 (off) or more' })
    .max(10_080, { error: 'repeatEveryMinutes must be at most 10080 (a week)' })
    .default(240),
  /** The PagerDuty channel (on when a routing key is configured: README "PagerDuty"). */
  pagerduty: strictObject({
    /** Triggers at or above this severity page; resolves follow the triggers that paged. */
    minSeverity: severity.default('warning'),
    /** The Events API v2 endpoint; `PAGERDUTY_EVENTS_URL` wins over it. */
    eventsUrl: baseUrl.default(DEFAULT_PAGERDUTY_EVENTS_URL),
  }).prefault({}),
}).superRefine((alerts, ctx) => {
  const list = alerts.expiryWarningMinutes;
  for (let i = 1; i < list.length; i++) {
    const previous = list[i - 1] as number;
    const current = list[i] as number;
    if (current >= previous) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiryWarningMinutes', i],
        message: `thresholds must be in strictly descending order (e.g. [60, 15]); ${current} follows ${previous}`,
      });
    }
  }
});

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

const deploySchema = strictObject({
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

export const configSchema = strictObject({
  cloudManager: strictObject({
    baseUrl: baseUrl.default(DEFAULT_BASE_URL),
    /** Client-side limit per project; Cloud Manager documents 100 requests per minute. */
    requestsPerMinute: number()
      .int()
      .positive()
      .max(10_000)
      .default(CLOUD_MANAGER_DEFAULTS.requestsPerMinute),
    requestTimeoutMs: number().int().positive().max(120_000).default(CLOUD_MANAGER_DEFAULTS.requestTimeoutMs),
    /** Targets polled at once (see `CLOUD_MANAGER_DEFAULTS`). */
    concurrency: number()
      .int({ error: 'concurrency must be a whole number of targets' })
      .min(1, { error: 'concurrency must be at least 1' })
      .max(MAX_CONCURRENCY, {
        error: `concurrency must be at most ${MAX_CONCURRENCY}: each target in flight holds a socket (shard the fleet with deploy.shards to go further)`,
      })
      .default(CLOUD_MANAGER_DEFAULTS.concurrency),
    /**
     * PEM bundle of CA certificates trusted in addition to the public roots, relative to the
     * configuration file. Reading and checking it is I/O: the loaders do it (CLI, stack, handler).
     */
    caFile: string({ error: 'caFile must be the path of a PEM file' })
      .min(1, { error: 'caFile must be the path of a PEM file' })
      .max(1024)
      .optional(),
    /** Every Cloud Manager request goes through this HTTP proxy (CONNECT); AWS calls do not. */
    proxyUrl: proxyUrl.optional(),
  }).prefault({}),
  targets: array(targetSchema).min(1, { error: 'list at least one target' }).max(2000),
  alerts: alertsSchema.prefault({}),
  state: strictObject({
    retentionDays: number().int().min(1).max(3650).default(DEFAULT_AUDIT_RETENTION_DAYS),
  }).prefault({}),
  // `prefault`: an absent section is parsed as `{}`, so each field's own default (written once, above)
  // applies, instead of a second copy of every default here.
  deploy: deploySchema.prefault({}),
}).superRefine((config, ctx) => {
  // One subscription per address and topic: SNS (and the stack) cannot hold two with different filters.
  const addresses = new Map<string, number>();
  config.deploy.subscriptions.emails.forEach((entry, index) => {
    const address = (typeof entry === 'string' ? entry : entry.address).toLowerCase();
    const first = addresses.get(address);
    if (first === undefined) addresses.set(address, index);
    else {
      ctx.addIssue({
        code: 'custom',
        path: ['deploy', 'subscriptions', 'emails', index],
        message: `duplicates deploy.subscriptions.emails[${first}] (one entry per address; put every team in its teams)`,
      });
    }
  });
  const seen = new Map<string, number>();
  config.targets.forEach((target, index) => {
    const key = `${target.projectId.toLowerCase()}:${(target.clusterId ?? '*').toLowerCase()}:${target.batchId ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['targets', index],
        message: `duplicates targets[${first}] (same projectId${target.clusterId ? ', clusterId' : ''}${target.batchId ? ' and batchId' : ''})`,
      });
    } else {
      seen.set(key, index);
    }
    if (target.batchId && !target.clusterId) {
      ctx.addIssue({
        code: 'custom',
        path: ['targets', index, 'batchId'],
        message: 'batchId needs a clusterId',
      });
    }
  });
});

export type Config = output<typeof configSchema>;
export type ConfigInput = input<typeof configSchema>;
export type ConfiguredTarget = Config['targets'][number];
export type NetworkConfig = NonNullable<Config['deploy']['network']>;

/** An invalid configuration: `problems` lists every one, each naming its field. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  readonly source: string;
  constructor(source: string, problems: readonly string[], options?: ErrorOptions) {
    super(`Invalid ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
    this.name = 'ConfigError';
    this.problems = problems;
    this.source = source;
  }
}

function describePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** Formats zod issues as `field: problem` lines, the way every user-facing validation error reads. */
export function formatIssues(issues: readonly core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = describePath(issue.path);
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see README "Configuration")`;
    }
    return `${describePath(issue.path)}: ${issue.message}`;
  });
}

/** Validates a parsed JSON value; throws `ConfigError` listing every problem. */
export function parseConfig(value: unknown, source = DEFAULT_CONFIG_FILE): Config {
  const result = configSchema.safeParse(value);
  if (!result.success) throw new ConfigError(source, formatIssues(result.error.issues));
  return result.data;
}

/** Parses JSON text, reporting a syntax error with the file name. */
export function parseConfigText(text: string, source = DEFAULT_CONFIG_FILE): Config {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(source, [`not valid JSON: ${(error as Error).message}`], { cause: error });
  }
  return parseConfig(value, source);
}

export function alertSettings(config: Config): AlertSettings {
  return {
    ...config.alerts,
    expiryWarningMinutes: [...config.alerts.expiryWarningMinutes],
    pagerduty: { ...config.alerts.pagerduty },
  };
}

/** An email subscription as configured: a bare address or one with a filter. */
export type EmailSubscription = Config['deploy']['subscriptions']['emails'][number];

/** A PagerDuty channel: where to send and the integration's routing key (a credential). */
export interface PagerDutySettings {
  routingKey: string;
  eventsUrl: string;
}

/** Integration (routing) keys are 32 characters; a ruleset's start with R. */
const ROUTING_KEY = /^[A-Za-z0-9]{32}$/;

/**
 * The PagerDuty channel from a routing key (environment or secret) and an optional URL override, or
 * undefined when no key is set. Problems name the variable and never echo the key.
 */
export function parsePagerDuty(
  input: { routingKey?: string | undefined; eventsUrl?: string | undefined },
  /** `alerts.pagerduty.eventsUrl` of the configuration (its default when there is none). */
  configuredUrl: string,
  names: { routingKey: string; eventsUrl: string },
): PagerDutySettings | undefined {
  const routingKey = input.routingKey?.trim();
  const override = input.eventsUrl?.trim();
  const problems: string[] = [];
  if (routingKey !== undefined && routingKey !== '' && !ROUTING_KEY.test(routingKey)) {
    problems.push(
      `${names.routingKey} is not a PagerDuty routing key (the 32-character Integration Key of an "Events API v2" integration; its value is not shown)`,
    );
  }
  if (override && !isAllowedBaseUrl(override)) {
    problems.push(
      `${names.eventsUrl} must be an https:// URL (plain http only for localhost / 127.0.0.1 / [::1])`,
    );
  }
  if (problems.length > 0) throw new ConfigError('PagerDuty settings', problems);
  if (!routingKey) return undefined;
  return { routingKey, eventsUrl: override || configuredUrl };
}

/** Cloud Manager credentials: an API key pair (Digest) or a service account (OAuth 2.0). */
export type CloudManagerCredentials =
  | { kind: 'apiKey'; publicKey: string; privateKey: string }
  | { kind: 'serviceAccount'; clientId: string; clientSecret: string };

/**
 * Reads credentials from a flat record (environment variables or a Secrets Manager JSON secret).
 * Accepts `publicKey`/`privateKey` or `clientId`/`clientSecret` (camelCase, as stored in the secret)
 * and the `CLOUD_MANAGER_*` environment variable names. Problems never echo secret values.
 */
export function parseCredentials(
  record: Readonly<Record<string, string | undefined>>,
  source: string,
): CloudManagerCredentials {
  const pick = (...names: string[]) => {
    for (const name of names) {
      const value = record[name];
      if (value !== undefined && value.trim() !== '') return { name, value: value.trim() };
    }
    return undefined;
  };
  const publicKey = pick('publicKey', ENV.publicKey);
  const privateKey = pick('privateKey', ENV.privateKey);
  const clientId = pick('clientId', ENV.clientId);
  const clientSecret = pick('clientSecret', ENV.clientSecret);
  const hasKey = Boolean(publicKey || privateKey);
  const hasAccount = Boolean(clientId || clientSecret);
  const apiKey = `${ENV.publicKey} + ${ENV.privateKey}`;
  const serviceAccount = `${ENV.clientId} + ${ENV.clientSecret}`;
  const problems: string[] = [];
  if (hasKey && hasAccount) {
    problems.push(
      `both an API key pair and a service account are set: keep exactly one (${apiKey}, or ${serviceAccount})`,
    );
  } else if (hasKey && !(publicKey && privateKey)) {
    problems.push(
      `${publicKey ? `${ENV.privateKey} (privateKey)` : `${ENV.publicKey} (publicKey)`} is missing: an API key needs both halves`,
    );
  } else if (hasAccount && !(clientId && clientSecret)) {
    problems.push(
      `${clientId ? `${ENV.clientSecret} (clientSecret)` : `${ENV.clientId} (clientId)`} is missing: a service account needs both`,
    );
  } else if (!hasKey && !hasAccount) {
    problems.push(
      `no Cloud Manager credentials: set ${apiKey} (API key) or ${serviceAccount} (service account)`,
    );
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  if (publicKey && privateKey)
    return { kind: 'apiKey', publicKey: publicKey.value, privateKey: privateKey.value };
  if (clientId && clientSecret) {
    return { kind: 'serviceAccount', clientId: clientId.value, clientSecret: clientSecret.value };
  }
  throw new ConfigError(source, ['no Cloud Manager credentials']);
}
