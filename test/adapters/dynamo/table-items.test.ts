import { describe, expect, it } from 'vitest';
import {
  auditRecordToItem,
  canonicalTime,
  itemToAuditRecord,
  jobStateToItem,
  pruneUndefined,
  targetStateToItem,
} from '../../../functions/adapters/dynamo/table-items.ts';
import { auditRecord, CLUSTER, jobState, PROJECT, targetState } from './fixtures.ts';

describe('table item layout', () => {
  it('keys an owed job event by id, target, job and the owed index, all sorted by time then id', () => {
    // Act
    const item = auditRecordToItem(auditRecord('e1', { detectedAt: '2026-05-01T10:00:00.000Z' }), 400);

    // Assess
    const sort = '2026-05-01T10:00:00.000Z#e1';
    expect(item).toMatchObject({
      pk: 'EVENT#e1',
      sk: 'EVENT',
      gsi1pk: `TARGET#${PROJECT}#${CLUSTER}`,
      gsi1sk: sort,
      gsi2pk: 'JOB#job-1',
      gsi2sk: sort,
      owedPk: 'OWED',
      owedSk: sort,
      itemType: 'event',
    });
  });

  it('leaves suppressed and published events and target events out of the sparse indexes', () => {
    // Act
    const suppressed = auditRecordToItem(auditRecord('s', { suppressed: true }), 400);
    const published = auditRecordToItem(auditRecord('p', { publishedAt: '2026-05-01T10:00:01.000Z' }), 400);
    const targetEvent = auditRecordToItem(auditRecord('t', { jobId: undefined }), 400);

    // Assess
    expect(suppressed.owedPk).toBeUndefined();
    expect(published.owedPk).toBeUndefined();
    expect(targetEvent.gsi2pk).toBeUndefined();
    expect(targetEvent.owedPk).toBe('OWED');
  });

  it('sorts by the canonical form of detectedAt so second-precision times order correctly', () => {
    // Act
    const item = auditRecordToItem(auditRecord('e1', { detectedAt: '2026-05-01T10:00:00Z' }), 400);

    // Assess
    expect(item.gsi1sk).toBe('2026-05-01T10:00:00.000Z#e1');
    expect(canonicalTime('2026-05-01T12:00:00+02:00')).toBe('2026-05-01T10:00:00.000Z');
    expect(canonicalTime('not a time')).toBe('not a time');
  });

  it('omits the TTL when detectedAt cannot be parsed, keeping the record', () => {
    // Act
    const item = auditRecordToItem(auditRecord('e1', { detectedAt: 'garbage' }), 400);

    // Assess
    expect(item.ttl).toBeUndefined();
  });

  it('keys target and job states under the target partition', () => {
    // Act
    const target = targetStateToItem(targetState());
    const job = jobStateToItem({ projectId: PROJECT, clusterId: CLUSTER }, jobState('job-7'));

    // Assess
    expect(target).toMatchObject({ pk: `TARGET#${PROJECT}#${CLUSTER}`, sk: '#TARGET', gsi1pk: 'TARGETS' });
    expect(job).toMatchObject({ pk: `TARGET#${PROJECT}#${CLUSTER}`, sk: 'JOB#job-7', itemType: 'job' });
  });

  it('indexes a job state under its target by request time, or by first sight without a usable created', () => {
    // Prepare
    const target = { projectId: PROJECT, clusterId: CLUSTER };
    const noCreated = jobState('job-9', { firstSeenAt: '2026-05-01T09:00:05Z' });
    noCreated.snapshot.created = 'not a date';

    // Act
    const requested = jobStateToItem(target, jobState('job-7'));
    const seen = jobStateToItem(target, noCreated);

    // Assess
    expect(requested).toMatchObject({
      gsi1pk: `JOBS#${PROJECT}#${CLUSTER}`,
      gsi1sk: '2026-05-01T09:00:00.000Z#job-7',
    });
    expect(seen.gsi1sk).toBe('2026-05-01T09:00:05.000Z#job-9');
  });

  it('strips storage attributes when reading a record back', () => {
    // Prepare
    const record = auditRecord('e1');

    // Act
    const back = itemToAuditRecord(auditRecordToItem(record, 400));

    // Assess
    expect(back).toEqual(record);
  });

  it('drops undefined values at every depth', () => {
    // Act
    const pruned = pruneUndefined({
      a: 1,
      b: undefined,
      c: { d: undefined, e: [1, undefined, { f: undefined }] },
    });

    // Assess
    expect(pruned).toEqual({ a: 1, c: { e: [1, {}] } });
  });
});
