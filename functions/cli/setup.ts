/**
 * Validates everything a polling command needs before anything is written, reporting every problem
 * at once (exit code 2), then builds the poll's dependencies.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import type { PagerDutyEventOptions } from '../adapters/pagerduty/pagerduty-event.ts';
import { type Config, ConfigError, DEFAULT_PAGERDUTY_EVENTS_URL } from '../core/config.ts';
import { TABLE_NAME, TOPIC_ARN } from '../core/config-deploy.ts';
import { isAllowedBaseUrl } from '../core/config-fields.ts';
import {
  type CloudManagerCredentials,
  type PagerDutySettings,
  parseCredentials,
  parsePagerDuty,
} from '../core/credentials.ts';
import { ENV } from '../core/environment.ts';
import type { Logger } from '../core/logger.ts';
import { resolveShard, type Shard, ShardSpecError } from '../core/shard.ts';
import { connectionProblems, createCloudManagerConnection } from '../runtime/cloud-manager-connection.ts';
import {
  createPollDependencies,
  createPreviewDependencies,
  type PollRuntime,
  type PreviewRuntime,
  pagerDutyEventOptions,
  type SourceInput,
} from '../runtime/dependencies.ts';
import { createPagerDutyConnection, pagerDutyConnectionProblems } from '../runtime/pagerduty-connection.ts';
import { awsNetwork } from './aws-network.ts';
import { type CliIo, loadCaBundle, loadConfigFile, openStateTable, type StateTable } from './context.ts';

export interface PollSetup {
  config: Config;
  /** The partition to poll (`--shard`), checked against `deploy.shards`. */
  shard: Shard;
  credentials: CloudManagerCredentials;
  topicArn?: string;
  baseUrlOverride?: string;
  /** PagerDuty, when `PAGERDUTY_ROUTING_KEY` is set. */
  pagerduty?: PagerDutySettings;
  /** The certificates of `cloudManager.caFile`, checked. */
  caBundle?: { pem: string; source: string };
}

export async function validatePollInputs(
  configPath: string,
  io: CliIo,
  requestedShard?: string,
): Promise<PollSetup> {
  const problems: string[] = [];
  let config: Config | undefined;
  try {
    config = await loadConfigFile(configPath, io);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems.map((p) => `${configPath}: ${p}`));
  }
  let shard: Shard | undefined;
  try {
    if (config) shard = resolveShard(requestedShard, config);
  } catch (error) {
    if (!(error instanceof ShardSpecError)) throw error;
    problems.push(requestedShard === undefined ? error.message : `--${error.message}`);
  }
  let caBundle: PollSetup['caBundle'];
  if (config) {
    try {
      caBundle = loadCaBundle(config, configPath, io);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems.map((p) => `${configPath}: ${p}`));
    }
    // The proxy variables apply to both channels: one line for a problem they share.
    const reach = { config, proxyEnvironment: io.env };
    problems.push(...new Set([...connectionProblems(reach), ...pagerDutyConnectionProblems(reach)]));
  }
  let credentials: CloudManagerCredentials | undefined;
  try {
    credentials = parseCredentials(io.env, 'the environment');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const topicArn = io.env[ENV.topicArn] || undefined;
  if (topicArn && !TOPIC_ARN.test(topicArn)) {
    problems.push(
      `${ENV.topicArn}: not an SNS topic ARN (expected arn:aws:sns:<region>:<12-digit account>:<name>)`,
    );
  }
  const tableName = io.env[ENV.table];
  if (tableName && !TABLE_NAME.test(tableName)) {
    problems.push(`${ENV.table}: not a valid DynamoDB table name (3-255 characters: letters, digits, _ . -)`);
  }
  const baseUrlOverride = io.env[ENV.baseUrl] || undefined;
  if (baseUrlOverride && !isAllowedBaseUrl(baseUrlOverride)) {
    problems.push(
      `${ENV.baseUrl}: must be an https:// URL (plain http only for localhost / 127.0.0.1 / [::1])`,
    );
  }
  let pagerduty: PagerDutySettings | undefined;
  try {
    pagerduty = parsePagerDuty(
      { routingKey: io.env[ENV.pagerdutyRoutingKey], eventsUrl: io.env[ENV.pagerdutyEventsUrl] },
      config?.alerts.pagerduty.eventsUrl ?? DEFAULT_PAGERDUTY_EVENTS_URL,
      { routingKey: ENV.pagerdutyRoutingKey, eventsUrl: ENV.pagerdutyEventsUrl },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !config || !credentials || !shard)
    throw new ConfigError('configuration or environment', problems);
  return {
    config,
    shard,
    credentials,
    ...(topicArn ? { topicArn } : {}),
    ...(baseUrlOverride ? { baseUrlOverride } : {}),
    ...(pagerduty ? { pagerduty } : {}),
    ...(caBundle ? { caBundle } : {}),
  };
}

function sourceInput(setup: PollSetup, io: CliIo, logger: Logger, table: StateTable): SourceInput {
  return {
    config: setup.config,
    credentials: setup.credentials,
    ...(setup.baseUrlOverride ? { baseUrlOverride: setup.baseUrlOverride } : {}),
    tableName: table.tableName,
    dynamoClient: table.client,
    logger,
    now: io.now,
    // The CLI honours HTTPS_PROXY / NO_PROXY for Cloud Manager calls (unless cloudManager.proxyUrl).
    connection: createCloudManagerConnection({
      config: setup.config,
      ...(setup.caBundle ? { caBundle: setup.caBundle } : {}),
      proxyEnvironment: io.env,
    }),
  };
}

/** A live run's dependencies: SNS when a topic is set, else alerts printed to `io.stdout`. */
export async function buildRuntime(
  setup: PollSetup,
  io: CliIo,
  logger: Logger,
  state?: StateTable,
): Promise<{ runtime: PollRuntime; state: StateTable; close(): Promise<void> }> {
  const table = state ?? (await openStateTable(io));
  const snsNetwork = setup.topicArn ? awsNetwork(io.env) : undefined;
  const snsClient = snsNetwork ? new SNSClient({ maxAttempts: 3, ...snsNetwork.clientOptions }) : undefined;
  const source = sourceInput(setup, io, logger, table);
  // PagerDuty through alerts.pagerduty.proxyUrl, else HTTPS_PROXY / NO_PROXY, as Cloud Manager.
  const pagerDutyConnection = setup.pagerduty
    ? createPagerDutyConnection({ config: setup.config, proxyEnvironment: io.env })
    : undefined;
  const runtime = createPollDependencies({
    ...source,
    ...(setup.pagerduty ? { pagerduty: setup.pagerduty } : {}),
    ...(pagerDutyConnection ? { pagerDutyConnection } : {}),
    alerts:
      setup.topicArn && snsClient
        ? { kind: 'sns', topicArn: setup.topicArn, snsClient }
        : { kind: 'console', write: io.stdout, color: io.isTTY },
  });
  return {
    runtime,
    state: table,
    close: async () => {
      snsClient?.destroy();
      snsNetwork?.close();
      source.connection?.close();
      pagerDutyConnection?.close();
      if (!state) await table.close();
    },
  };
}

/**
 * A dry run's dependencies: no publisher of any kind, whatever the environment names; with a routing
 * key, how a live run would make its PagerDuty events (to print them, the key redacted).
 */
export async function buildPreviewRuntime(
  setup: PollSetup,
  io: CliIo,
  logger: Logger,
): Promise<{ runtime: PreviewRuntime; pagerduty?: PagerDutyEventOptions; close(): Promise<void> }> {
  const table = await openStateTable(io);
  const source = sourceInput(setup, io, logger, table);
  return {
    runtime: createPreviewDependencies(source),
    ...(setup.pagerduty ? { pagerduty: pagerDutyEventOptions(source, setup.pagerduty) } : {}),
    close: async () => {
      source.connection?.close();
      await table.close();
    },
  };
}

export function newRunId(now: Date): string {
  return `run-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${crypto.randomUUID().slice(0, 8)}`;
}
