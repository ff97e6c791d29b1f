/**
 * No secret reaches a log line, an error, an SNS message or the audit trail. Whole scenarios run with
 * known sentinel secrets (API private key, service-account secret, the OAuth tokens the simulator issues,
 * a download URL and its Ops Manager `urlV2` / `authValue`, and wrong credentials) through the life cycle,
 * authentication failures of both credential kinds, upstream errors that echo secrets, SNS rejections,
 * and DynamoDB failures. Everything the monitor emitted is captured (harness log lines, console output,
 * every PublishBatch request, a full Scan of the table, every thrown error with its cause chain) and
 * scanned for every sentinel.
 *
 * The one opt-in: with `includeDownloadUrl` the URL goes into SNS messages, and still nowhere else.
 */
import { inspect } from 'node:util';
import { PublishBatchCommand } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloudManagerClient } from '../../functions/adapters/cloud-manager/client.ts';
import { PagerDutyNotifier } from '../../functions/adapters/pagerduty/pagerduty-notifier.ts';
import { SnsNotifier } from '../../functions/adapters/sns/sns-notifier.ts';
import type { CloudManagerCredentials } from '../../functions/core/credentials.ts';
import type { RestoreJob } from '../../functions/core/types.ts';
import { OAuthTokenIssuer } from '../../functions/simulator/oauth-tokens.ts';
import { DynamoFaults } from '../reliability/support/dynamo-faults.ts';
import { newObjectId, SnsGate } from '../reliability/support/system.ts';
import { API_KEY, type Harness, startHarness, TOPIC_ARN } from '../support/harness.ts';
import { LocalPagerDuty, TEST_ROUTING_KEY } from '../support/local-pagerduty/local-pagerduty.ts';

const SERVICE_ACCOUNT = { clientId: 'mdb_sa_id_5f1a2b3c4d5e', clientSecret: 'SENTINEL-CLIENT-SECRET-c41e' };
/** Not shaped like a Cloud Manager backup link, so only structural redaction can catch it. */
const DOWNLOAD_URL = 'https://downloads.example.net/SENTINEL-DOWNLOAD-URL-5be1/restore.tar.gz';
const DOWNLOAD_URL_V2 = 'https://ops-manager.example.net:8080/v2/SENTINEL-URL-V2-77d0.tar.gz';
const AUTH_VALUE = 'SENTINEL-AUTH-VALUE-93cd';
const WRONG_PRIVATE_KEY = 'SENTINEL-WRONG-PRIVATE-KEY-11aa';
const WRONG_CLIENT_SECRET = 'SENTINEL-WRONG-CLIENT-SECRET-2b2b';
const ATTEMPTS = 5;

describe('secret sentinels across whole scenarios', () => {
  let h: Harness;
  let sns: SnsGate;
  /** OAuth access tokens the simulator issued (as its token endpoint hands them out), sentinels too. */
  let tokens: string[];
  let errors: unknown[];
  let console: string[];

  beforeEach(async () => {
    h = await startHarness({ simulator: { serviceAccounts: [SERVICE_ACCOUNT] } });
    sns = new SnsGate().install(h);
    tokens = [];
    errors = [];
    console = [];
    const issue = OAuthTokenIssuer.prototype.issue;
    vi.spyOn(OAuthTokenIssuer.prototype, 'issue').mockImplementation(function (this: OAuthTokenIssuer, id) {
      const issued = issue.call(this, id);
      tokens.push(issued.access_token);
      return issued;
    });
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(globalThis.console, method).mockImplementation((...args: unknown[]) => {
        console.push(args.map((a) => inspect(a, { depth: 10 })).join(' '));
      });
    }
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await h.stop();
  });

  const logger = () => h.deps().logger;
  const client = (credentials: CloudManagerCredentials) =>
    new CloudManagerClient({ baseUrl: h.sim.baseUrl, credentials, sleep: async () => {}, logger: logger() });
  const oauthClient = () => client({ kind: 'serviceAccount', ...SERVICE_ACCOUNT });

  /** Gives a finished job an Ops Manager style delivery: url, urlV2, and a download token. */
  function finishWithSecrets(jobId: string): void {
    h.sim.finishJob(jobId, { expirationHours: 2 });
    h.sim.updateRestoreJob(jobId, (job: RestoreJob) => ({
      ...job,
      delivery: {
        ...job.delivery,
        url: DOWNLOAD_URL,
        urlV2: DOWNLOAD_URL_V2,
        authHeader: 'X-Download-Token',
        authValue: AUTH_VALUE,
      },
    }));
  }

  /** Runs a poll, keeping whatever it throws. */
  async function poll(...args: Parameters<Harness['poll']>) {
    try {
      return await h.poll(...args);
    } catch (error) {
      errors.push(error);
      return undefined;
    }
  }

  /** Everything the monitor emitted, by channel. */
  async function channels(): Promise<Record<string, string>> {
    const scan = await DynamoDBDocumentClient.from(h.dynamo.client).send(
      new ScanCommand({ TableName: h.tableName }),
    );
    return {
      logs: JSON.stringify(h.logs),
      console: console.join('\n'),
      sns: JSON.stringify(h.snsMock.commandCalls(PublishBatchCommand).map((call) => call.args[0].input)),
      table: JSON.stringify(scan.Items),
      errors: errors
        .map((e) => [String(e), JSON.stringify(e), inspect(e, { depth: 10, showHidden: true })].join('\n'))
        .join('\n'),
    };
  }

  function sentinels(): Record<string, string> {
    return {
      privateKey: API_KEY.privateKey,
      clientSecret: SERVICE_ACCOUNT.clientSecret,
      wrongPrivateKey: WRONG_PRIVATE_KEY,
      wrongClientSecret: WRONG_CLIENT_SECRET,
      downloadUrl: DOWNLOAD_URL,
      downloadUrlPath: 'SENTINEL-DOWNLOAD-URL-5be1',
      urlV2: DOWNLOAD_URL_V2,
      authValue: AUTH_VALUE,
      routingKey: TEST_ROUTING_KEY,
      ...Object.fromEntries(tokens.map((token, i) => [`oauthToken${i}`, token])),
    };
  }

  async function leaks(
    allowed: Record<string, string[]> = {},
    extra: Record<string, string> = {},
  ): Promise<string[]> {
    const found: string[] = [];
    for (const [channel, text] of Object.entries({ ...(await channels()), ...extra })) {
      for (const [name, secret] of Object.entries(sentinels())) {
        if (text.includes(secret) && !(allowed[channel] ?? []).includes(name))
          found.push(`${channel} contains ${name}`);
      }
    }
    return found;
  }

  /** The life cycle plus the error paths, for one credential kind. */
  async function scenario(source: CloudManagerClient, kind: 'apiKey' | 'serviceAccount'): Promise<void> {
    const project = newObjectId();
    const other = newObjectId();
    const cluster = h.sim.addCluster({ projectId: project, clusterName: 'orders' }).id;
    const sharded = h.sim.addCluster({
      projectId: project,
      clusterName: 'payments',
      typeName: 'SHARDED_REPLICA_SET',
    }).id;
    const lost = h.sim.addCluster({ projectId: other, clusterName: 'lost' }).id;
    const config = h.config({
      targets: [
        { projectId: project, clusterId: cluster, name: 'orders' },
        { projectId: project, clusterId: sharded, name: 'payments' },
        { projectId: other, clusterId: lost, name: 'lost' },
        { projectId: project, name: 'whole-project' },
      ],
      alerts: { failingAfterPolls: 1 },
    });
    const run = (overrides = {}) => poll(config, { source, ...overrides });
    const later = (minutes: number) => h.clock.advanceMinutes(minutes);

    await run();
    const job = h.sim.addRestoreJob(project, cluster);
    const batch = h.sim.createBatch(project, sharded, 2);
    await run();
    // Finished, with a download URL, urlV2 and an auth token; warned about expiry; downloaded.
    finishWithSecrets(job.id);
    for (const member of batch) finishWithSecrets(member.id);
    later(5);
    await run();
    later(65);
    await run();
    h.sim.markDownloaded(job.id);
    later(5);
    await run();

    // Upstream errors that echo every secret this client ever sent or received, retryable and not.
    const basic = Buffer.from(`${SERVICE_ACCOUNT.clientId}:${SERVICE_ACCOUNT.clientSecret}`).toString(
      'base64',
    );
    const sent =
      kind === 'apiKey'
        ? `private key ${API_KEY.privateKey}`
        : `Authorization: Basic ${basic}, then Bearer ${tokens.at(-1)}; client secret ${SERVICE_ACCOUNT.clientSecret}; token=${tokens.at(-1)}`;
    const echo = `job delivery url=${DOWNLOAD_URL} urlV2 ${DOWNLOAD_URL_V2} authValue: ${AUTH_VALUE}; request ${sent}`;
    h.sim.injectFault(
      { kind: 'status', status: 500, detail: echo },
      { path: `/clusters/${cluster}/`, times: ATTEMPTS },
    );
    h.sim.injectFault(
      { kind: 'status', status: 400, errorCode: 'INVALID_QUERY', detail: echo },
      { path: `/clusters/${sharded}/` },
    );
    later(5);
    await run();
    // A job echoing its own secrets in an unexpected field.
    h.sim.updateRestoreJob(job.id, (current) => ({
      ...current,
      statusName: 'FAILED_OVER',
      note: `see ${DOWNLOAD_URL}`,
    }));
    // The key loses access (401 on one project, 403 on the clusters list of another).
    h.sim.revokeAccess(other, 401);
    later(5);
    await run();
    h.sim.restoreAccess(other);
    h.sim.revokeAccess(project, 403);
    later(5);
    await run();
    h.sim.restoreAccess(project);
    later(5);
    await run();

    // SNS rejects a message.
    sns.verdict = () => 'sender-fail';
    h.sim.expireDelivery(batch[0]?.id ?? '');
    later(5);
    await run();
    sns.verdict = () => 'accept';

    // DynamoDB fails the run mid-way.
    const faults = await DynamoFaults.for(h.dynamo.endpoint);
    try {
      faults.add({ api: 'Query', fault: { kind: 'ThrottlingException' } });
      later(5);
      await run({ store: faults.store(h.tableName), lease: faults.lease(h.tableName) });
    } finally {
      faults.destroy();
    }
    later(2);
    await run();
  }

  it('leaks no sentinel from a full scenario with an API key (HTTP Digest)', async () => {
    await scenario(h.client, 'apiKey');

    // The scan is not vacuous: echoed secrets arrived and were redacted in every channel they reached.
    const emitted = await channels();
    expect(sns.accepted.length).toBeGreaterThan(5);
    expect(errors.length).toBeGreaterThan(0);
    expect(emitted.table).toContain('Cloud Manager said');
    for (const channel of ['logs', 'table', 'sns'] as const) expect(emitted[channel]).toContain('[redacted]');
    expect(await leaks()).toEqual([]);
  });

  it('leaks no sentinel, the OAuth tokens included, from a full scenario with a service account', async () => {
    await scenario(oauthClient(), 'serviceAccount');

    expect(tokens.length).toBeGreaterThan(0);
    expect(await leaks()).toEqual([]);
  });

  it.each([
    ['a wrong private key', { kind: 'apiKey', publicKey: API_KEY.publicKey, privateKey: WRONG_PRIVATE_KEY }],
    [
      'a wrong client secret',
      { kind: 'serviceAccount', clientId: SERVICE_ACCOUNT.clientId, clientSecret: WRONG_CLIENT_SECRET },
    ],
  ] as const)(
    'leaks nothing when Cloud Manager rejects %s, in the alert, the state, the logs or the error',
    async (_, credentials) => {
      const project = newObjectId();
      const cluster = h.sim.addCluster({ projectId: project }).id;
      const config = h.config({ targets: [{ projectId: project, clusterId: cluster }] });
      const rejected = client(credentials);

      const summary = await poll(config, { source: rejected });
      errors.push(
        await rejected.listRestoreJobs({ projectId: project, clusterId: cluster }).catch((e: unknown) => e),
      );

      expect(summary?.events.map((e) => e.eventType)).toEqual(['TARGET_FAILING']);
      expect(String(errors.at(-1))).toMatch(/rejected/);
      expect(await leaks()).toEqual([]);
    },
  );

  it('sends the PagerDuty routing key to PagerDuty only, and a download URL never to PagerDuty, even opted in', async () => {
    // Prepare
    const pd = new LocalPagerDuty();
    await pd.start();
    try {
      const project = newObjectId();
      const cluster = h.sim.addCluster({ projectId: project }).id;
      const config = h.config({
        targets: [{ projectId: project, clusterId: cluster }],
        alerts: { includeDownloadUrl: true },
      });
      const pagerduty = new PagerDutyNotifier({
        routingKey: TEST_ROUTING_KEY,
        eventsUrl: pd.eventsUrl,
        dedupPrefix: 'sentinels',
        consoleBaseUrl: h.sim.origin,
        sleep: async () => {},
        logger: logger(),
      });
      const run = () => poll(config, { pagerduty });
      await run();
      const job = h.sim.addRestoreJob(project, cluster);
      finishWithSecrets(job.id);

      // Act: PagerDuty rejects the first pages quoting the routing key back, then is down, then takes them.
      pd.failNext({
        kind: 'status',
        status: 400,
        body: { status: 'invalid event', message: `key ${TEST_ROUTING_KEY}` },
      });
      pd.failNext({ kind: 'status', status: 503, body: { message: `routing_key=${TEST_ROUTING_KEY}` } }, 3);
      h.clock.advanceMinutes(70);
      await run();
      h.clock.advanceMinutes(5);
      await run();
      h.clock.advanceMinutes(5);
      await run();

      // Assess
      expect(pd.events.length).toBeGreaterThan(0);
      const requests = JSON.stringify(pd.events);
      expect(requests).toContain(TEST_ROUTING_KEY);
      expect(requests).not.toContain('SENTINEL');
      expect(await leaks({ pagerdutyRequests: ['routingKey'] }, { pagerdutyRequests: requests })).toEqual([]);
    } finally {
      await pd.stop();
    }
  });

  it('puts the download URL into SNS messages only when opted in, and never into logs, errors or the table', async () => {
    const project = newObjectId();
    const cluster = h.sim.addCluster({ projectId: project }).id;
    const config = h.config({
      targets: [{ projectId: project, clusterId: cluster }],
      alerts: { includeDownloadUrl: true },
    });
    const notifier = new SnsNotifier({
      client: h.sns,
      topicArn: TOPIC_ARN,
      consoleBaseUrl: h.sim.origin,
      includeDownloadUrl: true,
      sleep: async () => {},
      logger: logger(),
    });
    await poll(config, { publisher: notifier });
    const job = h.sim.addRestoreJob(project, cluster);
    await poll(config, { publisher: notifier });
    finishWithSecrets(job.id);
    // The first attempt is rejected with SNS quoting the message (and so the URL) back; the next run delivers it.
    sns.failureText = (entry) => `Invalid parameter: Message: ${entry.Message?.slice(0, 2_000)}`;
    let first = true;
    sns.verdict = () => {
      const verdict = first ? 'sender-fail' : 'accept';
      first = false;
      return verdict;
    };
    h.clock.advanceMinutes(5);
    await poll(config, { publisher: notifier });
    h.clock.advanceMinutes(5);
    await poll(config, { publisher: notifier });

    const delivered = sns.accepted.map((m) => m.raw).join('\n');
    expect(delivered).toContain(DOWNLOAD_URL);
    expect(delivered).not.toContain(AUTH_VALUE);
    expect(await leaks({ sns: ['downloadUrl', 'downloadUrlPath'] })).toEqual([]);
  });
});
