import { describe, expect, it } from 'vitest';
import { toMessageAttributes } from '../../../functions/adapters/sns/message-attributes.ts';
import { MAX_MESSAGE_ATTRIBUTES } from '../../../functions/adapters/sns/sns-limits.ts';
import { viewAlert } from '../../../functions/core/alerts/alert-view.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import {
  BATCH,
  batchCompleted,
  CLUSTER,
  JOB,
  PROJECT,
  record,
  sampleOf,
} from '../../support/alert-records.ts';

function attributesOf(events: AuditRecord[]) {
  return toMessageAttributes(viewAlert({ events }, { includeDownloadUrl: false }).routing);
}

const text = (value: string) => ({ DataType: 'String', StringValue: value });
const list = (values: string[]) => ({ DataType: 'String.Array', StringValue: JSON.stringify(values) });

describe('toMessageAttributes', () => {
  it('carries String attributes for filter policies on a single event, its incident and its types', () => {
    // Act
    const attributes = attributesOf([record()]);

    // Assess
    expect(attributes).toEqual({
      eventType: text('JOB_STATUS_CHANGED'),
      eventTypes: list(['JOB_STATUS_CHANGED']),
      severity: text('critical'),
      action: text('trigger'),
      incidentKey: text(`job/${JOB}/failed`),
      projectId: text(PROJECT),
      clusterId: text(CLUSTER),
      jobId: text(JOB),
      eventId: text(`evt-JOB_STATUS_CHANGED-${JOB}`),
    });
  });

  it('names the most severe event type of a job group and lists every type for filter policies', () => {
    // Prepare
    const finished = record({
      eventId: 'a',
      severity: 'info',
      after: { jobId: JOB, statusName: 'FINISHED' },
    });
    const expiring = { ...sampleOf('DELIVERY_EXPIRING'), eventId: 'b' };

    // Act
    const attributes = attributesOf([finished, expiring]);

    // Assess
    expect(attributes.eventType).toEqual(text('DELIVERY_EXPIRING'));
    expect(attributes.eventTypes).toEqual(list(['JOB_STATUS_CHANGED', 'DELIVERY_EXPIRING']));
    expect(attributes.severity).toEqual(text('warning'));
    expect(attributes.action).toEqual(text('trigger'));
    expect(attributes.incidentKey).toEqual(text(`job/${JOB}/expiring`));
    expect(attributes.jobId).toEqual(text(JOB));
  });

  it('routes a batch group by its batch, not by one of its jobs, and keeps the ids in the JSON only', () => {
    // Prepare
    const completed = batchCompleted(3, { severity: 'info' });
    const shard = record({ eventId: 'shard', batchId: BATCH, severity: 'warning' });

    // Act
    const attributes = attributesOf([shard, completed]);

    // Assess
    expect(attributes.batchId).toEqual(text(BATCH));
    expect(attributes.jobId).toBeUndefined();
    expect(attributes.eventIds).toBeUndefined();
    expect(attributes.jobIds).toBeUndefined();
    expect(attributes.eventId).toEqual(text(completed.eventId));
  });

  it('says the team of the target when one is configured', () => {
    // Act
    const attributes = attributesOf([record({ team: 'payments-oncall' })]);

    // Assess
    expect(attributes.team).toEqual(text('payments-oncall'));
  });

  it('never carries more than the 10 attributes an SQS raw-delivery subscriber accepts', () => {
    // Prepare: every optional attribute present at once (a team, a batch shard with a job).
    const crowded = [
      record({ eventId: 'x', team: 'a-team', batchId: BATCH }),
      record({ eventId: 'y', team: 'a-team', batchId: BATCH, jobId: '5f3a1b2c0000000000000009' }),
    ];

    // Act
    const attributes = attributesOf(crowded);

    // Assess
    expect(Object.keys(attributes)).toHaveLength(MAX_MESSAGE_ATTRIBUTES);
  });

  it('leaves out attributes without a value: SNS rejects empty strings', () => {
    // Act
    const attributes = attributesOf([
      record({ jobId: undefined, clusterId: '', eventType: 'TARGET_RECOVERED', severity: 'info' }),
    ]);

    // Assess
    expect(Object.keys(attributes)).toEqual([
      'eventType',
      'eventTypes',
      'severity',
      'action',
      'incidentKey',
      'projectId',
      'eventId',
    ]);
  });
});
