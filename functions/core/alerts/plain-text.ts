/**
 * Text hygiene for alert prose. Summaries, error messages and target names come from upstream or from
 * configuration: before a renderer shows them they become one bounded line without secrets.
 */
import { scrubText } from '../redact.ts';

/** Free text from upstream (error messages, summaries): one line, no secrets, at most 500 characters. */
export function cleanText(text: string | undefined): string {
  return truncate(
    scrubText(text ?? '')
      .replace(/\p{Cc}/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
    500,
  );
}

/** `text` cut to `max` characters, ending in "..." when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 3) return '.'.repeat(Math.max(0, max));
  return `${text.slice(0, max - 3).trimEnd()}...`;
}
