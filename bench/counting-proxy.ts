/**
 * A counting HTTP proxy in front of dynalite: every DynamoDB request of the measured poll passes
 * through it and is counted by its `X-Amz-Target` operation (`DynamoDB_20120810.BatchGetItem` →
 * `BatchGetItem`). It is independent of the store's own counters on purpose: the benchmark reports
 * what went over the wire and cross-checks it against `DynamoStateStore.stats`.
 *
 * It also keeps the "busy" time, the wall time during which at least one DynamoDB request was in
 * flight, so a slow local DynamoDB (dynalite) can be told apart from the poll's own cost.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyCounts {
  /** Requests by DynamoDB operation, e.g. `{ BatchGetItem: 5, PutItem: 1 }`. */
  byOperation: Record<string, number>;
  total: number;
  /** Wall time with one or more requests in flight. */
  busyMs: number;
  /** Sum of the durations of every request (≥ busyMs when requests overlap). */
  requestMs: number;
  /**
   * Items written (put, updated or deleted) by kind, read from the request bodies: `target`, `job`,
   * `event`, `lease`. This is how "no writes for unchanged jobs" is checked on the wire.
   */
  writtenItems: Record<string, number>;
}

export interface CountingProxy {
  /** `http://127.0.0.1:{port}`: give this to the DynamoDB client as its endpoint. */
  endpoint: string;
  counts(): ProxyCounts;
  reset(): void;
  stop(): Promise<void>;
}

const TARGET_PREFIX = /^DynamoDB_\d+\./;
const WRITE_OPERATIONS: ReadonlySet<string> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
]);

/** Item kinds by sort key (layout: functions/core/table-schema.ts). */
export function itemKind(sortKey: string | undefined): string {
  if (sortKey === '#TARGET') return 'target';
  if (sortKey?.startsWith('JOB#')) return 'job';
  if (sortKey === '#DIGEST') return 'digest';
  if (sortKey === 'EVENT') return 'event';
  if (sortKey === 'LEASE') return 'lease';
  return 'other';
}

type WireItem = Record<string, { S?: string } | undefined>;

/** Sort keys of every item a write request touches (DynamoDB JSON wire format). */
export function writtenSortKeys(operation: string, body: Buffer | string): Array<string | undefined> {
  let parsed: {
    Item?: WireItem;
    Key?: WireItem;
    RequestItems?: Record<
      string,
      Array<{ PutRequest?: { Item?: WireItem }; DeleteRequest?: { Key?: WireItem } }>
    >;
  };
  try {
    parsed = JSON.parse(body.toString()) as typeof parsed;
  } catch {
    return [undefined];
  }
  if (operation === 'BatchWriteItem') {
    return Object.values(parsed.RequestItems ?? {}).flatMap((requests) =>
      requests.map((r) => (r.PutRequest?.Item ?? r.DeleteRequest?.Key)?.sk?.S),
    );
  }
  return [(parsed.Item ?? parsed.Key)?.sk?.S];
}

export function operationOf(amzTarget: string | string[] | undefined): string {
  const value = Array.isArray(amzTarget) ? amzTarget[0] : amzTarget;
  return value ? value.replace(TARGET_PREFIX, '') : '(none)';
}

/** Starts the proxy on 127.0.0.1 (ephemeral port), forwarding to `upstream` (dynalite's endpoint). */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  let byOperation: Record<string, number> = {};
  let total = 0;
  let inFlight = 0;
  let busySince = 0;
  let busyMs = 0;
  let requestMs = 0;
  let writtenItems: Record<string, number> = {};
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

  const begin = () => {
    if (inFlight++ === 0) busySince = performance.now();
  };
  const end = (startedAt: number) => {
    const at = performance.now();
    requestMs += at - startedAt;
    if (--inFlight === 0) busyMs += at - busySince;
  };

  const countWrites = (operation: string, body: Buffer) => {
    if (!WRITE_OPERATIONS.has(operation)) return;
    for (const sk of writtenSortKeys(operation, body)) {
      const kind = itemKind(sk);
      writtenItems[kind] = (writtenItems[kind] ?? 0) + 1;
    }
  };

  const handle = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const operation = operationOf(incoming.headers['x-amz-target']);
    byOperation[operation] = (byOperation[operation] ?? 0) + 1;
    total++;
    const startedAt = performance.now();
    begin();
    let ended = false;
    const finish = () => {
      if (!ended) {
        ended = true;
        end(startedAt);
      }
    };
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      countWrites(operation, body);
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
          agent: keepAlive,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
          answer.on('end', finish);
          answer.on('error', finish);
        },
      );
      forward.on('error', (error) => {
        finish();
        if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`counting proxy: upstream failed: ${error.message}`);
      });
      forward.end(body);
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({
      byOperation: { ...byOperation },
      total,
      busyMs,
      requestMs,
      writtenItems: { ...writtenItems },
    }),
    reset: () => {
      byOperation = {};
      writtenItems = {};
      total = 0;
      busyMs = 0;
      requestMs = 0;
      if (inFlight > 0) busySince = performance.now();
    },
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      keepAlive.destroy();
      await closed;
    },
  };
}
