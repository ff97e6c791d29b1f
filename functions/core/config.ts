/**
 * The one configuration schema, shared by the CLI, the Lambda handler and the CDK stack. Validation
 * reports every problem at once, each naming the field, so a user fixes a file in one pass.
 */

import type { core, input, output } from 'zod';
import { array, boolean, number, strictObject, string } from 'zod';
import { deploySchema } from './config-deploy.ts';
import { baseUrl, minutes, objectId, proxyUrl, severity, team } from './config-fields.ts';
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
    /** Every PagerDuty call goes through this HTTP proxy (CONNECT); the same rule as cloudManager.proxyUrl. */
    proxyUrl: proxyUrl.optional(),
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

export function alertSettings(config: Pick<Config, 'alerts'>): AlertSettings {
  return {
    ...config.alerts,
    expiryWarningMinutes: [...config.alerts.expiryWarningMinutes],
    pagerduty: { ...config.alerts.pagerduty },
  };
}

/** The alert settings of a configuration that sets none (a CLI command run without the file). */
export function defaultAlertSettings(): AlertSettings {
  return alertSettings({ alerts: alertsSchema.parse({}) });
}

/** An email subscription as configured: a bare address or one with a filter. */
export type EmailSubscription = Config['deploy']['subscriptions']['emails'][number];
