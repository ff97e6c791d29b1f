import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { API_KEY, digestAnswer, fetchNonce, getJson, PROJECT, requestTarget } from './http-support.ts';

describe('injected faults', () => {
  let sim: CloudManagerSimulator;
  let clusterId: string;
  let listUrl: string;

  beforeEach(async () => {
    sim = new CloudManagerSimulator();
    await sim.start();
    clusterId = sim.addCluster({ projectId: PROJECT }).id;
    listUrl = `${sim.baseUrl}/groups/${PROJECT}/clusters/${clusterId}/restoreJobs`;
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('status fault: answers the status once with the documented error body, then serves normally', async () => {
    // Prepare
    sim.injectFault({ kind: 'status', status: 503 });

    // Act
    const faulted = await getJson(listUrl);
    const next = await getJson(listUrl);

    // Assess
    expect(faulted.status).toBe(503);
    expect(faulted.body).toMatchObject({ error: 503, errorCode: 'UNEXPECTED_ERROR', parameters: [] });
    expect(next.status).toBe(200);
    expect(sim.stats().faults).toBe(1);
    expect(sim.requests[0]?.fault).toBe('status');
  });

  it('status fault: a 429 carries Retry-After only when asked to', async () => {
    // Prepare
    sim.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 7 });
    sim.injectFault({ kind: 'status', status: 429 });

    // Act
    const withHeader = await getJson(listUrl);
    const without = await getJson(listUrl);

    // Assess
    expect(withHeader.headers.get('retry-after')).toBe('7');
    expect(without.headers.get('retry-after')).toBeNull();
    expect(without.body).toMatchObject({ error: 429, errorCode: 'RATE_LIMITED' });
    expect(sim.stats().rateLimited).toBe(0);
  });

  it('status fault: uses the given errorCode and detail', async () => {
    // Prepare
    sim.injectFault({ kind: 'status', status: 402, errorCode: 'ACCOUNT_SUSPENDED', detail: 'Pay up.' });

    // Act
    const answer = await getJson(listUrl);

    // Assess
    expect(answer.body).toEqual({
      detail: 'Pay up.',
      error: 402,
      errorCode: 'ACCOUNT_SUSPENDED',
      parameters: [],
      reason: 'Payment Required',
    });
  });

  it('delay fault: the answer is late enough for a client timeout to fire', async () => {
    // Prepare
    sim.injectFault({ kind: 'delay', ms: 5_000 });

    // Act
    const outcome = await fetch(listUrl, { signal: AbortSignal.timeout(50) }).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    const next = await getJson(listUrl);

    // Assess
    expect(outcome).toBe('TimeoutError');
    expect(next.status).toBe(200);
  });

  it('delay fault: a patient client still gets the normal answer', async () => {
    // Prepare
    sim.injectFault({ kind: 'delay', ms: 20 });

    // Act
    const answer = await getJson(listUrl);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ totalCount: 0 });
  });

  it('malformed-json fault: 200 with a body that does not parse', async () => {
    // Prepare
    sim.injectFault({ kind: 'malformed-json' });

    // Act
    const answer = await getJson(listUrl);

    // Assess
    expect(answer.status).toBe(200);
    expect(() => JSON.parse(answer.text)).toThrow(SyntaxError);
  });

  it('reset fault: the connection dies before any answer', async () => {
    // Prepare
    sim.injectFault({ kind: 'reset' });

    // Act
    const error = await fetch(listUrl).then(
      () => undefined,
      (failure: unknown) => failure,
    );

    // Assess
    expect(error).toBeInstanceOf(TypeError);
    expect(sim.requests[0]?.status).toBe(0);
  });

  it('reset-mid-body fault: headers arrive, then the body breaks off', async () => {
    // Prepare
    sim.injectFault({ kind: 'reset-mid-body' });

    // Act
    const response = await fetch(listUrl);
    const bodyError = await response.text().then(
      () => undefined,
      (failure: unknown) => failure,
    );

    // Assess
    expect(response.status).toBe(200);
    expect(bodyError).toBeInstanceOf(Error);
  });

  it('empty-page fault: no results while totalCount says there are more', async () => {
    // Prepare
    for (let i = 0; i < 3; i++) sim.addRestoreJob(PROJECT, clusterId);
    sim.injectFault({ kind: 'empty-page' });

    // Act
    const answer = await getJson<{ results: unknown[]; totalCount: number }>(listUrl);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([]);
    expect(answer.body.totalCount).toBe(3);
  });

  it('empty-page fault: waits for a list call, leaving single-job calls alone', async () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);
    sim.injectFault({ kind: 'empty-page' });

    // Act
    const single = await getJson(`${listUrl}/${job.id}`);
    const list = await getJson<{ results: unknown[]; totalCount: number }>(listUrl);

    // Assess
    expect(single.body).toMatchObject({ id: job.id });
    expect(list.body.results).toEqual([]);
    expect(list.body.totalCount).toBe(1);
  });

  it('body fault: answers exactly the given JSON and status', async () => {
    // Prepare
    sim.injectFault({ kind: 'body', body: { results: 'not-an-array', totalCount: 1 } });
    sim.injectFault({ kind: 'body', body: { results: [{ statusName: 'FINISHED' }] }, status: 202 });

    // Act
    const notArray = await getJson(`${listUrl}?envelope=true`);
    const noId = await getJson(listUrl);

    // Assess
    expect(notArray.body).toEqual({ results: 'not-an-array', totalCount: 1 });
    expect(noId.status).toBe(202);
    expect(noId.body).toEqual({ results: [{ statusName: 'FINISHED' }] });
  });

  it('serves faults first in, first out, each for its number of times', async () => {
    // Prepare
    sim.injectFault({ kind: 'status', status: 500 }, { times: 2 });
    sim.injectFault({ kind: 'status', status: 503 });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await getJson(listUrl)).status);

    // Assess
    expect(statuses).toEqual([500, 500, 503, 200]);
    expect(sim.pendingFaults).toBe(0);
  });

  it('hits only requests whose path matches, by substring or RegExp', async () => {
    // Prepare
    sim.injectFault({ kind: 'status', status: 500 }, { path: '/restoreJobs' });
    sim.injectFault({ kind: 'status', status: 502 }, { path: /pageNum=2/ });
    const clustersUrl = `${sim.baseUrl}/groups/${PROJECT}/clusters`;

    // Act
    const clusters = await getJson(clustersUrl);
    const page1 = await getJson(`${listUrl}?pageNum=1`);
    const page2 = await getJson(`${listUrl}?pageNum=2`);

    // Assess
    expect([clusters.status, page1.status, page2.status]).toEqual([200, 500, 502]);
  });

  it('clearFaults drops every pending fault', async () => {
    // Prepare
    sim.injectFault({ kind: 'status', status: 500 }, { times: 3 });

    // Act
    sim.clearFaults();
    const answer = await getJson(listUrl);

    // Assess
    expect(answer.status).toBe(200);
  });

  it('is not consumed by a Digest challenge round trip', async () => {
    // Prepare
    const secured = new CloudManagerSimulator({ apiKeys: [API_KEY] });
    await secured.start();
    const cluster = secured.addCluster({ projectId: PROJECT });
    const url = `${secured.baseUrl}/groups/${PROJECT}/clusters/${cluster.id}/restoreJobs`;
    secured.injectFault({ kind: 'status', status: 500 });

    try {
      // Act
      const nonce = await fetchNonce(url);
      const answer = await getJson(url, {
        headers: { Authorization: digestAnswer({ nonce, uri: requestTarget(url) }) },
      });

      // Assess
      expect(answer.status).toBe(500);
      expect(secured.requests.map((request) => request.status)).toEqual([401, 500]);
    } finally {
      await secured.stop();
    }
  });

  it('applies to the OAuth token endpoint on arrival', async () => {
    // Prepare
    sim.injectFault({ kind: 'status', status: 503 }, { path: '/api/oauth/token' });

    // Act
    const answer = await getJson(`${sim.origin}/api/oauth/token`, { method: 'POST' });

    // Assess
    expect(answer.status).toBe(503);
    expect(sim.stats().tokenRequests).toBe(1);
  });
});
