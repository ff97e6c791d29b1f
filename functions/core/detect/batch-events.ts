/**
 * BATCH_COMPLETED: one summary per sharded-cluster restore, once every job of its batch is terminal.
 */
import { jobStatusSeverity, worstSeverity } from '../event-catalogue.ts';
import { eventId } from '../event-id.ts';
import { batchCompletedSummary } from '../event-summary.ts';
import {
  type BatchMember,
  type JobState,
  type MonitorEvent,
  SEVERITY_ORDER,
  TERMINAL_JOB_STATUSES,
} from '../types.ts';
import {
  byCreatedThenId,
  compareText,
  createdMs,
  type DetectionContext,
  type PendingEvent,
} from './detection-context.ts';

/**
 * BATCH_COMPLETED: once per sharded-restore batch, when every listed job of it is terminal. A batch
 * complete at baseline is marked without an event. Mutates `batchCompletedAlerted` of the members.
 */
export function checkBatches(context: DetectionContext, listed: readonly JobState[]): PendingEvent[] {
  const batches = new Map<string, JobState[]>();
  for (const state of listed) {
    const batchId = state.snapshot.batchId;
    if (batchId === undefined) continue;
    const members = batches.get(batchId);
    if (members) members.push(state);
    else batches.set(batchId, [state]);
  }
  const out: PendingEvent[] = [];
  for (const [batchId, members] of batches) {
    if (!members.every((member) => TERMINAL_JOB_STATUSES.has(member.snapshot.statusName))) continue;
    // A shard listed late after the summary went out joins the batch silently.
    const alreadyAlerted = members.some((member) => member.batchCompletedAlerted);
    for (const member of members) member.batchCompletedAlerted = true;
    if (alreadyAlerted || !context.baselined) continue;
    out.push(batchEvent(context, batchId, members));
  }
  return out;
}

function batchEvent(context: DetectionContext, batchId: string, members: readonly JobState[]): PendingEvent {
  const { target } = context;
  const snapshots = members.map((member) => member.snapshot).sort(byCreatedThenId);
  const rows: BatchMember[] = snapshots.map((snapshot) => {
    const row: BatchMember = { jobId: snapshot.jobId, statusName: snapshot.statusName };
    if (snapshot.deliveryStatus !== undefined) row.deliveryStatus = snapshot.deliveryStatus;
    if (snapshot.hostId !== undefined) row.hostId = snapshot.hostId;
    return row;
  });
  const severities = snapshots.map((snapshot) => jobStatusSeverity(snapshot.statusName));
  const counts = new Map<string, number>();
  for (const snapshot of snapshots)
    counts.set(snapshot.statusName, (counts.get(snapshot.statusName) ?? 0) + 1);
  const worstFirst = [...counts].sort(
    ([a], [b]) =>
      SEVERITY_ORDER[jobStatusSeverity(b)] - SEVERITY_ORDER[jobStatusSeverity(a)] || compareText(a, b),
  );
  const memberIds = snapshots.map((snapshot) => snapshot.jobId).sort();
  const event: MonitorEvent = {
    eventId: eventId({
      eventType: 'BATCH_COMPLETED',
      projectId: target.projectId,
      clusterId: target.clusterId,
      batchId,
      discriminator: `completed:${memberIds.join(',')}`,
    }),
    eventType: 'BATCH_COMPLETED',
    severity: worstSeverity(severities),
    projectId: target.projectId,
    clusterId: target.clusterId,
    targetName: target.name,
    batchId,
    detectedAt: context.nowIso,
    summary: batchCompletedSummary(batchId, worstFirst),
    details: { members: rows, memberCount: rows.length },
  };
  // Reported after the events of its last member: the summary reads as the end of the story.
  const latest = Math.max(...snapshots.map(createdMs).filter(Number.isFinite), Number.NEGATIVE_INFINITY);
  return {
    event,
    createdMs: Number.isFinite(latest) ? latest : Number.POSITIVE_INFINITY,
    subject: `~${batchId}`,
  };
}
