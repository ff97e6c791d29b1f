/**
 * The configuration at synth: which file is read, what a wrong one looks like to the person running
 * `cdk synth`, and how the schedule's period is worked out.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../functions/core/config.ts';
import { schedulePeriod } from '../../functions/core/schedule-period.ts';
import { EXAMPLE_CONFIG_FILE, loadDeployConfig } from '../../lib/deploy-config.ts';
import { createTestCa } from '../support/certificates.ts';
import { REPO_ROOT } from './stack-fixture.ts';

const BAD_CONFIG = {
  targets: [{ projectId: 'not-an-id' }],
  alerts: { expiryWarningMinutes: [15, 60] },
  deploy: {
    schedule: 'every 5 minutes',
    subscriptions: { emails: ['oncall-at-example.com'] },
    colour: 'blue',
  },
};

const tempDir = () => mkdtempSync(join(tmpdir(), 'restore-watch-deploy-config-'));

describe('loadDeployConfig', () => {
  it('reads the file named by -c config', () => {
    const dir = tempDir();
    const file = join(dir, 'fleet.json');
    copyFileSync(join(REPO_ROOT, EXAMPLE_CONFIG_FILE), file);

    const loaded = loadDeployConfig('fleet.json', dir);

    expect(loaded).toMatchObject({ file, usedExample: false });
    expect(loaded.config.deploy.schedule).toBe('rate(5 minutes)');
  });

  it('falls back to the example, and says so, when restore-watch.config.json does not exist', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'docs'));
    copyFileSync(join(REPO_ROOT, EXAMPLE_CONFIG_FILE), join(dir, EXAMPLE_CONFIG_FILE));

    expect(loadDeployConfig(undefined, dir)).toMatchObject({
      file: join(dir, EXAMPLE_CONFIG_FILE),
      usedExample: true,
    });
  });

  it('prefers restore-watch.config.json over the example', () => {
    const dir = tempDir();
    copyFileSync(join(REPO_ROOT, EXAMPLE_CONFIG_FILE), join(dir, 'restore-watch.config.json'));

    expect(loadDeployConfig(undefined, dir)).toMatchObject({ usedExample: false });
  });

  it('does not fall back when the named file is missing', () => {
    const error = catchConfigError(() => loadDeployConfig('missing.json', tempDir()));
    expect(error.problems).toEqual([expect.stringMatching(/^file not found .*pass -c config=<path>$/)]);
  });

  it('lists every problem of a wrong file in one error, each naming its field', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(BAD_CONFIG));

    const error = catchConfigError(() => loadDeployConfig('bad.json', dir));

    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^targets\[0\]\.projectId: /),
        expect.stringMatching(/^alerts\.expiryWarningMinutes\[1\]: .*descending/),
        expect.stringMatching(/^deploy\.schedule: /),
        expect.stringMatching(/^deploy\.subscriptions\.emails\[0\]: must be an email address/),
        expect.stringMatching(/^deploy: unknown key "colour"/),
      ]),
    );
    expect(error.problems).toHaveLength(5);
  });

  it('refuses an address subscribed twice, and a filter naming a team that cannot be one', () => {
    const dir = tempDir();
    const example = JSON.parse(readFileSync(join(REPO_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'));
    const emails = ['a@example.com', { address: 'A@example.com', teams: ['pay ments!'] }];
    writeFileSync(
      join(dir, 'subs.json'),
      JSON.stringify({ ...example, deploy: { subscriptions: { emails } } }),
    );

    const error = catchConfigError(() => loadDeployConfig('subs.json', dir));

    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^deploy\.subscriptions\.emails\[1\]: duplicates deploy\.subscriptions\.emails\[0\]/,
        ),
      ]),
    );
    expect(error.problems.join('\n')).toMatch(/teams\[0\]: must be 1-64 characters/);
  });

  it('refuses a schedule slower than the heartbeat alarm can watch', () => {
    const dir = tempDir();
    const example = JSON.parse(readFileSync(join(REPO_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'));
    writeFileSync(
      join(dir, 'slow.json'),
      JSON.stringify({ ...example, deploy: { schedule: 'rate(2 days)' } }),
    );

    const error = catchConfigError(() => loadDeployConfig('slow.json', dir));

    expect(error.problems).toEqual([
      expect.stringMatching(/^deploy\.schedule: "rate\(2 days\)" polls less than once a day/),
    ]);
  });
});

describe('loadDeployConfig with cloudManager.caFile', () => {
  it('reads the CA file next to the configuration, so the stack can bundle it', async () => {
    // Prepare
    const ca = await createTestCa('Deploy Test CA');
    const dir = tempDir();
    const example = JSON.parse(readFileSync(join(REPO_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'));
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'ca.pem'), ca.certPem);
    writeFileSync(
      join(dir, 'conf', 'fleet.json'),
      JSON.stringify({ ...example, cloudManager: { ...example.cloudManager, caFile: 'ca.pem' } }),
    );

    // Act
    const loaded = loadDeployConfig('conf/fleet.json', dir);

    // Assess
    expect(loaded.config.cloudManager.caFile).toBe('ca.pem');
    expect(loaded.caCertificates?.trim()).toBe(ca.certPem.trim());
  });

  it('reports a missing CA file together with the deployment problems', () => {
    // Prepare
    const dir = tempDir();
    const example = JSON.parse(readFileSync(join(REPO_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'));
    writeFileSync(
      join(dir, 'fleet.json'),
      JSON.stringify({
        ...example,
        cloudManager: { ...example.cloudManager, caFile: 'corp-ca.pem' },
        deploy: { schedule: 'rate(2 days)' },
      }),
    );

    // Act
    const error = catchConfigError(() => loadDeployConfig('fleet.json', dir));

    // Assess
    expect(error.source).toBe('fleet.json');
    expect(error.problems).toEqual([
      expect.stringMatching(/^deploy\.schedule: "rate\(2 days\)" polls less than once a day/),
      expect.stringMatching(/^cloudManager\.caFile: corp-ca\.pem \(.*corp-ca\.pem\) does not exist/),
    ]);
  });
});

describe('the shipped example configuration', () => {
  it('is valid, so `cdk synth` works on a fresh clone', () => {
    const config = parseConfigText(
      readFileSync(join(REPO_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'),
      EXAMPLE_CONFIG_FILE,
    );
    expect(config.targets.length).toBeGreaterThan(0);
    expect(config.deploy.credentialsSecret).toBeUndefined();
  });
});

describe('cdk synth with a wrong configuration', () => {
  it('stops before synthesising and prints every problem as a list', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(BAD_CONFIG));

    // What `cdk synth -c config=...` runs: the app, with the context in CDK_CONTEXT_JSON.
    const result = spawnSync(process.execPath, ['bin/app.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: file }),
        CDK_OUTDIR: join(dir, 'cdk.out'),
      },
      encoding: 'utf8',
    });

    expect(result.status).toBe(1);
    const lines = result.stderr.split('\n');
    expect(lines[0]).toBe(`Invalid ${file}:`);
    expect(lines.filter((line) => line.startsWith('  - '))).toHaveLength(5);
    expect(result.stderr).toContain('  - deploy.schedule: must be an EventBridge Scheduler expression');
    expect(result.stderr).not.toMatch(/\n\s+at /); // a list for people, not a stack trace
  });
});

describe('schedulePeriod', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(5 minutes)', 300],
    ['rate(2 hours)', 7200],
    ['rate(1 day)', 86_400],
    ['cron(* * * * ? *)', 60],
    ['cron(0/5 * * * ? *)', 300],
    ['cron(*/15 * * * ? *)', 900],
    ['cron(7 * * * ? *)', 3600],
    ['cron(0 */6 * * ? *)', 21_600],
    ['cron(30 2 * * ? *)', 86_400],
  ])('measures %s as %i seconds', (expression, seconds) => {
    expect(schedulePeriod(expression)).toEqual({ seconds, exact: true });
  });

  it.each(['cron(0 8-18 ? * MON-FRI *)', 'cron(0/7 * * * ? *)', 'cron(0 9 1 * ? *)'])(
    'does not pretend to know the period of %s',
    (expression) => {
      expect(schedulePeriod(expression)).toEqual({ seconds: 86_400, exact: false });
    },
  );
});

function catchConfigError(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
