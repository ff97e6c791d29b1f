import { describe, expect, it } from 'vitest';
import { viewAlert } from '../../../functions/core/alerts/alert-view.ts';
import { FULL_DETAIL, renderEmailText } from '../../../functions/core/alerts/email-text.ts';
import type { AuditRecord } from '../../../functions/core/types.ts';
import {
  BATCH,
  batchCompleted,
  batchMembers,
  CONSOLE,
  JOB,
  PROJECT,
  record,
  sampleOf,
  URL_SECRET,
} from '../../support/alert-records.ts';

const SIGNATURE = 'Sent by the tests.';

function emailOf(
  events: AuditRecord[],
  level = FULL_DETAIL,
  downloadUrls?: ReadonlyMap<string, string>,
): string {
  const view = viewAlert(
    { events },
    { includeDownloadUrl: downloadUrls !== undefined, ...(downloadUrls ? { downloadUrls } : {}) },
  );
  return renderEmailText(view, { consoleBaseUrl: CONSOLE, level, signature: SIGNATURE });
}

describe('renderEmailText', () => {
  it('shows expiry facts of a DELIVERY_EXPIRING event', () => {
    // Act
    const email = emailOf([sampleOf('DELIVERY_EXPIRING')]);

    // Assess
    expect(email).toMatch(/Download link expires: +2026-05-01T10:14:00Z \(14 minutes left\)/);
    expect(email).toMatch(/Warning threshold: +15 minutes before expiry/);
  });

  it('shows how long a stuck job has run', () => {
    // Act
    const email = emailOf([sampleOf('JOB_STUCK')]);

    // Assess
    expect(email).toMatch(/In progress for: +365 minutes \(alert after 360 minutes\)/);
  });

  it('describes the error of a failing target without dumping it', () => {
    // Act
    const email = emailOf([sampleOf('TARGET_FAILING')]);

    // Assess
    expect(email).toMatch(/Last error: +CloudManagerAuthError: Unauthorized \(HTTP 401, USER_UNAUTHORIZED\)/);
    expect(email).toMatch(/Failed polls in a row: +3/);
  });

  it('shows the per-shard table of a completed batch', () => {
    // Act
    const email = emailOf([batchCompleted(4)]);

    // Assess
    expect(email).toContain('Jobs of the batch (4: 1 BROKEN/FAILED, 3 FINISHED/READY)');
    for (const member of batchMembers(4)) expect(email).toContain(member.jobId);
  });

  it('shows only the next steps that match the new status', () => {
    // Act
    const email = emailOf([record()]);

    // Assess
    expect(email).toContain('BROKEN: open the job in Cloud Manager');
    expect(email).not.toContain('KILLED: ask the requester');
  });

  it('links to the Cloud Manager UI of the project', () => {
    // Act
    const email = emailOf([record()]);

    // Assess
    expect(email).toContain(`https://cloud.mongodb.com/v2/${PROJECT}#/clusters`);
  });

  it('spells out as much of a large group as the detail level allows, and says what it left out', () => {
    // Prepare
    const completed = batchCompleted(40);
    const shards = Array.from({ length: 6 }, (_, i) =>
      record({ eventId: `shard-${i}`, batchId: BATCH, summary: `shard ${i} finished` }),
    );

    // Act
    const email = emailOf([completed, ...shards], { memberRows: 5, fullEvents: 2, lineEvents: 3 });

    // Assess
    expect(email).toContain('... and 35 more (see the machine-readable message)');
    expect(email).toContain('--- 2/7:');
    expect(email).not.toContain('--- 3/7:');
    expect(email).toContain('Further events');
    expect(email).toContain('shard 3 finished (shard-3)');
    expect(email).not.toContain('shard 4 finished');
    expect(email).toContain('... and 2 more events (see the machine-readable message).');
  });

  it('shows the download link of the event’s job with a warning, and ends with the signature', () => {
    // Act
    const email = emailOf([sampleOf('DELIVERY_STATUS_CHANGED')], FULL_DETAIL, new Map([[JOB, URL_SECRET]]));

    // Assess
    expect(email).toContain(
      `Download link\n  ${URL_SECRET}\n  Anyone with this link can download the backup`,
    );
    expect(email.endsWith(`\n-- \n${SIGNATURE}`)).toBe(true);
  });
});
