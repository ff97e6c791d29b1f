import { describe, expect, it } from 'vitest';
import { viewAlert } from '../../../functions/core/alerts/alert-view.ts';
import { EVENT_SCHEMA, EVENTS_SCHEMA, renderEventJson } from '../../../functions/core/alerts/event-json.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import {
  BATCH,
  batchCompleted,
  CLUSTER,
  DOWNLOAD_URLS,
  JOB,
  messageFields,
  OTHER_JOB,
  OTHER_URL_SECRET,
  PROJECT,
  RUN,
  record,
  URL_SECRET,
} from '../../support/alert-records.ts';

function jsonOf(events: AuditRecord[], includeDownloadUrl = false) {
  return JSON.parse(
    renderEventJson(viewAlert({ events }, { includeDownloadUrl, downloadUrls: DOWNLOAD_URLS })),
  );
}

describe('renderEventJson', () => {
  it('round-trips every field of a single event, snapshots included', () => {
    // Prepare
    const event = record({
      publishAttempts: 2,
      lastPublishError: 'SNS could not take the message (InternalError)',
      details: { nested: { deep: [1, 2, { three: true }] } },
    });

    // Act
    const text = renderEventJson(viewAlert({ events: [event] }, { includeDownloadUrl: false }));

    // Assess
    expect(JSON.parse(text)).toEqual({ schema: 'restore-watch.event/v1', ...messageFields(event) });
    expect(text).not.toMatch(/publishAttempts|lastPublishError/);
  });

  it('wraps a batch group as restore-watch.events/v1 with each event in full', () => {
    // Prepare
    const completed = batchCompleted(3);
    const shard = record({ eventId: 'shard', batchId: BATCH });

    // Act
    const json = jsonOf([shard, completed]);

    // Assess
    expect(json).toEqual({
      schema: EVENTS_SCHEMA,
      batchId: BATCH,
      runId: RUN,
      projectId: PROJECT,
      clusterId: CLUSTER,
      targetName: 'orders-prod',
      severity: 'critical',
      eventIds: [completed.eventId, 'shard'],
      events: [
        { schema: EVENT_SCHEMA, ...messageFields(completed) },
        { schema: EVENT_SCHEMA, ...messageFields(shard) },
      ],
    });
  });

  it('carries no download URL unless includeDownloadUrl is on', () => {
    // Act
    const json = jsonOf([record()], false);

    // Assess
    expect(json.downloadUrl).toBeUndefined();
  });

  it('attaches each URL to its own job inside a batch group', () => {
    // Prepare
    const a = record({ eventId: 'a', batchId: BATCH, jobId: JOB });
    const b = record({ eventId: 'b', batchId: BATCH, jobId: OTHER_JOB });

    // Act
    const json = jsonOf([a, b], true);

    // Assess
    expect(json.events.map((e: { downloadUrl?: string }) => e.downloadUrl)).toEqual([
      URL_SECRET,
      OTHER_URL_SECRET,
    ]);
  });
});
