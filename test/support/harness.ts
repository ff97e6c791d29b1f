/**
 * A whole monitor on loopback for scenario tests: the Cloud Manager simulator over real HTTP, the
 * real DynamoDB adapter against dynalite, the real SNS notifier against an SDK mock (no local SNS
 * peer exists), and a virtual clock shared by all of them so hours pass in microseconds.
 */
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudManagerClient } from '../../functions/adapters/cloud-manager/client.ts';
import { DynamoRunLease } from '../../functions/adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../../functions/adapters/dynamo/dynamo-state-store.ts';
import { SnsNotifier } from '../../functions/adapters/sns/sns-notifier.ts';
import { type ConfigInput, parseConfig } from '../../functions/core/config.ts';
import type { Logger } from '../../functions/core/logger.ts';
import {
  type PollDependencies,
  type PollOptions,
  type PreviewDependencies,
  type PreviewOptions,
  previewPoll,
  runPoll,
} from '../../functions/core/poll.ts';
import type { AlertPublisher, RunLease, StateStore } from '../../functions/core/ports.ts';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { createTestTable, startDynalite } from './dynalite.ts';

export const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:restore-watch-alerts';
export const API_KEY = { publicKey: 'scenario-public', privateKey: 'SENTINEL-PRIVATE-KEY-7f3a' };

export interface PublishedMessage {
  subject: string | undefined;
  eventIds: string[];
  eventTypes: string[];
  body: Record<string, unknown>;
  raw: string;
  attributes: Record<string, unknown>;
}

export interface LogEntry {
  level: string;
  message: string;
  extra?: Record<string, unknown>;
}

export class VirtualClock {
  ms: number;
  constructor(start = Date.parse('2026-11-28T08:00:00.000Z')) {
    this.ms = start;
  }
  now = (): Date => new Date(this.ms);
  advanceMinutes(minutes: number): void {
    this.ms += minutes * 60_000;
  }
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

export async function startHarness(
  options: { simulator?: ConstructorParameters<typeof CloudManagerSimulator>[0] } = {},
) {
  const clock = new VirtualClock();
  const sim = new CloudManagerSimulator({ apiKeys: [API_KEY], now: clock.now, ...options.simulator });
  await sim.start();
  const dynamo = await startDynalite();
  const tableName = await createTestTable(dynamo.client);
  const sns = new SNSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const snsMock = mockClient(sns);
  let messageCounter = 0;
  /** Default SNS behaviour: accept every entry. Tests override with snsMock.on(...). */
  const acceptAll = () =>
    snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => ({
      Successful: (input.PublishBatchRequestEntries ?? []).map((entry) => ({
        Id: entry.Id,
        MessageId: `msg-${++messageCounter}`,
      })),
      Failed: [],
    }));
  acceptAll();
  const logs: LogEntry[] = [];
  const logger: Logger = {
    debug: (message, extra) => logs.push({ level: 'debug', message, ...(extra ? { extra } : {}) }),
    info: (message, extra) => logs.push({ level: 'info', message, ...(extra ? { extra } : {}) }),
    warn: (message, extra) => logs.push({ level: 'warn', message, ...(extra ? { extra } : {}) }),
    error: (message, extra) => logs.push({ level: 'error', message, ...(extra ? { extra } : {}) }),
  };
  const client = new CloudManagerClient({
    baseUrl: sim.baseUrl,
    credentials: { kind: 'apiKey', ...API_KEY },
    sleep: async () => {},
    logger,
  });
  const store = new DynamoStateStore({ client: dynamo.client, tableName, sleep: async () => {} });
  const lease = new DynamoRunLease({ client: dynamo.client, tableName });
  const notifier = new SnsNotifier({
    client: sns,
    topicArn: TOPIC_ARN,
    consoleBaseUrl: sim.origin,
    includeDownloadUrl: false,
    sleep: async () => {},
    logger,
  });
  let runs = 0;

  const deps = (overrides: Partial<PollDependencies> = {}): PollDependencies => ({
    source: client,
    store,
    lease,
    publisher: notifier,
    now: clock.now,
    logger,
    ...overrides,
  });

  const config = (
    input: Omit<ConfigInput, 'cloudManager'> & { cloudManager?: ConfigInput['cloudManager'] },
  ) => parseConfig({ cloudManager: { baseUrl: sim.baseUrl }, ...input }, 'scenario');

  return {
    clock,
    sim,
    dynamo,
    tableName,
    sns,
    snsMock,
    acceptAll,
    client,
    store,
    lease,
    notifier,
    logs,
    deps,
    config,
    /** One poll run, with a fresh run id. */
    poll: (
      cfg: ReturnType<typeof config>,
      overrides: Partial<PollDependencies> = {},
      extra: Partial<PollOptions> = {},
    ) => runPoll(deps(overrides), { config: cfg, runId: `run-${++runs}`, ...extra }),
    /** One dry run, with a fresh run id: no publisher, the state read-only. */
    preview: (
      cfg: ReturnType<typeof config>,
      overrides: Partial<PreviewDependencies> = {},
      extra: Partial<PreviewOptions> = {},
    ) =>
      previewPoll(
        { source: client, state: store, now: clock.now, logger, ...overrides },
        { config: cfg, runId: `run-${++runs}`, ...extra },
      ),
    /** Every message SNS accepted or was asked to take, in order. */
    published: (): PublishedMessage[] =>
      snsMock
        .commandCalls(PublishBatchCommand)
        .flatMap((call) =>
          (call.args[0].input.PublishBatchRequestEntries ?? []).map((entry) => parseEntry(entry)),
        ),
    async stop() {
      snsMock.restore();
      sns.destroy();
      await sim.stop();
      await dynamo.stop();
    },
  };
}

function parseEntry(
  entry: NonNullable<PublishBatchCommandInput['PublishBatchRequestEntries']>[number],
): PublishedMessage {
  const structure = JSON.parse(entry.Message ?? '{}') as { default?: string };
  const body = JSON.parse(structure.default ?? '{}') as Record<string, unknown> & { events?: unknown[] };
  const events = (Array.isArray(body.events) ? body.events : [body]) as Array<{
    eventId?: string;
    eventType?: string;
  }>;
  return {
    subject: entry.Subject,
    eventIds: events.map((e) => String(e.eventId)),
    eventTypes: events.map((e) => String(e.eventType)),
    body,
    raw: JSON.stringify(entry),
    attributes: (entry.MessageAttributes ?? {}) as Record<string, unknown>,
  };
}

/** A port wrapper that "kills the process" at a chosen call: that call and every later call fail. */
export class ProcessDeath {
  dead = false;
  private readonly at: { method: string; call?: number };
  private calls = 0;
  constructor(at: { method: string; call?: number }) {
    this.at = at;
  }
  check(method: string): void {
    if (this.dead) throw new Error(`process is dead (${method} after the crash)`);
    if (method === this.at.method && ++this.calls >= (this.at.call ?? 1)) {
      this.dead = true;
      throw new Error(`injected crash at ${method}`);
    }
  }
  wrap<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          this.check(String(property));
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  }
  /** Crash after the wrapped publisher's call succeeded (SNS accepted, then the process died). */
  wrapPublisherDyingAfterSuccess(publisher: AlertPublisher): AlertPublisher {
    return {
      publish: async (groups, context) => {
        if (this.dead) throw new Error('process is dead');
        const result = await publisher.publish(groups, context);
        this.dead = true;
        return result;
      },
    };
  }
  wrapStore(store: StateStore): StateStore {
    return this.wrap(store);
  }
  wrapLease(lease: RunLease): RunLease {
    return this.wrap(lease);
  }
}
