/**
 * The Lambda entry point: EventBridge Scheduler invokes it (asynchronously) every period and it runs
 * the same poll as `restore-watch poll`. Everything here is plumbing around `runPoll`:
 *
 * - configuration and environment are read and validated once, at cold start; an invalid file makes
 *   the module throw there, listing every problem (the stack validated the same file at synth); so
 *   is `cloudManager.caFile` (bundled next to the configuration), which with `cloudManager.proxyUrl`
 *   makes the connection every Cloud Manager call uses (AWS SDK calls go direct or via VPC endpoints);
 * - Cloud Manager credentials come from Secrets Manager through `@middy/secrets-manager`, cached for
 *   `CREDENTIALS_CACHE_MS` so a rotated key is picked up within that time without a redeploy; the same
 *   secret may carry `pagerdutyRoutingKey`, which turns the PagerDuty channel on;
 * - a time budget: no new target starts within `POLL_TIME_MARGIN_MS` of the Lambda deadline; the
 *   targets not reached are reported and go first next run (oldest `lastPolledAt` first);
 * - metrics from the summary (EMF), one summary log line, and the summary as the return value.
 *
 * Throw or return? The handler throws only when the monitor itself cannot work: bad credentials
 * secret, DynamoDB unusable, lease lost, the hard timeout. Those count as Lambda errors, alarm, and go
 * to the failure queue (async retries are off: the next tick is the retry). Target failures, skipped
 * targets and a lease held by another run are normal outcomes: counted in metrics, returned, not
 * thrown, because a retry of the whole run would not fix them and would poll healthy targets twice.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import secretsManager from '@middy/secrets-manager';
import type { Context } from 'aws-lambda';
import { readCaBundle } from './adapters/cloud-manager/ca-bundle.ts';
import { type Config, ConfigError, parseConfigText } from './core/config.ts';
import { TOPIC_ARN } from './core/config-deploy.ts';
import { isAllowedBaseUrl } from './core/config-fields.ts';
import {
  type CloudManagerCredentials,
  type PagerDutySettings,
  parseCredentials,
  parsePagerDuty,
} from './core/credentials.ts';
import { ENV } from './core/environment.ts';
import { LeaseLostError } from './core/errors.ts';
import { type LeaseState, type PollSummary, runPoll } from './core/poll.ts';
import { formatShard, resolveShard, type Shard } from './core/shard.ts';
import { logger, pollLogger } from './observability/logger.ts';
import { METRIC, SHARD_DIMENSION } from './observability/metric-names.ts';
import { metrics } from './observability/metrics.ts';
import { countEventsByType } from './observability/poll-summary-log.ts';
import { tracer } from './observability/tracer.ts';
import { connectionProblems, createCloudManagerConnection } from './runtime/cloud-manager-connection.ts';
import { createPollDependencies, type PollRuntime } from './runtime/dependencies.ts';
import { createPagerDutyConnection, pagerDutyConnectionProblems } from './runtime/pagerduty-connection.ts';

/** No new target starts when less than this is left before the Lambda deadline. */
export const POLL_TIME_MARGIN_MS = 30_000;
/**
 * How long fetched credentials are trusted. Ten minutes bounds how long a rotated key takes to be
 * used (and how long a revoked one keeps failing) at a cost of ~4,300 GetSecretValue calls a month.
 */
export const CREDENTIALS_CACHE_MS = 10 * 60_000;
/** middy aborts the handler's signal this long before the Lambda deadline, so in-flight requests stop. */
export const TIMEOUT_EARLY_MS = 5_000;
/** The credentials land on the Lambda context under this key (`setToContext`). */
const CREDENTIALS_KEY = 'cloudManagerCredentials';

/** What the schedule sends (`<aws.scheduler.scheduled-time>` filled in by EventBridge Scheduler). */
export interface ScheduleEvent {
  scheduledTime?: string;
  scheduleArn?: string;
  /** The partition to poll (`2/4`): each schedule of a sharded stack sends its own. */
  shard?: string;
}

export type PollContext = Context & { [CREDENTIALS_KEY]?: unknown };

/** Everything the handler needs from its environment, validated together. */
export interface HandlerSettings {
  config: Config;
  /** Where the configuration came from (a path, or the inline variable name). */
  configSource: string;
  tableName: string;
  topicArn: string;
  /** Secrets Manager secret id (name or ARN) holding the Cloud Manager credentials. */
  credentialsSecret: string;
  baseUrlOverride?: string;
  /** The certificates of `cloudManager.caFile` (the stack bundles the file next to the configuration). */
  caBundle?: { pem: string; source: string };
}

/**
 * Reads the handler's environment and configuration; throws one `ConfigError` listing every problem
 * (missing variables and every invalid field of the configuration together).
 *
 * The configuration comes from `RESTORE_WATCH_CONFIG` (inline JSON) when set, else from the file
 * named by `RESTORE_WATCH_CONFIG_FILE`, which the stack copies into the bundle: Lambda environment
 * variables are limited to 4 KB in total and a fleet's configuration can be larger.
 */
export function loadHandlerSettings(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): HandlerSettings {
  const problems: string[] = [];
  const required = (name: string, what: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is not set: it must name ${what} (the stack sets it)`);
    return value ?? '';
  };
  const tableName = required(ENV.table, 'the DynamoDB state table');
  const topicArn = required(ENV.topicArn, 'the SNS alerts topic ARN');
  if (topicArn && !TOPIC_ARN.test(topicArn)) {
    problems.push(`${ENV.topicArn} is not an SNS topic ARN (arn:aws:sns:region:account:name)`);
  }
  const credentialsSecret = required(
    ENV.credentialsSecret,
    'the Secrets Manager secret with the credentials',
  );
  const baseUrlOverride = env[ENV.baseUrl]?.trim() || undefined;
  if (baseUrlOverride && !isAllowedBaseUrl(baseUrlOverride)) {
    problems.push(`${ENV.baseUrl} must be an https:// URL`);
  }

  let config: Config | undefined;
  let configSource: string = ENV.config;
  const inline = env[ENV.config]?.trim();
  const file = env[ENV.configFile]?.trim();
  let text: string | undefined;
  if (inline) {
    text = inline;
  } else if (file) {
    configSource = file;
    try {
      text = readFile(file);
    } catch (error) {
      problems.push(
        `${ENV.configFile}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
  } else {
    configSource = ENV.configFile;
    problems.push(`neither ${ENV.configFile} nor ${ENV.config} is set: the function has no configuration`);
  }
  if (text !== undefined) {
    try {
      config = parseConfigText(text, configSource);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  let caBundle: HandlerSettings['caBundle'];
  const caFile = config?.cloudManager.caFile;
  if (config && caFile) {
    try {
      // Relative to the configuration file; for inline configuration, to the task root (the cwd).
      const configFile = inline || !file ? join(process.cwd(), ENV.config) : file;
      const bundle = readCaBundle(caFile, configFile, { configSource, read: readFile });
      caBundle = { pem: bundle.pem, source: caFile };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (config) problems.push(...connectionProblems({ config }), ...pagerDutyConnectionProblems({ config }));
  if (problems.length > 0 || !config) throw new ConfigError(configSource, problems);
  return {
    config,
    configSource,
    tableName,
    topicArn,
    credentialsSecret,
    ...(baseUrlOverride ? { baseUrlOverride } : {}),
    ...(caBundle ? { caBundle } : {}),
  };
}

/**
 * Turns the secret's value into credentials. Problems never echo the value: a secret stored as plain
 * text instead of JSON is most likely the private key itself.
 */
export function credentialsFromSecret(value: unknown, secretId: string): CloudManagerCredentials {
  const source = `Secrets Manager secret ${secretId}`;
  const expected =
    'store JSON {"publicKey": "...", "privateKey": "..."} (API key) or {"clientId": "...", "clientSecret": "..."} (service account), e.g. aws secretsmanager put-secret-value --secret-id <id> --secret-string file://credentials.json';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(source, [`the secret value is not a JSON object: ${expected}`]);
  }
  const record: Record<string, string> = {};
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === 'string') record[key] = field;
  }
  try {
    return parseCredentials(record, source);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(source, [...error.problems, expected]);
    throw error;
  }
}

/** The secret's field that turns PagerDuty on (README "PagerDuty"). */
export const PAGERDUTY_SECRET_FIELD = 'pagerdutyRoutingKey';

/**
 * The PagerDuty channel from the secret's `pagerdutyRoutingKey` (absent: no PagerDuty) and the
 * `PAGERDUTY_EVENTS_URL` override. An unusable setting is not thrown: SNS must go on, so it becomes an
 * `{ unusable }` channel whose events stay owed until the secret is fixed.
 */
export function pagerDutyFromSecret(
  value: unknown,
  secretId: string,
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
): PagerDutySettings | { unusable: string } | undefined {
  const record = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const routingKey = record[PAGERDUTY_SECRET_FIELD];
  if (routingKey === undefined) return undefined;
  try {
    return parsePagerDuty(
      {
        routingKey: typeof routingKey === 'string' ? routingKey : '?',
        eventsUrl: env[ENV.pagerdutyEventsUrl],
      },
      config.alerts.pagerduty.eventsUrl,
      {
        routingKey: `${PAGERDUTY_SECRET_FIELD} in Secrets Manager secret ${secretId}`,
        eventsUrl: ENV.pagerdutyEventsUrl,
      },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { unusable: `${error.problems.join('; ')}: fix it in the secret; the events wait for it` };
  }
}

/** 1 when the run did its job: it held the lease and not every target it reached failed. */
export function pollSucceeded(summary: PollSummary): boolean {
  if (summary.lease !== 'acquired') return false;
  const { ok, failed, skipped } = summary.targets;
  return ok > 0 || (failed === 0 && skipped === 0);
}

// ---- cold start: settings, SDK clients (reused across invocations), dependencies cache ----

const settings = loadHandlerSettings(process.env);
const dynamoClient = tracer.captureAWSv3Client(new DynamoDBClient({}));
const snsClient = tracer.captureAWSv3Client(new SNSClient({}));
/** Trust (caFile) and proxy (proxyUrl) for Cloud Manager calls only; AWS SDK calls go direct. */
const connection = createCloudManagerConnection({
  config: settings.config,
  ...(settings.caBundle ? { caBundle: settings.caBundle } : {}),
});
/** `alerts.pagerduty.proxyUrl` for PagerDuty calls: the way out of a VPC whose only exit is a proxy. */
const pagerDutyConnection = createPagerDutyConnection({ config: settings.config });

/** Dependencies hold the Cloud Manager client (digest nonce, rate limiter): rebuilt only on rotation. */
let runtime: { fingerprint: string; deps: PollRuntime } | undefined;

function dependenciesFor(
  credentials: CloudManagerCredentials,
  pagerduty: ReturnType<typeof pagerDutyFromSecret>,
): PollRuntime {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([credentials, pagerduty ?? null]))
    .digest('hex');
  if (runtime?.fingerprint !== fingerprint) {
    if (runtime) logger.info('Credentials changed; rebuilding the API client and the channels');
    if (pagerduty && 'unusable' in pagerduty)
      logger.error('PagerDuty is configured but unusable', { problem: pagerduty.unusable });
    const deps = createPollDependencies({
      config: settings.config,
      credentials,
      ...(settings.baseUrlOverride ? { baseUrlOverride: settings.baseUrlOverride } : {}),
      tableName: settings.tableName,
      alerts: { kind: 'sns', topicArn: settings.topicArn, snsClient },
      ...(pagerduty ? { pagerduty } : {}),
      dynamoClient,
      logger: pollLogger,
      connection,
      pagerDutyConnection,
    });
    runtime = { fingerprint, deps };
  }
  return runtime.deps;
}

/** Whether this invocation already emitted its heartbeat data point (one per invocation). */
let heartbeatRecorded = false;
/** The shard this invocation polls, once its event was read (for the failure's heartbeat). */
let invocationShard: Shard | undefined;

/**
 * The heartbeat data point: with the service dimension (the stack-wide heartbeat), and for a shard
 * also with a `shard` dimension in its own EMF document, which that shard's heartbeat alarm watches
 * (a shard that stops polling is noticed even while the others succeed).
 */
function recordHeartbeat(value: 0 | 1): void {
  metrics.addMetric(METRIC.pollsSucceeded, MetricUnit.Count, value);
  heartbeatRecorded = true;
  if (!invocationShard || invocationShard.count === 1) return;
  const perShard = metrics.singleMetric();
  perShard.addDimension(SHARD_DIMENSION, formatShard(invocationShard));
  perShard.addMetric(METRIC.pollsSucceeded, MetricUnit.Count, value);
}

function recordMetrics(summary: PollSummary, apiRequests: number): void {
  const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
  recordHeartbeat(pollSucceeded(summary) ? 1 : 0);
  count(METRIC.targetsFailed, summary.targets.failed);
  count(METRIC.targetsSkipped, summary.targets.skipped);
  count(METRIC.jobsSeen, summary.jobsSeen);
  count(METRIC.eventsDetected, summary.eventsDetected);
  count(METRIC.alertsPublished, summary.alertsPublished);
  count(METRIC.alertsFailed, summary.alertsFailed);
  if (summary.pagerduty) {
    count(METRIC.pagerDutyEventsSent, summary.pagerduty.published);
    count(METRIC.pagerDutyEventsFailed, summary.pagerduty.failed);
  }
  count(METRIC.apiRequests, apiRequests);
  metrics.addMetric(METRIC.pollDuration, MetricUnit.Milliseconds, summary.durationMs);
}

/** The handler without middleware: credentials arrive on the context, the abort signal from middy. */
export async function pollHandler(
  event: ScheduleEvent | undefined,
  context: PollContext,
  options: { signal?: AbortSignal } = {},
): Promise<PollSummary> {
  const runId = context.awsRequestId;
  logger.appendKeys({ runId });
  // A shard that is not this configuration's partition is refused before anything is read (S5 of
  // shard.ts): a stale schedule left from another `deploy.shards` would overlap the current ones.
  const shard = resolveShard(event?.shard, settings.config);
  invocationShard = shard;
  if (shard.count > 1) logger.appendKeys({ shard: formatShard(shard) });
  const secret = context[CREDENTIALS_KEY];
  const credentials = credentialsFromSecret(secret, settings.credentialsSecret);
  const deps = dependenciesFor(
    credentials,
    pagerDutyFromSecret(secret, settings.credentialsSecret, settings.config, process.env),
  );
  const deadline = new Date(Date.now() + context.getRemainingTimeInMillis() - POLL_TIME_MARGIN_MS);
  const requestsBefore = deps.client.stats.requests;
  const summary = await runPoll(deps, {
    config: settings.config,
    shard,
    runId,
    deadline,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  recordMetrics(summary, deps.client.stats.requests - requestsBefore);
  logger.info(SUMMARY_MESSAGE[summary.lease], {
    scheduledTime: event?.scheduledTime,
    lease: summary.lease,
    targets: summary.targets,
    skippedTargets: summary.skippedTargets,
    failedTargets: summary.failedTargets,
    jobsSeen: summary.jobsSeen,
    eventsDetected: summary.eventsDetected,
    eventsByType: countEventsByType(summary.events),
    alertsPublished: summary.alertsPublished,
    alertsFailed: summary.alertsFailed,
    alertsAbandoned: summary.alertsAbandoned,
    alertsOwed: summary.alertsOwed,
    incidents: summary.incidents,
    ...(summary.pagerduty ? { pagerduty: summary.pagerduty } : {}),
    durationMs: summary.durationMs,
  });
  // Another run took over mid-way: this one stopped writing and publishing. A failed invocation
  // (alarmed, in the failure queue) says so; the other run owns the work, so nothing is lost.
  if (summary.lease === 'lost')
    throw new LeaseLostError(runId, summary.leaseHolder ? { holder: summary.leaseHolder } : {});
  return summary;
}

const SUMMARY_MESSAGE: Readonly<Record<LeaseState, string>> = {
  acquired: 'Poll finished',
  'held-by-other': 'Poll skipped: another run holds the lease',
  lost: 'Poll stopped: another run took the lease over',
  'not-used': 'Poll finished (dry run)',
};

/**
 * Credentials from Secrets Manager. Typed as the middleware's options (not inferred from the literal)
 * so the exported handler takes a plain Lambda context: the credentials are added, not expected.
 */
const credentialsMiddlewareOptions: Parameters<typeof secretsManager>[0] = {
  fetchData: { [CREDENTIALS_KEY]: settings.credentialsSecret },
  // One cache entry per secret id (the cache is per process, shared by every middleware instance).
  cacheKey: `secrets-manager:${settings.credentialsSecret}`,
  cacheExpiry: CREDENTIALS_CACHE_MS,
  // Fetch on the first invocation, not at import: a failure then fails that invocation with a clear
  // error instead of becoming an unhandled rejection during init (and X-Ray can capture the client).
  disablePrefetch: true,
  awsClientCapture: (client) => tracer.captureAWSv3Client(client),
  setToContext: true,
};

/**
 * Middleware order as Powertools documents it: tracer first, then logger (context keys; keys from
 * the previous invocation cleared), then metrics (flushed after the handler, also on error). The
 * secret comes last so a failure to fetch it is logged and traced like any other error. `onError`
 * handlers run before the middlewares' own, so the failure data point is flushed by `logMetrics`.
 */
export const handler = middy(pollHandler, { timeoutEarlyInMillis: TIMEOUT_EARLY_MS })
  // First of all: a warm container's previous invocation must not count as this one's heartbeat.
  .before(() => {
    heartbeatRecorded = false;
    invocationShard = undefined;
  })
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { throwOnEmptyMetrics: false }))
  .use(secretsManager(credentialsMiddlewareOptions))
  // Any failure (secret, configuration of the secret, DynamoDB, lease lost, early timeout): a zero
  // heartbeat data point and one structured error line; the error still fails the invocation.
  .onError((request) => {
    // A run that ended (lease lost) has its data point already; one that never got that far has not.
    if (!heartbeatRecorded) recordHeartbeat(0);
    logger.error('Poll failed', request.error instanceof Error ? request.error : String(request.error));
  });
