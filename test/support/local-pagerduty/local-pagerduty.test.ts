/**
 * The local PagerDuty peer answers as the Events API v2 reference says, so tests that pass against it
 * mean something. Requests are plain `fetch` calls, as any client would send them.
 */
import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { createTestCa } from '../certificates.ts';
import { LocalPagerDuty, TEST_ROUTING_KEY } from './local-pagerduty.ts';
import { useLocalPagerDuty } from './use-local-pagerduty.ts';

const pd = useLocalPagerDuty();

async function post(body: unknown, raw?: string, to: LocalPagerDuty = pd) {
  const response = await fetch(to.eventsUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The reference's own example trigger ("Example Event Body"), with our test routing key. */
const REFERENCE_TRIGGER = {
  payload: {
    summary: 'DISK at 99% on machine prod-datapipe03.example.com',
    timestamp: '2015-07-17T08:42:58.315+0000',
    severity: 'critical',
    source: 'prod-datapipe03.example.com',
    component: 'mysql',
    group: 'prod-datapipe',
    class: 'disk',
    custom_details: { 'free space': '1%', 'ping time': '1500ms', 'load avg': 0.75 },
  },
  routing_key: TEST_ROUTING_KEY,
  dedup_key: 'srv01/mysql',
  event_action: 'trigger',
  client: 'Sample Monitoring Service',
  client_url: 'https://monitoring.service.com',
  links: [{ href: 'http://pagerduty.example.com', text: 'An example link.' }],
  images: [
    {
      src: 'https://chart.googleapis.com/chart?chs=600x400',
      href: 'https://google.com',
      alt: 'An example link with an image',
    },
  ],
};

describe('LocalPagerDuty', () => {
  it('accepts the reference example with 202 and the documented success body', async () => {
    // Act
    const answer = await post(REFERENCE_TRIGGER);

    // Assess
    expect(answer).toEqual({
      status: 202,
      body: { status: 'success', message: 'Event processed', dedup_key: 'srv01/mysql' },
    });
    expect(pd.openAlerts()).toMatchObject([{ dedupKey: 'srv01/mysql', status: 'triggered', triggers: 1 }]);
  });

  it('adds a repeated trigger to the open alert, closes it on resolve, and opens a new one after', async () => {
    // Act
    await post(REFERENCE_TRIGGER);
    await post(REFERENCE_TRIGGER);
    await post({ routing_key: TEST_ROUTING_KEY, event_action: 'resolve', dedup_key: 'srv01/mysql' });
    await post(REFERENCE_TRIGGER);

    // Assess
    expect(pd.alerts().map((a) => [a.status, a.triggers])).toEqual([
      ['resolved', 2],
      ['triggered', 1],
    ]);
  });

  it('accepts and drops a resolve of no open alert', async () => {
    // Act
    const answer = await post({
      routing_key: TEST_ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: 'nothing-open',
    });

    // Assess
    expect(answer.status).toBe(202);
    expect(pd.events[0]?.applied).toBe(false);
    expect(pd.alerts()).toEqual([]);
  });

  it('generates a dedup_key for a trigger without one and returns it', async () => {
    // Act
    const { dedup_key: _omit, ...withoutKey } = REFERENCE_TRIGGER;
    const answer = await post(withoutKey);

    // Assess
    expect(answer.status).toBe(202);
    expect(answer.body.dedup_key).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a short routing key',
      { routing_key: 'abc' },
      "Length of 'routing_key' is incorrect (should be 32 characters)",
    ],
    ['no event action', { event_action: undefined }, "'event_action' is missing or blank"],
    [
      'an unknown event action',
      { event_action: 'explode' },
      "'event_action' is invalid (must be one of trigger, acknowledge, resolve)",
    ],
    [
      'a dedup_key over 255 characters',
      { dedup_key: 'k'.repeat(256) },
      "'dedup_key' is too long (maximum is 255 characters)",
    ],
    ['no payload', { payload: undefined }, "'payload' is missing or blank"],
    [
      'a blank summary',
      { payload: { ...REFERENCE_TRIGGER.payload, summary: ' ' } },
      "'payload.summary' is missing or blank",
    ],
    [
      'a summary over 1,024 characters',
      { payload: { ...REFERENCE_TRIGGER.payload, summary: 's'.repeat(1025) } },
      "'payload.summary' is too long (maximum is 1024 characters)",
    ],
    [
      'no source',
      { payload: { ...REFERENCE_TRIGGER.payload, source: undefined } },
      "'payload.source' is missing or blank",
    ],
    [
      'an unknown severity',
      { payload: { ...REFERENCE_TRIGGER.payload, severity: 'fatal' } },
      "'payload.severity' is invalid (must be one of critical, error, warning, info)",
    ],
    [
      'a timestamp that is no date',
      { payload: { ...REFERENCE_TRIGGER.payload, timestamp: 'yesterday' } },
      "'payload.timestamp' is not a valid ISO 8601 date-time",
    ],
    ['a link without href', { links: [{ text: 'x' }] }, "'links[0].href' is missing or blank"],
  ])('rejects %s with 400 "invalid event", naming it', async (_name, change, error) => {
    // Act
    const answer = await post({ ...REFERENCE_TRIGGER, ...change });

    // Assess
    expect(answer).toEqual({
      status: 400,
      body: { status: 'invalid event', message: 'Event object is invalid', errors: [error] },
    });
    expect(pd.events).toEqual([]);
  });

  it('requires a dedup_key to resolve', async () => {
    // Act
    const answer = await post({ routing_key: TEST_ROUTING_KEY, event_action: 'resolve' });

    // Assess
    expect(answer.body.errors).toEqual(["'dedup_key' is required for resolve events"]);
  });

  it('answers a body that is not JSON with the reference error example', async () => {
    // Act
    const answer = await post(undefined, '{not json');

    // Assess
    expect(answer).toEqual({
      status: 400,
      body: {
        status: 'Unrecognized object',
        message: 'Event object format is unrecognized',
        errors: ['JSON parse error'],
      },
    });
  });

  it('answers 429 past the rate of one routing key within a minute, and lets it through a minute later', async () => {
    // Prepare
    let clock = 0;
    const limited = new LocalPagerDuty({ eventsPerMinute: 3, now: () => clock });
    await limited.start();

    try {
      // Act
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(REFERENCE_TRIGGER, undefined, limited)).status);
      clock = 60_001;
      statuses.push((await post(REFERENCE_TRIGGER, undefined, limited)).status);

      // Assess
      expect(statuses).toEqual([202, 202, 202, 429, 202]);
    } finally {
      await limited.stop();
    }
  });

  it('answers injected faults for exactly the given number of calls, then works', async () => {
    // Prepare
    pd.failNext({ kind: 'status', status: 503 }, 2);

    // Act
    const statuses = [
      (await post(REFERENCE_TRIGGER)).status,
      (await post(REFERENCE_TRIGGER)).status,
      (await post(REFERENCE_TRIGGER)).status,
    ];

    // Assess
    expect(statuses).toEqual([503, 503, 202]);
    expect(pd.calls).toBe(3);
  });

  it('drops the connection when told to, so the client sees a network error', async () => {
    // Prepare
    pd.failNext({ kind: 'drop' });

    // Act & Assess
    await expect(post(REFERENCE_TRIGGER)).rejects.toThrow();
    expect(pd.events).toEqual([]);
  });

  it('serves HTTPS with the certificate it is given, which a client trusts only with its CA', async () => {
    // Prepare
    const ca = await createTestCa('LocalPagerDuty Test CA');
    const leaf = await ca.issue();
    const secure = new LocalPagerDuty({ tls: { key: leaf.keyPem, cert: leaf.certPem } });
    await secure.start();
    const postOverTls = (trusted: string[] | undefined) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify(REFERENCE_TRIGGER);
        const req = request(
          secure.eventsUrl,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            ...(trusted ? { ca: trusted } : {}),
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });

    try {
      // Act
      const untrusted = await postOverTls(undefined).catch((error: NodeJS.ErrnoException) => error.code);
      const status = await postOverTls([ca.certPem]);

      // Assess
      expect(secure.eventsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v2\/enqueue$/);
      expect(untrusted).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      expect(status).toBe(202);
      expect(secure.events).toHaveLength(1);
    } finally {
      await secure.stop();
    }
  });
});
