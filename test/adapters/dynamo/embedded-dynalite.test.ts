import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureTable } from '../../../functions/adapters/dynamo/create-table.ts';
import { DynamoStateStore } from '../../../functions/adapters/dynamo/dynamo-state-store.ts';
import {
  type EmbeddedDynamo,
  startEmbeddedDynamo,
} from '../../../functions/adapters/dynamo/embedded-dynalite.ts';
import { StateStoreError } from '../../../functions/adapters/dynamo/state-store-error.ts';
import { auditRecord, CLUSTER, PROJECT, targetState } from './fixtures.ts';

const started: EmbeddedDynamo[] = [];
const folders: string[] = [];

async function start(options: { path?: string } = {}) {
  const dynamo = await startEmbeddedDynamo(options);
  started.push(dynamo);
  return dynamo;
}

async function tempFolder() {
  const folder = await mkdtemp(join(tmpdir(), 'restore-watch-dynamo-'));
  folders.push(folder);
  return folder;
}

afterEach(async () => {
  for (const dynamo of started.splice(0)) await dynamo.stop();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

describe('startEmbeddedDynamo', () => {
  it('listens on 127.0.0.1 only, on an ephemeral port', async () => {
    // Act
    const dynamo = await start();

    // Assess
    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dynamo.endpoint).not.toMatch(/:0$/);
  });

  it('keeps state and audit in a folder across a restart', async () => {
    // Prepare
    const path = await tempFolder();
    const first = await start({ path });
    await ensureTable(first.client, 'state');
    const before = new DynamoStateStore({ client: first.client, tableName: 'state' });
    await before.saveTargetStates([targetState()]);
    await before.recordEvents([auditRecord('e1')]);
    await first.stop();

    // Act
    const second = await start({ path });
    const after = new DynamoStateStore({ client: second.client, tableName: 'state' });
    const states = await after.getTargetStates([{ projectId: PROJECT, clusterId: CLUSTER }]);
    const owed = await after.listOwedEvents();

    // Assess
    expect(await ensureTable(second.client, 'state')).toBe('exists');
    expect(states.get(`${PROJECT}:${CLUSTER}`)).toEqual(targetState());
    expect(owed.map((record) => record.eventId)).toEqual(['e1']);
  });

  it('refuses a folder that is in use, with a StateStoreError instead of a crash', async () => {
    // Prepare
    const path = await tempFolder();
    await start({ path });

    // Act
    const failure = await startEmbeddedDynamo({ path }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StateStoreError);
    expect(failure).toMatchObject({ errorCode: 'FolderLocked' });
    expect((failure as Error).message).toContain(path);
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    // Prepare
    const path = await tempFolder();
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(path, { recursive: true });
    // Pid 2^22 + 1 is above Linux's default pid_max, so no process has it.
    await writeFile(join(path, 'restore-watch.lock'), String(4_194_305));

    // Act
    const dynamo = await start({ path });

    // Assess
    expect(await ensureTable(dynamo.client, 'state')).toBe('created');
  });

  it('reports a taken port as a StateStoreError', async () => {
    // Prepare
    const first = await start();
    const port = Number(new URL(first.endpoint).port);

    // Act
    const failure = await startEmbeddedDynamo({ port }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StateStoreError);
    expect((failure as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('can be stopped twice', async () => {
    // Prepare
    const dynamo = await start();

    // Act
    await dynamo.stop();
    const second = await dynamo.stop().then(() => 'stopped');

    // Assess
    expect(second).toBe('stopped');
  });
});
