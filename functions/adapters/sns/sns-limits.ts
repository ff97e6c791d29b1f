/**
 * What SNS accepts and how it counts. One place for the limits the message packing, the attributes
 * and the PublishBatch chunking all depend on.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sns';

/** SNS limit for one message (UTF-8 body, subject and attributes) and for one PublishBatch call. */
export const MAX_SNS_MESSAGE_BYTES = 262_144;
/** SNS: subject 1-99 characters, no line breaks or control characters; send ASCII (older docs). */
export const MAX_SUBJECT_CHARS = 99;
/** SQS subscribers with raw message delivery accept at most 10 attributes. */
export const MAX_MESSAGE_ATTRIBUTES = 10;
/** PublishBatch accepts at most 10 entries per call. */
export const MAX_BATCH_ENTRIES = 10;

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** What SNS counts of the attributes toward the message size: names, data types and values. */
export function attributeBytes(attributes: Readonly<Record<string, MessageAttributeValue>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(attributes)) {
    total += utf8Bytes(name) + utf8Bytes(value.DataType ?? '') + utf8Bytes(value.StringValue ?? '');
  }
  return total;
}
