import { describe, expect, it } from 'vitest';
import {
  parseListPage,
  parseRestoreJob,
  restoreJobItem,
  unwrapEnvelope,
} from '../../../functions/adapters/cloud-manager/restore-job-schema.ts';

const JOB = {
  id: '5f3a0000000000000000000a',
  groupId: '5f3a00000000000000000001',
  clusterId: '5f3a00000000000000000002',
  statusName: 'FINISHED',
  delivery: {
    methodName: 'HTTP',
    statusName: 'READY',
    url: 'https://x/backup/restore/v2/pull/abc',
    maxDownloads: 1,
  },
  timestamp: { date: '2017-04-18T15:14:25Z', increment: 1 },
};

describe('restore job schema', () => {
  it('keeps unknown fields and unknown status values as data', () => {
    const job = parseRestoreJob({
      ...JOB,
      statusName: 'QUEUED_FOR_MARS',
      newField: { nested: true },
      delivery: { ...JOB.delivery, statusName: 'TELEPORTING', brandNew: 3 },
    });
    expect(job).toEqual({
      ok: true,
      value: expect.objectContaining({
        statusName: 'QUEUED_FOR_MARS',
        newField: { nested: true },
        delivery: expect.objectContaining({ statusName: 'TELEPORTING', brandNew: 3 }),
      }),
    });
  });

  it('accepts timestamp.increment as a number or a string', () => {
    expect(parseRestoreJob({ ...JOB, timestamp: { increment: '7' } }).ok).toBe(true);
    expect(parseRestoreJob({ ...JOB, timestamp: { increment: 7 } }).ok).toBe(true);
  });

  it('treats documented fields sent as null as absent', () => {
    const job = parseRestoreJob({ ...JOB, batchId: null, delivery: { ...JOB.delivery, url: null } });
    expect(job.ok && job.value).not.toHaveProperty('batchId');
    expect(job.ok && job.value.delivery).not.toHaveProperty('url');
  });

  it('rejects a job without a string id, naming the field but not the values', () => {
    const result = parseRestoreJob({ ...JOB, id: 42 });
    expect(result).toEqual({ ok: false, problem: expect.stringMatching(/^id: /) });
    expect(JSON.stringify(result)).not.toContain('backup/restore');
  });

  it('unwraps an envelope of either documented shape', () => {
    expect(unwrapEnvelope({ status: 200, content: { a: 1 } })).toEqual({ a: 1 });
    expect(unwrapEnvelope({ status: 200, envelope: { a: 1 } })).toEqual({ a: 1 });
    expect(parseRestoreJob({ status: 200, content: JOB }).ok).toBe(true);
  });
});

describe('parseListPage', () => {
  it('reads results, totalCount and links', () => {
    const page = parseListPage(
      { results: [JOB], totalCount: 1, links: [{ rel: 'self', href: 'h' }] },
      restoreJobItem,
    );
    expect(page).toEqual({
      ok: true,
      value: {
        results: [expect.objectContaining({ id: JOB.id })],
        totalCount: 1,
        links: [{ rel: 'self', href: 'h' }],
      },
    });
  });

  it('tolerates an envelope around a list', () => {
    expect(parseListPage({ status: 200, content: { results: [], totalCount: 0 } }, restoreJobItem).ok).toBe(
      true,
    );
  });

  it.each([
    ['results is not an array', { results: {}, totalCount: 1 }, /^results: /],
    ['totalCount is not a number', { results: [], totalCount: '1' }, /^totalCount: /],
    ['totalCount is missing', { results: [] }, /^totalCount: /],
    ['the body is an array', [JOB], /^body: /],
    [
      'a job lacks an id',
      { results: [JOB, { ...JOB, id: undefined }], totalCount: 2 },
      /^results\[1\]\.id: /,
    ],
    ['a job is not an object', { results: [JOB, 'x'], totalCount: 2 }, /^results\[1\]: /],
  ])('names the problem when %s', (_name, body, problem) => {
    const page = parseListPage(body, restoreJobItem);
    expect(page.ok).toBe(false);
    expect(!page.ok && page.problem).toMatch(problem);
  });
});
