import { describe, expect, it } from 'vitest';
import { toMessageAttributes } from '../../../functions/adapters/sns/message-attributes.ts';
import { MAX_MESSAGE_ATTRIBUTES } from '../../../functions/adapters/sns/sns-limits.ts';
import { viewAlert } from '../../../functions/core/alerts/alert-view.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import { BATCH, batchCompleted, CLUSTER, JOB, PROJECT, record } from '../../support/alert-records.ts';

function attributesOf(events: AuditRecord[]) {
  return toMessageAttributes(viewAlert({ events }, { includeDownloadUrl: false }).routing);
}

describe('toMessageAttributes', () => {
  it('carries String attributes for filter policies on a single event', () => {
    // Act
    const attributes = attributesOf([record()]);

    // Assess
    expect(attributes).toEqual({
      eventType: { DataType: 'String', StringValue: 'JOB_STATUS_CHANGED' },
      severity: { DataType: 'String', StringValue: 'critical' },
      projectId: { DataType: 'String', StringValue: PROJECT },
      clusterId: { DataType: 'String', StringValue: CLUSTER },
      jobId: { DataType: 'String', StringValue: JOB },
      eventId: { DataType: 'String', StringValue: `evt-JOB_STATUS_CHANGED-${JOB}` },
    });
  });

  it('gives a batch group the BATCH_COMPLETED values plus eventIds and jobIds arrays', () => {
    // Prepare
    const completed = batchCompleted(3, { severity: 'info' });
    const shard = record({ eventId: 'shard', batchId: BATCH, severity: 'warning' });

    // Act
    const attributes = attributesOf([shard, completed]);

    // Assess
    expect(attributes).toEqual({
      eventType: { DataType: 'String', StringValue: 'BATCH_COMPLETED' },
      severity: { DataType: 'String', StringValue: 'warning' },
      projectId: { DataType: 'String', StringValue: PROJECT },
      clusterId: { DataType: 'String', StringValue: CLUSTER },
      batchId: { DataType: 'String', StringValue: BATCH },
      eventId: { DataType: 'String', StringValue: completed.eventId },
      eventIds: { DataType: 'String.Array', StringValue: JSON.stringify([completed.eventId, 'shard']) },
      jobIds: { DataType: 'String.Array', StringValue: JSON.stringify([JOB]) },
    });
    expect(Object.keys(attributes).length).toBeLessThanOrEqual(MAX_MESSAGE_ATTRIBUTES);
  });

  it('leaves out the id arrays when they would be too large for an attribute', () => {
    // Prepare
    const shards = Array.from({ length: 400 }, (_, i) =>
      record({ eventId: `shard-event-${String(i).padStart(30, '0')}`, batchId: BATCH }),
    );

    // Act
    const attributes = attributesOf(shards);

    // Assess
    expect(attributes.eventIds).toBeUndefined();
    expect(attributes.jobIds).toBeDefined();
    expect(attributes.eventId?.StringValue).toBe(shards[0]?.eventId);
  });

  it('leaves out attributes without a value: SNS rejects empty strings', () => {
    // Act
    const attributes = attributesOf([record({ jobId: undefined, clusterId: '' })]);

    // Assess
    expect(Object.keys(attributes)).toEqual(['eventType', 'severity', 'projectId', 'eventId']);
  });
});
