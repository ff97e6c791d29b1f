import { describe, expect, it } from 'vitest';
import { type EventIdParts, eventId } from '../../functions/core/event-id.ts';
import { CLUSTER_ID, JOB_A, PROJECT_ID } from './fixtures.ts';

const BASE: EventIdParts = {
  eventType: 'JOB_STATUS_CHANGED',
  projectId: PROJECT_ID,
  clusterId: CLUSTER_ID,
  jobId: JOB_A,
  discriminator: 'IN_PROGRESS@2026-11-28T10:00:00.000Z->BROKEN',
};

describe('eventId', () => {
  it('is 32 hexadecimal characters', () => {
    expect(eventId(BASE)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is the same for the same change detected twice', () => {
    expect(eventId({ ...BASE })).toBe(eventId(BASE));
  });

  it.each<[string, Partial<EventIdParts>]>([
    ['event type', { eventType: 'DELIVERY_STATUS_CHANGED' }],
    ['project', { projectId: '5e2211c17a3e5a48f5497de9' }],
    ['cluster', { clusterId: '5e2211c17a3e5a48f5497de9' }],
    ['job', { jobId: '5f3a1b2c3d4e5f6a7b8c9d09' }],
    ['batch', { batchId: '6a1b2c3d4e5f6a7b8c9d0e1f' }],
    ['discriminator', { discriminator: 'IN_PROGRESS@2026-11-28T10:00:00.000Z->KILLED' }],
  ])('differs when the %s differs', (_what, change) => {
    expect(eventId({ ...BASE, ...change })).not.toBe(eventId(BASE));
  });

  it('cannot be forged by moving text between parts', () => {
    // Prepare: the same characters, split differently between job id and discriminator
    const one = eventId({ ...BASE, jobId: 'ab', discriminator: 'c' });
    const two = eventId({ ...BASE, jobId: 'a', discriminator: 'bc' });

    // Assess
    expect(one).not.toBe(two);
  });
});
