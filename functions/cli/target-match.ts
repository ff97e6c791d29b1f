/** `--target` as people type it: a cluster id, `projectId:clusterId`, or the target's name. */
import type { TargetState } from '../core/types.ts';
import { UsageError } from './context.ts';

/** The known target `wanted` names; a `UsageError` listing the known names when there is none. */
export function findTarget(targets: readonly TargetState[], wanted: string): TargetState {
  const key = wanted.toLowerCase();
  const match = targets.find(
    (t) => t.clusterId === key || `${t.projectId}:${t.clusterId}` === key || t.name.toLowerCase() === key,
  );
  if (match) return match;
  throw new UsageError(
    `--target "${wanted}": no known target has that cluster id, projectId:clusterId or name` +
      (targets.length > 0
        ? ` (known: ${targets.map((t) => t.name).join(', ')})`
        : ' (no state yet: run a poll first)'),
  );
}
