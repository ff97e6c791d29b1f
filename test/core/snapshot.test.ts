import { describe, expect, it } from 'vitest';
import { snapshotFingerprint } from '../../functions/core/job-digest.ts';
import {
  fingerprintJobs,
  fingerprintListing,
  SNAPSHOT_FIELDS,
  snapshotsEqual,
  toSnapshot,
} from '../../functions/core/snapshot.ts';
import type { RestoreJob } from '../../functions/core/types.ts';
import { JOB_A, JOB_B, job, readyJob, SECRET_AUTH, SECRET_URL, TARGET } from './fixtures.ts';

describe('toSnapshot', () => {
  it('keeps the documented facts of a job under the target identity', () => {
    // Prepare
    const fetched: RestoreJob = {
      ...readyJob('2026-11-28T14:00:00Z'),
      batchId: '6a1b2c3d4e5f6a7b8c9d0e1f',
      hostId: 'host-1',
      pointInTime: true,
      groupId: 'some-other-project',
      timestamp: { date: '2026-11-27T23:59:00Z', increment: '1' },
    };

    // Act
    const snapshot = toSnapshot(fetched, TARGET);

    // Assess
    expect(snapshot).toEqual({
      jobId: JOB_A,
      projectId: TARGET.projectId,
      clusterId: TARGET.clusterId,
      batchId: '6a1b2c3d4e5f6a7b8c9d0e1f',
      hostId: 'host-1',
      snapshotId: '5e2211c17a3e5a48f5497aaa',
      created: fetched.created,
      statusName: 'FINISHED',
      pointInTime: true,
      deliveryMethod: 'HTTP',
      deliveryStatus: 'READY',
      expires: '2026-11-28T14:00:00Z',
      expirationHours: 48,
      maxDownloads: 1,
      hasDownloadUrl: true,
      downloaded: false,
      timestampDate: '2026-11-27T23:59:00Z',
    });
  });

  it('lists the fields in SNAPSHOT_FIELDS order (the order of stored items and event details)', () => {
    // Prepare
    const fetched: RestoreJob = {
      ...readyJob('2026-11-28T14:00:00Z'),
      batchId: 'batch-1',
      hostId: 'host-1',
      pointInTime: false,
      timestamp: { date: '2026-11-27T23:59:00Z', increment: 1 },
    };

    // Act
    const snapshot = toSnapshot(fetched, TARGET);

    // Assess
    expect(Object.keys(snapshot)).toEqual(SNAPSHOT_FIELDS);
  });

  it('never copies the download URL or an auth value, only whether a URL exists', () => {
    // Prepare
    const fetched = readyJob('2026-11-28T14:00:00Z', {
      delivery: {
        statusName: 'READY',
        url: SECRET_URL,
        urlV2: SECRET_URL,
        authValue: SECRET_AUTH,
        authBearer: SECRET_AUTH,
        authHeader: SECRET_AUTH,
      },
    });

    // Act
    const text = JSON.stringify(toSnapshot(fetched, TARGET));

    // Assess
    expect(text).not.toContain('SENTINEL');
    expect(JSON.parse(text).hasDownloadUrl).toBe(true);
  });

  it('counts an Ops Manager urlV2 as a download URL', () => {
    expect(
      toSnapshot(job({ delivery: { statusName: 'READY', urlV2: SECRET_URL } }), TARGET).hasDownloadUrl,
    ).toBe(true);
  });

  it('reports no download URL for an automated restore that is READY without one', () => {
    expect(
      toSnapshot(job({ delivery: { methodName: 'HTTP', statusName: 'READY' } }), TARGET).hasDownloadUrl,
    ).toBe(false);
  });

  it('treats a job with hashes as downloaded', () => {
    // Prepare
    const fetched = readyJob('2026-11-28T14:00:00Z', {
      hashes: [{ fileName: 'a.tar.gz', hash: 'abc', typeName: 'SHA1' }],
    });

    // Act / Assess
    expect(toSnapshot(fetched, TARGET).downloaded).toBe(true);
  });

  it('treats a delivery that ran out of downloads as downloaded even without hashes', () => {
    expect(toSnapshot(job({ delivery: { statusName: 'MAX_DOWNLOADS_EXCEEDED' } }), TARGET).downloaded).toBe(
      true,
    );
  });

  it('treats an empty hashes list as not downloaded', () => {
    expect(toSnapshot(job({ hashes: [] }), TARGET).downloaded).toBe(false);
  });

  it('records UNKNOWN when the API omits the job status', () => {
    // Prepare
    const { statusName: _omitted, ...fetched } = job();

    // Act / Assess
    expect(toSnapshot(fetched as RestoreJob, TARGET).statusName).toBe('UNKNOWN');
  });

  it('ignores fields of an unexpected type instead of failing', () => {
    // Prepare
    const fetched = {
      id: JOB_A,
      statusName: 42,
      created: { not: 'a date' },
      batchId: ['x'],
      pointInTime: 'yes',
      delivery: { statusName: null, expires: 17, maxDownloads: '3', expirationHours: Number.NaN, url: 5 },
      hashes: 'none',
      timestamp: 'yesterday',
    } as unknown as RestoreJob;

    // Act
    const snapshot = toSnapshot(fetched, TARGET);

    // Assess
    expect(snapshot).toEqual({
      jobId: JOB_A,
      projectId: TARGET.projectId,
      clusterId: TARGET.clusterId,
      statusName: 'UNKNOWN',
      hasDownloadUrl: false,
      downloaded: false,
    });
  });

  it('tolerates a delivery that is not an object', () => {
    const snapshot = toSnapshot(job({ delivery: 'HTTP' as unknown as RestoreJob['delivery'] }), TARGET);
    expect(snapshot.deliveryStatus).toBeUndefined();
  });

  it('leaves absent fields out instead of setting them to undefined (DynamoDB rejects undefined)', () => {
    // Act
    const snapshot = toSnapshot({ id: JOB_A }, TARGET);

    // Assess
    expect(Object.values(snapshot).includes(undefined)).toBe(false);
    expect(Object.keys(snapshot).sort()).toEqual(
      ['clusterId', 'downloaded', 'hasDownloadUrl', 'jobId', 'projectId', 'statusName'].sort(),
    );
  });

  it('caps pathologically long strings', () => {
    const snapshot = toSnapshot(job({ statusName: 'X'.repeat(10_000) }), TARGET);
    expect(snapshot.statusName.length).toBe(256);
  });
});

describe('snapshotsEqual', () => {
  it('is true for snapshots of the same job state', () => {
    expect(snapshotsEqual(toSnapshot(job(), TARGET), toSnapshot(job(), TARGET))).toBe(true);
  });

  it('is false when one field differs', () => {
    expect(
      snapshotsEqual(toSnapshot(job(), TARGET), toSnapshot(job({ statusName: 'FINISHED' }), TARGET)),
    ).toBe(false);
  });

  it('treats a field stored as null like an absent one', () => {
    // Prepare
    const snapshot = toSnapshot(job(), TARGET);
    const stored = { ...snapshot, batchId: null } as unknown as typeof snapshot;

    // Act / Assess
    expect(snapshotsEqual(snapshot, stored)).toBe(true);
  });
});

describe('fingerprintJobs', () => {
  it('does not depend on the order of the listing', () => {
    // Prepare
    const a = toSnapshot(job({ id: JOB_A }), TARGET);
    const b = toSnapshot(job({ id: JOB_B, statusName: 'FINISHED' }), TARGET);

    // Act / Assess
    expect(fingerprintJobs([a, b])).toBe(fingerprintJobs([b, a]));
  });

  it('changes when any field of any job changes', () => {
    // Prepare
    const a = toSnapshot(job({ id: JOB_A }), TARGET);
    const b = toSnapshot(job({ id: JOB_B }), TARGET);
    const bLater = toSnapshot(job({ id: JOB_B, delivery: { statusName: 'IN_PROGRESS' } }), TARGET);

    // Act / Assess
    expect(fingerprintJobs([a, b])).not.toBe(fingerprintJobs([a, bLater]));
  });

  it('changes when a job appears or vanishes', () => {
    const a = toSnapshot(job({ id: JOB_A }), TARGET);
    const b = toSnapshot(job({ id: JOB_B }), TARGET);
    expect(fingerprintJobs([a])).not.toBe(fingerprintJobs([a, b]));
    expect(fingerprintJobs([])).not.toBe(fingerprintJobs([a]));
  });

  it('reads as its form, the number of jobs and 16 hexadecimal digits', () => {
    expect(fingerprintJobs([])).toBe('v2:0:0000000000000000');
    expect(fingerprintJobs([toSnapshot(job(), TARGET)])).toMatch(/^v2:1:[0-9a-f]{16}$/);
  });

  it('changes with every single snapshot field, absent or present', () => {
    // Prepare: a job with every field, and for each field a value that differs from it.
    const full = toSnapshot(
      {
        ...readyJob('2026-11-28T14:00:00Z'),
        batchId: 'batch-1',
        hostId: 'host-1',
        pointInTime: true,
        timestamp: { date: '2026-11-27T23:59:00Z', increment: 1 },
      },
      TARGET,
    );
    const other: Record<string, unknown> = { pointInTime: false, hasDownloadUrl: false, downloaded: true };

    for (const field of SNAPSHOT_FIELDS) {
      const value = full[field];
      const changed = {
        ...full,
        [field]: field in other ? other[field] : typeof value === 'number' ? value + 1 : `${String(value)}x`,
      };
      const { [field]: _dropped, ...absent } = full;

      // Act / Assess
      expect(value, field).toBeDefined();
      expect(fingerprintJobs([changed]), field).not.toBe(fingerprintJobs([full]));
      expect(fingerprintJobs([absent as typeof full]), field).not.toBe(fingerprintJobs([full]));
    }
  });

  it('keeps its stored form (v2), so stored fingerprints stay valid across releases', () => {
    // Prepare: pinned values; a change here makes every target diff once after an upgrade.
    const snapshots = [job({ id: JOB_B }), job({ statusName: 'FINISHED' })].map((j) => toSnapshot(j, TARGET));

    // Act / Assess
    expect(snapshots.map(snapshotFingerprint)).toEqual([2112704733921414, 6307963744379246]);
    expect(fingerprintJobs(snapshots)).toBe('v2:2:001dea8da96ba1f4');
  });

  it('is what fingerprintListing computes from the raw listing', () => {
    const listing = [job({ id: JOB_A }), job({ id: JOB_B })];
    expect(fingerprintListing(listing, TARGET)).toBe(
      fingerprintJobs(listing.map((j) => toSnapshot(j, TARGET))),
    );
  });
});
