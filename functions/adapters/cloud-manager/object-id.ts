/**
 * Id validation before any request. Every id ends up in a URL path: accepting only 24 hex characters
 * means no id can add a path segment, a query or a fragment, or point the request somewhere else.
 */
import { CloudManagerValidationError } from './errors.ts';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/**
 * Throws `CloudManagerValidationError` naming `field` unless `value` is an ObjectId. The message never
 * repeats the value (it may be anything, a pasted secret included): it describes its shape instead.
 */
export function assertObjectId(field: string, value: unknown): asserts value is string {
  if (isObjectId(value)) return;
  const shape =
    typeof value !== 'string'
      ? `got ${value === null ? 'null' : typeof value}`
      : value.length !== 24
        ? `got ${value.length} characters`
        : 'got characters other than 0-9 and a-f';
  throw new CloudManagerValidationError(
    `${field} must be a 24-character hexadecimal ObjectId (${shape}); copy it from the Cloud Manager URL or API, e.g. /groups/<projectId>/clusters/<clusterId>`,
    { target: field, field },
  );
}
