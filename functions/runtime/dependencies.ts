/**
 * The composition root shared by the Lambda handler and the CLI: the one place that turns a validated
 * configuration, credentials and SDK clients into the poll's ports. Nothing below `core/` builds an
 * SDK client itself (house style: clients are passed in).
 *
 * A live run gets a publisher (SNS with a topic, the terminal without); a dry run gets none: it is
 * built by `createPreviewDependencies`, which has no way to make one.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { CloudManagerClient } from '../adapters/cloud-manager/client.ts';
import type { CloudManagerConnection } from '../adapters/cloud-manager/connection.ts';
import { type ConsoleFormat, ConsolePublisher } from '../adapters/console/console-publisher.ts';
import { DynamoRunLease } from '../adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../adapters/dynamo/dynamo-state-store.ts';
import type { OutboundConnection } from '../adapters/outbound-connection.ts';
import type { PagerDutyEventOptions } from '../adapters/pagerduty/pagerduty-event.ts';
import { PagerDutyNotifier } from '../adapters/pagerduty/pagerduty-notifier.ts';
import { UnusablePagerDuty } from '../adapters/pagerduty/unusable-pagerduty.ts';
import { SnsNotifier } from '../adapters/sns/sns-notifier.ts';
import { consoleBaseUrlFor } from '../core/alerts/console-links.ts';
import type { Config } from '../core/config.ts';
import type { CloudManagerCredentials, PagerDutySettings } from '../core/credentials.ts';
import type { Logger } from '../core/logger.ts';
import type { PollDependencies, PreviewDependencies } from '../core/poll.ts';
import type { AlertPublisher } from '../core/ports.ts';

export interface SourceInput {
  config: Config;
  credentials: CloudManagerCredentials;
  /** `CLOUD_MANAGER_BASE_URL`, when set, wins over the configuration. */
  baseUrlOverride?: string;
  tableName: string;
  dynamoClient: DynamoDBClient;
  logger: Logger;
  now?: () => Date;
  /** Trusted CAs and proxy for Cloud Manager calls (`createCloudManagerConnection`). @default direct */
  connection?: CloudManagerConnection;
}

/** Where alerts go in a live run: an SNS topic, or (without one) the terminal. */
export type AlertChannelInput =
  | { kind: 'sns'; topicArn: string; snsClient: SNSClient }
  | {
      kind: 'console';
      /** Where the console publisher writes; default stdout. */
      write?: (text: string) => void;
      /** @default 'both' */
      format?: ConsoleFormat;
      /** ANSI colours; the CLI passes whether its stdout is a terminal. @default false */
      color?: boolean;
    };

export interface DependencyInput extends SourceInput {
  alerts: AlertChannelInput;
  /**
   * The PagerDuty channel, when a routing key is configured; `{ unusable }` when one is configured
   * but cannot be used (its events stay owed, SNS goes on: see `UnusablePagerDuty`).
   */
  pagerduty?: PagerDutySettings | { unusable: string };
  /**
   * How PagerDuty is reached (`createPagerDutyConnection`: `alerts.pagerduty.proxyUrl`, or the CLI's
   * HTTPS_PROXY). @default direct
   */
  pagerDutyConnection?: OutboundConnection;
}

export interface PollRuntime extends PollDependencies {
  client: CloudManagerClient;
  store: DynamoStateStore;
  lease: DynamoRunLease;
  publisher: AlertPublisher;
}

export interface PreviewRuntime extends PreviewDependencies {
  client: CloudManagerClient;
  state: DynamoStateStore;
}

/** The API base URL in effect: the override (environment) or the configuration's. */
export function apiBaseUrl(input: Pick<SourceInput, 'config' | 'baseUrlOverride'>): string {
  return input.baseUrlOverride ?? input.config.cloudManager.baseUrl;
}

function createClient(input: SourceInput): CloudManagerClient {
  return new CloudManagerClient({
    baseUrl: apiBaseUrl(input),
    credentials: input.credentials,
    requestsPerMinute: input.config.cloudManager.requestsPerMinute,
    requestTimeoutMs: input.config.cloudManager.requestTimeoutMs,
    logger: input.logger,
    ...(input.connection ? { connection: input.connection } : {}),
  });
}

function createStore(input: SourceInput): DynamoStateStore {
  return new DynamoStateStore({
    client: input.dynamoClient,
    tableName: input.tableName,
    retentionDays: input.config.state.retentionDays,
  });
}

/** The publisher of a live run. */
export function createPublisher(
  input: Pick<SourceInput, 'config' | 'baseUrlOverride' | 'logger'>,
  alerts: AlertChannelInput,
): AlertPublisher {
  const consoleBaseUrl = consoleBaseUrlFor(apiBaseUrl(input));
  const includeDownloadUrl = input.config.alerts.includeDownloadUrl;
  if (alerts.kind === 'sns') {
    return new SnsNotifier({
      client: alerts.snsClient,
      topicArn: alerts.topicArn,
      consoleBaseUrl,
      includeDownloadUrl,
      logger: input.logger,
    });
  }
  return new ConsolePublisher({
    write: alerts.write ?? ((text) => process.stdout.write(text)),
    consoleBaseUrl,
    includeDownloadUrl,
    format: alerts.format ?? 'both',
    color: alerts.color === true,
  });
}

/**
 * How PagerDuty events of this deployment are made: the state table's name prefixes every dedup_key,
 * so two deployments sharing an integration never touch each other's incidents.
 */
export function pagerDutyEventOptions(
  input: Pick<SourceInput, 'config' | 'baseUrlOverride' | 'tableName'>,
  pagerduty: PagerDutySettings,
): PagerDutyEventOptions {
  return {
    routingKey: pagerduty.routingKey,
    dedupPrefix: `restore-watch/${input.tableName}`,
    consoleBaseUrl: consoleBaseUrlFor(apiBaseUrl(input)),
  };
}

export function createPollDependencies(input: DependencyInput): PollRuntime {
  const client = createClient(input);
  return {
    client,
    source: client,
    store: createStore(input),
    lease: new DynamoRunLease({ client: input.dynamoClient, tableName: input.tableName }),
    publisher: createPublisher(input, input.alerts),
    ...(input.pagerduty ? { pagerduty: createPagerDuty(input, input.pagerduty) } : {}),
    now: input.now ?? (() => new Date()),
    logger: input.logger,
  };
}

function createPagerDuty(
  input: DependencyInput,
  pagerduty: NonNullable<DependencyInput['pagerduty']>,
): AlertPublisher {
  if ('unusable' in pagerduty) return new UnusablePagerDuty(pagerduty.unusable);
  return new PagerDutyNotifier({
    ...pagerDutyEventOptions(input, pagerduty),
    eventsUrl: pagerduty.eventsUrl,
    ...(input.pagerDutyConnection ? { connection: input.pagerDutyConnection } : {}),
    logger: input.logger,
  });
}

export function createPreviewDependencies(input: SourceInput): PreviewRuntime {
  const client = createClient(input);
  return {
    client,
    source: client,
    state: createStore(input),
    now: input.now ?? (() => new Date()),
    logger: input.logger,
  };
}
