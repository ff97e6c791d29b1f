/**
 * `RunLease` as one item per lease name (`LEASE#poll` / `LEASE` unsharded, `LEASE#poll#2/4` / `LEASE`
 * for the second of four shards) written with conditional requests only.
 *
 * Why a lease at all: Lambda async invocations can arrive twice and an operator can run the CLI while
 * the schedule fires; two polls at once would record and publish the same changes twice. Reserved
 * concurrency does not prevent that (it delays), a conditional put does.
 *
 * The expiry is compared as a number (`expiresAtEpoch`, epoch milliseconds) because DynamoDB compares
 * strings and numbers differently and ISO strings in other forms would compare wrongly; `expiresAt`
 * (ISO) is kept next to it for people. Clocks: the condition uses the caller's `now`, so hosts with
 * badly skewed clocks could take a lease early; the lease TTL should exceed any plausible skew.
 */
import { type DynamoDBClient, ReturnValuesOnConditionCheckFailure } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { LeaseResult, RunLease } from '../../core/ports.ts';
import { TABLE_SCHEMA } from '../../core/table-schema.ts';
import { clientWhereabouts, isConditionalCheckFailed, toStateStoreError } from './state-store-error.ts';
import { leaseKey } from './table-items.ts';

export interface DynamoRunLeaseOptions {
  client: DynamoDBClient;
  tableName: string;
}

/** The lease item as stored. */
interface LeaseItem {
  owner?: string;
  expiresAt?: string;
  expiresAtEpoch?: number;
}

export class DynamoRunLease implements RunLease {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly doc: DynamoDBDocumentClient;

  constructor(options: DynamoRunLeaseOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /** Takes the lease when it is free, expired, or already ours (a retried invocation of the same run). */
  async acquire(owner: string, now: Date, ttlMs: number, name?: string): Promise<LeaseResult> {
    const expires = new Date(now.getTime() + ttlMs);
    // Two rounds: if the holder released between our put and our read, the lease is free again.
    for (let round = 0; round < 2; round++) {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...leaseKey(name),
              itemType: 'lease',
              owner,
              acquiredAt: now.toISOString(),
              expiresAt: expires.toISOString(),
              expiresAtEpoch: expires.getTime(),
            },
            ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAtEpoch < :now OR #owner = :owner',
            ExpressionAttributeNames: {
              '#pk': TABLE_SCHEMA.partitionKey,
              '#expiresAtEpoch': 'expiresAtEpoch',
              '#owner': 'owner',
            },
            ExpressionAttributeValues: { ':now': now.getTime(), ':owner': owner },
            ReturnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure.ALL_OLD,
          }),
        );
        return { acquired: true, owner, expiresAt: expires.toISOString() };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw await this.wrap(error, 'acquireLease');
        // DynamoDB returns the holder with the failure; dynalite does not, so read it then.
        const holder = holderFromError(error) ?? (await this.read('acquireLease', name));
        if (holder?.owner !== undefined) {
          return {
            acquired: false,
            holder: holder.owner,
            expiresAt: holder.expiresAt ?? new Date(holder.expiresAtEpoch ?? 0).toISOString(),
          };
        }
      }
    }
    return { acquired: false, holder: 'unknown', expiresAt: expires.toISOString() };
  }

  /** Extends the lease; false when it is no longer ours (it expired and another run took it). */
  async renew(owner: string, now: Date, ttlMs: number, name?: string): Promise<boolean> {
    const expires = new Date(now.getTime() + ttlMs);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: leaseKey(name),
          UpdateExpression: 'SET #expiresAt = :expiresAt, #expiresAtEpoch = :epoch',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: {
            '#owner': 'owner',
            '#expiresAt': 'expiresAt',
            '#expiresAtEpoch': 'expiresAtEpoch',
          },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':expiresAt': expires.toISOString(),
            ':epoch': expires.getTime(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw await this.wrap(error, 'renewLease');
    }
  }

  /** Gives the lease up; does nothing when it is already gone or held by another run. */
  async release(owner: string, name?: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: leaseKey(name),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw await this.wrap(error, 'releaseLease');
    }
  }

  /** Who holds the lease now, for `status`; undefined when nobody ever took it or it was released. */
  async current(name?: string): Promise<{ owner: string; expiresAt: string } | undefined> {
    const item = await this.read('readLease', name);
    if (item?.owner === undefined) return undefined;
    return {
      owner: item.owner,
      expiresAt: item.expiresAt ?? new Date(item.expiresAtEpoch ?? 0).toISOString(),
    };
  }

  private async read(operation: string, name: string | undefined): Promise<LeaseItem | undefined> {
    try {
      const output = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: leaseKey(name), ConsistentRead: true }),
      );
      return output.Item as LeaseItem | undefined;
    } catch (error) {
      throw await this.wrap(error, operation);
    }
  }

  private async wrap(error: unknown, operation: string) {
    return toStateStoreError(error, operation, this.tableName, await clientWhereabouts(this.client));
  }
}

/**
 * The old item DynamoDB returns with a ConditionalCheckFailedException (`ALL_OLD`), in the raw
 * attribute-value shape or already unmarshalled; undefined when absent (dynalite never returns it).
 */
function holderFromError(error: unknown): LeaseItem | undefined {
  const item = (error as { Item?: Record<string, unknown> }).Item;
  if (!item) return undefined;
  const text = (value: unknown) =>
    typeof value === 'string' ? value : (value as { S?: unknown } | undefined)?.S;
  const number = (value: unknown) =>
    typeof value === 'number' ? value : Number((value as { N?: unknown } | undefined)?.N ?? Number.NaN);
  const owner = text(item.owner);
  if (typeof owner !== 'string') return undefined;
  const expiresAt = text(item.expiresAt);
  const expiresAtEpoch = number(item.expiresAtEpoch);
  return {
    owner,
    ...(typeof expiresAt === 'string' ? { expiresAt } : {}),
    ...(Number.isFinite(expiresAtEpoch) ? { expiresAtEpoch } : {}),
  };
}
