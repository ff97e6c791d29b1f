/**
 * PagerDutyNotifier against the local Events API v2 peer over real HTTP (guarantees N1-N4 of
 * functions/adapters/pagerduty/pagerduty-notifier.ts).
 */
import { describe, expect, it } from 'vitest';
import { PagerDutyNotifier } from '../../../functions/adapters/pagerduty/pagerduty-notifier.ts';
import type { AlertGroup } from '../../../functions/core/ports.ts';
import { CONSOLE, JOB, record, sampleOf } from '../../support/alert-records.ts';
import { recordingLogger } from '../../support/in-memory-ports.ts';
import { TEST_ROUTING_KEY } from '../../support/local-pagerduty/local-pagerduty.ts';
import { useLocalPagerDuty } from '../../support/local-pagerduty/use-local-pagerduty.ts';

const pd = useLocalPagerDuty();

function notifier(overrides: Partial<ConstructorParameters<typeof PagerDutyNotifier>[0]> = {}) {
  const { logger, lines } = recordingLogger();
  const waits: number[] = [];
  const n = new PagerDutyNotifier({
    routingKey: TEST_ROUTING_KEY,
    eventsUrl: pd.eventsUrl,
    dedupPrefix: 'prod',
    consoleBaseUrl: CONSOLE,
    sleep: async (ms) => {
      waits.push(ms);
    },
    logger,
    ...overrides,
  });
  return { notifier: n, lines, waits };
}

const one = (eventId: string, overrides = {}): AlertGroup => ({
  events: [record({ eventId, ...overrides })],
});

describe('PagerDutyNotifier', () => {
  it('sends a trigger and then its resolve with the same dedup_key, and PagerDuty closes the alert', async () => {
    // Prepare
    const { notifier: n } = notifier();
    const stuck = sampleOf('JOB_STUCK');
    const resolved = sampleOf('INCIDENT_RESOLVED');

    // Act
    const outcomes = await n.publish([{ events: [stuck] }, { events: [resolved] }], {});

    // Assess
    expect(outcomes).toEqual([
      { eventIds: [stuck.eventId], ok: true, messageId: `prod/job/${JOB}/stuck` },
      { eventIds: [resolved.eventId], ok: true, messageId: `prod/job/${JOB}/stuck` },
    ]);
    expect(pd.alerts()).toMatchObject([
      { dedupKey: `prod/job/${JOB}/stuck`, status: 'resolved', triggers: 1 },
    ]);
  });

  it('reports an invalid event as rejected (not retryable) and still sends the next one (N1)', async () => {
    // Prepare: PagerDuty answers 400 to the first call only.
    pd.failNext({
      kind: 'status',
      status: 400,
      body: {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["'payload.summary' is missing or blank"],
      },
    });
    const { notifier: n } = notifier();

    // Act
    const outcomes = await n.publish([one('a'), one('b')], {});

    // Assess
    expect(outcomes[0]).toEqual({
      eventIds: ['a'],
      ok: false,
      retryable: false,
      error: expect.stringMatching(
        /rejected the event as invalid \(HTTP 400: invalid event: Event object is invalid: 'payload.summary' is missing or blank\)/,
      ),
    });
    expect(outcomes[1]).toMatchObject({ ok: true });
  });

  it('retries a 5xx and a dropped connection within the run, then delivers', async () => {
    // Prepare
    pd.failNext({ kind: 'status', status: 503 });
    pd.failNext({ kind: 'drop' });
    const { notifier: n, waits } = notifier();

    // Act
    const outcomes = await n.publish([one('a')], {});

    // Assess
    expect(outcomes[0]).toMatchObject({ ok: true });
    expect(pd.calls).toBe(3);
    expect(waits).toEqual([500, 1_000]);
  });

  it('gives up on a call PagerDuty never answers after requestTimeoutMs, retryable (N1)', async () => {
    // Prepare
    pd.failNext({ kind: 'stall' });
    const { notifier: n } = notifier({ requestTimeoutMs: 50, maxAttempts: 1 });

    // Act
    const outcomes = await n.publish([one('a')], {});

    // Assess
    expect(outcomes).toEqual([
      {
        eventIds: ['a'],
        ok: false,
        retryable: true,
        error:
          'PagerDuty could not be reached (no answer within 50 ms); check DNS and the route out (NAT, firewall) if it persists; gave up after 1 attempts',
      },
    ]);
  });

  it('stops calling once PagerDuty is down, and leaves everything retryable for the next run', async () => {
    // Prepare
    pd.failNext({ kind: 'status', status: 500 }, 10);
    const { notifier: n } = notifier({ maxAttempts: 3 });

    // Act
    const outcomes = await n.publish([one('a'), one('b'), one('c')], {});

    // Assess
    expect(pd.calls).toBe(3);
    expect(outcomes.map((o) => o.ok || o.retryable)).toEqual([true, true, true]);
    expect(outcomes.every((o) => !o.ok)).toBe(true);
    expect(outcomes[2]).toMatchObject({
      error: expect.stringMatching(/^Not sent to PagerDuty: PagerDuty failed \(HTTP 500/),
    });
  });

  it('sends nothing more after a 429, everything left retryable', async () => {
    // Prepare
    pd.failNext({ kind: 'status', status: 429 });
    const { notifier: n } = notifier();

    // Act
    const outcomes = await n.publish([one('a'), one('b')], {});

    // Assess
    expect(pd.calls).toBe(1);
    expect(outcomes).toEqual([
      {
        eventIds: ['a'],
        ok: false,
        retryable: true,
        error: expect.stringMatching(/rate limiting this integration \(HTTP 429\)/),
      },
      {
        eventIds: ['b'],
        ok: false,
        retryable: true,
        error: expect.stringMatching(/^Not sent to PagerDuty: PagerDuty is rate limiting/),
      },
    ]);
  });

  it('treats a 404 from a wrong events URL as a configuration problem, retryable, naming the fix', async () => {
    // Prepare
    const { notifier: n } = notifier({ eventsUrl: pd.eventsUrl.replace('/v2/enqueue', '/v2/nowhere') });

    // Act
    const [outcome] = await n.publish([one('a')], {});

    // Assess
    expect(outcome).toMatchObject({
      ok: false,
      retryable: true,
      error: expect.stringMatching(/HTTP 404.*check PAGERDUTY_EVENTS_URL/),
    });
  });

  it('meets the checkpoint before every call and sends nothing once it refuses (N2)', async () => {
    // Prepare
    const { notifier: n } = notifier();
    let allowed = 1;
    const checkpoint = async () => {
      if (allowed-- <= 0) throw new Error('lease lost');
    };

    // Act
    const outcomes = await n.publish([one('a'), one('b')], { checkpoint });

    // Assess
    expect(pd.calls).toBe(1);
    expect(outcomes[1]).toEqual({
      eventIds: ['b'],
      ok: false,
      retryable: true,
      error: 'Not sent to PagerDuty: lease lost',
    });
  });

  it('starts no call past the deadline (N3)', async () => {
    // Prepare
    const { notifier: n } = notifier({ now: () => 1_000 });

    // Act
    const outcomes = await n.publish([one('a')], { deadline: new Date(1_000) });

    // Assess
    expect(pd.calls).toBe(0);
    expect(outcomes[0]).toMatchObject({
      ok: false,
      retryable: true,
      error: expect.stringMatching(/no time left/),
    });
  });

  it('waits for its own rate limit rather than exceed it (N3)', async () => {
    // Prepare
    let clock = 0;
    const { notifier: n, waits } = notifier({
      eventsPerMinute: 2,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });

    // Act
    await n.publish([one('a'), one('b'), one('c')], {});

    // Assess
    expect(pd.calls).toBe(3);
    expect(waits).toEqual([60_000]);
  });

  it('never says the routing key, even when PagerDuty quotes it back (N4)', async () => {
    // Prepare
    pd.failNext({
      kind: 'status',
      status: 400,
      body: { status: 'invalid event', message: `bad key ${TEST_ROUTING_KEY}` },
    });
    const { notifier: n, lines } = notifier();

    // Act
    const outcomes = await n.publish([one('a')], {});

    // Assess
    expect(JSON.stringify(outcomes)).not.toContain(TEST_ROUTING_KEY);
    expect(JSON.stringify(lines)).not.toContain(TEST_ROUTING_KEY);
  });
});
