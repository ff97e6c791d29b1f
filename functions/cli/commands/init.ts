import { ensureTable } from '../../adapters/dynamo/create-table.ts';
import { type CliIo, openStateTable } from '../context.ts';

/** `restore-watch init`: creates the state table if absent, with the same schema as the stack. */
export async function initCommand(io: CliIo): Promise<number> {
  const state = await openStateTable(io, { createEmbeddedTable: false });
  try {
    const result = await ensureTable(state.client, state.tableName);
    io.stdout(
      result === 'created'
        ? `Created the state table ${state.tableName} (${state.location}).\n`
        : `The state table ${state.tableName} already exists (${state.location}); nothing to do.\n`,
    );
    return 0;
  } finally {
    await state.close();
  }
}
