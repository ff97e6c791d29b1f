/**
 * The configuration as the CDK app sees it: the same file and schema as the CLI, validated at synth
 * so that a deploy never ships a configuration the function would reject at cold start. Everything
 * wrong is reported in one error, one line per problem, each naming its field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { readCaBundle } from '../functions/adapters/cloud-manager/ca-bundle.ts';
import { type Config, ConfigError, DEFAULT_CONFIG_FILE, parseConfigText } from '../functions/core/config.ts';
import { schedulePeriod } from '../functions/core/schedule-period.ts';

/** Shipped with the repository: what `cdk synth` uses on a fresh clone (with a warning). */
export const EXAMPLE_CONFIG_FILE = 'docs/restore-watch.config.example.json';

/** The longest schedule period the heartbeat alarm can watch (CloudWatch evaluates at most a day). */
const MAX_PERIOD_SECONDS = 86_400;

export interface LoadedDeployConfig {
  config: Config;
  /** The file actually read (absolute). */
  file: string;
  /** True when `restore-watch.config.json` was absent and the example was used instead. */
  usedExample: boolean;
  /** The checked PEM certificates of `cloudManager.caFile`, for the bundle; absent without one. */
  caCertificates?: string;
}

/**
 * Reads and validates the configuration named by `-c config=<path>`; without it, the CLI's default
 * `restore-watch.config.json`, and when that does not exist either, the example (so `cdk synth` works
 * on a fresh clone; the caller warns loudly, since deploying the example monitors nothing real).
 * Throws `ConfigError` listing every problem.
 */
export function loadDeployConfig(contextValue: unknown, cwd: string = process.cwd()): LoadedDeployConfig {
  if (contextValue !== undefined && (typeof contextValue !== 'string' || contextValue.trim() === '')) {
    throw new ConfigError('-c config', [
      'must be the path of a configuration file, e.g. -c config=restore-watch.config.json',
    ]);
  }
  const requested = typeof contextValue === 'string' ? contextValue.trim() : undefined;
  let file = resolve(cwd, requested ?? DEFAULT_CONFIG_FILE);
  let usedExample = false;
  if (!requested && !existsSync(file)) {
    file = resolve(cwd, EXAMPLE_CONFIG_FILE);
    usedExample = true;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(requested ?? file, [
      code === 'ENOENT'
        ? `file not found (${isAbsolute(requested ?? '') ? file : `resolved to ${file}`}); pass -c config=<path>`
        : `cannot read ${file}: ${code ?? String(error)}`,
    ]);
  }
  const source = requested ?? file;
  const config = parseConfigText(text, source);
  // Deployment checks and the CA file together: every problem in one error.
  const problems: string[] = [];
  const collect = (check: () => void) => {
    try {
      check();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  };
  collect(() => validateDeployConfig(config, source));
  let caCertificates: string | undefined;
  const caFile = config.cloudManager.caFile;
  if (caFile) collect(() => (caCertificates = readCaBundle(caFile, file, { configSource: source }).pem));
  if (problems.length > 0) throw new ConfigError(source, problems);
  return { config, file, usedExample, ...(caCertificates ? { caCertificates } : {}) };
}

/**
 * Checks that go beyond the schema because they concern the deployment: the schema accepts any
 * EventBridge Scheduler expression, the stack needs a period the heartbeat alarm can watch.
 */
export function validateDeployConfig(config: Config, source: string): Config {
  const problems: string[] = [];
  const period = schedulePeriod(config.deploy.schedule);
  if (period.exact && period.seconds > MAX_PERIOD_SECONDS) {
    problems.push(
      `deploy.schedule: "${config.deploy.schedule}" polls less than once a day; the heartbeat alarm can watch at most one day (and expiring downloads need far more often): use e.g. "rate(5 minutes)"`,
    );
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return config;
}
