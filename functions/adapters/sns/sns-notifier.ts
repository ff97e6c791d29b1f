/**
 * Delivers alert groups to one SNS topic with PublishBatch: one message per group, up to 10 entries
 * and 256 KiB per call. SNS answers HTTP 200 even when some entries failed (`Failed[]`), so every entry
 * is accounted for: accepted, rejected for good (the sender's fault), or retried here with backoff and,
 * when attempts run out, reported retryable so the poller keeps it owed for the next run.
 */
import {
  PublishBatchCommand,
  type PublishBatchCommandOutput,
  type PublishBatchRequestEntry,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { type Logger, SILENT_LOGGER } from '../../core/logger.ts';
import type { AlertGroup, AlertPublisher, PublishContext, PublishOutcome } from '../../core/ports.ts';
import { scrubText } from '../../core/redact.ts';
import { sleep } from '../../core/sleep.ts';
import { MAX_BATCH_ENTRIES, MAX_SNS_MESSAGE_BYTES } from './sns-limits.ts';
import { type SnsMessage, toSnsMessage } from './sns-message.ts';

const DEFAULT_MAX_ATTEMPTS = 3;
const BASE_DELAY_MS = 200;
const MAX_DELAY_MS = 5_000;
const MAX_ERROR_CHARS = 300;

export interface SnsNotifierOptions {
  client: SNSClient;
  topicArn: string;
  /** Cloud Manager UI origin for links in the messages (see `consoleBaseUrlFor`). */
  consoleBaseUrl: string;
  /** Put download URLs (bearer secrets) into messages; off unless the configuration opts in. */
  includeDownloadUrl: boolean;
  /** Sends per PublishBatch chunk, first one included. @default 3 */
  maxAttempts?: number;
  /** Injected in tests; real timers otherwise. */
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
}

/**
 * Errors of a whole PublishBatch call that say the request itself is malformed. Retrying the same
 * request cannot help; the entries are re-sent one by one so a single bad message does not take the
 * others down with it.
 */
const REQUEST_REJECTED = new Set([
  'InvalidParameterException',
  'InvalidParameter',
  'InvalidParameterValueException',
  'InvalidParameterValue',
  'ValidationException',
  'BatchRequestTooLongException',
  'BatchRequestTooLong',
  'TooManyEntriesInBatchRequestException',
  'BatchEntryIdsNotDistinctException',
  'InvalidBatchEntryIdException',
  'EmptyBatchRequestException',
]);

interface Pending {
  /** Position of the group in the `publish` call: unique, so it doubles as the batch entry Id. */
  index: number;
  rendered: SnsMessage;
}

export class SnsNotifier implements AlertPublisher {
  readonly stats = { publishBatchCalls: 0, messagesAccepted: 0, messagesFailed: 0 };
  readonly #client: SNSClient;
  readonly #topicArn: string;
  readonly #consoleBaseUrl: string;
  readonly #includeDownloadUrl: boolean;
  readonly #maxAttempts: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #logger: Logger;

  constructor(options: SnsNotifierOptions) {
    this.#client = options.client;
    this.#topicArn = options.topicArn;
    this.#consoleBaseUrl = options.consoleBaseUrl;
    this.#includeDownloadUrl = options.includeDownloadUrl;
    this.#maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
    this.#sleep = options.sleep ?? ((ms) => sleep(ms));
    this.#logger = options.logger ?? SILENT_LOGGER;
  }

  async publish(groups: readonly AlertGroup[], context: PublishContext): Promise<PublishOutcome[]> {
    const outcomes: Array<PublishOutcome | undefined> = new Array(groups.length);
    const downloadUrls = this.#includeDownloadUrl ? context.downloadUrls : undefined;
    const sendable: Pending[] = [];
    groups.forEach((group, index) => {
      const eventIds = group.events.map((e) => e.eventId);
      let rendered: SnsMessage;
      try {
        rendered = toSnsMessage(group, {
          consoleBaseUrl: this.#consoleBaseUrl,
          includeDownloadUrl: this.#includeDownloadUrl,
          ...(downloadUrls ? { downloadUrls } : {}),
        });
      } catch (error) {
        outcomes[index] = this.#fail(eventIds, `Could not render the alert: ${describe(error)}`, false);
        return;
      }
      if (rendered.sizeBytes > MAX_SNS_MESSAGE_BYTES) {
        // Only the machine-readable part can still be too large (it is never cut): a single event
        // with an enormous details object. Sending it truncated would be worse than not at all.
        outcomes[index] = this.#fail(
          eventIds,
          `The alert is ${rendered.sizeBytes} bytes, over the SNS limit of ${MAX_SNS_MESSAGE_BYTES} bytes even with the text parts shortened; it is not sent`,
          false,
        );
        return;
      }
      sendable.push({ index, rendered });
    });

    for (const chunk of chunkEntries(sendable)) {
      for (const [index, outcome] of await this.#sendChunk(chunk, downloadUrls, context.checkpoint)) {
        outcomes[index] = outcome;
      }
    }
    return outcomes.map(
      (outcome, index) =>
        outcome ??
        this.#fail(
          groups[index]?.events.map((e) => e.eventId) ?? [],
          'No result for this alert (internal error)',
          true,
        ),
    );
  }

  /** Sends one chunk with bounded retries. Returns group index → outcome for every entry of it. */
  async #sendChunk(
    chunk: Pending[],
    downloadUrls: ReadonlyMap<string, string> | undefined,
    checkpoint: PublishContext['checkpoint'],
  ): Promise<Map<number, PublishOutcome>> {
    const results = new Map<number, PublishOutcome>();
    let pending = chunk;
    let lastError = '';
    for (let attempt = 1; attempt <= this.#maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await this.#sleep(backoffMs(attempt - 1));
      if (checkpoint) {
        // The run may no longer publish (it lost its lease): send nothing more, keep it all owed.
        const stop = await checkpoint().then(
          () => undefined,
          (error: unknown) => describe(error),
        );
        if (stop !== undefined) {
          for (const p of pending) {
            results.set(p.index, {
              eventIds: p.rendered.eventIds,
              ok: false,
              error: `Not sent: ${stop}`,
              retryable: true,
            });
          }
          return results;
        }
      }
      let response: PublishBatchCommandOutput;
      try {
        this.stats.publishBatchCalls++;
        response = await this.#client.send(
          new PublishBatchCommand({
            TopicArn: this.#topicArn,
            PublishBatchRequestEntries: pending.map(toEntry),
          }),
        );
      } catch (error) {
        const text = this.#errorText(error, downloadUrls);
        if (isTransient(error)) {
          lastError = `SNS did not accept the call (${text})`;
          this.#logger.warn('SNS PublishBatch failed; retrying', {
            attempt,
            maxAttempts: this.#maxAttempts,
            error: text,
            eventIds: pending.flatMap((p) => p.rendered.eventIds),
          });
          continue;
        }
        if (REQUEST_REJECTED.has(errorName(error)) && pending.length > 1) {
          // Find the culprit: each entry alone, each with the attempts left in this chunk.
          for (const one of pending) {
            for (const [index, outcome] of await this.#sendChunk([one], downloadUrls, checkpoint))
              results.set(index, outcome);
          }
          return results;
        }
        const rejected = REQUEST_REJECTED.has(errorName(error));
        // Rejected content cannot succeed later; anything else (permissions, missing topic, KMS) is an
        // operator fix, after which the owed alerts should still go out.
        const message = rejected
          ? `SNS rejected the message (${text}); it will not be retried`
          : `SNS refused the call (${text}); check the topic ARN and the function's sns:Publish (and KMS) permissions`;
        for (const p of pending) results.set(p.index, this.#fail(p.rendered.eventIds, message, !rejected));
        return results;
      }

      const byId = new Map(pending.map((p) => [entryId(p), p]));
      for (const ok of response.Successful ?? []) {
        const p = ok.Id ? byId.get(ok.Id) : undefined;
        if (!p || !ok.MessageId) continue;
        byId.delete(ok.Id as string);
        this.stats.messagesAccepted++;
        results.set(p.index, { eventIds: p.rendered.eventIds, ok: true, messageId: ok.MessageId });
      }
      for (const failed of response.Failed ?? []) {
        const p = failed.Id ? byId.get(failed.Id) : undefined;
        if (!p) continue;
        const text = scrubText(
          `${failed.Code ?? 'Unknown'}${failed.Message ? `: ${failed.Message}` : ''}`,
          secretsOf(downloadUrls),
        ).slice(0, MAX_ERROR_CHARS);
        if (failed.SenderFault === true) {
          byId.delete(failed.Id as string);
          results.set(
            p.index,
            this.#fail(
              p.rendered.eventIds,
              `SNS rejected the message (${text}); it will not be retried`,
              false,
            ),
          );
        } else {
          lastError = `SNS could not take the message (${text})`;
        }
      }
      // Entries SNS neither accepted nor rejected for good (server-side failures, or missing from
      // the answer) are sent again.
      pending = [...byId.values()];
      if (pending.length > 0 && lastError === '') lastError = 'SNS returned no result for the message';
      if (pending.length > 0) {
        this.#logger.warn('Some SNS entries failed; retrying them', {
          attempt,
          maxAttempts: this.#maxAttempts,
          eventIds: pending.flatMap((p) => p.rendered.eventIds),
        });
      }
    }
    for (const p of pending) {
      results.set(
        p.index,
        this.#fail(p.rendered.eventIds, `${lastError}; gave up after ${this.#maxAttempts} attempts`, true),
      );
    }
    return results;
  }

  #fail(eventIds: string[], error: string, retryable: boolean): PublishOutcome {
    this.stats.messagesFailed++;
    // Event ids and the reason only: the body may carry a download URL.
    this.#logger.error('Alert could not be published to SNS', { eventIds, error, retryable });
    return { eventIds, ok: false, error, retryable };
  }

  #errorText(error: unknown, downloadUrls: ReadonlyMap<string, string> | undefined): string {
    return scrubText(describe(error), secretsOf(downloadUrls)).slice(0, MAX_ERROR_CHARS);
  }
}

function entryId(p: Pending): string {
  return String(p.index);
}

function toEntry(p: Pending): PublishBatchRequestEntry {
  return {
    Id: entryId(p),
    Subject: p.rendered.subject,
    Message: p.rendered.message,
    MessageStructure: 'json',
    MessageAttributes: p.rendered.attributes,
  };
}

/** Splits in order into calls of at most 10 entries and 256 KiB in total. */
function chunkEntries(list: Pending[]): Pending[][] {
  const chunks: Pending[][] = [];
  let current: Pending[] = [];
  let bytes = 0;
  for (const p of list) {
    if (
      current.length > 0 &&
      (current.length >= MAX_BATCH_ENTRIES || bytes + p.rendered.sizeBytes > MAX_SNS_MESSAGE_BYTES)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(p);
    bytes += p.rendered.sizeBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Deterministic exponential backoff: one poller runs at a time (lease), so there is no herd to spread
 * with jitter, and tests can assert the exact delays.
 */
export function backoffMs(retry: number): number {
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (retry - 1));
}

function errorName(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; Code?: unknown; code?: unknown };
    for (const v of [e.name, e.Code, e.code])
      if (typeof v === 'string' && v !== '' && v !== 'Error') return v;
  }
  return '';
}

/** Throttling, 5xx, timeouts and network failures: worth another try now. */
function isTransient(error: unknown): boolean {
  if (!error || typeof error !== 'object') return true;
  const e = error as {
    name?: string;
    code?: string;
    $retryable?: unknown;
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = errorName(error);
  if (e.$retryable) return true;
  if (/thrott|internalerror|serviceunavailable|timeout|requestlimitexceeded|slowdown/i.test(name))
    return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 500 || status === 429;
  if (e.$fault === 'server') return true;
  if (e.$fault === 'client') return false;
  // No HTTP answer at all (ECONNRESET, DNS, socket timeout): the network, not the request.
  return true;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const name = errorName(error) || error.name;
    return error.message ? `${name}: ${error.message}` : name;
  }
  return String(error);
}

function secretsOf(downloadUrls: ReadonlyMap<string, string> | undefined): string[] {
  return downloadUrls ? [...downloadUrls.values()] : [];
}
