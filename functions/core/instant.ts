/**
 * Instants as the API sends them (ISO 8601 strings, sometimes missing or malformed) turned into
 * numbers the change detection can compare, and back into text people read. Pure: no clock.
 */

/** ECMAScript dates cover ±8.64e15 ms; `toISOString` throws a RangeError beyond that. */
const MAX_EPOCH_MS = 8.64e15;

export const MS_PER_MINUTE = 60_000;

/** Milliseconds since the epoch, or `undefined` for anything that is not a parseable date string. */
export function parseInstant(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** ISO 8601 text, or `undefined` when the instant is outside what a `Date` can represent. */
export function instantToIso(ms: number): string | undefined {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_EPOCH_MS) return undefined;
  return new Date(ms).toISOString();
}

/** `2026-11-28 14:00 UTC`: minute precision is what a person planning a download needs. */
export function formatUtcMinute(value: string): string {
  const ms = parseInstant(value);
  const iso = ms === undefined ? undefined : instantToIso(ms);
  if (iso === undefined) return value.slice(0, 40);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** `15 min`, `6 h 5 min`, `2 d 3 h`: whole minutes, rounded down so nobody is promised time they lack. */
export function formatMinutes(minutes: number): string {
  const whole = Math.max(0, Math.floor(minutes));
  if (whole < 60) return `${whole} min`;
  const hours = Math.floor(whole / 60);
  const rest = whole % 60;
  if (hours < 48) return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
  const days = Math.floor(hours / 24);
  const restHours = hours % 24;
  return restHours === 0 ? `${days} d` : `${days} d ${restHours} h`;
}
