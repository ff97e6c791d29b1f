/**
 * MongoDB ObjectIds for simulated projects, clusters, jobs, batches and snapshots. Real ids embed their
 * creation second, so generated ids follow the simulator's clock, and a process-wide counter keeps ids
 * created in the same second distinct and increasing (the list order breaks `created` ties by id).
 */
import { randomBytes } from 'node:crypto';

export const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/i;

const processRandom = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

export function isObjectId(value: string): boolean {
  return OBJECT_ID_PATTERN.test(value);
}

/** 4-byte seconds since the epoch, 5 bytes per process, 3-byte counter: the ObjectId layout. */
export function newObjectId(at: Date): string {
  counter = (counter + 1) % 0x1000000;
  const seconds = Math.max(0, Math.floor(at.getTime() / 1000)) % 0x100000000;
  return `${seconds.toString(16).padStart(8, '0')}${processRandom}${counter.toString(16).padStart(6, '0')}`;
}
