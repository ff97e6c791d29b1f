/**
 * SNS message attributes, for subscription filter policies: the alert's routing facts, within what
 * every protocol accepts. SQS subscribers with raw message delivery take at most 10 attributes
 * (`MAX_MESSAGE_ATTRIBUTES` in sns-limits.ts; a test holds every message to it), so the set is fixed at ten and never more:
 *
 * eventType, eventTypes (String.Array), severity, action, incidentKey, team (when configured),
 * projectId, clusterId, jobId (a message about one job) or batchId (a batch's message), eventId.
 *
 * The event and job ids of a group are in the message JSON (`eventIds`, each event's `jobId`), not in
 * attributes: a filter policy matches any one type through `eventTypes` (README "Alert messages").
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { RoutingFacts } from '../../core/alerts/alert-view.ts';

export function toMessageAttributes(routing: RoutingFacts): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  const put = (name: string, value: string | undefined) => {
    // SNS rejects empty String attributes.
    if (value !== undefined && value !== '') attributes[name] = { DataType: 'String', StringValue: value };
  };
  put('eventType', routing.eventType);
  if (routing.eventTypes.length > 0) {
    attributes.eventTypes = { DataType: 'String.Array', StringValue: JSON.stringify(routing.eventTypes) };
  }
  put('severity', routing.severity);
  put('action', routing.action);
  put('incidentKey', routing.incidentKey);
  put('team', routing.team);
  put('projectId', routing.projectId);
  put('clusterId', routing.clusterId);
  // One or the other: a batch's message (even one about a single shard) is routed by its batch.
  if (routing.batchId !== undefined) put('batchId', routing.batchId);
  else put('jobId', routing.jobId);
  put('eventId', routing.eventId);
  return attributes;
}
