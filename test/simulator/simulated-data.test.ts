import { Agent, get } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CloudManagerSimulator,
  SimulatorUsageError,
} from '../../functions/simulator/cloud-manager-simulator.ts';
import { createTestCa } from '../support/certificates.ts';
import { getJson, ManualClock, PROJECT } from './http-support.ts';

const OBJECT_ID = /^[0-9a-f]{24}$/;

describe('simulated restore jobs and their life cycle', () => {
  let clock: ManualClock;
  let sim: CloudManagerSimulator;
  let clusterId: string;

  beforeEach(async () => {
    clock = new ManualClock('2026-11-28T08:00:00.000Z');
    sim = new CloudManagerSimulator({ now: clock.now });
    await sim.start();
    clusterId = sim.addCluster({ projectId: PROJECT, clusterName: 'orders' }).id;
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('creates a job IN_PROGRESS with delivery HTTP NOT_STARTED, created now, with ObjectIds', () => {
    // Act
    const job = sim.addRestoreJob(PROJECT, clusterId);

    // Assess
    expect(job).toMatchObject({
      groupId: PROJECT,
      clusterId,
      created: '2026-11-28T08:00:00Z',
      statusName: 'IN_PROGRESS',
      delivery: { methodName: 'HTTP', statusName: 'NOT_STARTED' },
    });
    expect(job.id).toMatch(OBJECT_ID);
    expect(job.snapshotId).toMatch(OBJECT_ID);
    expect(job.batchId).toBeUndefined();
  });

  it('creates the cluster when a job is added to an undeclared one', () => {
    // Prepare
    const newCluster = '5f1a2b3c4d5e6f7081920c0c';

    // Act
    sim.addRestoreJob(PROJECT, newCluster);

    // Assess
    expect(sim.listJobs(PROJECT, newCluster)).toHaveLength(1);
  });

  it('finishJob: FINISHED, delivery READY with a download URL, expires = now + expirationHours, maxDownloads', () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);
    clock.advance(30 * 60_000);

    // Act
    const finished = sim.finishJob(job.id, { expirationHours: 2, maxDownloads: 3 });

    // Assess
    expect(finished.statusName).toBe('FINISHED');
    expect(finished.delivery).toMatchObject({
      methodName: 'HTTP',
      statusName: 'READY',
      expires: '2026-11-28T10:30:00Z',
      expirationHours: 2,
      maxDownloads: 3,
    });
    expect(finished.delivery?.url).toMatch(
      new RegExp(
        `^https://api-backup\\.mongodb\\.com/backup/restore/v2/pull/${job.id}/[A-Za-z0-9_-]+/restore-${job.id}\\.tar\\.gz$`,
      ),
    );
  });

  it('finishJob defaults to a one-hour, one-download link that differs per job', () => {
    // Prepare
    const a = sim.addRestoreJob(PROJECT, clusterId);
    const b = sim.addRestoreJob(PROJECT, clusterId);

    // Act
    const finishedA = sim.finishJob(a.id);
    const finishedB = sim.finishJob(b.id);

    // Assess
    expect(finishedA.delivery).toMatchObject({
      expirationHours: 1,
      maxDownloads: 1,
      expires: '2026-11-28T09:00:00Z',
    });
    expect(finishedA.delivery?.url).not.toBe(finishedB.delivery?.url?.replaceAll(b.id, a.id));
  });

  it('breakJob: BROKEN, delivery FAILED, no URL', () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);
    sim.finishJob(job.id);

    // Act
    const broken = sim.breakJob(job.id);

    // Assess
    expect(broken.statusName).toBe('BROKEN');
    expect(broken.delivery?.statusName).toBe('FAILED');
    expect(broken.delivery?.url).toBeUndefined();
  });

  it('killJob: KILLED', () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);

    // Act
    const killed = sim.killJob(job.id);

    // Assess
    expect(killed.statusName).toBe('KILLED');
  });

  it('markDownloaded: SHA1 hashes appear and delivery becomes MAX_DOWNLOADS_EXCEEDED', () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);
    sim.finishJob(job.id);

    // Act
    const downloaded = sim.markDownloaded(job.id);

    // Assess
    expect(downloaded.delivery?.statusName).toBe('MAX_DOWNLOADS_EXCEEDED');
    expect(downloaded.hashes).toEqual([
      {
        fileName: `restore-${job.id}.tar.gz`,
        hash: expect.stringMatching(/^[0-9a-f]{40}$/),
        typeName: 'SHA1',
      },
    ]);
  });

  it('expireDelivery: delivery EXPIRED, the job stays FINISHED', () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);
    sim.finishJob(job.id);

    // Act
    const expired = sim.expireDelivery(job.id);

    // Assess
    expect(expired.statusName).toBe('FINISHED');
    expect(expired.delivery?.statusName).toBe('EXPIRED');
  });

  it('createBatch: one job per member sharing a batchId and snapshotId', () => {
    // Act
    const batch = sim.createBatch(PROJECT, clusterId, 3);

    // Assess
    expect(batch).toHaveLength(3);
    expect(new Set(batch.map((job) => job.id)).size).toBe(3);
    expect(new Set(batch.map((job) => job.batchId)).size).toBe(1);
    expect(batch[0]?.batchId).toMatch(OBJECT_ID);
    expect(new Set(batch.map((job) => job.snapshotId)).size).toBe(1);
  });

  it('createBatch refuses fewer than two members (a shard and the config server)', () => {
    // Act + Assess
    expect(() => sim.createBatch(PROJECT, clusterId, 1)).toThrow(SimulatorUsageError);
  });

  it('updateRestoreJob applies a patch or a function, and the API serves the change', async () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);

    // Act
    sim.updateRestoreJob(job.id, { statusName: 'SOMETHING_NEW' });
    sim.updateRestoreJob(job.id, (current) => ({ ...current, extraField: 42 }));
    const served = await getJson(
      `${sim.baseUrl}/groups/${PROJECT}/clusters/${clusterId}/restoreJobs/${job.id}`,
    );

    // Assess
    expect(served.body).toMatchObject({ id: job.id, statusName: 'SOMETHING_NEW', extraField: 42 });
  });

  it('hands out copies: changing a returned job does not change the server', () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);

    // Act
    job.statusName = 'KILLED';

    // Assess
    expect(sim.getRestoreJob(job.id)?.statusName).toBe('IN_PROGRESS');
  });

  it('removeRestoreJob takes the job out of the lists', () => {
    // Prepare
    const job = sim.addRestoreJob(PROJECT, clusterId);

    // Act
    sim.removeRestoreJob(job.id);

    // Assess
    expect(sim.getRestoreJob(job.id)).toBeUndefined();
    expect(sim.listJobs(PROJECT, clusterId)).toEqual([]);
  });

  it('reports misuse with SimulatorUsageError', () => {
    // Act + Assess
    expect(() => sim.finishJob('5f1a2b3c4d5e6f70819200aa')).toThrow(SimulatorUsageError);
    expect(() => sim.addCluster({ projectId: 'nope' })).toThrow(/24-character hexadecimal/);
    expect(() => new CloudManagerSimulator({ host: '0.0.0.0', requestsPerMinutePerProject: 0 })).toThrow(
      /requestsPerMinutePerProject.*host 0\.0\.0\.0/,
    );
  });
});

describe('simulator server', () => {
  it('records every request without credentials, and resetStats forgets them', async () => {
    // Prepare
    const sim = new CloudManagerSimulator({ now: () => new Date('2026-11-28T08:00:00Z') });
    await sim.start();
    sim.addProject(PROJECT);

    try {
      // Act
      await getJson(`${sim.baseUrl}/groups/${PROJECT}/clusters?pageNum=1&itemsPerPage=5`, {
        headers: { Authorization: 'Bearer secret-token-value' },
      });
      const recorded = [...sim.requests];
      const stats = sim.stats();
      sim.resetStats();

      // Assess
      expect(recorded).toEqual([
        {
          method: 'GET',
          path: `/api/public/v1.0/groups/${PROJECT}/clusters`,
          query: { pageNum: '1', itemsPerPage: '5' },
          authScheme: 'Bearer',
          status: 200,
          at: new Date('2026-11-28T08:00:00Z'),
        },
      ]);
      expect(JSON.stringify(recorded)).not.toContain('secret-token-value');
      expect(stats.requests).toBe(1);
      expect(sim.requests).toEqual([]);
      expect(sim.stats().requests).toBe(0);
    } finally {
      await sim.stop();
    }
  });

  it('adds latencyMs to answers and lets it change at run time', async () => {
    // Prepare
    const sim = new CloudManagerSimulator({ latencyMs: 5_000 });
    await sim.start();
    sim.addProject(PROJECT);
    const url = `${sim.baseUrl}/groups/${PROJECT}/clusters`;

    try {
      // Act
      const slow = await fetch(url, { signal: AbortSignal.timeout(50) }).then(
        () => 'answered',
        (error: Error) => error.name,
      );
      sim.latencyMs = 0;
      const fast = await getJson(url);

      // Assess
      expect(slow).toBe('TimeoutError');
      expect(fast.status).toBe(200);
    } finally {
      await sim.stop();
    }
  });

  it('stops without waiting for idle keep-alive connections or delayed answers', async () => {
    // Prepare
    const sim = new CloudManagerSimulator();
    await sim.start();
    sim.addProject(PROJECT);
    const agent = new Agent({ keepAlive: true });
    const url = `${sim.baseUrl}/groups/${PROJECT}/clusters`;
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(url, { agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      }).on('error', reject);
    });
    sim.injectFault({ kind: 'delay', ms: 60_000 });
    const pending = fetch(url).catch(() => 'connection closed');

    try {
      // Act
      await vi.waitFor(() => expect(sim.requests).toHaveLength(2));
      await sim.stop();

      // Assess
      expect(status).toBe(200);
      expect(await pending).toBe('connection closed');
      expect(() => sim.origin).toThrow(SimulatorUsageError);
    } finally {
      agent.destroy();
    }
  });

  it('listens on loopback only and reports its origin and base URL', async () => {
    // Prepare
    const sim = new CloudManagerSimulator();

    // Act
    await sim.start();

    try {
      // Assess
      expect(sim.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sim.baseUrl).toBe(`${sim.origin}/api/public/v1.0`);
    } finally {
      await sim.stop();
    }
  });

  it('serves HTTPS with the key and certificate it is given', async () => {
    // Prepare
    const ca = await createTestCa();
    const leaf = await ca.issue({ names: ['localhost'], ips: ['127.0.0.1'] });
    const sim = new CloudManagerSimulator({ tls: { key: leaf.keyPem, cert: leaf.certPem } });
    await sim.start();

    try {
      // Act: a plain node:https client that trusts only the test CA
      const answer = await new Promise<{ status?: number; issuer?: string }>((resolve, reject) => {
        httpsRequest(`${sim.baseUrl}/groups/${PROJECT}/clusters`, { ca: ca.certPem }, (response) => {
          response.resume();
          const issuer = (response.socket as TLSSocket).getPeerCertificate().issuer?.CN;
          response.on('end', () => resolve({ status: response.statusCode, issuer: String(issuer) }));
        })
          .on('error', reject)
          .end();
      });

      // Assess: the handshake succeeded against the CA; the API answered (404: no such project yet)
      expect(sim.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(answer).toEqual({ status: 404, issuer: ca.name });
    } finally {
      await sim.stop();
    }
  });

  it('refuses a tls option without a PEM key and certificate', () => {
    expect(() => new CloudManagerSimulator({ tls: { key: 'not a key', cert: 'not a cert' } })).toThrow(
      'tls needs a PEM private key (key) and a PEM certificate (cert)',
    );
  });
});
