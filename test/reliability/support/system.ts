/**
 * System-level helpers for the reliability matrices: an SNS stand-in that decides per entry and keeps
 * what it accepted, a crash injector for every port call of a run, and readers for the audit trail.
 * They sit on top of `test/support/harness.ts` (simulator over HTTP, dynalite, SNS SDK mock).
 */
import { randomBytes } from 'node:crypto';
import { PublishBatchCommand, type PublishBatchCommandInput } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type {
  AlertPublisher,
  RestoreJobSource,
  RunLease,
  StateStore,
} from '../../../functions/core/ports.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import type { Harness } from '../../support/harness.ts';

/** A fresh 24-hex ObjectId, so cases sharing one simulator never share a project or cluster. */
export function newObjectId(): string {
  return randomBytes(12).toString('hex');
}

type Entry = NonNullable<PublishBatchCommandInput['PublishBatchRequestEntries']>[number];

/** What SNS does with one entry of a PublishBatch call. */
export type EntryVerdict = 'accept' | 'server-fail' | 'sender-fail';

export interface AcceptedMessage {
  messageId: string;
  eventIds: string[];
  eventTypes: string[];
  subject: string | undefined;
  raw: string;
  /** `SnsGate.round` when SNS accepted it. */
  round: number;
}

/**
 * Stands in for SNS behind the harness's SDK mock. `outage` makes whole calls fail (a 5xx, or any
 * error given); `verdict` decides entry by entry (partial failures in an HTTP 200). Everything accepted
 * is kept, so tests can count deliveries, not attempts.
 */
export class SnsGate {
  readonly accepted: AcceptedMessage[] = [];
  /** Entries SNS was asked to take, accepted or not. */
  attempts = 0;
  outage: Error | undefined;
  verdict: (eventIds: string[], entry: Entry) => EntryVerdict = () => 'accept';
  /** The `Message` of a rejected entry (SNS may quote the request back). */
  failureText: (entry: Entry) => string = () => 'Invalid parameter: Message Structure - injected rejection';
  /** Decides whole calls (event ids per entry): an error makes SNS refuse the call, e.g. a 400. */
  callFault: (entries: string[][]) => Error | undefined = () => undefined;
  /** Tests bump this per poll to know which run an acceptance happened in. */
  round = 0;
  /** Per event id: how many times SNS rejected a message carrying it as invalid (SenderFault). */
  readonly rejections = new Map<string, number>();
  /**
   * Awaited as each PublishBatch call arrives (`call` counts from 1), before SNS looks at it: a test
   * pauses the caller there (a frozen Lambda mid-publish) while something else happens.
   */
  beforeCall: ((call: number) => Promise<void>) | undefined;
  #messages = 0;
  #calls = 0;

  install(h: Harness): this {
    h.snsMock.on(PublishBatchCommand).callsFake(async (input: PublishBatchCommandInput) => {
      await this.beforeCall?.(++this.#calls);
      if (this.outage) throw this.outage;
      const refused = this.callFault(
        (input.PublishBatchRequestEntries ?? []).map((e) => parseEntry(e).eventIds),
      );
      if (refused) throw refused;
      const Successful: Array<{ Id?: string; MessageId: string }> = [];
      const Failed: Array<{ Id?: string; Code: string; Message: string; SenderFault: boolean }> = [];
      for (const entry of input.PublishBatchRequestEntries ?? []) {
        this.attempts++;
        const parsed = parseEntry(entry);
        const verdict = this.verdict(parsed.eventIds, entry);
        if (verdict === 'accept') {
          const messageId = `gate-${++this.#messages}`;
          Successful.push({ Id: entry.Id, MessageId: messageId });
          this.accepted.push({ ...parsed, messageId, round: this.round });
        } else if (verdict === 'server-fail') {
          Failed.push({
            Id: entry.Id,
            Code: 'InternalError',
            Message: 'Injected server-side failure',
            SenderFault: false,
          });
        } else {
          for (const id of parsed.eventIds) this.rejections.set(id, (this.rejections.get(id) ?? 0) + 1);
          Failed.push({
            Id: entry.Id,
            Code: 'InvalidParameter',
            Message: this.failureText(entry),
            SenderFault: true,
          });
        }
      }
      return { Successful, Failed };
    });
    return this;
  }

  /** Every accepted event id, once per acceptance (a repeat is a duplicate delivery). */
  deliveredIds(): string[] {
    return this.accepted.flatMap((m) => m.eventIds);
  }

  reset(): void {
    this.accepted.length = 0;
    this.rejections.clear();
    this.attempts = 0;
    this.outage = undefined;
    this.verdict = () => 'accept';
    this.callFault = () => undefined;
    this.beforeCall = undefined;
  }
}

export const snsOutage = (): Error =>
  Object.assign(new Error('Service Unavailable'), {
    name: 'InternalErrorException',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
  });

export const snsAccessDenied = (): Error =>
  Object.assign(new Error('User is not authorized to perform: SNS:Publish (injected)'), {
    name: 'AuthorizationErrorException',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
  });

function parseEntry(entry: Entry): Omit<AcceptedMessage, 'messageId' | 'round'> {
  const structure = JSON.parse(entry.Message ?? '{}') as { default?: string };
  const body = JSON.parse(structure.default ?? '{}') as { events?: unknown[] };
  const events = (Array.isArray(body.events) ? body.events : [body]) as Array<{
    eventId?: string;
    eventType?: string;
  }>;
  return {
    eventIds: events.map((e) => String(e.eventId)),
    eventTypes: events.map((e) => String(e.eventType)),
    subject: entry.Subject,
    raw: JSON.stringify(entry),
  };
}

/** Every audit record in a table (a full Scan), oldest first. */
export async function auditRecords(h: Harness, tableName = h.tableName): Promise<AuditRecord[]> {
  const doc = DynamoDBDocumentClient.from(h.dynamo.client);
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items
    .filter((item) => item.itemType === 'event')
    .map((item) => item as unknown as AuditRecord)
    .sort((a, b) => (a.detectedAt < b.detectedAt ? -1 : a.detectedAt > b.detectedAt ? 1 : 0));
}

/** A stable name for "the same alert" across runs: type plus what it is about. */
export function alertKey(
  record: Pick<AuditRecord, 'eventType' | 'jobId' | 'batchId' | 'projectId' | 'clusterId'>,
): string {
  const subject = record.jobId ?? record.batchId ?? `${record.projectId}:${record.clusterId}`;
  return `${record.eventType} ${subject}`;
}

/** How often each value occurs. */
export function countBy<T>(items: readonly T[], key: (item: T) => string = String): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/**
 * Kills "the process" at one port call of a run: that call fails and every later one too, as if the
 * Lambda had died there; `at: undefined` only records the calls. Calls are named `store.recordEvents`,
 * `source.restoreJobs`, `publisher.publish`, `lease.release`, ...
 */
export class StepCrash {
  readonly calls: string[] = [];
  dead = false;
  /** The call the process died at. */
  diedAt: string | undefined;
  readonly #at: ((name: string, earlier: readonly string[]) => boolean) | undefined;

  /** `at`: the index of the fatal call, or a test of its name and the calls made before it. */
  constructor(at?: number | ((name: string, earlier: readonly string[]) => boolean)) {
    this.#at = typeof at === 'number' ? (_name, earlier) => earlier.length === at : at;
  }

  ports(deps: {
    source: RestoreJobSource;
    store: StateStore;
    lease: RunLease;
    publisher: AlertPublisher;
    pagerduty?: AlertPublisher;
  }) {
    return {
      source: this.#wrap('source', deps.source),
      store: this.#wrap('store', deps.store),
      lease: this.#wrap('lease', deps.lease),
      publisher: this.#wrap('publisher', deps.publisher),
      ...(deps.pagerduty ? { pagerduty: this.#wrap('pagerduty', deps.pagerduty) } : {}),
    };
  }

  #wrap<T extends object>(port: string, target: T): T {
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const name = `${port}.${String(property)}`;
          const fatal = !this.dead && this.#at?.(name, this.calls) === true;
          this.calls.push(name);
          if (this.dead) return deadCall(new Error(`process is dead (${name} after the crash)`));
          if (fatal) {
            this.dead = true;
            this.diedAt = name;
            return deadCall(new Error(`injected crash at ${name}`));
          }
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  }
}

/**
 * What a call to a dead process returns, whatever the port's shape: a rejected promise for the
 * promise-returning methods, and a stream that fails at once for `RestoreJobSource.restoreJobs`.
 */
function deadCall(error: Error): PromiseLike<never> & AsyncIterable<never> {
  const rejected = Promise.reject(error);
  rejected.catch(() => {});
  return {
    // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, so `await` sees the failure
    then: (onFulfilled, onRejected) => rejected.then(onFulfilled, onRejected),
    [Symbol.asyncIterator]: () => ({ next: () => rejected }),
  };
}
