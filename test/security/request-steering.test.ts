/**
 * Nothing a configuration or a Cloud Manager answer contains can steer where the monitor sends its
 * credentials: ids are 24-hex ObjectIds checked by the schema and again by the client before any
 * request, and a redirect is never followed (the client tests prove it per request; here it is a whole
 * poll against a server that redirects authenticated OAuth calls to a collector).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudManagerClient } from '../../functions/adapters/cloud-manager/client.ts';
import { type Config, ConfigError, parseConfig } from '../../functions/core/config.ts';
import { newObjectId, SnsGate } from '../reliability/support/system.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const STEERING_IDS = [
  '../../../api/oauth/revoke',
  '5f1a2b3c4d5e6f7081920a1b/../x',
  '5f1a2b3c4d5e6f70%2F..%2F1b',
  '5f1a2b3c4d5e6f7081920a1b?pageNum=9',
  '5f1a2b3c4d5e6f7081920a1b#x',
  '//evil.example.net/5f1a2b',
  '5f1a2b3c4d5e6f7081920a1 ',
];

describe('ids cannot steer the request path: the schema', () => {
  it.each(STEERING_IDS)('the configuration schema rejects %j in every id field, naming the field', (id) => {
    for (const [field, target] of [
      ['projectId', { projectId: id }],
      ['clusterId', { projectId: newObjectId(), clusterId: id }],
      ['batchId', { projectId: newObjectId(), clusterId: newObjectId(), batchId: id }],
    ] as const) {
      const error = (() => {
        try {
          parseConfig({ targets: [target] }, 'steering.json');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        `targets[0].${field}: ${field} must be a 24-character hexadecimal ObjectId`,
      ]);
    }
  });
});

describe('ids cannot steer the request path: a whole poll', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    new SnsGate().install(h);
  });
  afterEach(async () => {
    await h.stop();
  });

  it('sends no request for an id that slipped past the schema, fails only that target, and polls the others', async () => {
    const project = newObjectId();
    const cluster = h.sim.addCluster({ projectId: project, clusterName: 'orders' }).id;
    const valid = h.config({ targets: [{ projectId: project, clusterId: cluster, name: 'orders' }] });
    // A configuration assembled by code, not parsed: the client is the second line of defence.
    const config: Config = {
      ...valid,
      targets: [...STEERING_IDS.map((id) => ({ projectId: project, clusterId: id })), ...valid.targets],
    };
    await h.poll(config);
    const job = h.sim.addRestoreJob(project, cluster);
    h.sim.resetStats();

    const summary = await h.poll(config);

    expect(summary.targets).toMatchObject({ ok: 1, failed: STEERING_IDS.length });
    expect(new Set(summary.failedTargets.map((f) => f.error.replace(/\(got .*\)/, '')))).toEqual(
      new Set([expect.stringMatching(/^clusterId must be a 24-character hexadecimal ObjectId/)]),
    );
    expect(summary.events.map((e) => e.jobId)).toEqual([job.id]);
    expect(h.sim.requests.map((r) => r.path)).toEqual([
      `/api/public/v1.0/groups/${project}/clusters/${cluster}/restoreJobs`,
    ]);
  });

  it('does not follow a cluster id from a Cloud Manager answer into a request path', async () => {
    const project = newObjectId();
    h.sim.addCluster({ projectId: project, clusterName: 'orders' });
    const config = h.config({ targets: [{ projectId: project, name: 'fleet' }] });
    h.sim.injectFault(
      {
        kind: 'body',
        body: { results: [{ id: '../../../oauth/revoke', clusterName: 'evil' }], totalCount: 1, links: [] },
      },
      { path: `/groups/${project}/clusters?` },
    );
    h.sim.resetStats();

    const summary = await h.poll(config);

    expect(summary.failedTargets.map((f) => f.error)).toEqual([
      expect.stringMatching(/^clusterId must be a 24-character hexadecimal ObjectId/),
    ]);
    // The Digest challenge and its answer: both for the clusters list, nothing after it.
    expect(new Set(h.sim.requests.map((r) => r.path))).toEqual(
      new Set([`/api/public/v1.0/groups/${project}/clusters`]),
    );
  });
});

describe('redirects are not followed with credentials', () => {
  let servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    servers = [];
  });

  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('fails the target naming the redirect, and the other host never sees the bearer token', async () => {
    const collected: Array<string | undefined> = [];
    const collector = await serve((req, res) => {
      collected.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[],"totalCount":0}');
    });
    const origin = await serve((req, res) => {
      if (req.url === '/api/oauth/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            access_token: 'SENTINEL-BEARER-TOKEN-0d0d',
            token_type: 'Bearer',
            expires_in: 3600,
          }),
        );
        return;
      }
      res.writeHead(302, { location: `${collector}${req.url}` }).end();
    });
    const client = new CloudManagerClient({
      baseUrl: `${origin}/api/public/v1.0`,
      credentials: {
        kind: 'serviceAccount',
        clientId: 'mdb_sa_id_redirect',
        clientSecret: 'SENTINEL-SECRET-0e0e',
      },
      sleep: async () => {},
    });
    const project = newObjectId();
    const cluster = newObjectId();

    const error = await client
      .listRestoreJobs({ projectId: project, clusterId: cluster })
      .catch((e: unknown) => e);

    expect((error as Error).message).toMatch(
      /redirect \(302\) to http:\/\/127\.0\.0\.1:\d+; redirects are not followed/,
    );
    expect(JSON.stringify(error)).not.toContain('SENTINEL');
    expect(collected).toEqual([]);
  });
});
