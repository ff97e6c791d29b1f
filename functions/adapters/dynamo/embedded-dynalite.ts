/**
 * A DynamoDB-compatible server inside this process (dynalite), for the CLI without AWS, the demo and
 * the tests. It listens on 127.0.0.1 only: it has no authentication, so nothing else may reach it.
 * With `path` the data lives in LevelDB files under that folder and survives restarts; without it, in
 * memory. dynalite lacks transactions, PartiQL and UpdateTimeToLive, and never expires items: the
 * adapter uses none of the first three and treats TTL as housekeeping only.
 *
 * Not for Lambda: the handler talks to the real table. This module loads dynalite lazily so bundles
 * that never call it do not pull LevelDB in.
 */
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { StateStoreError } from './state-store-error.ts';

export interface EmbeddedDynamoOptions {
  /** Persist under this folder (created if missing); omit for an in-memory database. */
  path?: string;
  /** TCP port on 127.0.0.1. @default 0 (an ephemeral port) */
  port?: number;
}

export interface EmbeddedDynamo {
  /** `http://127.0.0.1:{port}` */
  endpoint: string;
  /** A client for it (region `local`, dummy static credentials). Destroyed by `stop`. */
  client: DynamoDBClient;
  /** Closes the client, the server and the database; safe to call twice. */
  stop(): Promise<void>;
}

/** The dynalite factory (CommonJS, untyped): only the options we use. */
type DynaliteFactory = (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

/**
 * Local requests fail for local reasons (a bug, a closed server), not transient ones: a couple of SDK
 * attempts are enough and keep failures quick.
 */
const EMBEDDED_MAX_ATTEMPTS = 2;

export async function startEmbeddedDynamo(options: EmbeddedDynamoOptions = {}): Promise<EmbeddedDynamo> {
  const require = createRequire(import.meta.url);
  const dynalite = require('dynalite') as DynaliteFactory;
  const releaseFolder = options.path === undefined ? undefined : await lockFolder(options.path);
  // Tables are usable at once; the real service's CREATING phase only slows local runs down.
  const server = dynalite({
    ...(options.path !== undefined ? { path: options.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await releaseFolder?.();
    throw new StateStoreError(
      `Could not start the local DynamoDB on 127.0.0.1:${options.port ?? 0}: ${(error as Error).message}`,
      { operation: 'startEmbeddedDynamo', tableName: '(embedded)', cause: error },
    );
  }
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: EMBEDDED_MAX_ATTEMPTS,
  });

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      client.destroy();
      try {
        await new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          // Keep-alive sockets of other clients would hold `close` open until they time out.
          (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        });
      } finally {
        await releaseFolder?.();
      }
    })();
    return stopped;
  };

  // Open the database now, so that a folder locked by another process fails here, clearly.
  try {
    await client.send(new ListTablesCommand({}));
  } catch (error) {
    await stop().catch(() => undefined);
    throw new StateStoreError(
      `Could not open the local state database${options.path ? ` in ${options.path}` : ''}: ${(error as Error).message}. ` +
        'Is another restore-watch process using the same folder? Stop it, or set RESTORE_WATCH_TABLE to use DynamoDB.',
      { operation: 'startEmbeddedDynamo', tableName: '(embedded)', cause: error },
    );
  }
  return { endpoint, client, stop };
}

/**
 * One process per database folder. LevelDB refuses a second opener, and dynalite surfaces that as an
 * unhandled stream error that kills the process, so we check first with a lock file holding our pid.
 * A lock left by a process that no longer runs is taken over.
 */
async function lockFolder(path: string): Promise<() => Promise<void>> {
  await mkdir(path, { recursive: true });
  const lockFile = join(path, 'restore-watch.lock');
  for (let round = 0; round < 2; round++) {
    try {
      await writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return () => unlink(lockFile).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
      throw new StateStoreError(
        `The local state database in ${path} is in use by ${holder === process.pid ? 'this process already' : `process ${holder}`}. ` +
          `Stop the other restore-watch process (or wait for it to finish) and try again; if no such process runs, delete ${lockFile}.`,
        { operation: 'startEmbeddedDynamo', tableName: '(embedded)', errorCode: 'FolderLocked' },
      );
    }
    await unlink(lockFile).catch(() => undefined);
  }
  throw new StateStoreError(
    `Could not lock the local state database in ${path}: another process keeps taking it.`,
    {
      operation: 'startEmbeddedDynamo',
      tableName: '(embedded)',
      errorCode: 'FolderLocked',
    },
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
