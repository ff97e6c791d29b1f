import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudManagerClient,
  type CloudManagerClientOptions,
  CloudManagerError,
} from '../../../functions/adapters/cloud-manager/client.ts';
import type { CloudManagerSimulator } from '../../../functions/simulator/cloud-manager-simulator.ts';
import {
  API_KEY,
  API_KEY_CREDENTIALS,
  addTarget,
  everythingVisible,
  memoryLogger,
  recordingSleep,
  SERVICE_ACCOUNT,
  SERVICE_ACCOUNT_CREDENTIALS,
  startSimulator,
} from './client-fixtures.ts';

const DELIVERY_URL =
  'https://api-backup.mongodb.com/backup/restore/v2/pull/5f3a00000000000000000abc/OTY0sentinelDownloadToken/electron.tar.gz';
/** Never served by the simulator: only the URL pattern can catch it. */
const UNSEEN_DELIVERY_URL = 'https://backup.internal.example/backup/restore/v2/pull/sentinel-unseen-url-91c4';
const AUTH_VALUE = 'sentinel-ops-manager-auth-value-3b7f0e';
const WRONG_PRIVATE_KEY = 'sentinel-wrong-private-key-5e1d9c';
const WRONG_CLIENT_SECRET = 'mdb_sa_sk_sentinel-wrong-secret-77aa01';

const SENTINELS = [
  API_KEY.privateKey,
  SERVICE_ACCOUNT.clientSecret,
  DELIVERY_URL,
  'OTY0sentinelDownloadToken',
  UNSEEN_DELIVERY_URL,
  AUTH_VALUE,
  WRONG_PRIVATE_KEY,
  WRONG_CLIENT_SECRET,
  Buffer.from(`${SERVICE_ACCOUNT.clientId}:${SERVICE_ACCOUNT.clientSecret}`).toString('base64'),
];

/**
 * An upstream error body echoing every secret the calling client could know: its own credential, the
 * download URL and auth value it has read, and a download URL it has never seen.
 */
const echoingBody = (status: number, errorCode: string, credential = API_KEY.privateKey) => ({
  detail: `failed for ${DELIVERY_URL} and ${UNSEEN_DELIVERY_URL} (authValue ${AUTH_VALUE}, credential ${credential})`,
  error: status,
  errorCode,
  reason: 'echo',
});

describe('secret hygiene on every error path', () => {
  let sim: CloudManagerSimulator;
  let target: { projectId: string; clusterId: string };
  const errors: unknown[] = [];
  const { lines, logger } = memoryLogger();

  beforeEach(async () => {
    sim = await startSimulator();
    target = addTarget(sim);
    sim.addRestoreJob(target.projectId, target.clusterId, {
      statusName: 'FINISHED',
      delivery: { methodName: 'HTTP', statusName: 'READY', url: DELIVERY_URL, authValue: AUTH_VALUE },
    });
  });
  afterEach(async () => {
    await sim.stop();
  });

  const client = (options: Partial<CloudManagerClientOptions> = {}) =>
    new CloudManagerClient({
      baseUrl: sim.baseUrl,
      credentials: API_KEY_CREDENTIALS,
      sleep: recordingSleep().sleep,
      maxRetries: 1,
      requestTimeoutMs: 100,
      logger,
      ...options,
    });

  /** Runs `act`, which must fail, and keeps the error. */
  const failing = async (act: () => Promise<unknown>) => {
    const error = await act().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CloudManagerError);
    errors.push(error);
  };

  it('keeps keys, tokens, download URLs and auth values out of every error and log line', async () => {
    // Prepare: clients that have already read the job (they know its secrets) and hold a token
    const keyClient = client();
    const oauthClient = client({ credentials: SERVICE_ACCOUNT_CREDENTIALS });
    expect((await keyClient.listRestoreJobs(target))[0]?.delivery?.url).toBe(DELIVERY_URL);
    await oauthClient.listRestoreJobs(target);
    const jobId = sim.listJobs(target.projectId, target.clusterId)[0]?.id as string;

    // Act: every error path, each with an upstream body echoing the secrets where the path has one
    for (const [status, errorCode] of [
      [400, 'INVALID_QUERY_PARAMETER'],
      [401, 'USER_UNAUTHORIZED'],
      [403, 'IP_ADDRESS_NOT_ON_WHITELIST'],
      [404, 'RESTORE_JOB_NOT_FOUND'],
      [429, 'RATE_LIMITED'],
      [500, 'UNEXPECTED_ERROR'],
      [302, 'REDIRECT'],
    ] as const) {
      sim.injectFault({ kind: 'body', status, body: echoingBody(status, errorCode) }, { times: 2 });
      await failing(() => keyClient.listRestoreJobs(target));
      sim.clearFaults();
      sim.injectFault(
        { kind: 'body', status, body: echoingBody(status, errorCode, SERVICE_ACCOUNT.clientSecret) },
        { times: 3 },
      );
      await failing(() => oauthClient.getRestoreJob({ ...target, jobId }));
      sim.clearFaults();
    }
    sim.injectFault({
      kind: 'body',
      body: { results: [{ delivery: { url: DELIVERY_URL, authValue: AUTH_VALUE } }], totalCount: 1 },
    });
    await failing(() => keyClient.listRestoreJobs(target));
    sim.injectFault({ kind: 'body', body: UNSEEN_DELIVERY_URL });
    await failing(() => keyClient.listRestoreJobs(target));
    sim.injectFault({ kind: 'malformed-json' });
    await failing(() => keyClient.listRestoreJobs(target));
    sim.injectFault({ kind: 'reset' }, { times: 2 });
    await failing(() => oauthClient.listRestoreJobs(target));
    sim.injectFault({ kind: 'reset-mid-body' }, { times: 2 });
    await failing(() => keyClient.listRestoreJobs(target));
    sim.injectFault({ kind: 'delay', ms: 2_000 }, { times: 2 });
    await failing(() => keyClient.listRestoreJobs(target));
    sim.injectFault(
      { kind: 'body', status: 500, body: echoingBody(500, 'UNEXPECTED_ERROR', SERVICE_ACCOUNT.clientSecret) },
      { path: '/api/oauth/token', times: 2 },
    );
    await failing(() => client({ credentials: SERVICE_ACCOUNT_CREDENTIALS }).listClusters(target.projectId));
    await failing(() =>
      client({
        credentials: { kind: 'apiKey', publicKey: API_KEY.publicKey, privateKey: WRONG_PRIVATE_KEY },
      }).listClusters(target.projectId),
    );
    await failing(() =>
      client({
        credentials: {
          kind: 'serviceAccount',
          clientId: SERVICE_ACCOUNT.clientId,
          clientSecret: WRONG_CLIENT_SECRET,
        },
      }).listClusters(target.projectId),
    );
    await failing(() =>
      keyClient.listRestoreJobs({ projectId: API_KEY.privateKey, clusterId: target.clusterId }),
    );
    await failing(() => keyClient.listRestoreJobs({ ...target, batchId: AUTH_VALUE }));
    await failing(() =>
      keyClient.listRestoreJobs({ ...target, signal: AbortSignal.abort(new Error('deadline')) }),
    );
    await failing(async () =>
      client({ baseUrl: `https://u:${API_KEY.privateKey}@cloud.mongodb.com/api/public/v1.0` }),
    );
    await failing(async () =>
      client({ baseUrl: `http://cloud.mongodb.com/api/public/v1.0?key=${API_KEY.privateKey}` }),
    );

    // Assess
    const visible = [...errors.map(everythingVisible), ...lines].join('\n');
    for (const sentinel of SENTINELS) expect(visible).not.toContain(sentinel);
    expect(visible).not.toMatch(/Bearer\s+(?!\[redacted\])[A-Za-z0-9_-]{10,}/);
    expect(visible).not.toMatch(/Digest\s+username|response="/);
    expect(visible).not.toMatch(/[A-Za-z0-9_-]{43}/); // the simulator's 32-byte base64url tokens
    // and the errors still say something useful
    expect(errors.length).toBeGreaterThanOrEqual(26);
    expect(visible).toContain('[redacted]');
    expect(lines.some((line) => line.startsWith('warn Cloud Manager call failed; retrying'))).toBe(true);
  });
});
