/**
 * Shared set-up for the client's integration tests: a running simulator with known credentials, a
 * client with an injected sleep (records what was asked for, waits no wall time), and a logger that
 * keeps every line so tests can assert what was (not) logged.
 */

import {
  CloudManagerClient,
  type CloudManagerClientOptions,
} from '../../../functions/adapters/cloud-manager/client.ts';
import type { CloudManagerCredentials } from '../../../functions/core/credentials.ts';
import type { Logger } from '../../../functions/core/logger.ts';
import {
  CloudManagerSimulator,
  type SimulatorOptions,
} from '../../../functions/simulator/cloud-manager-simulator.ts';

/** Sentinels: long, unique strings that must never show up in an error or a log line. */
export const API_KEY = { publicKey: 'PUBKEY42', privateKey: 'sentinel-private-key-0c4b6e9a2f71' };
export const SERVICE_ACCOUNT = {
  clientId: 'mdb_sa_id_65f0c4b6e9a2f71d00000001',
  clientSecret: 'mdb_sa_sk_sentinel-client-secret-8d2e47',
};
export const API_KEY_CREDENTIALS: CloudManagerCredentials = { kind: 'apiKey', ...API_KEY };
export const SERVICE_ACCOUNT_CREDENTIALS: CloudManagerCredentials = {
  kind: 'serviceAccount',
  ...SERVICE_ACCOUNT,
};

export async function startSimulator(options: SimulatorOptions = {}): Promise<CloudManagerSimulator> {
  const sim = new CloudManagerSimulator({
    apiKeys: [API_KEY],
    serviceAccounts: [SERVICE_ACCOUNT],
    ...options,
  });
  await sim.start();
  return sim;
}

/** A sleep that returns at once, records each request, and rejects promptly once the signal aborted. */
export function recordingSleep() {
  const sleeps: number[] = [];
  const sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) throw signal.reason;
    sleeps.push(ms);
  };
  return { sleeps, sleep };
}

/** A sleep that only ends by abort: lets a test hold the client inside a backoff. */
export function endlessSleep() {
  const sleeps: number[] = [];
  const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((_resolve, reject) => {
      sleeps.push(ms);
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  return { sleeps, sleep };
}

/** Every log line as `level msg {extra as JSON}`. */
export function memoryLogger() {
  const lines: string[] = [];
  const line = (level: string) => (msg: string, extra?: Record<string, unknown>) => {
    lines.push(`${level} ${msg} ${JSON.stringify(extra)}`);
  };
  const logger: Logger = {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  };
  return { lines, logger };
}

export function clientFor(
  sim: CloudManagerSimulator,
  options: Partial<CloudManagerClientOptions> = {},
): CloudManagerClient {
  return new CloudManagerClient({
    baseUrl: sim.baseUrl,
    credentials: API_KEY_CREDENTIALS,
    sleep: recordingSleep().sleep,
    random: () => 0.5,
    ...options,
  });
}

/** A project with one replica-set cluster, as ids. */
export function addTarget(sim: CloudManagerSimulator): { projectId: string; clusterId: string } {
  const cluster = sim.addCluster({ typeName: 'REPLICA_SET' });
  return { projectId: cluster.groupId as string, clusterId: cluster.id };
}

/** Text of an error as a person or a log pipeline could see it: message, JSON, stack and causes. */
export function everythingVisible(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      parts.push(current.message, String(current.stack), JSON.stringify(current));
      current = current.cause;
    } else {
      parts.push(String(current), JSON.stringify(current) ?? '');
      current = undefined;
    }
  }
  return parts.join('\n');
}
