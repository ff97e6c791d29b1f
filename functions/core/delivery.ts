/**
 * Which channels an event is owed to, decided once when it is recorded, and read back the same way by
 * the publisher, the stores and the summary. An event is owed to each channel separately and marked
 * per channel, so one channel's outage or refusal never holds up another.
 *
 * Guarantees (test/core/delivery.test.ts):
 *
 * D1. A silenced event is owed to no channel, except a resolve of an incident that was announced:
 *     that goes to every channel the incident was announced on, silence or not (so a PagerDuty
 *     incident closes).
 * D2. SNS: an event is owed when its severity meets `alerts.minSeverity`, a resolve when its incident
 *     was announced on SNS (whatever its severity). A reminder is owed to SNS only.
 * D3. PagerDuty (only when the channel exists): a trigger at or above `alerts.pagerduty.minSeverity`
 *     is owed; a resolve when its incident was announced on PagerDuty; nothing else ever.
 * D4. `owedTo` is false once the channel accepted the event or parked it; `isOwed` is true while any
 *     channel still waits for it (that is what keeps an event in the owed index).
 */
import { meetsMinSeverity } from './event-catalogue.ts';
import type { AlertSettings, AuditRecord, Channel, SilenceRef } from './types.ts';

export const CHANNELS: readonly Channel[] = ['sns', 'pagerduty'];

/** What the channel decision needs besides the record. */
export interface RouteContext {
  settings: Pick<AlertSettings, 'minSeverity' | 'pagerduty'>;
  /** Whether a PagerDuty channel exists in this run (a routing key is configured). */
  pagerduty: boolean;
  /** The silence matching the event now, if any. */
  silence?: SilenceRef;
  /** For a resolve: the channels its incident was announced on; absent when no incident is tracked. */
  announcedOn?: readonly Channel[];
}

/**
 * The record with its channels decided: `silenced`, `suppressed` (not for SNS) and `pagerduty` (owed
 * to PagerDuty) set from scratch. The record must carry its `action` (the incident stage sets it).
 */
export function routeRecord(record: AuditRecord, context: RouteContext): AuditRecord {
  const { silenced: _s, suppressed: _p, pagerduty: _d, ...rest } = record;
  const undelivered: AuditRecord = rest;
  const announced = record.action === 'resolve' ? context.announcedOn : undefined;
  if (announced !== undefined && announced.length > 0) {
    // D1: a resolve follows its trigger everywhere the trigger went, silences notwithstanding.
    return {
      ...undelivered,
      ...(announced.includes('sns') ? {} : { suppressed: true }),
      ...(announced.includes('pagerduty') && context.pagerduty ? { pagerduty: { attempts: 0 } } : {}),
    };
  }
  if (context.silence) return { ...undelivered, silenced: context.silence, suppressed: true };
  const forSns =
    announced === undefined ? meetsMinSeverity(record.severity, context.settings.minSeverity) : false;
  const forPager =
    context.pagerduty &&
    record.action === 'trigger' &&
    meetsMinSeverity(record.severity, context.settings.pagerduty.minSeverity);
  return {
    ...undelivered,
    ...(forSns ? {} : { suppressed: true }),
    ...(forPager ? { pagerduty: { attempts: 0 } } : {}),
  };
}

/** D4: still waiting for `channel`. */
export function owedTo(
  record: Pick<AuditRecord, 'silenced' | 'suppressed' | 'publishedAt' | 'abandonedAt' | 'pagerduty'>,
  channel: Channel,
): boolean {
  if (record.silenced !== undefined) return false;
  if (channel === 'sns') {
    return record.suppressed !== true && record.publishedAt === undefined && record.abandonedAt === undefined;
  }
  const delivery = record.pagerduty;
  return delivery !== undefined && delivery.deliveredAt === undefined && delivery.abandonedAt === undefined;
}

/** The channels still waiting for `record`. */
export function owedChannels(record: Parameters<typeof owedTo>[0]): Channel[] {
  return CHANNELS.filter((channel) => owedTo(record, channel));
}

/** D4: some channel still waits for it (it belongs in the owed index). */
export function isOwed(record: Parameters<typeof owedTo>[0]): boolean {
  return CHANNELS.some((channel) => owedTo(record, channel));
}

/** The channels an event was routed to when recorded, delivered since or not (what an incident keeps). */
export function routedChannels(
  record: Pick<AuditRecord, 'silenced' | 'suppressed' | 'pagerduty'>,
): Channel[] {
  if (record.silenced !== undefined) return [];
  return [
    ...(record.suppressed === true ? [] : (['sns'] as const)),
    ...(record.pagerduty !== undefined ? (['pagerduty'] as const) : []),
  ];
}

/** `record` as it reads once `channel` accepted it (what the stores write). */
export function withDelivery(
  record: AuditRecord,
  mark: { channel?: Channel; publishedAt: string; messageId: string },
): AuditRecord {
  if ((mark.channel ?? 'sns') === 'sns') {
    return { ...record, publishedAt: mark.publishedAt, snsMessageId: mark.messageId };
  }
  return {
    ...record,
    pagerduty: {
      ...(record.pagerduty ?? { attempts: 0 }),
      deliveredAt: mark.publishedAt,
      reference: mark.messageId,
    },
  };
}

/** `record` as it reads once a failed attempt on `channel` is counted (what the stores write). */
export function withFailure(
  record: AuditRecord,
  failure: { channel?: Channel; error: string; at: string; rejected?: boolean; abandon?: boolean },
): AuditRecord {
  const rejected = failure.rejected === true || failure.abandon === true;
  if ((failure.channel ?? 'sns') === 'sns') {
    if (record.publishedAt !== undefined) return record;
    return {
      ...record,
      lastPublishError: failure.error,
      publishAttempts: (record.publishAttempts ?? 0) + 1,
      ...(rejected ? { rejections: (record.rejections ?? 0) + 1 } : {}),
      ...(failure.abandon ? { abandonedAt: failure.at } : {}),
    };
  }
  const delivery = record.pagerduty;
  if (!delivery || delivery.deliveredAt !== undefined) return record;
  return {
    ...record,
    pagerduty: {
      ...delivery,
      lastError: failure.error,
      attempts: delivery.attempts + 1,
      ...(rejected ? { rejections: (delivery.rejections ?? 0) + 1 } : {}),
      ...(failure.abandon ? { abandonedAt: failure.at } : {}),
    },
  };
}

/** Rejections of the message itself counted on `channel` (what parking counts). */
export function rejectionsOn(record: AuditRecord, channel: Channel): number {
  return (channel === 'sns' ? record.rejections : record.pagerduty?.rejections) ?? 0;
}
