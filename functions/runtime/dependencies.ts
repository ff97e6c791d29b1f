/**
 * The composition root shared by the Lambda handler and the CLI: the one place that turns a validated
 * configuration, credentials and SDK clients into the poll's ports. Nothing below `core/` builds an
 * SDK client itself (house style: clients are passed in).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { CloudManagerClient } from '../adapters/cloud-manager/client.ts';
import { ConsolePublisher } from '../adapters/console/console-publisher.ts';
import { DynamoRunLease } from '../adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../adapters/dynamo/dynamo-state-store.ts';
import { SnsNotifier } from '../adapters/sns/sns-notifier.ts';
import { consoleBaseUrlFor } from '../core/alerts/console-links.ts';
import type { CloudManagerCredentials, Config } from '../core/config.ts';
import type { PollDependencies, PollLogger } from '../core/poll.ts';
import type { AlertPublisher } from '../core/ports.ts';

export interface DependencyInput {
  config: Config;
  credentials: CloudManagerCredentials;
  /** `CLOUD_MANAGER_BASE_URL`, when set, wins over the configuration. */
  baseUrlOverride?: string;
  tableName: string;
  /** Without a topic, alerts are written to `write` (the terminal) instead of SNS. */
  topicArn?: string;
  dynamoClient: DynamoDBClient;
  snsClient?: SNSClient;
  logger: PollLogger;
  /** Where the console publisher writes; default stdout. */
  write?: (text: string) => void;
  /** Console rendering when there is no topic. */
  consoleFormat?: 'email' | 'slack' | 'both' | 'json';
  /** ANSI colours in console output; the CLI passes whether its stdout is a terminal. Default off. */
  color?: boolean;
  now?: () => Date;
}

export interface PollRuntime extends PollDependencies {
  client: CloudManagerClient;
  store: DynamoStateStore;
  lease: DynamoRunLease;
  publisher: AlertPublisher;
}

export function createPollDependencies(input: DependencyInput): PollRuntime {
  const baseUrl = input.baseUrlOverride ?? input.config.cloudManager.baseUrl;
  const consoleBaseUrl = consoleBaseUrlFor(baseUrl);
  const client = new CloudManagerClient({
    baseUrl,
    credentials: input.credentials,
    requestsPerMinute: input.config.cloudManager.requestsPerMinute,
    requestTimeoutMs: input.config.cloudManager.requestTimeoutMs,
    logger: input.logger,
  });
  const store = new DynamoStateStore({
    client: input.dynamoClient,
    tableName: input.tableName,
    retentionDays: input.config.state.retentionDays,
  });
  const lease = new DynamoRunLease({ client: input.dynamoClient, tableName: input.tableName });
  const includeDownloadUrl = input.config.alerts.includeDownloadUrl;
  let publisher: AlertPublisher;
  if (input.topicArn) {
    if (!input.snsClient) throw new Error('createPollDependencies: a topicArn needs an snsClient');
    publisher = new SnsNotifier({
      client: input.snsClient,
      topicArn: input.topicArn,
      consoleBaseUrl,
      includeDownloadUrl,
      logger: input.logger,
    });
  } else {
    publisher = new ConsolePublisher({
      write: input.write ?? ((text) => process.stdout.write(text)),
      consoleBaseUrl,
      includeDownloadUrl,
      format: input.consoleFormat ?? 'both',
      color: input.color === true,
    });
  }
  return {
    client,
    source: client,
    store,
    lease,
    publisher,
    now: input.now ?? (() => new Date()),
    logger: input.logger,
  };
}
