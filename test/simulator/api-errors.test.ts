import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { getJson, OTHER_PROJECT, PROJECT } from './http-support.ts';

const UNKNOWN_ID = '5f1a2b3c4d5e6f70819200ff';

describe('error answers', () => {
  let sim: CloudManagerSimulator;
  let clusterId: string;
  let clusterUrl: string;

  beforeEach(async () => {
    sim = new CloudManagerSimulator();
    await sim.start();
    clusterId = sim.addCluster({ projectId: PROJECT }).id;
    clusterUrl = `${sim.baseUrl}/groups/${PROJECT}/clusters/${clusterId}`;
  });

  afterEach(async () => {
    await sim.stop();
  });

  it.each([
    ['an invalid project id', () => `${sim.baseUrl}/groups/not-an-id/clusters`, 'INVALID_GROUP_ID'],
    ['an unknown project', () => `${sim.baseUrl}/groups/${OTHER_PROJECT}/clusters`, 'GROUP_NOT_FOUND'],
    [
      'an invalid cluster id',
      () => `${sim.baseUrl}/groups/${PROJECT}/clusters/xyz/restoreJobs`,
      'INVALID_CLUSTER_ID',
    ],
    [
      'an unknown cluster',
      () => `${sim.baseUrl}/groups/${PROJECT}/clusters/${UNKNOWN_ID}/restoreJobs`,
      'CLUSTER_NOT_FOUND',
    ],
    ['an invalid job id', () => `${clusterUrl}/restoreJobs/12345`, 'INVALID_JOB_ID'],
    ['an unknown job', () => `${clusterUrl}/restoreJobs/${UNKNOWN_ID}`, 'RESTORE_JOB_NOT_FOUND'],
    ['an unknown path', () => `${sim.baseUrl}/groups/${PROJECT}/snapshots`, 'RESOURCE_NOT_FOUND'],
    ['a path outside the API', () => `${sim.origin}/favicon.ico`, 'RESOURCE_NOT_FOUND'],
  ])('answers %s with 404 %s in the documented error body', async (_what, url, errorCode) => {
    // Act
    const answer = await getJson(url());

    // Assess
    expect(answer.status).toBe(404);
    expect(Object.keys(answer.body).sort()).toEqual(['detail', 'error', 'errorCode', 'parameters', 'reason']);
    expect(answer.body).toMatchObject({ error: 404, errorCode, parameters: [], reason: 'Not Found' });
    expect(answer.body.detail).toEqual(expect.any(String));
  });

  it('does not answer a job of another cluster under this cluster', async () => {
    // Prepare
    const other = sim.addCluster({ projectId: PROJECT }).id;
    const job = sim.addRestoreJob(PROJECT, other);

    // Act
    const answer = await getJson(`${clusterUrl}/restoreJobs/${job.id}`);

    // Assess
    expect(answer.body).toMatchObject({ error: 404, errorCode: 'RESTORE_JOB_NOT_FOUND' });
  });

  it('answers CLUSTER_NOT_FOUND once a cluster has been removed', async () => {
    // Prepare
    sim.addRestoreJob(PROJECT, clusterId);
    sim.removeCluster(PROJECT, clusterId);

    // Act
    const answer = await getJson(`${clusterUrl}/restoreJobs`);

    // Assess
    expect(answer.body).toMatchObject({ error: 404, errorCode: 'CLUSTER_NOT_FOUND' });
    expect(sim.listJobs(PROJECT, clusterId)).toEqual([]);
  });

  it('answers 405 to methods other than GET on API resources', async () => {
    // Act
    const answer = await getJson(`${clusterUrl}/restoreJobs`, { method: 'POST', body: '{}' });

    // Assess
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET');
    expect(answer.body).toMatchObject({ error: 405, reason: 'Method Not Allowed' });
  });

  it('answers 401 USER_UNAUTHORIZED for a project whose access was revoked with 401, until restored', async () => {
    // Prepare
    sim.revokeAccess(PROJECT, 401);

    // Act
    const revoked = await getJson(`${clusterUrl}/restoreJobs`);
    sim.restoreAccess(PROJECT);
    const restored = await getJson(`${clusterUrl}/restoreJobs`);

    // Assess
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatchObject({
      error: 401,
      errorCode: 'USER_UNAUTHORIZED',
      reason: 'Unauthorized',
    });
    expect(restored.status).toBe(200);
  });

  it('answers 403 IP_ADDRESS_NOT_ON_WHITELIST for a project whose access was revoked with 403', async () => {
    // Prepare
    sim.revokeAccess(PROJECT, 403);
    const other = sim.addCluster({ projectId: OTHER_PROJECT });

    // Act
    const revoked = await getJson(`${clusterUrl}/restoreJobs`);
    const otherProject = await getJson(
      `${sim.baseUrl}/groups/${OTHER_PROJECT}/clusters/${other.id}/restoreJobs`,
    );

    // Assess
    expect(revoked.status).toBe(403);
    expect(revoked.body).toMatchObject({
      error: 403,
      errorCode: 'IP_ADDRESS_NOT_ON_WHITELIST',
      reason: 'Forbidden',
    });
    expect(otherProject.status).toBe(200);
  });
});
