/**
 * Target resolution: the configured entries become the clusters to poll.
 *
 * - An entry with a `clusterId` is one target (ids lower-cased, so `ABC…` and `abc…` are one target).
 * - A project-wide entry lists the project's clusters and watches each one, except the shards and
 *   config servers of a sharded cluster, whose restores are reported through the cluster itself.
 * - A project whose clusters cannot be listed becomes one failing pseudo target (`{project}:*`), so the
 *   failure is counted and alerted like any other target's.
 * - A target listed twice (explicitly and through its project) is polled once, under the first name.
 * - Projects are listed concurrently (`concurrency`); the result does not depend on which listing
 *   came back first.
 */
import { mapWithConcurrency } from './concurrency.ts';
import type { ConfiguredTarget } from './config.ts';
import { describeError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { RestoreJobSource } from './ports.ts';
import { type TargetFailure, toTargetFailure } from './target-health.ts';
import type { Cluster, Target } from './types.ts';
import { targetKey } from './types.ts';

/** Pseudo cluster id of a project-wide target whose cluster list could not be read. */
export const ALL_CLUSTERS = '*';

export interface ResolvedTargets {
  targets: Target[];
  /** Why the clusters of a project could not be listed, keyed by its pseudo target (`{project}:*`). */
  projectFailures: ReadonlyMap<string, TargetFailure>;
  /** Pseudo targets of project-wide entries whose clusters were listed: they may have recovered. */
  listedProjects: Target[];
}

/** Shard members and config servers of a sharded cluster are reported through the cluster itself. */
export function isWatchableCluster(cluster: Cluster): boolean {
  if (cluster.typeName === 'CONFIG_SERVER_REPLICA_SET') return false;
  if (typeof cluster.shardName === 'string' && cluster.shardName !== '') return false;
  return true;
}

/** True for the pseudo target of a project whose clusters could not be listed. */
export function isProjectPseudoTarget(target: Pick<Target, 'clusterId'>): boolean {
  return target.clusterId === ALL_CLUSTERS;
}

export async function resolveTargets(
  configured: readonly ConfiguredTarget[],
  source: RestoreJobSource,
  options: {
    signal: AbortSignal;
    logger: Logger;
    /** Projects listed at once (each is one request or a few). @default 1 */
    concurrency?: number;
  },
): Promise<ResolvedTargets> {
  // The project-wide entries are listed concurrently (a fleet of hundreds of projects would
  // otherwise wait for each listing in turn), then every entry is taken in configuration order, so
  // which name wins for a target listed twice does not depend on which listing came back first.
  const listings = new Map<ConfiguredTarget, Cluster[] | { error: unknown }>();
  await mapWithConcurrency(
    configured.filter((entry) => !entry.clusterId),
    options.concurrency ?? 1,
    async (entry) => {
      try {
        listings.set(entry, await source.listClusters(entry.projectId, { signal: options.signal }));
      } catch (error) {
        listings.set(entry, { error });
      }
    },
  );
  const targets: Target[] = [];
  const projectFailures = new Map<string, TargetFailure>();
  const listedProjects: Target[] = [];
  const seen = new Set<string>();
  const add = (target: Target) => {
    const key = targetKey(target);
    if (seen.has(key)) return;
    seen.add(key);
    targets.push(target);
  };
  for (const entry of configured) {
    const projectId = entry.projectId.toLowerCase();
    if (entry.clusterId) {
      add({
        projectId,
        clusterId: entry.clusterId.toLowerCase(),
        name: entry.name ?? entry.clusterId,
        ...(entry.batchId ? { batchId: entry.batchId.toLowerCase() } : {}),
        ...(entry.team ? { team: entry.team } : {}),
      });
      continue;
    }
    const projectTarget: Target = {
      projectId,
      clusterId: ALL_CLUSTERS,
      name: `${entry.name ?? entry.projectId} (all clusters)`,
      ...(entry.team ? { team: entry.team } : {}),
    };
    const clusters = listings.get(entry) ?? [];
    if (!Array.isArray(clusters)) {
      options.logger.error('Could not list the clusters of a project', {
        projectId: entry.projectId,
        error: describeError(clusters.error),
      });
      add(projectTarget);
      projectFailures.set(targetKey(projectTarget), toTargetFailure(clusters.error));
      continue;
    }
    listedProjects.push(projectTarget);
    for (const cluster of clusters.filter(isWatchableCluster)) {
      const clusterName = cluster.clusterName ?? cluster.id;
      add({
        projectId,
        clusterId: cluster.id.toLowerCase(),
        name: entry.name ? `${entry.name}/${clusterName}` : clusterName,
        ...(entry.team ? { team: entry.team } : {}),
      });
    }
  }
  return { targets, projectFailures, listedProjects };
}
