/**
 * The CLI against the simulator over HTTPS with a private CA, and through a CONNECT proxy: without
 * `cloudManager.caFile` the target fails with the certificate's real cause and the fix (in the
 * failure, the TARGET_FAILING alert and the exit code); with it the poll works; a bad caFile is bad
 * input (exit 2, nothing written); HTTPS_PROXY / NO_PROXY are honoured, `cloudManager.proxyUrl` wins.
 * PagerDuty (LocalPagerDuty over HTTPS, its own test CA trusted in this process for that describe
 * only, as NODE_EXTRA_CA_CERTS would be) goes through HTTPS_PROXY too, and `alerts.pagerduty.proxyUrl`
 * wins; a refusing proxy keeps the page owed and says so.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { createTestCa, type TestCa, trustInThisProcess } from '../support/certificates.ts';
import { type ConnectProxy, startConnectProxy } from '../support/connect-proxy.ts';
import { LocalPagerDuty, TEST_ROUTING_KEY } from '../support/local-pagerduty/local-pagerduty.ts';
import {
  API_KEY,
  addProject,
  CREDENTIALS_ENV,
  configFor,
  hasEmbeddedState,
  runCli,
  workDirs,
  writeConfig,
} from './cli-harness.ts';

const CONFIG = 'conf/restore-watch.config.json';

let ca: TestCa;
let sim: CloudManagerSimulator;
let proxy: ConnectProxy;
let authority: string;
const dirs = workDirs();

beforeAll(async () => {
  ca = await createTestCa('Ops Manager Test CA');
  const leaf = await ca.issue();
  sim = new CloudManagerSimulator({
    apiKeys: [{ ...API_KEY }],
    tls: { key: leaf.keyPem, cert: leaf.certPem },
  });
  await sim.start();
  authority = new URL(sim.baseUrl).host;
});
afterAll(() => sim.stop());
beforeEach(async () => {
  proxy = await startConnectProxy();
});
afterEach(async () => {
  await proxy.stop();
  await dirs.removeAll();
});

/** A working folder with the configuration under conf/ and the CA next to it. */
async function prepare(extra: Record<string, unknown> = {}, cloudManager: Record<string, unknown> = {}) {
  const cwd = await dirs.make();
  const project = addProject(sim, 'orders-prod');
  sim.addRestoreJob(project.projectId, project.clusters[0]?.id as string);
  await mkdir(join(cwd, 'conf'), { recursive: true });
  await writeFile(join(cwd, 'conf', 'ops-ca.pem'), ca.certPem);
  const config = configFor(sim, project, extra);
  await writeConfig(cwd, { ...config, cloudManager: { ...config.cloudManager, ...cloudManager } }, CONFIG);
  return { cwd };
}

const poll = (cwd: string, env: Record<string, string> = {}) =>
  runCli(['poll', '--config', CONFIG], { cwd, env: { ...CREDENTIALS_ENV, ...env } });

describe('a private CA', () => {
  it('fails the target without caFile and alerts at once (default failingAfterPolls), naming the CA and the fix', async () => {
    // Prepare
    const { cwd } = await prepare();

    // Act
    const result = await poll(cwd);

    // Assess
    const fix =
      "set cloudManager.caFile to the PEM certificate of the CA that signed 127.0.0.1's certificate";
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(
      '"Ops Manager Test CA", a CA this monitor does not trust',
    );
    expect(result.stdout).toContain('TARGET_FAILING');
    expect(result.stdout).toContain("the API's TLS certificate is not trusted");
    expect(result.stdout).toContain(fix);
    expect(result.stdout + result.stderr).not.toContain(API_KEY.privateKey);
  });

  it('polls with caFile, read relative to the configuration file', async () => {
    // Prepare
    const { cwd } = await prepare({}, { caFile: 'ops-ca.pem' });

    // Act
    const result = await runCli(['poll', '--config', CONFIG, '--json'], { cwd, env: CREDENTIALS_ENV });

    // Assess
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      targets: { ok: number; failed: number };
      jobsSeen: number;
    };
    expect(summary.targets).toMatchObject({ ok: 1, failed: 0 });
    expect(summary.jobsSeen).toBe(1);
  });

  it('refuses a caFile that is not there as bad input: exit 2, the file named, nothing written', async () => {
    // Prepare
    const { cwd } = await prepare({}, { caFile: 'certs/ops-ca.pem' });

    // Act
    const result = await poll(cwd);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${CONFIG}: cloudManager.caFile: certs/ops-ca.pem (${join(cwd, 'conf', 'certs', 'ops-ca.pem')}) does not exist`,
    );
    expect(hasEmbeddedState(cwd)).toBe(false);
  });

  it('refuses a caFile holding a private key, with the other problems of the run', async () => {
    // Prepare
    const { cwd } = await prepare({}, { caFile: 'leaf.pem' });
    const leaf = await ca.issue();
    await writeFile(join(cwd, 'conf', 'leaf.pem'), `${leaf.certPem}${leaf.keyPem}`);

    // Act
    const result = await poll(cwd, { CLOUD_MANAGER_PRIVATE_KEY: '' });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cloudManager.caFile: leaf.pem');
    expect(result.stderr).toContain('contains a private key: remove it');
    expect(result.stderr).toContain('CLOUD_MANAGER_PRIVATE_KEY (privateKey) is missing');
    expect(hasEmbeddedState(cwd)).toBe(false);
  });
});

describe('a proxy', () => {
  it('goes through HTTPS_PROXY', async () => {
    // Prepare
    const { cwd } = await prepare({}, { caFile: 'ops-ca.pem' });

    // Act
    const result = await poll(cwd, { HTTPS_PROXY: proxy.url });

    // Assess
    expect(result.code).toBe(0);
    expect(proxy.tunnels).toContain(authority);
  });

  it('goes direct to a host in NO_PROXY', async () => {
    // Prepare
    const { cwd } = await prepare({}, { caFile: 'ops-ca.pem' });

    // Act
    const result = await poll(cwd, { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });

    // Assess
    expect(result.code).toBe(0);
    expect(proxy.tunnels).toEqual([]);
  });

  it('prefers cloudManager.proxyUrl to the environment', async () => {
    // Prepare: the environment names a proxy that refuses everything
    const other = await startConnectProxy();
    other.refuseWith = 403;
    const { cwd } = await prepare({}, { caFile: 'ops-ca.pem', proxyUrl: proxy.url });

    // Act
    const result = await poll(cwd, { HTTPS_PROXY: other.url }).finally(() => other.stop());

    // Assess
    expect(result.code).toBe(0);
    expect(proxy.tunnels).toContain(authority);
    expect(other.tunnels).toEqual([]);
  });
});

describe('PagerDuty through a proxy', () => {
  let pd: LocalPagerDuty;
  let untrust: () => void;
  /** host:port of LocalPagerDuty, as a CONNECT request names it. */
  let pdAuthority: string;

  beforeAll(async () => {
    const pdCa = await createTestCa('PagerDuty Test CA');
    const leaf = await pdCa.issue();
    untrust = trustInThisProcess(pdCa);
    pd = new LocalPagerDuty({ tls: { key: leaf.keyPem, cert: leaf.certPem } });
    await pd.start();
    pdAuthority = new URL(pd.eventsUrl).host;
  });
  afterAll(async () => {
    await pd.stop();
    untrust();
  });
  beforeEach(() => pd.reset());

  /** A baselined working folder whose next poll sees a broken restore: a critical page. */
  async function brokenRestore(alerts: Record<string, unknown>, env: Record<string, string>) {
    const cwd = await dirs.make();
    const project = addProject(sim, 'orders-prod');
    await mkdir(join(cwd, 'conf'), { recursive: true });
    await writeFile(join(cwd, 'conf', 'ops-ca.pem'), ca.certPem);
    const config = configFor(sim, project, { alerts });
    await writeConfig(
      cwd,
      { ...config, cloudManager: { ...config.cloudManager, caFile: 'ops-ca.pem' } },
      CONFIG,
    );
    const pollEnv = {
      ...env,
      PAGERDUTY_ROUTING_KEY: TEST_ROUTING_KEY,
      PAGERDUTY_EVENTS_URL: pd.eventsUrl,
    };
    expect((await poll(cwd, pollEnv)).code).toBe(0);
    const job = sim.addRestoreJob(project.projectId, project.clusters[0]?.id as string);
    sim.breakJob(job.id);
    return { cwd, env: pollEnv, key: `job/${job.id}/failed` };
  }

  it('pages through HTTPS_PROXY, like the Cloud Manager calls', async () => {
    // Prepare
    const { cwd, env, key } = await brokenRestore({}, { HTTPS_PROXY: proxy.url });

    // Act
    const result = await poll(cwd, env);

    // Assess
    expect(result.code).toBe(0);
    expect(pd.openAlerts().map((alert) => alert.dedupKey.endsWith(`/${key}`))).toEqual([true]);
    expect(proxy.tunnels).toContain(pdAuthority);
    expect(proxy.tunnels).toContain(authority);
  });

  it('pages through alerts.pagerduty.proxyUrl whatever HTTPS_PROXY and NO_PROXY say', async () => {
    // Prepare: the environment's proxy refuses everything, and NO_PROXY exempts loopback (Cloud
    // Manager goes direct); neither applies to a configured PagerDuty proxy
    const other = await startConnectProxy();
    other.refuseWith = 403;
    const { cwd, env, key } = await brokenRestore(
      { pagerduty: { proxyUrl: proxy.url } },
      { HTTPS_PROXY: other.url, NO_PROXY: '127.0.0.1' },
    );

    // Act
    const result = await poll(cwd, env).finally(() => other.stop());

    // Assess
    expect(result.code).toBe(0);
    expect(pd.openAlerts().map((alert) => alert.dedupKey.endsWith(`/${key}`))).toEqual([true]);
    expect(new Set(proxy.tunnels)).toEqual(new Set([pdAuthority]));
    expect(other.tunnels).toEqual([]);
  });

  it('keeps the page owed while the configured proxy refuses the tunnel, saying so, and pages once it allows', async () => {
    // Prepare
    const { cwd, env, key } = await brokenRestore({ pagerduty: { proxyUrl: proxy.url } }, {});
    proxy.refuseWith = 403;

    // Act
    const refused = await poll(cwd, env);
    proxy.refuseWith = undefined;
    const allowed = await poll(cwd, env);

    // Assess: the refusal is named with the fix; the alert itself still printed; nothing lost
    expect(refused.stdout + refused.stderr).toContain(
      `The proxy ${proxy.url} (alerts.pagerduty.proxyUrl) refused to open a tunnel to PagerDuty (${pdAuthority}) (HTTP 403): allow CONNECT to ${pdAuthority} on the proxy`,
    );
    expect(refused.stdout).toMatch(/PagerDuty: 0 sent, [1-9]\d* still owed/);
    expect(refused.stdout).toContain('[CRITICAL] orders-prod: restore');
    expect(allowed.stdout).toMatch(/PagerDuty: [1-9]\d* sent, 0 still owed/);
    expect(pd.openAlerts().map((alert) => alert.dedupKey.endsWith(`/${key}`))).toEqual([true]);
    expect(refused.stdout + refused.stderr + allowed.stdout + allowed.stderr).not.toContain(TEST_ROUTING_KEY);
  });
});
