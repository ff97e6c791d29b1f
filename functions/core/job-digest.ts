/**
 * Per-job fingerprints: what lets a poll tell which jobs of a changed target changed without reading
 * every job state of it (a 5,000-job history changes one job at a time).
 *
 * A listing's digest maps each job id to the fingerprint of its snapshot; the listing's fingerprint
 * (the one a quiet poll compares to skip the diff) is made from the same per-job fingerprints, so the
 * two can never disagree. The digest is stored next to the target's job states, written only when the
 * listing changed, and read only when a poll must diff.
 *
 * Guarantees (test/core/job-digest.test.ts):
 *
 * D1. A job's fingerprint changes whenever its snapshot does: every snapshot field counts, absent and
 *     present-but-empty differ, and the field a value sits in counts. It is a 53-bit hash, so two
 *     different snapshots share one with a probability of about 2^-53 per changed job: a change missed
 *     once in ~10^16 job changes (and corrected by the job's next change).
 * D2. A listing's fingerprint depends on the multiset of its jobs' fingerprints only: not on the
 *     order the pages came in; equal listings have equal fingerprints, a listing with a job added,
 *     removed or changed has another (up to the same 2^-53).
 * D3. A digest encodes to 20 bytes a job (a 12-byte ObjectId and its fingerprint) and decodes to the
 *     same map, for up to `MAX_DIGEST_JOBS` jobs: 320,000 bytes, inside DynamoDB's 400 KB item limit
 *     with room for the key. A listing with more jobs, or with a job id that is not an ObjectId, has
 *     no digest: a poll that must diff such a target reads all of its job states, as before.
 */
import type { JobSnapshot } from './types.ts';

/** Job id → fingerprint of its snapshot (`snapshotFingerprint`), for one listing. */
export type JobDigest = ReadonlyMap<string, number>;

/** Most jobs a stored digest covers (D3); 20 bytes each. */
export const MAX_DIGEST_JOBS = 16_000;
/** Bytes per job in an encoded digest: a 12-byte ObjectId, then the fingerprint's high and low words. */
export const DIGEST_ENTRY_BYTES = 20;

const OBJECT_ID = /^[0-9a-f]{24}$/;
/** Two hexadecimal digits of every byte value (a 5,000-job digest decodes 60,000 bytes a poll). */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const TWO_TO_32 = 0x1_0000_0000;

/**
 * The fingerprint of one snapshot (D1): two 32-bit multiply-xor lanes over every field in
 * `SNAPSHOT_FIELDS` order, each value tagged with its type (text also with its length), avalanched
 * and combined into 53 bits (an exact JavaScript number).
 */
export function snapshotFingerprint(s: JobSnapshot): number {
  laneA = 0x811c9dc5;
  laneB = 0x9747b28c;
  text(s.jobId);
  text(s.projectId);
  text(s.clusterId);
  text(s.batchId);
  text(s.hostId);
  text(s.snapshotId);
  text(s.created);
  text(s.statusName);
  flag(s.pointInTime);
  text(s.deliveryMethod);
  text(s.deliveryStatus);
  text(s.expires);
  count(s.expirationHours);
  count(s.maxDownloads);
  flag(s.hasDownloadUrl);
  flag(s.downloaded);
  text(s.timestampDate);
  const high = avalanche(laneA ^ Math.imul(laneB, 0x27d4eb2f)) >>> 11;
  const low = avalanche(laneB ^ Math.imul(laneA, 0x165667b1)) >>> 0;
  return high * TWO_TO_32 + low;
}

/**
 * The fingerprint of a listing (D2): the number of jobs and the sums (modulo 2^32) of the high and of
 * the low words of their fingerprints, as text. `v2` marks the form: a fingerprint stored by an
 * earlier release never equals one of these, so its target is diffed once (reading its job states)
 * and carries the new form from then on.
 */
export function listingFingerprint(fingerprints: Iterable<number>): string {
  let jobs = 0;
  let high = 0;
  let low = 0;
  for (const fingerprint of fingerprints) {
    jobs += 1;
    high = (high + Math.floor(fingerprint / TWO_TO_32)) >>> 0;
    low = (low + fingerprint) >>> 0;
  }
  return `v2:${jobs}:${high.toString(16).padStart(8, '0')}${low.toString(16).padStart(8, '0')}`;
}

/** The listing fingerprint of a stored digest: what the target state it belongs to must carry. */
export function digestFingerprint(digest: JobDigest): string {
  return listingFingerprint(digest.values());
}

/** The digest as stored (D3), or `undefined` when it cannot be (too many jobs, an id not an ObjectId). */
export function encodeJobDigest(digest: JobDigest): Uint8Array | undefined {
  if (digest.size > MAX_DIGEST_JOBS) return undefined;
  const bytes = new Uint8Array(digest.size * DIGEST_ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const [jobId, fingerprint] of digest) {
    if (!OBJECT_ID.test(jobId)) return undefined;
    for (let i = 0; i < 12; i++) bytes[offset + i] = Number.parseInt(jobId.slice(i * 2, i * 2 + 2), 16);
    view.setUint32(offset + 12, Math.floor(fingerprint / TWO_TO_32));
    view.setUint32(offset + 16, fingerprint >>> 0);
    offset += DIGEST_ENTRY_BYTES;
  }
  return bytes;
}

/** A stored digest read back; `undefined` when the bytes are not one (a corrupt or foreign item). */
export function decodeJobDigest(bytes: Uint8Array): Map<string, number> | undefined {
  if (bytes.length % DIGEST_ENTRY_BYTES !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const digest = new Map<string, number>();
  for (let offset = 0; offset < bytes.length; offset += DIGEST_ENTRY_BYTES) {
    let jobId = '';
    for (let i = 0; i < 12; i++) jobId += HEX[bytes[offset + i] as number];
    digest.set(jobId, view.getUint32(offset + 12) * TWO_TO_32 + view.getUint32(offset + 16));
  }
  return digest;
}

// ---- hashing ------------------------------------------------------------------------------------
//
// Two 32-bit multiply-xor lanes with different primes, kept in module variables rather than an
// object (a poll fingerprints every job it lists: 100,000 in a 20 × 5,000 history).

let laneA = 0;
let laneB = 0;

const TAG_ABSENT = 0x01;
const TAG_TEXT = 0x02;
const TAG_TRUE = 0x03;
const TAG_FALSE = 0x04;
const TAG_NUMBER = 0x05;

function mix(code: number): void {
  laneA = Math.imul(laneA ^ code, 0x01000193);
  laneB = Math.imul(laneB ^ code, 0x5bd1e995);
}

/** A text value is tagged and length-prefixed, so no field's characters can run into the next's. */
function text(value: string | undefined | null): void {
  if (value === undefined || value === null) {
    mix(TAG_ABSENT);
    return;
  }
  mix(TAG_TEXT);
  mix(value.length);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    laneA = Math.imul(laneA ^ code, 0x01000193);
    laneB = Math.imul(laneB ^ code, 0x5bd1e995);
  }
}

function flag(value: boolean | undefined | null): void {
  mix(value === true ? TAG_TRUE : value === false ? TAG_FALSE : TAG_ABSENT);
}

function count(value: number | undefined | null): void {
  if (value === undefined || value === null) {
    mix(TAG_ABSENT);
    return;
  }
  mix(TAG_NUMBER);
  text(String(value));
}

/** MurmurHash3's 32-bit finaliser. */
function avalanche(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}
