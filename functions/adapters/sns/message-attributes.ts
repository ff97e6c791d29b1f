/**
 * SNS message attributes, for subscription filter policies: the alert's routing facts as `String`
 * attributes, and for groups the event and job ids as `String.Array`, within what every protocol
 * accepts (SQS raw delivery takes at most `MAX_MESSAGE_ATTRIBUTES`).
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { RoutingFacts } from '../../core/alerts/alert-view.ts';
import { utf8Bytes } from './sns-limits.ts';

/** A String.Array attribute is added only when it stays this small (filter policies, not bulk data). */
const MAX_ARRAY_ATTRIBUTE_BYTES = 8_192;

/**
 * At most 9 attributes (under `MAX_MESSAGE_ATTRIBUTES`): eventType, severity, projectId, clusterId,
 * jobId, batchId and eventId when set, plus eventIds and jobIds for a group of several events while
 * each stays under 8 KiB.
 */
export function toMessageAttributes(routing: RoutingFacts): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  const put = (name: string, value: string | undefined) => {
    // SNS rejects empty String attributes.
    if (value !== undefined && value !== '') attributes[name] = { DataType: 'String', StringValue: value };
  };
  put('eventType', routing.eventType);
  put('severity', routing.severity);
  put('projectId', routing.projectId);
  put('clusterId', routing.clusterId);
  put('jobId', routing.jobId);
  put('batchId', routing.batchId);
  put('eventId', routing.eventId);
  if (routing.eventIds.length > 1) {
    const putArray = (name: string, values: string[]) => {
      const value = JSON.stringify(values);
      if (values.length > 0 && utf8Bytes(value) <= MAX_ARRAY_ATTRIBUTE_BYTES) {
        attributes[name] = { DataType: 'String.Array', StringValue: value };
      }
    };
    putArray('eventIds', routing.eventIds);
    putArray('jobIds', routing.jobIds);
  }
  return attributes;
}
