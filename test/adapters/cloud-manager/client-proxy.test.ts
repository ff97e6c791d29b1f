/**
 * The client through a real HTTP CONNECT proxy on loopback that counts its tunnels: an explicit
 * proxy URL (`cloudManager.proxyUrl`, the Lambda's way) carries every request; the environment
 * (`HTTPS_PROXY` / `NO_PROXY`, the CLI's way) follows Node's own rules, NO_PROXY bypass included;
 * a refusing or dead proxy is named in the error, never with its credentials.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudManagerNetworkError,
  CloudManagerProxyError,
  CloudManagerTlsError,
  isRetryable,
} from '../../../functions/adapters/cloud-manager/client.ts';
import { CloudManagerConnection } from '../../../functions/adapters/cloud-manager/connection.ts';
import type { ProxySetting } from '../../../functions/adapters/outbound-connection.ts';
import type { CloudManagerSimulator } from '../../../functions/simulator/cloud-manager-simulator.ts';
import { createTestCa, type TestCa } from '../../support/certificates.ts';
import { type ConnectProxy, startConnectProxy } from '../../support/connect-proxy.ts';
import { addTarget, clientFor, everythingVisible, startSimulator } from './client-fixtures.ts';

let ca: TestCa;
let sim: CloudManagerSimulator;
let proxy: ConnectProxy;
let target: { projectId: string; clusterId: string };
/** host:port of the simulator, as a CONNECT request names it. */
let authority: string;

beforeAll(async () => {
  ca = await createTestCa();
  const leaf = await ca.issue();
  sim = await startSimulator({ tls: { key: leaf.keyPem, cert: leaf.certPem } });
  authority = new URL(sim.baseUrl).host;
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(async () => {
  proxy = await startConnectProxy();
  target = addTarget(sim);
});
afterEach(async () => {
  await proxy.stop();
});

const trustingVia = (proxySetting: ProxySetting) =>
  new CloudManagerConnection({ extraCaPem: ca.certPem, proxy: proxySetting });

describe('an explicit proxy URL (cloudManager.proxyUrl)', () => {
  it('tunnels the requests through the proxy, TLS to the API inside the tunnel', async () => {
    // Prepare
    const connection = trustingVia({ kind: 'url', url: proxy.url });

    // Act
    const clusters = await clientFor(sim, { connection }).listClusters(target.projectId);
    await clientFor(sim, { connection }).listRestoreJobs(target);

    // Assess: keep-alive reuses the one tunnel
    expect(clusters.map((c) => c.id)).toEqual([target.clusterId]);
    expect(proxy.tunnels).toEqual([authority]);
  });

  it('reports a refused tunnel as a proxy error that is not retried', async () => {
    // Prepare
    proxy.refuseWith = 403;
    const connection = trustingVia({ kind: 'url', url: proxy.url });
    const client = clientFor(sim, { connection });

    // Act
    const error = await client.listClusters(target.projectId).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(CloudManagerProxyError);
    expect((error as CloudManagerProxyError).status).toBe(403);
    expect((error as Error).message).toContain(
      `The proxy ${proxy.url} (cloudManager.proxyUrl) did not open a tunnel to ${authority}`,
    );
    expect(isRetryable(error)).toBe(false);
    expect(client.stats.retries).toBe(0);
  });

  it('still diagnoses the certificate behind the proxy', async () => {
    // Prepare: no extra CA, so the API's private certificate is not trusted
    const connection = new CloudManagerConnection({ proxy: { kind: 'url', url: proxy.url } });

    // Act
    const error = await clientFor(sim, { connection })
      .listClusters(target.projectId)
      .catch((caught: unknown) => caught);

    // Assess: the diagnosis read the issuer through a second tunnel
    expect(error).toBeInstanceOf(CloudManagerTlsError);
    expect((error as Error).message).toContain(`issued by "${ca.name}"`);
    expect(proxy.tunnels).toEqual([authority, authority]);
  });
});

describe('the environment (HTTPS_PROXY / NO_PROXY, the CLI)', () => {
  it('tunnels through HTTPS_PROXY', async () => {
    // Prepare
    const connection = trustingVia({ kind: 'environment', env: { HTTPS_PROXY: proxy.url } });

    // Act
    await clientFor(sim, { connection }).listClusters(target.projectId);

    // Assess
    expect(proxy.tunnels).toEqual([authority]);
  });

  it('goes direct to a host NO_PROXY names', async () => {
    // Prepare
    const connection = trustingVia({
      kind: 'environment',
      env: { https_proxy: proxy.url, NO_PROXY: 'localhost,127.0.0.1' },
    });

    // Act
    const clusters = await clientFor(sim, { connection }).listClusters(target.projectId);

    // Assess
    expect(clusters).toHaveLength(1);
    expect(proxy.tunnels).toEqual([]);
  });

  it('matches NO_PROXY against the URL as written: localhost does not exempt 127.0.0.1', async () => {
    // Prepare
    const connection = trustingVia({
      kind: 'environment',
      env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost' },
    });

    // Act
    await clientFor(sim, { connection }).listClusters(target.projectId);

    // Assess
    expect(proxy.tunnels).toEqual([authority]);
  });

  it('names a dead proxy in a retryable network error, without its credentials', async () => {
    // Prepare: a proxy URL with credentials, on a port where nothing listens any more
    const deadUrl = proxy.url.replace('http://', 'http://proxy-user:SENTINEL-PROXY-PASSWORD@');
    await proxy.stop();
    const connection = trustingVia({ kind: 'environment', env: { HTTPS_PROXY: deadUrl } });
    const client = clientFor(sim, { connection, maxRetries: 1 });

    // Act
    const error = await client.listClusters(target.projectId).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(CloudManagerNetworkError);
    expect(isRetryable(error)).toBe(true);
    expect((error as Error).message).toContain(`ECONNREFUSED at 127.0.0.1:${new URL(proxy.url).port}`);
    expect((error as Error).message).toContain(`the proxy ${proxy.url} (HTTPS_PROXY)`);
    expect(everythingVisible(error)).not.toContain('SENTINEL-PROXY-PASSWORD');
    proxy = await startConnectProxy();
  });
});
