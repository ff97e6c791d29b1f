/**
 * Response schemas of the Cloud Manager Public API v1.0. Loose on purpose: unknown fields pass through
 * (`z.looseObject`) and status strings are any string, because the API grows new values over time and
 * those are data, not crashes. Strict where the monitor would otherwise misbehave: a list needs an
 * array of `results` and a numeric `totalCount`, and every job or cluster a string `id`.
 *
 * Documented fields sent as JSON `null` are treated as absent (Jackson-style serialisers do that).
 */

import type { core, ZodType } from 'zod';
import { array, boolean, looseObject, number, preprocess, string, union, unknown } from 'zod';
import type { Cluster, RestoreJob } from '../../core/types.ts';

function dropNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (inner !== null) out[key] = inner;
  return out;
}

const str = string().optional();
const num = number().optional();
const bool = boolean().optional();

const linkSchema = preprocess(dropNulls, looseObject({ href: str, rel: str }));

const deliverySchema = preprocess(
  dropNulls,
  looseObject({
    methodName: str,
    statusName: str,
    url: str,
    expires: str,
    expirationHours: num,
    maxDownloads: num,
    urlV2: str,
    authHeader: str,
    authBearer: str,
    authValue: str,
  }),
);

const timestampSchema = preprocess(
  dropNulls,
  // Documented as a string, shown as a number in every example: accept both.
  looseObject({ date: str, increment: union([number(), string()]).optional() }),
);

const hashSchema = preprocess(dropNulls, looseObject({ fileName: str, hash: str, typeName: str }));

export const restoreJobSchema = preprocess(
  dropNulls,
  looseObject({
    id: string({ error: 'every restore job needs a string id' }).min(1),
    groupId: str,
    clusterId: str,
    batchId: str,
    hostId: str,
    snapshotId: str,
    created: str,
    statusName: str,
    pointInTime: bool,
    encryptionEnabled: bool,
    masterKeyUUID: str,
    timestamp: timestampSchema.optional(),
    delivery: deliverySchema.optional(),
    hashes: array(hashSchema).optional(),
    links: array(linkSchema).optional(),
  }),
);

export const clusterSchema = preprocess(
  dropNulls,
  looseObject({
    id: string({ error: 'every cluster needs a string id' }).min(1),
    groupId: str,
    clusterName: str,
    typeName: str,
    replicaSetName: str,
    shardName: str,
  }),
);

export const listPageSchema = looseObject({
  results: array(unknown(), { error: '`results` must be an array' }),
  totalCount: number({ error: '`totalCount` must be a number' })
    .int({ error: '`totalCount` must be a whole number' })
    .nonnegative(),
  links: preprocess((v) => (v === null ? undefined : v), array(linkSchema).optional()),
});

/** `{ detail, error, errorCode, reason }` of an API error response. */
export const errorBodySchema = looseObject({
  detail: string().optional().catch(undefined),
  error: union([number(), string()]).optional().catch(undefined),
  errorCode: string().optional().catch(undefined),
  reason: string().optional().catch(undefined),
});

/** RFC 6749 §5.1 token response, plus §5.2 errors (`error`, `error_description`). */
export const tokenResponseSchema = looseObject({
  access_token: string().min(1),
  token_type: string().optional(),
  expires_in: union([number(), string().regex(/^\d+$/).transform(Number)]).optional(),
});

export const tokenErrorSchema = looseObject({
  error: string().optional().catch(undefined),
  error_description: string().optional().catch(undefined),
});

export type ListPage<T> = { results: T[]; totalCount: number; links: Array<{ href?: string; rel?: string }> };

/**
 * `?envelope=true` wraps bodies as `{ status, content }` (docs disagree: `content` or `envelope` for
 * single results). The client never asks for it, but a proxy or a default might: unwrap when seen.
 */
export function unwrapEnvelope(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const record = body as Record<string, unknown>;
  if (typeof record.status !== 'number' || 'results' in record || 'id' in record) return body;
  if ('content' in record) return record.content;
  if ('envelope' in record) return record.envelope;
  return body;
}

/** A zod issue as `path: problem`, never the offending value (it may be a secret). */
export function describeIssue(issue: core.$ZodIssue | undefined, prefix = ''): string {
  if (!issue) return 'unexpected shape';
  let path = prefix;
  for (const part of issue.path) {
    path += typeof part === 'number' ? `[${part}]` : path ? `.${String(part)}` : String(part);
  }
  return `${path || 'body'}: ${issue.message}`;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Validates one list page; item problems name the item index (`results[3].id: ...`). */
export function parseListPage<T>(body: unknown, itemSchema: ZodType<T>): ParseResult<ListPage<T>> {
  const page = listPageSchema.safeParse(unwrapEnvelope(body));
  if (!page.success) return { ok: false, problem: describeIssue(page.error.issues[0]) };
  const results: T[] = [];
  const fast = (itemSchema as unknown) === restoreJobSchema;
  for (let i = 0; i < page.data.results.length; i++) {
    const quick = fast ? wellFormedRestoreJob(page.data.results[i]) : undefined;
    if (quick !== undefined) {
      results.push(quick as T);
      continue;
    }
    const item = itemSchema.safeParse(page.data.results[i]);
    if (!item.success) return { ok: false, problem: describeIssue(item.error.issues[0], `results[${i}]`) };
    results.push(item.data);
  }
  return { ok: true, value: { results, totalCount: page.data.totalCount, links: page.data.links ?? [] } };
}

// ---- fast path -------------------------------------------------------------------------------------
//
// A steady poll reads every job of every target (100,000 in a 500-cluster fleet) and the schema above
// costs ~12 µs a job: a third of the poll's CPU (see bench/README.md). Nearly every job the API sends
// is well formed, so a job whose documented fields all have their documented types (or null) is
// copied here without zod, to the value the schema would produce: nulls dropped at the same levels,
// unknown fields passed through as they are. Anything else returns `undefined` and goes through the
// schema, which accepts or explains it as before. test/bench/restore-job-fast-path.test.ts checks
// both paths agree on generated jobs.

type Plain = Record<string, unknown>;

const JOB_STRINGS = [
  'groupId',
  'clusterId',
  'batchId',
  'hostId',
  'snapshotId',
  'created',
  'statusName',
  'masterKeyUUID',
];
const DELIVERY_STRINGS = [
  'methodName',
  'statusName',
  'url',
  'expires',
  'urlV2',
  'authHeader',
  'authBearer',
  'authValue',
];
const DELIVERY_NUMBERS = ['expirationHours', 'maxDownloads'];
const HASH_STRINGS = ['fileName', 'hash', 'typeName'];
const LINK_STRINGS = ['href', 'rel'];
const JOB_BOOLEANS = ['pointInTime', 'encryptionEnabled'];
const LIST_FIELDS = [
  ['hashes', HASH_STRINGS],
  ['links', LINK_STRINGS],
] as const;

function isPlain(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function absent(value: unknown): boolean {
  return value === undefined || value === null;
}

/**
 * Own keys minus null values; undefined when a key could not be copied safely (`__proto__`). Nearly
 * every object the API sends has no null at all: it is then returned as it is, not copied (a copy of
 * every job, delivery and hash was most of the fast path's allocations).
 */
function withoutNulls(value: Plain): Plain | undefined {
  const keys = Object.keys(value);
  let clean = true;
  for (const key of keys) {
    if (key === '__proto__') return undefined;
    if (value[key] === null) clean = false;
  }
  if (clean) return value;
  const out: Plain = {};
  for (const key of keys) {
    const inner = value[key];
    if (inner !== null) out[key] = inner;
  }
  return out;
}

function stringsOk(value: Plain, keys: readonly string[]): boolean {
  for (const key of keys) {
    const inner = value[key];
    if (!absent(inner) && typeof inner !== 'string') return false;
  }
  return true;
}

function numberOk(value: unknown): boolean {
  return absent(value) || (typeof value === 'number' && Number.isFinite(value));
}

/** The list without nulls in its items (the same array when none had any), false when malformed. */
function plainList(value: unknown, keys: readonly string[]): Plain[] | undefined | false {
  if (absent(value)) return undefined;
  if (!Array.isArray(value)) return false;
  let out: Plain[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (!isPlain(item) || !stringsOk(item, keys)) return false;
    const copy = withoutNulls(item);
    if (!copy) return false;
    if (copy !== item) out ??= value.slice(0, i) as Plain[];
    out?.push(copy);
  }
  return out ?? (value as Plain[]);
}

/** The schema's output for a well-formed job, or `undefined` to let the schema decide. */
export function wellFormedRestoreJob(value: unknown): RestoreJob | undefined {
  if (!isPlain(value)) return undefined;
  if (typeof value.id !== 'string' || value.id.length === 0) return undefined;
  if (!stringsOk(value, JOB_STRINGS)) return undefined;
  for (const key of JOB_BOOLEANS) {
    const inner = value[key];
    if (!absent(inner) && typeof inner !== 'boolean') return undefined;
  }
  const top = withoutNulls(value);
  if (!top) return undefined;
  // The input is returned as it is when nothing in it needs dropping; it is copied (once) before the
  // first nested value is replaced, so the caller's object is never changed.
  let out = top;
  const replace = (key: string, inner: unknown) => {
    if (inner === out[key]) return;
    if (out === value) out = { ...value };
    out[key] = inner;
  };

  const timestamp = value.timestamp;
  if (!absent(timestamp)) {
    if (!isPlain(timestamp) || !stringsOk(timestamp, ['date'])) return undefined;
    const increment = timestamp.increment;
    if (!absent(increment) && typeof increment !== 'string' && !numberOk(increment)) return undefined;
    const copy = withoutNulls(timestamp);
    if (!copy) return undefined;
    replace('timestamp', copy);
  }
  const delivery = value.delivery;
  if (!absent(delivery)) {
    if (!isPlain(delivery) || !stringsOk(delivery, DELIVERY_STRINGS)) return undefined;
    if (!DELIVERY_NUMBERS.every((key) => numberOk(delivery[key]))) return undefined;
    const copy = withoutNulls(delivery);
    if (!copy) return undefined;
    replace('delivery', copy);
  }
  for (const [key, keys] of LIST_FIELDS) {
    const list = plainList(value[key], keys);
    if (list === false) return undefined;
    if (list !== undefined) replace(key, list);
  }
  return out as unknown as RestoreJob;
}

export function parseRestoreJob(body: unknown): ParseResult<RestoreJob> {
  const job = restoreJobSchema.safeParse(unwrapEnvelope(body));
  return job.success
    ? { ok: true, value: job.data as RestoreJob }
    : { ok: false, problem: describeIssue(job.error.issues[0]) };
}

export const restoreJobItem = restoreJobSchema as unknown as ZodType<RestoreJob>;
export const clusterItem = clusterSchema as unknown as ZodType<Cluster>;
