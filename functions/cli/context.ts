/**
 * What every CLI command needs from its surroundings: streams, environment, clock, the configuration
 * file and the state table (a real one named by RESTORE_WATCH_TABLE, or an embedded dynalite).
 */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readCaBundle } from '../adapters/cloud-manager/ca-bundle.ts';
import { ensureTable } from '../adapters/dynamo/create-table.ts';
import { startEmbeddedDynamo } from '../adapters/dynamo/embedded-dynalite.ts';
import { type Config, ConfigError, parseConfigText } from '../core/config.ts';
import { TABLE_NAME } from '../core/config-deploy.ts';
import { ENV } from '../core/environment.ts';
import { awsNetwork } from './aws-network.ts';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  now: () => Date;
  /** Resolves when the user interrupts (Ctrl-C / SIGTERM); `run` stops after the current poll. */
  interrupted: AbortSignal;
  isTTY: boolean;
}

/** Bad arguments: exit code 2 with the message and a pointer to `--help`. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The state table or its endpoint is not usable: exit code 1, nothing else was attempted. */
export class StateUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateUnavailableError';
  }
}

/**
 * Who runs a command that leaves a name in the record (a silence, a resolve by hand): `--by`, else
 * the OS user.
 */
export function whoIsAsking(by: string | undefined, io: CliIo): string {
  const given = by?.trim();
  if (given) return given.slice(0, 64);
  const fromEnv = io.env.USER ?? io.env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    throw new UsageError('cannot tell who you are: pass --by NAME');
  }
}

export const EMBEDDED_STATE_DIR = '.restore-watch';
export const EMBEDDED_TABLE = 'restore-watch';

export async function loadConfigFile(path: string, io: CliIo): Promise<Config> {
  const full = resolve(io.cwd, path);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'the file does not exist: create it (see README "Configuration") or pass --config <file>'
        : code === 'EACCES'
          ? 'permission denied: make the file readable by this user'
          : code === 'EISDIR'
            ? 'it is a directory, not a file'
            : `it cannot be read (${code ?? 'unknown error'})`;
    throw new ConfigError(path, [reason], { cause: error });
  }
  return parseConfigText(text, path);
}

/**
 * The certificates of `cloudManager.caFile`, read and checked relative to the configuration file;
 * undefined without one. Throws `ConfigError` naming the file and the fix.
 */
export function loadCaBundle(
  config: Config,
  configPath: string,
  io: CliIo,
): { pem: string; source: string } | undefined {
  const caFile = config.cloudManager.caFile;
  if (!caFile) return undefined;
  const bundle = readCaBundle(caFile, resolve(io.cwd, configPath), { configSource: configPath });
  return { pem: bundle.pem, source: caFile };
}

export interface StateTable {
  client: DynamoDBClient;
  tableName: string;
  /** Human description of where state lives, for messages. */
  location: string;
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * Opens the state table. With RESTORE_WATCH_TABLE the SDK's own configuration applies (region,
 * credentials, AWS_ENDPOINT_URL_DYNAMODB, and HTTPS_PROXY / NO_PROXY through aws-network.ts) and the
 * table must exist (`restore-watch init`). Without
 * it, an embedded dynalite persisted under `.restore-watch/` is started and its table created.
 */
export async function openStateTable(
  io: CliIo,
  options: { inMemory?: boolean; createEmbeddedTable?: boolean } = {},
): Promise<StateTable> {
  const tableName = io.env[ENV.table];
  if (tableName && !TABLE_NAME.test(tableName)) {
    throw new ConfigError(ENV.table, [
      `"${tableName}" is not a valid DynamoDB table name (3-255 characters: letters, digits, _ . -)`,
    ]);
  }
  if (tableName) {
    // Through HTTPS_PROXY / NO_PROXY when the environment names a proxy (aws-network.ts).
    const network = awsNetwork(io.env);
    const client = new DynamoDBClient({ maxAttempts: 5, ...network.clientOptions });
    return {
      client,
      tableName,
      location: `DynamoDB table ${tableName}`,
      embedded: false,
      close: async () => {
        client.destroy();
        network.close();
      },
    };
  }
  const path = options.inMemory ? undefined : resolve(io.cwd, EMBEDDED_STATE_DIR, 'dynamo');
  let embedded: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  try {
    embedded = await startEmbeddedDynamo(path ? { path } : {});
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    const locked = /lock/i.test(message);
    throw new StateUnavailableError(
      locked
        ? `The embedded state under ${EMBEDDED_STATE_DIR}/ is in use by another restore-watch process: stop it, or set ${ENV.table} to use a DynamoDB table.`
        : `Could not start the embedded DynamoDB under ${EMBEDDED_STATE_DIR}/: ${message}`,
      { cause: error },
    );
  }
  // `init` creates the table itself, so that it can tell whether it was already there.
  if (options.createEmbeddedTable !== false) await ensureTable(embedded.client, EMBEDDED_TABLE);
  return {
    client: embedded.client,
    tableName: EMBEDDED_TABLE,
    location: path ? `embedded DynamoDB under ${EMBEDDED_STATE_DIR}/` : 'in-memory DynamoDB',
    embedded: true,
    close: () => embedded.stop(),
  };
}
