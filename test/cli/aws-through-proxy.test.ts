/**
 * The CLI's AWS calls (a real state table, an SNS topic) through the proxy its environment names,
 * as its Cloud Manager and PagerDuty calls (functions/cli/aws-network.ts): the unmodified AWS SDK
 * against dynalite and LocalSns, through a loopback proxy that records what it forwarded. The peers
 * speak plain HTTP on loopback, so the SDK's requests take `HTTP_PROXY` (absolute-form requests); an
 * AWS endpoint on `https:` takes `HTTPS_PROXY` through the same agents (CONNECT), which the Cloud
 * Manager and PagerDuty proxy tests prove for these agents.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsNetwork } from '../../functions/cli/aws-network.ts';
import { ConfigError } from '../../functions/core/config.ts';
import { type ConnectProxy, startConnectProxy } from '../support/connect-proxy.ts';
import { LocalSns } from '../support/local-aws/local-sns.ts';
import { addProject, cliPeers, configFor, runCli, writeConfig } from './cli-harness.ts';

const peers = cliPeers();
let sns: LocalSns;
let topicArn: string;
let proxy: ConnectProxy;
beforeAll(async () => {
  sns = new LocalSns();
  await sns.start();
  topicArn = sns.createTopic('restore-watch-alerts');
});
afterAll(() => sns.stop());
beforeEach(async () => {
  proxy = await startConnectProxy();
});
afterEach(() => proxy.stop());

/** A baselined target with a broken restore since, a real table, and the SNS endpoint in the environment. */
async function prepare() {
  const cwd = await peers.dirs.make();
  const project = addProject(peers.sim, 'orders-prod');
  await writeConfig(cwd, configFor(peers.sim, project));
  const { env } = await peers.table();
  for (const [name, value] of Object.entries(sns.env())) vi.stubEnv(name, value);
  const cli = (argv: string[], extra: Record<string, string>) =>
    runCli(argv, { cwd, env: { ...env, ...extra } });
  expect((await cli(['poll', '--json'], {})).code).toBe(0); // the baseline, direct
  const job = peers.sim.addRestoreJob(project.projectId, project.clusters[0]?.id ?? '');
  peers.sim.breakJob(job.id);
  return { cwd, cli };
}

const hostOf = (url: string) => new URL(url).host;

describe('the CLI’s AWS calls and the proxy of its environment', () => {
  it('reads and writes the state table and publishes to SNS through HTTP_PROXY', async () => {
    // Prepare
    const { cli } = await prepare();

    // Act
    const polled = await cli(['poll', '--json'], {
      HTTP_PROXY: proxy.url,
      RESTORE_WATCH_TOPIC_ARN: topicArn,
    });
    const listed = await cli(['incidents', '--json'], { HTTP_PROXY: proxy.url });

    // Assess
    expect(polled.code).toBe(0);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).incidents).toHaveLength(1);
    expect(proxy.forwarded).toContain(`POST ${hostOf(peers.dynamo.endpoint)}`);
    expect(proxy.forwarded).toContain(`POST ${hostOf(sns.url)}`);
    expect(sns.messages.length).toBeGreaterThan(0);
  });

  it('goes direct to the hosts NO_PROXY names', async () => {
    // Prepare
    const { cli } = await prepare();

    // Act
    const polled = await cli(['poll', '--json'], {
      HTTP_PROXY: proxy.url,
      NO_PROXY: '127.0.0.1',
      RESTORE_WATCH_TOPIC_ARN: topicArn,
    });

    // Assess
    expect(polled.code).toBe(0);
    expect(proxy.forwarded).toEqual([]);
    expect(proxy.tunnels).toEqual([]);
  });

  it('fails the command, naming the proxy and the fix, when the proxy refuses the table', async () => {
    // Prepare
    const { cli } = await prepare();
    proxy.refuseWith = 403;

    // Act
    const listed = await cli(['incidents'], { HTTP_PROXY: proxy.url });

    // Assess
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain(
      `The AWS calls went through the proxy ${proxy.url} (HTTP_PROXY): if it refused them, let it pass the AWS endpoints, or exempt them with NO_PROXY.`,
    );
  });

  it('keeps the embedded state off the proxy', async () => {
    // Prepare: no RESTORE_WATCH_TABLE, so the state is the embedded dynalite on loopback
    const cwd = await peers.dirs.make();
    const project = addProject(peers.sim, 'orders-prod');
    await writeConfig(cwd, configFor(peers.sim, project));
    proxy.refuseWith = 403;

    // Act
    const listed = await runCli(['incidents'], { cwd, env: { HTTP_PROXY: proxy.url } });

    // Assess
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^No open incidents in/);
  });
});

describe('awsNetwork', () => {
  it('leaves the SDK its own defaults when no proxy variable is set', () => {
    expect(awsNetwork({ NO_PROXY: 'example.com' }).clientOptions).toEqual({});
  });

  it('hands the clients agents and names the proxy without its credentials', () => {
    const network = awsNetwork({ HTTPS_PROXY: 'http://ana:s3cret@proxy.corp.example:3128' });

    expect(Object.keys(network.clientOptions.requestHandler ?? {})).toEqual(['httpAgent', 'httpsAgent']);
    expect(network.proxy).toBe('http://proxy.corp.example:3128 (HTTPS_PROXY)');
    network.close();
  });

  it('refuses a proxy on a Node that would silently ignore it, as bad input', () => {
    expect(() => awsNetwork({ HTTPS_PROXY: 'http://proxy:3128' }, '22.18.0')).toThrow(ConfigError);
    expect(() => awsNetwork({ HTTPS_PROXY: 'http://proxy:3128' }, '22.18.0')).toThrow(
      /Node 22\.18\.0 cannot send requests through a proxy/,
    );
  });
});
