import { describe, expect, it } from 'vitest';
import { AlertGroupEmptyError, viewAlert } from '../../../functions/core/alerts/alert-view.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import {
  AUTH_SECRET,
  BATCH,
  batchCompleted,
  CLUSTER,
  DOWNLOAD_URLS,
  JOB,
  messageFields,
  OTHER_JOB,
  PROJECT,
  record,
  URL_SECRET,
} from '../../support/alert-records.ts';

describe('viewAlert', () => {
  it('gives a single event its own routing facts', () => {
    // Act
    const view = viewAlert({ events: [record()] }, { includeDownloadUrl: false });

    // Assess
    expect(view.routing).toEqual({
      eventType: 'JOB_STATUS_CHANGED',
      eventTypes: ['JOB_STATUS_CHANGED'],
      severity: 'critical',
      incidentKey: `job/${JOB}/failed`,
      action: 'trigger',
      projectId: PROJECT,
      clusterId: CLUSTER,
      jobId: JOB,
      eventId: `evt-JOB_STATUS_CHANGED-${JOB}`,
      eventIds: [`evt-JOB_STATUS_CHANGED-${JOB}`],
      jobIds: [JOB],
    });
  });

  it('routes a batch group by its summary, with the worst severity and every event and job id, by job', () => {
    // Prepare
    const completed = batchCompleted(3, { severity: 'info' });
    const a = record({ eventId: 'a', batchId: BATCH, severity: 'warning' });
    const b = record({ eventId: 'b', batchId: BATCH, severity: 'info', jobId: OTHER_JOB });
    const c = record({ eventId: 'c', batchId: BATCH, severity: 'info' });

    // Act
    const view = viewAlert({ events: [a, completed, b, c] }, { includeDownloadUrl: false });

    // Assess
    expect(view.events.map((e) => e.record.eventId)).toEqual([completed.eventId, 'a', 'c', 'b']);
    expect(view.primary.record.eventId).toBe(completed.eventId);
    expect(view.routing).toEqual({
      eventType: 'JOB_STATUS_CHANGED',
      eventTypes: ['BATCH_COMPLETED', 'JOB_STATUS_CHANGED'],
      severity: 'warning',
      incidentKey: `job/${JOB}/failed`,
      action: 'trigger',
      projectId: PROJECT,
      clusterId: CLUSTER,
      batchId: BATCH,
      eventId: completed.eventId,
      eventIds: [completed.eventId, 'a', 'c', 'b'],
      jobIds: [JOB, OTHER_JOB],
      groupId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('rates a group whose severities it does not know as a warning', () => {
    // Act
    const view = viewAlert(
      { events: [record({ severity: 'bogus' as AuditRecord['severity'] })] },
      { includeDownloadUrl: false },
    );

    // Assess
    expect(view.severity).toBe('warning');
  });

  it('refuses an empty group', () => {
    expect(() => viewAlert({ events: [] }, { includeDownloadUrl: false })).toThrow(AlertGroupEmptyError);
  });

  it('chooses next steps by the statuses of every job of a batch', () => {
    // Prepare
    const finished = batchCompleted(2, {
      details: {
        members: [
          { jobId: 'a', statusName: 'FINISHED' },
          { jobId: 'b', statusName: 'FINISHED' },
        ],
      },
    });

    // Act
    const view = viewAlert({ events: [finished] }, { includeDownloadUrl: false });

    // Assess
    expect(view.primary.nextSteps).toHaveLength(1);
    expect(view.primary.nextSteps[0]).toMatch(/^All FINISHED: /);
  });

  it('attaches the download URL of the event’s own job, and only when opted in', () => {
    // Prepare
    const group = { events: [record({ eventId: 'a', jobId: JOB })] };

    // Act
    const off = viewAlert(group, { includeDownloadUrl: false, downloadUrls: DOWNLOAD_URLS });
    const on = viewAlert(group, { includeDownloadUrl: true, downloadUrls: DOWNLOAD_URLS });

    // Assess
    expect(off.primary.downloadUrl).toBeUndefined();
    expect(on.primary.downloadUrl).toBe(URL_SECRET);
  });

  it('shows renderers the record without bookkeeping, secret fields or links, and keeps the original', () => {
    // Prepare
    const event = record({
      publishAttempts: 3,
      summary: `restore failed, see ${URL_SECRET}`,
      details: { delivery: { url: URL_SECRET, authValue: AUTH_SECRET } },
    });

    // Act
    const { primary } = viewAlert({ events: [event] }, { includeDownloadUrl: false });

    // Assess
    expect(JSON.stringify(primary.record)).not.toContain('SENTINEL');
    expect(primary.record).not.toHaveProperty('publishAttempts');
    expect(Object.keys(primary.record).sort()).toEqual(Object.keys(messageFields(event)).sort());
    expect(primary.original).toBe(event);
  });
});
