/**
 * PagerDuty behind a corporate proxy, end to end: the Cloud Manager simulator, the DynamoDB store
 * against dynalite, SNS through the real notifier (SDK mock), and PagerDuty through the real notifier
 * on the connection the composition root builds from `alerts.pagerduty.proxyUrl`, via a real CONNECT
 * proxy (test/support/connect-proxy.ts) to LocalPagerDuty over HTTPS (a test CA, trusted in this
 * process as NODE_EXTRA_CA_CERTS would be). The proxy only tunnels, and PagerDuty only speaks TLS: a
 * page that arrives went through the tunnel with TLS inside it.
 *
 * Pages and resolves arrive through the proxy; a proxy that refuses the tunnel keeps the pages owed,
 * says so naming the proxy and the fix, and never holds up SNS; once it allows the tunnel, the owed
 * pages go out in order.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OutboundConnection } from '../../functions/adapters/outbound-connection.ts';
import { PagerDutyNotifier } from '../../functions/adapters/pagerduty/pagerduty-notifier.ts';
import type { PollSummary } from '../../functions/core/poll.ts';
import { createPagerDutyConnection } from '../../functions/runtime/pagerduty-connection.ts';
import { newObjectId, SnsGate } from '../reliability/support/system.ts';
import { createTestCa, trustInThisProcess } from '../support/certificates.ts';
import { type ConnectProxy, startConnectProxy } from '../support/connect-proxy.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { LocalPagerDuty, TEST_ROUTING_KEY } from '../support/local-pagerduty/local-pagerduty.ts';

let pd: LocalPagerDuty;
let untrust: () => void;
let h: Harness;
let sns: SnsGate;
let proxy: ConnectProxy;
let connection: OutboundConnection;
let project: string;
let cluster: string;

beforeAll(async () => {
  const ca = await createTestCa('PagerDuty Test CA');
  const leaf = await ca.issue();
  untrust = trustInThisProcess(ca);
  pd = new LocalPagerDuty({ tls: { key: leaf.keyPem, cert: leaf.certPem } });
  await pd.start();
});
afterAll(async () => {
  await pd.stop();
  untrust();
});
beforeEach(async () => {
  pd.reset();
  h = await startHarness();
  sns = new SnsGate().install(h);
  proxy = await startConnectProxy();
  project = newObjectId();
  cluster = h.sim.addCluster({ projectId: project, clusterName: 'orders-prod' }).id;
  connection = createPagerDutyConnection({ config: config() });
});
afterEach(async () => {
  connection.close();
  await proxy.stop();
  await h.stop();
});

const config = () =>
  h.config({
    targets: [{ projectId: project, clusterId: cluster, name: 'orders-prod', team: 'orders' }],
    alerts: { failingAfterPolls: 1, pagerduty: { proxyUrl: proxy.url } },
  });

/** Poll every 5 minutes `times` times, with PagerDuty on the configuration's connection. */
async function poll(times = 1): Promise<PollSummary[]> {
  const out: PollSummary[] = [];
  for (let i = 0; i < times; i++) {
    h.clock.advanceMinutes(5);
    const pagerduty = new PagerDutyNotifier({
      routingKey: TEST_ROUTING_KEY,
      eventsUrl: pd.eventsUrl,
      dedupPrefix: `restore-watch/${h.tableName}`,
      consoleBaseUrl: h.sim.origin,
      connection,
      sleep: async () => {},
      now: () => h.clock.now().getTime(),
      logger: h.deps().logger,
    });
    out.push(await h.poll(config(), { pagerduty }));
  }
  return out;
}

/** A restore that gets stuck (a trigger) and then finishes (its resolve), both after `before`. */
async function stuckThenFinished(before: () => void): Promise<{ jobId: string; during: PollSummary[] }> {
  await poll();
  const job = h.sim.addRestoreJob(project, cluster);
  await poll();
  before();
  h.clock.advanceMinutes(360);
  const during = await poll();
  h.sim.finishJob(job.id, { expirationHours: 48 });
  during.push(...(await poll()));
  return { jobId: job.id, during };
}

const snsActions = () =>
  sns.accepted.map(
    (m) =>
      (JSON.parse(m.raw).MessageAttributes as Record<string, { StringValue?: string }>).action?.StringValue,
  );
const pdLog = () => pd.events.map((e) => [e.event_action, e.dedup_key.split('/').slice(-3).join('/')]);

describe('PagerDuty through alerts.pagerduty.proxyUrl', () => {
  it('pages a stuck restore and resolves it through the proxy, a CONNECT per call, while SNS delivers as usual', async () => {
    // Act
    const { jobId, during } = await stuckThenFinished(() => {});

    // Assess
    const authority = new URL(pd.eventsUrl).host;
    expect(pdLog()).toEqual([
      ['trigger', `job/${jobId}/stuck`],
      ['resolve', `job/${jobId}/stuck`],
    ]);
    expect(pd.openAlerts()).toEqual([]);
    expect(proxy.tunnels).toEqual([authority, authority]);
    expect(during.map((s) => s.pagerduty)).toMatchObject([
      { published: 1, owed: 0 },
      { published: 1, owed: 0 },
    ]);
    expect(snsActions()).toEqual(['info', 'trigger', 'resolve']);
  });

  it('keeps the pages owed while the proxy refuses the tunnel, names it and the fix, never holds up SNS, then pages in order', async () => {
    // Prepare
    const { jobId, during } = await stuckThenFinished(() => {
      proxy.refuseWith = 403;
    });

    // Act: the proxy's rule is fixed
    proxy.refuseWith = undefined;
    const [after] = await poll();

    // Assess: while refused, SNS delivered everything and PagerDuty was never reached
    expect(during.map((s) => s.alertsOwed)).toEqual([0, 0]);
    expect(during.map((s) => s.pagerduty?.owed)).toEqual([1, 2]);
    expect(snsActions()).toEqual(['info', 'trigger', 'resolve']);
    const refusals = h.logs.filter((line) => line.message === 'Alert could not be sent to PagerDuty');
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]?.extra).toMatchObject({
      retryable: true,
      error: expect.stringContaining(
        `The proxy ${proxy.url} (alerts.pagerduty.proxyUrl) refused to open a tunnel to PagerDuty (${new URL(pd.eventsUrl).host}) (HTTP 403): allow CONNECT to`,
      ),
    });
    // then the owed pages went out through the proxy, oldest first
    expect(after?.pagerduty).toMatchObject({ published: 2, owed: 0 });
    expect(pdLog()).toEqual([
      ['trigger', `job/${jobId}/stuck`],
      ['resolve', `job/${jobId}/stuck`],
    ]);
    expect(proxy.tunnels).toHaveLength(2);
  });
});
