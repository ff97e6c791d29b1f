import { describe, expect, it } from 'vitest';
import {
  dedupKey,
  MAX_DEDUP_KEY_CHARS,
  MAX_SUMMARY_CHARS,
  type PagerDutyTrigger,
  redactRoutingKey,
  toPagerDutyEvent,
} from '../../../functions/adapters/pagerduty/pagerduty-event.ts';
import {
  AUTH_SECRET,
  CLUSTER,
  CONSOLE,
  JOB,
  PROJECT,
  record,
  sampleOf,
  URL_SECRET,
} from '../../support/alert-records.ts';
import { TEST_ROUTING_KEY } from '../../support/local-pagerduty/local-pagerduty.ts';

const OPTIONS = { routingKey: TEST_ROUTING_KEY, dedupPrefix: 'restore-watch-prod', consoleBaseUrl: CONSOLE };

describe('toPagerDutyEvent', () => {
  it('triggers with the prefixed incident key, the documented payload fields, links and client', () => {
    // Act
    const event = toPagerDutyEvent(record(), OPTIONS) as PagerDutyTrigger;

    // Assess
    expect(event).toMatchObject({
      routing_key: TEST_ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: `restore-watch-prod/job/${JOB}/failed`,
      payload: {
        summary: 'orders-prod: restore 5f3a1b2c… BROKEN (was IN_PROGRESS)',
        source: `cloud.mongodb.com/${PROJECT}/${CLUSTER}`,
        severity: 'critical',
        timestamp: '2026-05-01T10:00:00.000Z',
        component: `restore job ${JOB}`,
        group: 'orders-prod',
        class: 'JOB_STATUS_CHANGED',
      },
      client: 'restore-watch',
      client_url: `${CONSOLE}/v2/${PROJECT}#/backup/overview`,
    });
    expect(event.links.map((l) => l.href)).toEqual([
      `${CONSOLE}/v2/${PROJECT}#/clusters`,
      `${CONSOLE}/v2/${PROJECT}#/backup/overview`,
    ]);
    expect(event.payload.custom_details).toMatchObject({
      eventId: record().eventId,
      incidentKey: `job/${JOB}/failed`,
      action: 'trigger',
      nextSteps: [expect.stringMatching(/^BROKEN:/)],
    });
  });

  it('resolves with the same key and nothing else', () => {
    // Act
    const event = toPagerDutyEvent(sampleOf('INCIDENT_RESOLVED'), OPTIONS);

    // Assess
    expect(event).toEqual({
      routing_key: TEST_ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: `restore-watch-prod/job/${JOB}/stuck`,
    });
  });

  it('maps every severity of ours one to one and keeps a target failure a target component', () => {
    // Act
    const failing = toPagerDutyEvent(sampleOf('TARGET_FAILING'), OPTIONS) as PagerDutyTrigger;
    const stuck = toPagerDutyEvent(sampleOf('JOB_STUCK'), OPTIONS) as PagerDutyTrigger;

    // Assess
    expect(failing.payload).toMatchObject({ severity: 'critical', component: 'restore job listing' });
    expect(failing.dedup_key).toBe(`restore-watch-prod/target/${PROJECT}:${CLUSTER}/failing`);
    expect(stuck.payload.severity).toBe('warning');
  });

  it('redacts download URLs and auth values from the details and the summary', () => {
    // Act
    const event = toPagerDutyEvent(
      record({
        summary: `broken, see ${URL_SECRET}`,
        details: { delivery: { url: URL_SECRET, authValue: AUTH_SECRET } },
      }),
      OPTIONS,
    );

    // Assess
    expect(JSON.stringify(event)).not.toContain('SENTINEL');
  });

  it('keeps the summary within 1,024 characters and on one line', () => {
    // Act
    const event = toPagerDutyEvent(
      record({ summary: `line\n${'x'.repeat(2_000)}` }),
      OPTIONS,
    ) as PagerDutyTrigger;

    // Assess
    expect(event.payload.summary.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
    expect(event.payload.summary).not.toContain('\n');
  });

  it('drops the bulk of an enormous event from the details and says so', () => {
    // Act
    const event = toPagerDutyEvent(
      record({ details: { blob: 'y'.repeat(400_000) } }),
      OPTIONS,
    ) as PagerDutyTrigger;

    // Assess
    expect(JSON.stringify(event).length).toBeLessThan(20_000);
    expect(event.payload.custom_details.truncated).toMatch(/audit trail/);
  });
});

describe('dedupKey', () => {
  it('is prefix and incident key while that fits 255 characters, and a stable hash otherwise', () => {
    // Act
    const short = dedupKey('p', 'job/x/stuck');
    const long = dedupKey('p'.repeat(300), 'job/x/stuck');

    // Assess
    expect(short).toBe('p/job/x/stuck');
    expect(long.length).toBeLessThanOrEqual(MAX_DEDUP_KEY_CHARS);
    expect(dedupKey('p'.repeat(300), 'job/x/stuck')).toBe(long);
    expect(dedupKey('p'.repeat(300), 'job/y/stuck')).not.toBe(long);
  });
});

describe('redactRoutingKey', () => {
  it('replaces the routing key, and only that', () => {
    // Prepare
    const event = toPagerDutyEvent(record(), OPTIONS);

    // Act
    const shown = redactRoutingKey(event);

    // Assess
    expect(shown).toEqual({ ...event, routing_key: '[redacted]' });
    expect(JSON.stringify(shown)).not.toContain(TEST_ROUTING_KEY);
  });
});
