/**
 * What the simulated Cloud Manager knows: projects, their clusters and the clusters' restore jobs.
 * Everything handed in or out is a deep copy, so a test holding a job cannot change the server's copy
 * behind its back (changes go through `update`).
 */
import type { Cluster, RestoreJob } from '../core/types.ts';
import { isObjectId, newObjectId } from './object-id.ts';
import { apiTime } from './restore-job-life-cycle.ts';

/** The simulator was driven wrongly by its caller (a test or the demo), not by an HTTP client. */
export class SimulatorUsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimulatorUsageError';
  }
}

export interface ClusterInput {
  projectId?: string;
  clusterId?: string;
  clusterName?: string;
  typeName?: string;
  shardName?: string;
  replicaSetName?: string;
}

interface StoredJob {
  projectId: string;
  clusterId: string;
  job: RestoreJob;
}

export class CloudManagerData {
  readonly #now: () => Date;
  /** projectId -> clusterId -> cluster, in insertion order (the order the clusters list answers). */
  readonly #projects = new Map<string, Map<string, Cluster>>();
  readonly #jobs = new Map<string, StoredJob>();
  /**
   * Jobs of each cluster in list order, rebuilt lazily after a change to that cluster. A list call
   * must cost the simulator a page, not a scan of every job it holds: the benchmark serves 100,000.
   */
  readonly #sortedByCluster = new Map<string, readonly RestoreJob[]>();
  readonly #jobIdsByCluster = new Map<string, Set<string>>();

  constructor(now: () => Date) {
    this.#now = now;
  }

  addProject(projectId: string = newObjectId(this.#now())): string {
    requireObjectId('projectId', projectId);
    if (!this.#projects.has(projectId)) this.#projects.set(projectId, new Map());
    return projectId;
  }

  hasProject(projectId: string): boolean {
    return this.#projects.has(projectId);
  }

  addCluster(input: ClusterInput): Cluster {
    const projectId = this.addProject(input.projectId);
    const clusterId = input.clusterId ?? newObjectId(this.#now());
    requireObjectId('clusterId', clusterId);
    const clusters = this.#clustersOf(projectId);
    if (clusters.has(clusterId)) {
      throw new SimulatorUsageError(`Cluster ${clusterId} already exists in project ${projectId}.`);
    }
    const typeName = input.typeName ?? 'REPLICA_SET';
    const clusterName = input.clusterName ?? `Cluster${clusters.size}`;
    const cluster: Cluster = { id: clusterId, groupId: projectId, clusterName, typeName };
    const replicaSetName = input.replicaSetName ?? (typeName === 'REPLICA_SET' ? clusterName : undefined);
    if (replicaSetName !== undefined) cluster.replicaSetName = replicaSetName;
    if (input.shardName !== undefined) cluster.shardName = input.shardName;
    clusters.set(clusterId, cluster);
    return structuredClone(cluster);
  }

  /** The cluster, created (as `typeName`) when a test adds jobs to a cluster it did not declare. */
  ensureCluster(projectId: string, clusterId: string, typeName: string): void {
    requireObjectId('projectId', projectId);
    requireObjectId('clusterId', clusterId);
    if (!this.#projects.get(projectId)?.has(clusterId)) this.addCluster({ projectId, clusterId, typeName });
  }

  getCluster(projectId: string, clusterId: string): Cluster | undefined {
    const cluster = this.#projects.get(projectId)?.get(clusterId);
    return cluster ? structuredClone(cluster) : undefined;
  }

  listClusters(projectId: string): Cluster[] {
    return [...this.#clustersOf(projectId).values()].map((cluster) => structuredClone(cluster));
  }

  removeCluster(projectId: string, clusterId: string): void {
    if (!this.#clustersOf(projectId).delete(clusterId)) {
      throw new SimulatorUsageError(`No cluster ${clusterId} in project ${projectId} to remove.`);
    }
    const key = clusterKey(projectId, clusterId);
    for (const jobId of this.#jobIdsByCluster.get(key) ?? []) this.#jobs.delete(jobId);
    this.#jobIdsByCluster.delete(key);
    this.#sortedByCluster.delete(key);
  }

  addJob(projectId: string, clusterId: string, job: Partial<RestoreJob> = {}): RestoreJob {
    this.ensureCluster(projectId, clusterId, 'REPLICA_SET');
    const now = this.#now();
    const id = job.id ?? newObjectId(now);
    if (this.#jobs.has(id)) throw new SimulatorUsageError(`Restore job ${id} already exists.`);
    const created = apiTime(now);
    const full: RestoreJob = {
      id,
      groupId: projectId,
      clusterId,
      snapshotId: newObjectId(now),
      created,
      statusName: 'IN_PROGRESS',
      pointInTime: false,
      encryptionEnabled: false,
      // The restored snapshot is older than the request; an hour is a plausible gap.
      timestamp: { date: apiTime(new Date(now.getTime() - 3_600_000)), increment: 1 },
      delivery: { methodName: 'HTTP', statusName: 'NOT_STARTED' },
      ...structuredClone(job),
    };
    this.#jobs.set(id, { projectId, clusterId, job: full });
    const key = clusterKey(projectId, clusterId);
    const ids = this.#jobIdsByCluster.get(key) ?? new Set<string>();
    ids.add(id);
    this.#jobIdsByCluster.set(key, ids);
    this.#sortedByCluster.delete(key);
    return structuredClone(full);
  }

  getJob(jobId: string): RestoreJob | undefined {
    const stored = this.#jobs.get(jobId);
    return stored ? structuredClone(stored.job) : undefined;
  }

  /** The job only if it is listed under this project and cluster (the API scopes jobs by path). */
  getJobIn(projectId: string, clusterId: string, jobId: string): RestoreJob | undefined {
    const stored = this.#jobs.get(jobId);
    if (!stored || stored.projectId !== projectId || stored.clusterId !== clusterId) return undefined;
    return structuredClone(stored.job);
  }

  updateJob(jobId: string, change: Partial<RestoreJob> | ((job: RestoreJob) => RestoreJob)): RestoreJob {
    const stored = this.#jobs.get(jobId);
    if (!stored) throw new SimulatorUsageError(`No restore job ${jobId} to update.`);
    const next =
      typeof change === 'function'
        ? change(structuredClone(stored.job))
        : { ...stored.job, ...structuredClone(change) };
    if (next.id !== jobId) {
      throw new SimulatorUsageError(`A job update must keep the id ${jobId} (got ${String(next.id)}).`);
    }
    stored.job = structuredClone(next);
    this.#sortedByCluster.delete(clusterKey(stored.projectId, stored.clusterId));
    return structuredClone(stored.job);
  }

  removeJob(jobId: string): void {
    const stored = this.#jobs.get(jobId);
    if (!stored) throw new SimulatorUsageError(`No restore job ${jobId} to remove.`);
    this.#jobs.delete(jobId);
    const key = clusterKey(stored.projectId, stored.clusterId);
    this.#jobIdsByCluster.get(key)?.delete(jobId);
    this.#sortedByCluster.delete(key);
  }

  /** Newest `created` first, ties by id (newest ObjectId first); jobs without `created` last. */
  listJobs(projectId: string, clusterId: string): RestoreJob[] {
    return this.listedJobs(projectId, clusterId).map((job) => structuredClone(job));
  }

  /**
   * The stored jobs of a cluster in list order, NOT copies: for the HTTP layer, which serialises one
   * page of them at once and must not modify them.
   */
  listedJobs(projectId: string, clusterId: string): readonly RestoreJob[] {
    const key = clusterKey(projectId, clusterId);
    let sorted = this.#sortedByCluster.get(key);
    if (!sorted) {
      const jobs: RestoreJob[] = [];
      for (const id of this.#jobIdsByCluster.get(key) ?? []) {
        const stored = this.#jobs.get(id);
        if (stored) jobs.push(stored.job);
      }
      sorted = jobs.sort(newestFirst);
      this.#sortedByCluster.set(key, sorted);
    }
    return sorted;
  }

  #clustersOf(projectId: string): Map<string, Cluster> {
    const clusters = this.#projects.get(projectId);
    if (!clusters) throw new SimulatorUsageError(`No project ${projectId}: add a cluster to it first.`);
    return clusters;
  }
}

function newestFirst(a: RestoreJob, b: RestoreJob): number {
  const byCreated = createdMs(b) - createdMs(a);
  if (byCreated !== 0 && !Number.isNaN(byCreated)) return byCreated;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function createdMs(job: RestoreJob): number {
  const ms = typeof job.created === 'string' ? Date.parse(job.created) : Number.NaN;
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

function requireObjectId(what: string, value: string): void {
  if (!isObjectId(value)) {
    throw new SimulatorUsageError(`${what} ${value} is not a 24-character hexadecimal ObjectId.`);
  }
}

function clusterKey(projectId: string, clusterId: string): string {
  return `${projectId}/${clusterId}`;
}
