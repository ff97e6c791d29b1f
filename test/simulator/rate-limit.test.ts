import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
import { API_KEY, getJson, ManualClock, OTHER_PROJECT, PROJECT } from './http-support.ts';

describe('per-project rate limit', () => {
  let clock: ManualClock;
  let sim: CloudManagerSimulator;

  beforeEach(async () => {
    clock = new ManualClock('2026-11-28T08:00:10.000Z');
    sim = new CloudManagerSimulator({ requestsPerMinutePerProject: 3, now: clock.now });
    await sim.start();
    sim.addProject(PROJECT);
    sim.addProject(OTHER_PROJECT);
  });

  afterEach(async () => {
    await sim.stop();
  });

  const clusters = (projectId: string) => getJson(`${sim.baseUrl}/groups/${projectId}/clusters`);

  it('answers 429 RATE_LIMITED once a project used its requests for the minute, without Retry-After', async () => {
    // Prepare
    for (let i = 0; i < 3; i++) await clusters(PROJECT);

    // Act
    const answer = await clusters(PROJECT);

    // Assess
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBeNull();
    expect(answer.body).toEqual({
      detail: `Resource groups/${PROJECT} is limited to 3 requests every 1 minutes.`,
      error: 429,
      errorCode: 'RATE_LIMITED',
      parameters: [],
      reason: 'Too Many Requests',
    });
    expect(sim.stats().rateLimited).toBe(1);
  });

  it('counts each project separately', async () => {
    // Prepare
    for (let i = 0; i < 3; i++) await clusters(PROJECT);

    // Act
    const answer = await clusters(OTHER_PROJECT);

    // Assess
    expect(answer.status).toBe(200);
  });

  it('resets the counter at the start of the next clock minute, not 60 s after the first call', async () => {
    // Prepare: three calls at 08:00:10
    for (let i = 0; i < 3; i++) await clusters(PROJECT);

    // Act
    clock.advance(49_000); // 08:00:59, same minute
    const sameMinute = await clusters(PROJECT);
    clock.advance(1_000); // 08:01:00
    const nextMinute = await clusters(PROJECT);

    // Assess
    expect(sameMinute.status).toBe(429);
    expect(nextMinute.status).toBe(200);
  });

  it('counts unauthenticated challenge round trips against the limit', async () => {
    // Prepare
    const withKeys = new CloudManagerSimulator({
      apiKeys: [API_KEY],
      requestsPerMinutePerProject: 2,
      now: clock.now,
    });
    await withKeys.start();
    withKeys.addProject(PROJECT);

    try {
      // Act
      const url = `${withKeys.baseUrl}/groups/${PROJECT}/clusters`;
      const statuses = [
        (await getJson(url)).status,
        (await getJson(url)).status,
        (await getJson(url)).status,
      ];

      // Assess
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await withKeys.stop();
    }
  });
});
