/**
 * The order in which a run starts its targets. Many targets are in flight at once
 * (`cloudManager.concurrency`), and the client's per-project limiter makes the targets of a busy
 * project wait for its rate window; if they came in a block, they would hold every slot of the pool
 * while targets of other projects, which could go at once, wait behind them.
 *
 * Guarantees (test/core/target-order.test.ts):
 *
 * O1. Projects are interleaved: a project's k-th target starts before any project's (k+1)-th, so a
 *     project never has more targets in flight than its share while other projects have targets left.
 * O2. Within a project, the target polled longest ago goes first (one a previous run could not reach
 *     for lack of time, or never polled, leads its project), so a fleet too large for one run still
 *     rotates through every target.
 * O3. Within a round, the project whose target was polled longest ago goes first.
 * O4. Deterministic: ties keep the order the targets came in (the configuration's), so the same
 *     configuration and states give the same order on every run.
 */
import type { Target } from './types.ts';

/**
 * `targets` in the order to poll them. `lastPolledAt` gives the ISO instant a target was last polled,
 * or '' when never (which sorts first).
 */
export function pollOrder(targets: readonly Target[], lastPolledAt: (target: Target) => string): Target[] {
  const polled = new Map(targets.map((target) => [target, lastPolledAt(target)] as const));
  const position = new Map(targets.map((target, index) => [target, index] as const));
  const older = (a: Target, b: Target) =>
    compare(polled.get(a) ?? '', polled.get(b) ?? '') || (position.get(a) ?? 0) - (position.get(b) ?? 0);

  const byProject = new Map<string, Target[]>();
  for (const target of targets) {
    const members = byProject.get(target.projectId);
    if (members) members.push(target);
    else byProject.set(target.projectId, [target]);
  }
  // Rank within the project (O2), then the round's own age (O3): one sort over (rank, age, key).
  const rank = new Map<Target, number>();
  for (const members of byProject.values()) {
    members.sort(older);
    for (const [index, target] of members.entries()) rank.set(target, index);
  }
  return [...targets].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0) || older(a, b));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
