import { ensureTable } from '../../adapters/dynamo/create-table.ts';
import { DynamoStateStore } from '../../adapters/dynamo/dynamo-state-store.ts';
import { type CliIo, openStateTable } from '../context.ts';

/**
 * `restore-watch init`: creates the state table if absent, with the same schema as the stack, and
 * brings the items of an existing one up to date (job states written before they were indexed by
 * request time get their keys: see `indexJobStates`). Safe to run again, and while polls run.
 */
export async function initCommand(io: CliIo): Promise<number> {
  const state = await openStateTable(io, { createEmbeddedTable: false });
  try {
    const result = await ensureTable(state.client, state.tableName);
    if (result === 'created') {
      io.stdout(`Created the state table ${state.tableName} (${state.location}).\n`);
      return 0;
    }
    const store = new DynamoStateStore({ client: state.client, tableName: state.tableName });
    const { indexed } = await store.indexJobStates();
    io.stdout(
      indexed === 0
        ? `The state table ${state.tableName} already exists (${state.location}); nothing to do.\n`
        : `The state table ${state.tableName} already exists (${state.location}); indexed ${indexed} job state${indexed === 1 ? '' : 's'} written by an earlier version, for \`report\`.\n`,
    );
    return 0;
  } finally {
    await state.close();
  }
}
