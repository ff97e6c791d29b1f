/**
 * Bad input is caught before anything happens: exit code 2, a message naming the field (or variable)
 * and how to fix it, and nothing written — the embedded state folder is not even created.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudManagerSimulator } from '../../functions/simulator/cloud-manager-simulator.ts';
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

const PROJECT = '5f1a2b3c4d5e6f7081920a1b';
const CLUSTER = '6a1b2c3d4e5f60718293a4b5';

let sim: CloudManagerSimulator;
beforeAll(async () => {
  sim = new CloudManagerSimulator({ apiKeys: [{ ...API_KEY }] });
  await sim.start();
});
afterAll(() => sim.stop());
const dirs = workDirs();
afterEach(() => dirs.removeAll());

/** A configuration that is valid except for what a case changes. */
function validConfig(): Record<string, unknown> {
  return {
    cloudManager: { baseUrl: sim.baseUrl },
    targets: [{ projectId: PROJECT, clusterId: CLUSTER, name: 'orders-prod' }],
  };
}

interface BadInputCase {
  name: string;
  /** The configuration file's content (an object is written as JSON). @default validConfig() */
  config?: () => unknown;
  env?: Record<string, string | undefined>;
  /** Extra arguments after `poll`. */
  args?: string[];
  /** Prepares the working folder beyond writing the configuration. */
  prepare?: (cwd: string) => Promise<void>;
  /** Every one of these must appear in stderr. */
  expected: string[];
}

const cases: BadInputCase[] = [
  {
    name: 'an invalid ObjectId',
    config: () => ({ ...validConfig(), targets: [{ projectId: 'orders-prod-project' }] }),
    expected: ['targets[0].projectId: projectId must be a 24-character hexadecimal ObjectId'],
  },
  {
    name: 'a duplicate target',
    config: () => ({
      ...validConfig(),
      targets: [
        { projectId: PROJECT, clusterId: CLUSTER },
        { projectId: PROJECT.toUpperCase(), clusterId: CLUSTER, name: 'again' },
      ],
    }),
    expected: ['targets[1]: duplicates targets[0]'],
  },
  {
    name: 'an unknown configuration key',
    config: () => ({ ...validConfig(), alerts: { minSeverty: 'warning' } }),
    expected: ['alerts: unknown key "minSeverty"'],
  },
  {
    name: 'a negative expiry threshold',
    config: () => ({ ...validConfig(), alerts: { expiryWarningMinutes: [60, -15] } }),
    expected: ['alerts.expiryWarningMinutes[1]: each expiry warning must be greater than 0'],
  },
  {
    name: 'expiry thresholds not in descending order',
    config: () => ({ ...validConfig(), alerts: { expiryWarningMinutes: [15, 60] } }),
    expected: ['alerts.expiryWarningMinutes[1]: thresholds must be in strictly descending order'],
  },
  {
    name: 'a plain-http base URL for a remote host',
    config: () => ({ ...validConfig(), cloudManager: { baseUrl: 'http://ops-manager.example.com:8080' } }),
    expected: ['cloudManager.baseUrl: must be an https:// URL'],
  },
  {
    name: 'both an API key pair and a service account',
    env: {
      ...CREDENTIALS_ENV,
      CLOUD_MANAGER_CLIENT_ID: 'mdb_sa_id',
      CLOUD_MANAGER_CLIENT_SECRET: 'x-secret',
    },
    expected: ['both an API key pair and a service account are set'],
  },
  {
    name: 'an API key without its private half',
    env: { CLOUD_MANAGER_PUBLIC_KEY: API_KEY.publicKey },
    expected: ['CLOUD_MANAGER_PRIVATE_KEY (privateKey) is missing'],
  },
  {
    name: 'an API key without its public half',
    env: { CLOUD_MANAGER_PRIVATE_KEY: API_KEY.privateKey },
    expected: ['CLOUD_MANAGER_PUBLIC_KEY (publicKey) is missing'],
  },
  {
    name: 'a service account without its secret',
    env: { CLOUD_MANAGER_CLIENT_ID: 'mdb_sa_id' },
    expected: ['CLOUD_MANAGER_CLIENT_SECRET (clientSecret) is missing'],
  },
  {
    name: 'no credentials at all',
    env: {},
    expected: ['no Cloud Manager credentials: set CLOUD_MANAGER_PUBLIC_KEY + CLOUD_MANAGER_PRIVATE_KEY'],
  },
  {
    name: 'a missing configuration file',
    args: ['--config', 'nowhere.json'],
    expected: ['nowhere.json: the file does not exist'],
  },
  {
    name: 'a configuration path that is a directory',
    args: ['--config', 'conf.d'],
    prepare: (cwd) => mkdir(join(cwd, 'conf.d')),
    expected: ['conf.d: it is a directory, not a file'],
  },
  {
    name: 'a configuration file that is not valid JSON',
    config: () => '{ "targets": [ { "projectId": "5f1a2b3c4d5e6f7081920a1b" }, ] ',
    expected: ['restore-watch.config.json: not valid JSON'],
  },
  {
    name: 'a malformed RESTORE_WATCH_TABLE',
    env: { ...CREDENTIALS_ENV, RESTORE_WATCH_TABLE: 'state table!' },
    expected: ['RESTORE_WATCH_TABLE: not a valid DynamoDB table name'],
  },
  {
    name: 'a malformed RESTORE_WATCH_TOPIC_ARN',
    env: { ...CREDENTIALS_ENV, RESTORE_WATCH_TOPIC_ARN: 'arn:aws:sns:eu-west-1:1234:alerts' },
    expected: ['RESTORE_WATCH_TOPIC_ARN: not an SNS topic ARN'],
  },
  {
    name: 'a malformed CLOUD_MANAGER_BASE_URL',
    env: { ...CREDENTIALS_ENV, CLOUD_MANAGER_BASE_URL: 'cloud.mongodb.com/api/public/v1.0' },
    expected: ['CLOUD_MANAGER_BASE_URL: must be an https:// URL'],
  },
  {
    name: 'a PAGERDUTY_ROUTING_KEY that cannot be a routing key (never echoed)',
    env: { ...CREDENTIALS_ENV, PAGERDUTY_ROUTING_KEY: 'SENTINEL-not-a-key' },
    expected: ['PAGERDUTY_ROUTING_KEY is not a PagerDuty routing key'],
  },
  {
    name: 'a malformed PAGERDUTY_EVENTS_URL',
    env: {
      ...CREDENTIALS_ENV,
      PAGERDUTY_ROUTING_KEY: 'abcdefabcdefabcdefabcdefabcdef12',
      PAGERDUTY_EVENTS_URL: 'http://events.pagerduty.com/v2/enqueue',
    },
    expected: ['PAGERDUTY_EVENTS_URL must be an https:// URL'],
  },
  {
    name: 'a team name that cannot be one',
    config: () => ({
      ...validConfig(),
      targets: [{ projectId: PROJECT, clusterId: CLUSTER, team: 'pay ments!' }],
    }),
    expected: ['targets[0].team: must be 1-64 characters'],
  },
  {
    name: 'a negative alerts.repeatEveryMinutes',
    config: () => ({ ...validConfig(), alerts: { repeatEveryMinutes: -5 } }),
    expected: ['alerts.repeatEveryMinutes: repeatEveryMinutes must be 0 (off) or more'],
  },
  {
    name: 'a bad deploy.schedule',
    config: () => ({ ...validConfig(), deploy: { schedule: 'every 5 minutes' } }),
    expected: ['deploy.schedule: must be an EventBridge Scheduler expression'],
  },
];

describe('poll with bad input', () => {
  it.each(cases.map((c) => [c.name, c] as const))(
    'exits 2 on %s, naming it, and writes nothing',
    async (_, c) => {
      // Prepare
      const cwd = await dirs.make();
      await writeConfig(cwd, c.config ? c.config() : validConfig());
      await c.prepare?.(cwd);
      const requestsBefore = sim.requests.length;

      // Act
      const result = await runCli(['poll', ...(c.args ?? [])], { cwd, env: c.env ?? CREDENTIALS_ENV });

      // Assess
      expect(result.code).toBe(2);
      for (const text of c.expected) expect(result.stderr).toContain(text);
      expect(result.stderr).toContain('Nothing was written.');
      expect(result.stderr).not.toContain('SENTINEL');
      expect(result.stdout).toBe('');
      expect(hasEmbeddedState(cwd)).toBe(false);
      expect(sim.requests.length).toBe(requestsBefore);
    },
  );

  it('reports every problem at once, one line each', async () => {
    // Prepare: four independent mistakes in the file and the environment.
    const cwd = await dirs.make();
    await writeConfig(cwd, {
      cloudManager: { baseUrl: 'http://cloud.example.com' },
      targets: [{ projectId: 'not-an-id' }],
      alerts: { expiryWarningMinutes: [15, 60], colour: 'red' },
    });

    // Act
    const result = await runCli(['poll'], {
      cwd,
      env: { CLOUD_MANAGER_PUBLIC_KEY: 'only-half', RESTORE_WATCH_TOPIC_ARN: 'alerts' },
    });

    // Assess
    expect(result.code).toBe(2);
    const problems = result.stderr.split('\n').filter((line) => line.startsWith('  - '));
    expect(problems).toHaveLength(6);
    for (const text of [
      'cloudManager.baseUrl: must be an https:// URL',
      'targets[0].projectId: projectId must be a 24-character hexadecimal ObjectId',
      'alerts: unknown key "colour"',
      'alerts.expiryWarningMinutes[1]: thresholds must be in strictly descending order',
      'CLOUD_MANAGER_PRIVATE_KEY (privateKey) is missing',
      'RESTORE_WATCH_TOPIC_ARN: not an SNS topic ARN',
    ]) {
      expect(result.stderr).toContain(text);
    }
    expect(hasEmbeddedState(cwd)).toBe(false);
  });

  it('never echoes a credential in a validation message', async () => {
    // Prepare: a service-account secret next to a key pair (invalid), plus a bad file.
    const cwd = await dirs.make();
    await writeConfig(cwd, { targets: [] });
    const secret = 'SENTINEL-CLIENT-SECRET-88c1';

    // Act
    const result = await runCli(['poll'], {
      cwd,
      env: { ...CREDENTIALS_ENV, CLOUD_MANAGER_CLIENT_ID: 'mdb_sa_id', CLOUD_MANAGER_CLIENT_SECRET: secret },
    });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('targets: list at least one target');
    expect(result.stderr).toContain('both an API key pair and a service account are set');
    expect(result.stdout + result.stderr).not.toContain(secret);
    expect(result.stdout + result.stderr).not.toContain(API_KEY.privateKey);
  });
});

describe('poll with good input', () => {
  it('accepts a plain-http base URL on 127.0.0.1 (the simulator, a tunnel)', async () => {
    // Prepare
    const cwd = await dirs.make();
    const project = addProject(sim, 'orders-prod');
    const config = configFor(sim, project);
    expect(config.cloudManager.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    await writeConfig(cwd, config);

    // Act
    const result = await runCli(['poll'], { cwd });

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('polled 1 target');
  });

  it('takes the configuration file from RESTORE_WATCH_CONFIG_FILE when --config is not given', async () => {
    // Prepare
    const cwd = await dirs.make();
    const project = addProject(sim, 'orders-prod');
    await writeConfig(cwd, configFor(sim, project), 'conf/watch.json');

    // Act
    const result = await runCli(['poll'], {
      cwd,
      env: { ...CREDENTIALS_ENV, RESTORE_WATCH_CONFIG_FILE: 'conf/watch.json' },
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('polled 1 target');
  });

  it('lets CLOUD_MANAGER_BASE_URL override the configured base URL', async () => {
    // Prepare: the file points at an unreachable https host; the environment at the simulator.
    const cwd = await dirs.make();
    const project = addProject(sim, 'orders-prod');
    await writeConfig(cwd, {
      ...configFor(sim, project),
      cloudManager: { baseUrl: 'https://ops-manager.invalid/api/public/v1.0' },
    });

    // Act
    const result = await runCli(['poll'], {
      cwd,
      env: { ...CREDENTIALS_ENV, CLOUD_MANAGER_BASE_URL: sim.baseUrl },
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 ok, 0 failed');
  });
});
