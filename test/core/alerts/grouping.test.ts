import { describe, expect, it } from 'vitest';
import { groupForPublishing } from '../../../functions/core/alerts/grouping.ts';
import { BATCH, batchCompleted, OTHER_JOB, record } from '../../support/alert-records.ts';

describe('groupForPublishing', () => {
  it('puts the events of one batch in one poll into one group, BATCH_COMPLETED first', () => {
    // Prepare
    const shard = record({ eventId: 'shard-1', batchId: BATCH });
    const other = record({ eventId: 'single', batchId: undefined });
    const completed = batchCompleted(3);
    const shard2 = record({ eventId: 'shard-2', batchId: BATCH, jobId: OTHER_JOB });

    // Act
    const groups = groupForPublishing([shard, other, completed, shard2]);

    // Assess
    expect(groups.map((g) => g.events.map((e) => e.eventId))).toEqual([
      [completed.eventId, 'shard-1', 'shard-2'],
      ['single'],
    ]);
  });

  it('keeps events of the same batch from different runs apart', () => {
    // Prepare
    const first = record({ eventId: 'a', batchId: BATCH, runId: 'run-1' });
    const second = record({ eventId: 'b', batchId: BATCH, runId: 'run-2' });

    // Act
    const groups = groupForPublishing([first, second]);

    // Assess
    expect(groups.map((g) => g.events.map((e) => e.eventId))).toEqual([['a'], ['b']]);
  });

  it('puts the events of one job in one poll into one message, in catalogue order whatever the input order', () => {
    // Prepare: a restore that finished with its link expiring soon, read back in any order.
    const expiring = record({ eventId: 'a-expiring', eventType: 'DELIVERY_EXPIRING' });
    const ready = record({ eventId: 'b-ready', eventType: 'DELIVERY_STATUS_CHANGED' });
    const finished = record({ eventId: 'c-finished', eventType: 'JOB_STATUS_CHANGED' });

    // Act
    const groups = groupForPublishing([expiring, finished, ready]);
    const again = groupForPublishing([ready, expiring, finished]);

    // Assess
    expect(groups.map((g) => g.events.map((e) => e.eventId))).toEqual([
      ['c-finished', 'b-ready', 'a-expiring'],
    ]);
    expect(again).toEqual(groups);
  });

  it('keeps the events of one job from different runs apart, and other jobs apart', () => {
    // Prepare
    const first = record({ eventId: 'x', runId: 'run-1' });
    const later = record({ eventId: 'y', runId: 'run-2' });
    const other = record({ eventId: 'z', jobId: OTHER_JOB, runId: 'run-1' });

    // Act
    const groups = groupForPublishing([first, later, other]);

    // Assess
    expect(groups.map((g) => g.events.map((e) => e.eventId))).toEqual([['x'], ['y'], ['z']]);
  });

  it('publishes every event about a target (no job) on its own, in input order', () => {
    // Prepare
    const records = ['x', 'y'].map((id) =>
      record({ eventId: id, jobId: undefined, eventType: 'TARGET_FAILING' }),
    );

    // Act
    const groups = groupForPublishing(records);

    // Assess
    expect(groups.map((g) => g.events.map((e) => e.eventId))).toEqual([['x'], ['y']]);
  });

  it('splits a batch too large for one message into consecutive groups, BATCH_COMPLETED in the first', () => {
    // Prepare: 1,500 shard events of one batch (far over 256 KiB together) plus the completion.
    const shards = Array.from({ length: 1_500 }, (_, i) =>
      record({ eventId: `shard-${i}`, batchId: BATCH, jobId: `5fdd${String(i).padStart(20, '0')}` }),
    );
    const completed = batchCompleted(50);

    // Act
    const groups = groupForPublishing([...shards, completed]);

    // Assess (that each group fits one SNS message is checked with the SNS packing)
    expect(groups.length).toBeGreaterThan(1);
    expect(groups[0]?.events[0]?.eventId).toBe(completed.eventId);
    expect(groups.flatMap((g) => g.events.map((e) => e.eventId))).toEqual([
      completed.eventId,
      ...shards.map((s) => s.eventId),
    ]);
  });
});
