/**
 * Protocol corners the simulator does not produce, against a scripted loopback HTTP server: each test
 * says exactly what the server answers, request by request.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CloudManagerAuthError,
  CloudManagerClient,
  type CloudManagerClientOptions,
  CloudManagerRateLimitError,
  CloudManagerResponseError,
} from '../../../functions/adapters/cloud-manager/client.ts';
import { parseWwwAuthenticate } from '../../../functions/adapters/cloud-manager/www-authenticate.ts';
import { API_KEY, API_KEY_CREDENTIALS, recordingSleep } from './client-fixtures.ts';

const PROJECT = '5f3a00000000000000000001';
const CLUSTER = '5f3a00000000000000000002';
const EMPTY_LIST = JSON.stringify({ results: [], totalCount: 0, links: [] });

type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server that answers request i with `handler(req, res, i)` and records every request. */
async function scripted(handler: Handler) {
  const seen: Array<{ url: string; authorization?: string }> = [];
  const server = createServer((req, res) => {
    seen.push({
      url: req.url ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    handler(req, res, seen.length - 1);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { seen, origin: `http://127.0.0.1:${port}`, baseUrl: `http://127.0.0.1:${port}/api/public/v1.0` };
}

function client(baseUrl: string, options: Partial<CloudManagerClientOptions> = {}) {
  return new CloudManagerClient({
    baseUrl,
    credentials: API_KEY_CREDENTIALS,
    sleep: recordingSleep().sleep,
    random: () => 0.5,
    ...options,
  });
}

const json = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};
const challenge = (res: ServerResponse, header: string) =>
  json(res, 401, JSON.stringify({ error: 401, errorCode: 'NO_CURRENT_USER', detail: 'auth needed' }), {
    'www-authenticate': header,
  });

const hash = (algorithm: string, text: string) => createHash(algorithm).update(text).digest('hex');

/** Independent check of a Digest answer (RFC 7616 §3.4.1, written out here rather than imported). */
function digestIsValid(authorization: string | undefined, password: string, entityBody = ''): boolean {
  const p = parseWwwAuthenticate(authorization ?? '')[0]?.params;
  if (!p) return false;
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase();
  const h = (text: string) => hash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5', text);
  let ha1 = h(`${p.username}:${p.realm}:${password}`);
  if (algorithm.endsWith('-SESS')) ha1 = h(`${ha1}:${p.nonce}:${p.cnonce}`);
  const ha2 = p.qop === 'auth-int' ? h(`GET:${p.uri}:${h(entityBody)}`) : h(`GET:${p.uri}`);
  const expected = p.qop
    ? h(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`)
    : h(`${ha1}:${p.nonce}:${ha2}`);
  return expected === p.response;
}

describe('digest corners', () => {
  it.each([
    [
      'the docs typo op="auth"',
      'Digest realm="MMS Public API", domain="", nonce="n1", algorithm=MD5, op="auth", stale=false',
    ],
    ['qop auth-int only', 'Digest realm="r", nonce="n2", algorithm=MD5, qop="auth-int"'],
    ['MD5-sess', 'Digest realm="r", nonce="n3", algorithm=MD5-sess, qop="auth"'],
    ['SHA-256-sess', 'Digest realm="r", nonce="n4", algorithm=SHA-256-sess, qop="auth"'],
    [
      'several challenges in one header',
      'Bearer realm="x", Digest realm="r", nonce="n5", qop="auth,auth-int"',
    ],
  ])('answers a challenge with %s', async (_name, header) => {
    // Prepare
    const server = await scripted((req, res, i) => {
      if (i === 0) return challenge(res, header);
      return digestIsValid(req.headers.authorization, API_KEY.privateKey)
        ? json(res, 200, EMPTY_LIST)
        : challenge(res, header);
    });

    // Act
    const c = client(server.baseUrl);
    await c.listRestoreJobs({ projectId: PROJECT, clusterId: CLUSTER });
    await c.listRestoreJobs({ projectId: PROJECT, clusterId: CLUSTER });

    // Assess
    expect(server.seen).toHaveLength(3);
    expect(server.seen[2]?.authorization).toMatch(/nc=00000002/);
  });

  it('answers the digest for the exact request target, query included', async () => {
    const server = await scripted((_req, res, i) =>
      i === 0 ? challenge(res, 'Digest realm="r", nonce="n", qop="auth"') : json(res, 200, EMPTY_LIST),
    );
    await client(server.baseUrl).listRestoreJobs({
      projectId: PROJECT,
      clusterId: CLUSTER,
      batchId: 'a'.repeat(24),
    });
    const uri = parseWwwAuthenticate(server.seen[1]?.authorization ?? '')[0]?.params.uri;
    expect(uri).toBe(server.seen[1]?.url);
    expect(uri).toBe(
      `/api/public/v1.0/groups/${PROJECT}/clusters/${CLUSTER}/restoreJobs?batchId=${'a'.repeat(24)}&pageNum=1&itemsPerPage=500`,
    );
  });

  it('refuses an algorithm it cannot answer, saying which', async () => {
    const server = await scripted((_req, res) =>
      challenge(res, 'Digest realm="r", nonce="n", algorithm=SHA-1, qop="auth"'),
    );
    const error = await client(server.baseUrl)
      .listClusters(PROJECT)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerAuthError);
    expect((error as Error).message).toMatch(/algorithm SHA-1/);
    expect(server.seen).toHaveLength(1);
  });

  it('reports a 401 without any challenge as CloudManagerAuthError', async () => {
    const server = await scripted((_req, res) =>
      json(res, 401, JSON.stringify({ error: 401, errorCode: 'NOT_IN_GROUP', detail: 'not in group' })),
    );
    const error = await client(server.baseUrl)
      .listClusters(PROJECT)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerAuthError);
    expect(error).toMatchObject({ errorCode: 'NOT_IN_GROUP' });
    expect((error as Error).message).toMatch(/Project Read Only/);
  });

  it('backs off when fresh nonces keep being called stale, instead of calling the key wrong', async () => {
    // Prepare: challenge, then two stale answers, then success
    let nonce = 0;
    const server = await scripted((_req, res, i) => {
      if (i === 0) return challenge(res, `Digest realm="r", nonce="n${nonce++}", qop="auth"`);
      if (i <= 2) return challenge(res, `Digest realm="r", nonce="n${nonce++}", qop="auth", stale=true`);
      return json(res, 200, EMPTY_LIST);
    });
    const { sleeps, sleep } = recordingSleep();

    // Act
    const jobs = await client(server.baseUrl, { sleep }).listRestoreJobs({
      projectId: PROJECT,
      clusterId: CLUSTER,
    });

    // Assess
    expect(jobs).toEqual([]);
    expect(sleeps).toHaveLength(1);
    expect(server.seen).toHaveLength(4);
  });
});

describe('HTTP corners', () => {
  const open =
    (body: string, status = 200, headers: Record<string, string> = {}): Handler =>
    (_req, res) =>
      json(res, status, body, headers);

  it('never follows a redirect to another origin', async () => {
    // Prepare
    const elsewhere = await scripted(open(EMPTY_LIST));
    const server = await scripted((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.baseUrl}/groups/${PROJECT}/clusters` });
      res.end();
    });

    // Act
    const error = await client(server.baseUrl)
      .listClusters(PROJECT)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CloudManagerResponseError);
    expect((error as Error).message).toContain(`redirect (307) to ${elsewhere.origin}`);
    expect(elsewhere.seen).toHaveLength(0);
  });

  it('honours Retry-After given as an HTTP date, by the injected clock', async () => {
    const now = Date.parse('2026-05-01T12:00:00Z');
    const server = await scripted((_req, res, i) =>
      i === 0
        ? json(res, 429, '{"error":429,"errorCode":"RATE_LIMITED"}', {
            'retry-after': 'Fri, 01 May 2026 12:00:12 GMT',
          })
        : json(res, 200, EMPTY_LIST),
    );
    const { sleeps, sleep } = recordingSleep();
    await client(server.baseUrl, { sleep, now: () => now }).listClusters(PROJECT);
    expect(sleeps).toEqual([12_000]);
  });

  it('caps a huge Retry-After', async () => {
    const server = await scripted((_req, res, i) =>
      i === 0 ? json(res, 503, '{}', { 'retry-after': '86400' }) : json(res, 200, EMPTY_LIST),
    );
    const { sleeps, sleep } = recordingSleep();
    await client(server.baseUrl, { sleep, backoff: { retryAfterCapMs: 30_000 } }).listClusters(PROJECT);
    expect(sleeps).toEqual([30_000]);
  });

  it('treats the documented 400 RATE_LIMITED_IP as a rate limit', async () => {
    const server = await scripted(
      open('{"error":400,"errorCode":"RATE_LIMITED_IP","detail":"slow down"}', 400),
    );
    const error = await client(server.baseUrl, { maxRetries: 2 })
      .listClusters(PROJECT)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudManagerRateLimitError);
    expect(server.seen).toHaveLength(3);
  });

  it('reads a page body that arrives wrapped in an envelope', async () => {
    const server = await scripted(
      open(
        JSON.stringify({
          status: 200,
          content: { results: [{ id: 'a'.repeat(24), clusterName: 'x' }], totalCount: 1 },
        }),
      ),
    );
    expect(await client(server.baseUrl).listClusters(PROJECT)).toEqual([
      { id: 'a'.repeat(24), clusterName: 'x' },
    ]);
  });

  it('never follows a next link to another host: it computes the next page itself', async () => {
    const server = await scripted((req, res) => {
      const pageNum = new URL(req.url ?? '', 'http://x').searchParams.get('pageNum');
      const results =
        pageNum === '1'
          ? Array.from({ length: 500 }, (_, i) => ({ id: i.toString(16).padStart(24, '0') }))
          : [{ id: 'f'.repeat(24) }];
      json(
        res,
        200,
        JSON.stringify({
          results,
          totalCount: 501,
          links: [{ rel: 'next', href: 'https://evil.example/steal?pageNum=2' }],
        }),
      );
    });
    const clusters = await client(server.baseUrl).listClusters(PROJECT);
    expect(clusters).toHaveLength(501);
    expect(server.seen.map((s) => new URL(s.url, 'http://x').searchParams.get('pageNum'))).toEqual([
      '1',
      '2',
    ]);
  });
});
