/**
 * Channel decisions (guarantees D1-D4 of functions/core/delivery.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  isOwed,
  owedChannels,
  type RouteContext,
  routeRecord,
  withDelivery,
  withFailure,
} from '../../functions/core/delivery.ts';
import type { AuditRecord } from '../../functions/core/types.ts';
import { record } from '../support/alert-records.ts';

const SILENCE = { silenceId: 'sil-1', reason: 'drill', createdBy: 'ana', endsAt: '2026-05-02T00:00:00.000Z' };
const context = (overrides: Partial<RouteContext> = {}): RouteContext => ({
  settings: { minSeverity: 'info', pagerduty: { minSeverity: 'warning' } },
  pagerduty: true,
  ...overrides,
});
const trigger = (overrides: Partial<AuditRecord> = {}) => record({ action: 'trigger', ...overrides });

describe('routeRecord', () => {
  it('owes a trigger to SNS and to PagerDuty when it meets both minimums', () => {
    // Act
    const routed = routeRecord(trigger(), context());

    // Assess
    expect(owedChannels(routed)).toEqual(['sns', 'pagerduty']);
  });

  it('owes a silenced event to no channel and says which silence (D1)', () => {
    // Act
    const routed = routeRecord(trigger(), context({ silence: SILENCE }));

    // Assess
    expect(owedChannels(routed)).toEqual([]);
    expect(routed.silenced).toEqual(SILENCE);
    expect(isOwed(routed)).toBe(false);
  });

  it('owes a resolve to exactly the channels its incident was announced on, silence or not (D1, D2)', () => {
    // Prepare
    const resolve = record({ action: 'resolve', severity: 'info' });

    // Act
    const both = routeRecord(resolve, context({ silence: SILENCE, announcedOn: ['sns', 'pagerduty'] }));
    const snsOnly = routeRecord(
      resolve,
      context({
        announcedOn: ['sns'],
        settings: { minSeverity: 'critical', pagerduty: { minSeverity: 'warning' } },
      }),
    );
    const nowhere = routeRecord(resolve, context({ silence: SILENCE, announcedOn: [] }));

    // Assess
    expect(owedChannels(both)).toEqual(['sns', 'pagerduty']);
    expect(both.silenced).toBeUndefined();
    expect(owedChannels(snsOnly)).toEqual(['sns']);
    expect(owedChannels(nowhere)).toEqual([]);
    expect(nowhere.silenced).toEqual(SILENCE);
  });

  it('keeps events below alerts.minSeverity off SNS, and reminders and info off PagerDuty (D2, D3)', () => {
    // Act
    const quiet = routeRecord(
      trigger({ severity: 'warning' }),
      context({ settings: { minSeverity: 'critical', pagerduty: { minSeverity: 'warning' } } }),
    );
    const reminder = routeRecord(record({ action: 'reminder', severity: 'critical' }), context());
    const info = routeRecord(record({ action: 'info', severity: 'critical' }), context());

    // Assess
    expect(owedChannels(quiet)).toEqual(['pagerduty']);
    expect(owedChannels(reminder)).toEqual(['sns']);
    expect(owedChannels(info)).toEqual(['sns']);
  });

  it('pages nothing without a PagerDuty channel (D3)', () => {
    // Act
    const routed = routeRecord(trigger(), context({ pagerduty: false }));

    // Assess
    expect(owedChannels(routed)).toEqual(['sns']);
  });

  it('decides afresh: routing a routed record again does not keep stale channel fields', () => {
    // Prepare
    const first = routeRecord(trigger(), context({ silence: SILENCE }));

    // Act
    const again = routeRecord(first, context());

    // Assess
    expect(again.silenced).toBeUndefined();
    expect(owedChannels(again)).toEqual(['sns', 'pagerduty']);
  });
});

describe('owed per channel (D4)', () => {
  it('stays owed to PagerDuty after SNS accepted it, and is settled once both did', () => {
    // Prepare
    const routed = routeRecord(trigger(), context());

    // Act
    const snsDone = withDelivery(routed, { channel: 'sns', publishedAt: 'T1', messageId: 'm-1' });
    const bothDone = withDelivery(snsDone, { channel: 'pagerduty', publishedAt: 'T2', messageId: 'dedup' });

    // Assess
    expect(owedChannels(snsDone)).toEqual(['pagerduty']);
    expect(isOwed(bothDone)).toBe(false);
    expect(bothDone.pagerduty).toMatchObject({ deliveredAt: 'T2', reference: 'dedup' });
  });

  it('counts failures and rejections per channel and parks one channel without touching the other', () => {
    // Prepare
    const routed = routeRecord(trigger(), context());

    // Act
    const failed = withFailure(routed, { channel: 'pagerduty', error: 'invalid', at: 'T1', rejected: true });
    const parked = withFailure(failed, { channel: 'pagerduty', error: 'invalid', at: 'T2', abandon: true });

    // Assess
    expect(parked.pagerduty).toMatchObject({
      attempts: 2,
      rejections: 2,
      abandonedAt: 'T2',
      lastError: 'invalid',
    });
    expect(parked.publishAttempts).toBe(0);
    expect(owedChannels(parked)).toEqual(['sns']);
  });

  it('ignores a failure on a channel that already delivered the event', () => {
    // Prepare
    const delivered = withDelivery(routeRecord(trigger(), context()), { publishedAt: 'T1', messageId: 'm' });

    // Act
    const late = withFailure(delivered, { error: 'late', at: 'T2' });

    // Assess
    expect(late).toBe(delivered);
  });
});
