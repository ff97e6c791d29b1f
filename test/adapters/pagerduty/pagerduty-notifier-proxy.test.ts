/**
 * PagerDutyNotifier through a real HTTP CONNECT proxy on loopback (test/support/connect-proxy.ts, which
 * counts its tunnels) to LocalPagerDuty serving **HTTPS** with a test CA, as the real endpoint does: a
 * call that succeeds went through the tunnel with TLS to PagerDuty inside it, since the proxy only
 * tunnels. Guarantee N5 of functions/adapters/pagerduty/pagerduty-notifier.ts, with N1-N4 kept: a
 * refused tunnel stops the call with everything retryable, naming the proxy and the fix; a dead
 * proxy is an outage, retried; no routing key or proxy credentials in any text.
 *
 * The connections come from `createPagerDutyConnection`, the composition root's own factory, so the
 * proxy choice under test is the one the Lambda and the CLI make; the test CA is trusted in this
 * process the way NODE_EXTRA_CA_CERTS would be (PagerDuty's connection keeps to the default roots).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OutboundConnection } from '../../../functions/adapters/outbound-connection.ts';
import { PagerDutyNotifier } from '../../../functions/adapters/pagerduty/pagerduty-notifier.ts';
import { parseConfig } from '../../../functions/core/config.ts';
import type { AlertGroup } from '../../../functions/core/ports.ts';
import { createPagerDutyConnection } from '../../../functions/runtime/pagerduty-connection.ts';
import { CONSOLE, JOB, record, sampleOf } from '../../support/alert-records.ts';
import { createSelfSignedCertificate, createTestCa, trustInThisProcess } from '../../support/certificates.ts';
import { type ConnectProxy, startConnectProxy } from '../../support/connect-proxy.ts';
import { recordingLogger } from '../../support/in-memory-ports.ts';
import { LocalPagerDuty, TEST_ROUTING_KEY } from '../../support/local-pagerduty/local-pagerduty.ts';

const PROXY_PASSWORD = 'SENTINEL-PROXY-PASSWORD-7c1e';

let pd: LocalPagerDuty;
let untrust: () => void;
let proxy: ConnectProxy;
/** host:port of LocalPagerDuty, as a CONNECT request names it. */
let authority: string;
const connections: OutboundConnection[] = [];

beforeAll(async () => {
  const ca = await createTestCa('PagerDuty Test CA');
  const leaf = await ca.issue();
  untrust = trustInThisProcess(ca);
  pd = new LocalPagerDuty({ tls: { key: leaf.keyPem, cert: leaf.certPem } });
  await pd.start();
  authority = new URL(pd.eventsUrl).host;
});
afterAll(async () => {
  await pd.stop();
  untrust();
});
beforeEach(async () => {
  pd.reset();
  proxy = await startConnectProxy();
});
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  await proxy.stop();
});

/** The connection the composition root builds for this configuration and environment. */
function connectionFor(
  pagerduty: { proxyUrl?: string },
  proxyEnvironment?: Record<string, string>,
): OutboundConnection {
  const config = parseConfig({ targets: [{ projectId: '5f1e2d3c4b5a697887766554' }], alerts: { pagerduty } });
  const connection = createPagerDutyConnection({
    config,
    ...(proxyEnvironment ? { proxyEnvironment } : {}),
  });
  connections.push(connection);
  return connection;
}

function notifier(connection: OutboundConnection) {
  const { logger, lines } = recordingLogger();
  const waits: number[] = [];
  const n = new PagerDutyNotifier({
    routingKey: TEST_ROUTING_KEY,
    eventsUrl: pd.eventsUrl,
    dedupPrefix: 'prod',
    consoleBaseUrl: CONSOLE,
    connection,
    sleep: async (ms) => {
      waits.push(ms);
    },
    logger,
  });
  return { notifier: n, lines, waits };
}

const one = (eventId: string): AlertGroup => ({ events: [record({ eventId })] });

describe('PagerDutyNotifier through alerts.pagerduty.proxyUrl', () => {
  it('sends a trigger and its resolve through the proxy, one CONNECT each, TLS to PagerDuty inside (N5)', async () => {
    // Prepare
    const { notifier: n } = notifier(connectionFor({ proxyUrl: proxy.url }));
    const stuck = sampleOf('JOB_STUCK');
    const resolved = sampleOf('INCIDENT_RESOLVED');

    // Act
    const outcomes = await n.publish([{ events: [stuck] }, { events: [resolved] }], {});

    // Assess
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(pd.alerts()).toMatchObject([{ dedupKey: `prod/job/${JOB}/stuck`, status: 'resolved' }]);
    expect(proxy.tunnels).toEqual([authority, authority]);
    expect(pd.calls).toBe(2);
  });

  it('reports a proxy that refuses the tunnel (403) by name with the fix, tries nothing more, keeps every event owed (N5)', async () => {
    // Prepare
    proxy.refuseWith = 403;
    const { notifier: n, lines, waits } = notifier(connectionFor({ proxyUrl: proxy.url }));

    // Act
    const outcomes = await n.publish([one('a'), one('b')], {});

    // Assess: not retried in the run (no backoff), never parked (retryable), PagerDuty never reached
    const refusal = `The proxy ${proxy.url} (alerts.pagerduty.proxyUrl) refused to open a tunnel to PagerDuty (${authority}) (HTTP 403): allow CONNECT to ${authority} on the proxy; the pages stay owed until it does`;
    expect(outcomes).toEqual([
      { eventIds: ['a'], ok: false, retryable: true, error: refusal },
      { eventIds: ['b'], ok: false, retryable: true, error: `Not sent to PagerDuty: ${refusal}` },
    ]);
    expect(waits).toEqual([]);
    expect(pd.calls).toBe(0);
    expect(lines.some((line) => line.message === 'Alert could not be sent to PagerDuty')).toBe(true);
  });

  it('says a 407 means the proxy wants authentication, which the configuration cannot give', async () => {
    // Prepare
    proxy.refuseWith = 407;
    const { notifier: n } = notifier(connectionFor({ proxyUrl: proxy.url }));

    // Act
    const [outcome] = await n.publish([one('a')], {});

    // Assess
    expect(outcome).toMatchObject({
      ok: false,
      retryable: true,
      error: expect.stringContaining(
        `(HTTP 407): it wants proxy authentication, which this monitor does not send from the configuration: let it open CONNECT tunnels to ${authority} without authentication;`,
      ),
    });
  });

  it('treats a proxy that cannot reach PagerDuty (502 to CONNECT) as an outage: retried, then the rest waits', async () => {
    // Prepare
    proxy.refuseWith = 502;
    const { notifier: n, waits } = notifier(connectionFor({ proxyUrl: proxy.url }));

    // Act
    const outcomes = await n.publish([one('a'), one('b')], {});

    // Assess
    expect(waits).toEqual([500, 1_000]);
    expect(outcomes.every((o) => !o.ok && o.retryable)).toBe(true);
    expect(outcomes[0]).toMatchObject({
      error: expect.stringContaining(
        `The proxy ${proxy.url} (alerts.pagerduty.proxyUrl) could not open a tunnel to PagerDuty (${authority}) (HTTP 502)`,
      ),
    });
  });

  it('says a certificate nobody trusts at the end of the tunnel (a TLS-inspecting proxy) is for the proxy to stop', async () => {
    // Prepare: a PagerDuty stand-in presenting a self-signed certificate, as an inspecting proxy would
    const self = await createSelfSignedCertificate();
    const impostor = new LocalPagerDuty({ tls: { key: self.keyPem, cert: self.certPem } });
    await impostor.start();
    const host = new URL(impostor.eventsUrl).host;

    // Act
    const [outcome] = await new PagerDutyNotifier({
      routingKey: TEST_ROUTING_KEY,
      eventsUrl: impostor.eventsUrl,
      dedupPrefix: 'prod',
      consoleBaseUrl: CONSOLE,
      connection: connectionFor({ proxyUrl: proxy.url }),
      maxAttempts: 1,
    })
      .publish([one('a')], {})
      .finally(() => impostor.stop());

    // Assess
    expect(outcome).toEqual({
      eventIds: ['a'],
      ok: false,
      retryable: true,
      error: `PagerDuty could not be reached: TLS to ${host} failed (DEPTH_ZERO_SELF_SIGNED_CERT); if the proxy ${proxy.url} (alerts.pagerduty.proxyUrl) inspects TLS, let it pass the tunnel to ${host} through untouched; gave up after 1 attempts`,
    });
    expect(impostor.calls).toBe(0);
  });
});

describe("PagerDutyNotifier through the CLI's HTTPS_PROXY / NO_PROXY", () => {
  it('tunnels through HTTPS_PROXY', async () => {
    // Prepare
    const { notifier: n } = notifier(connectionFor({}, { HTTPS_PROXY: proxy.url }));

    // Act
    const outcomes = await n.publish([one('a')], {});

    // Assess
    expect(outcomes).toMatchObject([{ ok: true }]);
    expect(proxy.tunnels).toEqual([authority]);
  });

  it('goes direct to a host NO_PROXY names', async () => {
    // Prepare
    const { notifier: n } = notifier(connectionFor({}, { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }));

    // Act
    const outcomes = await n.publish([one('a')], {});

    // Assess
    expect(outcomes).toMatchObject([{ ok: true }]);
    expect(proxy.tunnels).toEqual([]);
    expect(pd.calls).toBe(1);
  });

  it('prefers alerts.pagerduty.proxyUrl to the environment', async () => {
    // Prepare: the environment names a proxy that refuses everything
    const other = await startConnectProxy();
    other.refuseWith = 403;
    const { notifier: n } = notifier(connectionFor({ proxyUrl: proxy.url }, { HTTPS_PROXY: other.url }));

    // Act
    const outcomes = await n.publish([one('a')], {}).finally(() => other.stop());

    // Assess
    expect(outcomes).toMatchObject([{ ok: true }]);
    expect(proxy.tunnels).toEqual([authority]);
    expect(other.tunnels).toEqual([]);
  });

  it('names a dead proxy in a retryable "could not be reached", never its credentials or the routing key (N4)', async () => {
    // Prepare: a proxy URL with credentials, on a port where nothing listens any more
    const port = new URL(proxy.url).port;
    await proxy.stop();
    const deadUrl = proxy.url.replace('http://', `http://proxy-user:${PROXY_PASSWORD}@`);
    const { notifier: n, lines, waits } = notifier(connectionFor({}, { HTTPS_PROXY: deadUrl }));

    // Act
    const outcomes = await n.publish([one('a')], {});

    // Assess
    expect(outcomes).toEqual([
      {
        eventIds: ['a'],
        ok: false,
        retryable: true,
        error: `PagerDuty could not be reached: the connection was refused (ECONNREFUSED at 127.0.0.1:${port}); check the proxy ${proxy.url} (HTTPS_PROXY), DNS and the route out (NAT, firewall); gave up after 3 attempts`,
      },
    ]);
    expect(waits).toEqual([500, 1_000]);
    const said = JSON.stringify([outcomes, lines]);
    expect(said).not.toContain(PROXY_PASSWORD);
    expect(said).not.toContain('proxy-user');
    expect(said).not.toContain(TEST_ROUTING_KEY);
    proxy = await startConnectProxy();
  });
});
