/**
 * The client's fast path for well-formed restore jobs (a benchmark finding: the schema was a third
 * of a steady poll's CPU) must never change what the client accepts or returns: whenever it answers,
 * the zod schema accepts the same job and produces an equal value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseListPage,
  restoreJobItem,
  restoreJobSchema,
  wellFormedRestoreJob,
} from '../../functions/adapters/cloud-manager/restore-job-schema.ts';
import { finishedJob } from '../../functions/simulator/restore-job-life-cycle.ts';

const scalar = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
/** A value of the documented type, null, or something else. */
const field = (typed: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 4, arbitrary: typed }, { weight: 1, arbitrary: scalar });
const maybe = (arbitrary: fc.Arbitrary<unknown>) => fc.option(arbitrary, { nil: undefined });
const str = field(fc.string({ maxLength: 8 }));
const record = (shape: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, maybe(v)])), { requiredKeys: [] });
const extra = fc.dictionary(fc.constantFrom('extra', 'links2', 'x', 'nested'), fc.jsonValue({ maxDepth: 2 }));

const delivery = field(
  fc
    .tuple(
      record({
        methodName: str,
        statusName: str,
        url: str,
        expires: str,
        expirationHours: field(fc.integer()),
        maxDownloads: field(fc.integer()),
        authValue: str,
      }),
      extra,
    )
    .map(([a, b]) => ({ ...b, ...a })),
);
const timestamp = field(record({ date: str, increment: field(fc.oneof(fc.integer(), fc.string())) }));
const listOf = (shape: Record<string, fc.Arbitrary<unknown>>) =>
  field(fc.array(field(record(shape)), { maxLength: 3 }));

const job = fc
  .tuple(
    record({
      id: field(fc.string({ maxLength: 24 })),
      groupId: str,
      clusterId: str,
      batchId: str,
      created: str,
      statusName: str,
      pointInTime: field(fc.boolean()),
      encryptionEnabled: field(fc.boolean()),
      timestamp,
      delivery,
      hashes: listOf({ fileName: str, hash: str, typeName: str }),
      links: listOf({ href: str, rel: str }),
    }),
    extra,
  )
  // Through JSON, as the client sees it: no undefined values, no non-finite numbers.
  .map(([known, unknown]) => JSON.parse(JSON.stringify({ ...unknown, ...known })) as unknown);

describe('the restore job fast path', () => {
  it('answers only for jobs the schema accepts, with the value the schema produces', () => {
    // Prepare
    let answered = 0;
    // Act / Assess
    fc.assert(
      fc.property(job, (candidate) => {
        const fast = wellFormedRestoreJob(candidate);
        const parsed = restoreJobSchema.safeParse(candidate);
        if (fast === undefined) return;
        answered++;
        expect(parsed.success).toBe(true);
        expect(fast).toStrictEqual(parsed.data);
      }),
      { numRuns: 2000 },
    );
    expect(answered).toBeGreaterThan(50);
  });

  it('takes a real job with nulls, unknown fields and a download link, and list pages agree with the schema', () => {
    // Prepare
    const base = finishedJob(
      {
        id: '5f3a1b2c4d5e6f7081920a1b',
        groupId: '5f1a2b3c4d5e6f7081920a1b',
        clusterId: '6a1b2c3d4e5f60718293a4b5',
        created: '2026-11-28T08:00:00Z',
        statusName: 'IN_PROGRESS',
        timestamp: { date: '2026-11-28T07:00:00Z', increment: 1 },
        delivery: { methodName: 'HTTP', statusName: 'NOT_STARTED' },
      },
      new Date('2026-11-28T09:00:00Z'),
    );
    const raw = JSON.parse(
      JSON.stringify({
        ...base,
        batchId: null,
        futureField: { a: [1, null] },
        delivery: { ...base.delivery, urlV2: null },
      }),
    ) as unknown;

    // Act
    const fast = wellFormedRestoreJob(raw);
    const page = parseListPage({ results: [raw, { id: '' }], totalCount: 2, links: [] }, restoreJobItem);

    // Assess
    expect(fast).toStrictEqual(restoreJobSchema.parse(raw));
    expect(fast).not.toHaveProperty('batchId');
    expect(page).toEqual({ ok: false, problem: expect.stringMatching(/^results\[1\]\.id: /) });
  });
});
