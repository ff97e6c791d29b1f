/**
 * DynamoDB faults that dynalite cannot produce by itself, injected into a real client talking to the
 * test's dynalite: throttling errors thrown inside the SDK's retry loop (so a short burst is absorbed
 * exactly as in production and a long one surfaces), unprocessed items and keys from batch calls (only
 * part of the request reaches the table, the rest comes back to be re-sent), and an endpoint that stops
 * answering (requests are sent to a closed port, a real ECONNREFUSED).
 */
import { createServer } from 'node:net';
import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { DynamoRunLease } from '../../../functions/adapters/dynamo/dynamo-run-lease.ts';
import { DynamoStateStore } from '../../../functions/adapters/dynamo/dynamo-state-store.ts';

/** DynamoDB API names as the SDK reports them (`BatchWriteItem`, `UpdateItem`, `Query`, ...). */
export type DynamoApi =
  | 'BatchGetItem'
  | 'BatchWriteItem'
  | 'DeleteItem'
  | 'GetItem'
  | 'PutItem'
  | 'Query'
  | 'UpdateItem';

export type DynamoFault =
  | { kind: 'ProvisionedThroughputExceededException' | 'ThrottlingException' }
  /** The request goes to a port nobody listens on. */
  | { kind: 'unreachable' }
  /** Batch calls only: the second half of the items or keys (all of a single one) is left unprocessed. */
  | { kind: 'unprocessed' };

export interface DynamoFaultRule {
  api: DynamoApi;
  fault: DynamoFault;
  /** Only requests this accepts (the DocumentClient input, before marshalling). @default all */
  when?: (input: Record<string, unknown>) => boolean;
  /** Requests the rule hits, each SDK attempt counting once. @default Infinity */
  times?: number;
}

/** SDK attempts per request, as the production clients (standard mode, 3 attempts). */
const SDK_MAX_ATTEMPTS = 3;

/**
 * The standard retry policy (3 attempts for throttling, 5xx and network errors) without its waiting,
 * so a throttle absorbed by the SDK costs no wall time in tests.
 */
const retryWithoutWaiting = {
  mode: 'standard',
  acquireInitialRetryToken: async () => token(0),
  refreshRetryTokenForRetry: async (
    previous: { getRetryCount(): number },
    info: { errorType: string },
  ): Promise<ReturnType<typeof token>> => {
    const retryable = ['THROTTLING', 'TRANSIENT', 'SERVER_ERROR'].includes(info.errorType);
    if (!retryable || previous.getRetryCount() + 1 >= SDK_MAX_ATTEMPTS) throw new Error('no retry left');
    return token(previous.getRetryCount() + 1);
  },
  recordSuccess: () => {},
};

function token(count: number) {
  return { getRetryCount: () => count, getRetryDelay: () => 0, getRetryCost: () => 0 };
}

/** A port on 127.0.0.1 that nobody listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 1;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export class DynamoFaults {
  readonly client: DynamoDBClient;
  /** Every attempt that met a fault: `BatchWriteItem:ThrottlingException`. */
  readonly hits: string[] = [];
  readonly #rules: Array<DynamoFaultRule & { left: number }> = [];
  readonly #deadPort: number;

  private constructor(endpoint: string, deadPort: number) {
    this.#deadPort = deadPort;
    this.client = new DynamoDBClient({
      endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: SDK_MAX_ATTEMPTS,
      retryStrategy: retryWithoutWaiting as never,
    });
    // Inside the retry loop: each attempt may meet an error fault, as with a real throttled table.
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const api = apiOf(context.commandName);
        const rule = this.#take(api, args.input as Record<string, unknown>, (f) => f.kind !== 'unprocessed');
        if (rule?.fault.kind === 'unreachable') {
          const request = args.request as { port?: number; hostname?: string };
          request.hostname = '127.0.0.1';
          request.port = this.#deadPort;
        } else if (rule) {
          const Fault =
            rule.fault.kind === 'ThrottlingException'
              ? ThrottlingException
              : ProvisionedThroughputExceededException;
          throw new Fault({ message: `Injected ${rule.fault.kind}`, $metadata: { httpStatusCode: 400 } });
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'injectedDynamoErrors' },
    );
    // Outside the retry loop, on the unmarshalled input: split batch calls.
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const api = apiOf(context.commandName);
        if (api !== 'BatchWriteItem' && api !== 'BatchGetItem') return next(args);
        const input = args.input as { RequestItems?: Record<string, unknown> };
        const rule = this.#take(api, input as Record<string, unknown>, (f) => f.kind === 'unprocessed');
        if (!rule) return next(args);
        const forward = next as unknown as Next;
        const result =
          api === 'BatchWriteItem' ? splitWrite(forward, args, input) : splitGet(forward, args, input);
        return result as unknown as ReturnType<typeof next>;
      },
      { step: 'initialize', priority: 'high', name: 'injectedUnprocessedItems' },
    );
  }

  /** A faulty client (and store and lease on it) for the same dynalite as the harness. */
  static async for(endpoint: string): Promise<DynamoFaults> {
    return new DynamoFaults(endpoint, await closedPort());
  }

  add(rule: DynamoFaultRule): this {
    this.#rules.push({ ...rule, left: rule.times ?? Number.POSITIVE_INFINITY });
    return this;
  }

  clear(): void {
    this.#rules.length = 0;
  }

  store(tableName: string): DynamoStateStore {
    return new DynamoStateStore({ client: this.client, tableName, sleep: async () => {} });
  }

  lease(tableName: string): DynamoRunLease {
    return new DynamoRunLease({ client: this.client, tableName });
  }

  destroy(): void {
    this.client.destroy();
  }

  #take(
    api: string,
    input: Record<string, unknown>,
    applies: (fault: DynamoFault) => boolean,
  ): DynamoFaultRule | undefined {
    const rule = this.#rules.find(
      (r) => r.left > 0 && r.api === api && applies(r.fault) && (r.when?.(input) ?? true),
    );
    if (!rule) return undefined;
    rule.left -= 1;
    this.hits.push(`${api}:${rule.fault.kind}`);
    return rule;
  }
}

function apiOf(commandName: string | undefined): string {
  return (commandName ?? '').replace(/Command$/, '');
}

type Next = (args: never) => Promise<{ output: Record<string, unknown> } & Record<string, unknown>>;

/** What DynamoDB answers when it processed nothing of a batch (it may: "all items unprocessed"). */
function nothingProcessed(output: Record<string, unknown>) {
  return { response: {}, output: { $metadata: { httpStatusCode: 200 }, ...output } };
}

/** Writes the first half (rounded down) of the items; the rest comes back as UnprocessedItems. */
async function splitWrite(
  next: Next,
  args: { input: unknown },
  input: { RequestItems?: Record<string, unknown> },
) {
  const [table, requests] = Object.entries(input.RequestItems ?? {})[0] ?? [];
  if (!table || !Array.isArray(requests)) return next(args as never);
  const half = Math.floor(requests.length / 2);
  const unprocessed = { UnprocessedItems: { [table]: requests.slice(half) } };
  if (half === 0) return nothingProcessed(unprocessed);
  const result = await next({
    ...args,
    input: { ...input, RequestItems: { [table]: requests.slice(0, half) } },
  } as never);
  return { ...result, output: { ...result.output, ...unprocessed } };
}

/** Reads the first half (rounded down) of the keys; the rest comes back as UnprocessedKeys. */
async function splitGet(
  next: Next,
  args: { input: unknown },
  input: { RequestItems?: Record<string, unknown> },
) {
  const [table, request] = Object.entries(input.RequestItems ?? {})[0] ?? [];
  const keys = (request as { Keys?: unknown[] } | undefined)?.Keys;
  if (!table || !Array.isArray(keys)) return next(args as never);
  const half = Math.floor(keys.length / 2);
  const unprocessed = { UnprocessedKeys: { [table]: { ...(request as object), Keys: keys.slice(half) } } };
  if (half === 0) return nothingProcessed({ Responses: { [table]: [] }, ...unprocessed });
  const sent = { ...(request as object), Keys: keys.slice(0, half) };
  const result = await next({ ...args, input: { ...input, RequestItems: { [table]: sent } } } as never);
  return { ...result, output: { ...result.output, ...unprocessed } };
}

/** `when` helpers: what a BatchWriteItem writes. */
export const writes = {
  events: (input: Record<string, unknown>) =>
    batchItems(input).some((item) => attr(item.pk).startsWith('EVENT#')),
  jobStates: (input: Record<string, unknown>) =>
    batchItems(input).some((item) => attr(item.sk).startsWith('JOB#')),
  targetStates: (input: Record<string, unknown>) =>
    batchItems(input).some((item) => attr(item.sk) === '#TARGET'),
  /** Event records written back as published (markPublished batches them). */
  publishMarks: (input: Record<string, unknown>) =>
    batchItems(input).some((item) => attr(item.pk).startsWith('EVENT#') && attr(item.publishedAt) !== ''),
};

/** A string attribute, plain (before marshalling) or as `{ S: ... }` (after). */
function attr(value: unknown): string {
  if (typeof value === 'string') return value;
  const s = (value as { S?: unknown } | undefined)?.S;
  return typeof s === 'string' ? s : '';
}

function batchItems(input: Record<string, unknown>): Array<Record<string, unknown>> {
  const items = Object.values((input.RequestItems ?? {}) as Record<string, unknown>)[0];
  if (!Array.isArray(items)) return [];
  return items
    .map((request) => (request as { PutRequest?: { Item?: Record<string, unknown> } }).PutRequest?.Item)
    .filter((item): item is Record<string, unknown> => item !== undefined);
}

/**
 * `when` helper: a Query of the owed index (the run's first read, `readRunState`, and the publisher's
 * `listOwedEvents`), not of job states or the audit trail.
 */
export const queriesOwed = (input: Record<string, unknown>): boolean => input.IndexName === 'owed';

/** `when` helper: the publisher's reads of owed events only (`listOwedEvents`), after the run's first read. */
export const queriesOwedEvents = (input: Record<string, unknown>): boolean =>
  input.IndexName === 'owed' && String(input.KeyConditionExpression).includes('#sk');
