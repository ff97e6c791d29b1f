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
    expect(JSON.parse(text)).toEqual({
      schema: 'restore-watch.event/v1',
      ...messageFields(event),
      incidentKey: `job/${JOB}/failed`,
      action: 'trigger',
    });
    expect(text).not.toMatch(/publishAttempts|lastPublishError/);
  });

  it('writes the fields in the same order whatever order the stored record has them in', () => {
    // Prepare: the same record with its keys reversed, as a store may return it.
    const event = record({ details: { b: 1, a: { z: 1, y: 2 } } });
    const reversed = Object.fromEntries(Object.entries(event).reverse()) as AuditRecord;

    // Act
    const first = renderEventJson(viewAlert({ events: [event] }, { includeDownloadUrl: false }));
    const second = renderEventJson(viewAlert({ events: [reversed] }, { includeDownloadUrl: false }));

    // Assess
    expect(second).toBe(first);
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
      groupId: expect.stringMatching(/^[0-9a-f]{32}$/),
      summary: completed.summary,
      eventType: 'BATCH_COMPLETED',
      eventTypes: ['BATCH_COMPLETED', 'JOB_STATUS_CHANGED'],
      incidentKey: `job/${JOB}/failed`,
      action: 'trigger',
      batchId: BATCH,
      runId: RUN,
      projectId: PROJECT,
      clusterId: CLUSTER,
      targetName: 'orders-prod',
      severity: 'critical',
      eventIds: [completed.eventId, 'shard'],
      events: [
        { schema: EVENT_SCHEMA, ...messageFields(completed), incidentKey: `batch/${BATCH}`, action: 'info' },
        {
          schema: EVENT_SCHEMA,
          ...messageFields(shard),
          incidentKey: `job/${JOB}/failed`,
          action: 'trigger',
        },
      ],
    });
  });

  it('wraps the events of one job in one poll with the headline, the most severe type and every type', () => {
    // Prepare
    const finished = record({
      eventId: 'finished',
      severity: 'info',
      summary: 'restore …00000003 FINISHED (was IN_PROGRESS)',
      after: { jobId: JOB, statusName: 'FINISHED' },
    });
    const expiring = record({
      eventId: 'expiring',
      eventType: 'DELIVERY_EXPIRING',
      severity: 'warning',
      after: { jobId: JOB, statusName: 'FINISHED', deliveryStatus: 'READY', downloaded: false },
      details: { thresholdMinutes: 60, minutesLeft: 49 },
    });

    // Act
    const json = jsonOf([expiring, finished]);

    // Assess
    expect(json).toMatchObject({
      schema: EVENTS_SCHEMA,
      summary: 'restore …00000003 expires in 49 min, not downloaded yet; FINISHED',
      eventType: 'DELIVERY_EXPIRING',
      eventTypes: ['JOB_STATUS_CHANGED', 'DELIVERY_EXPIRING'],
      incidentKey: `job/${JOB}/expiring`,
      action: 'trigger',
      jobId: JOB,
      eventIds: ['finished', 'expiring'],
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
