/**
 * The one-line title of an alert: severity, target and what happened, in printable ASCII (mail
 * subjects and pager titles mangle anything else), within the length a channel allows.
 */
import { scrubText } from '../redact.ts';
import { type AlertView, SEVERITY_LABEL } from './alert-view.ts';
import { truncate } from './plain-text.ts';

export interface SubjectOptions {
  /** The longest subject the channel accepts, prefix and suffix included. */
  maxChars: number;
}

/** Room left for the subject's own name part so the summary stays visible with long target names. */
const SUBJECT_NAME_MAX_CHARS = 40;

/**
 * `[CRITICAL] orders-prod restore 5f3a1b2c... BROKEN`; a job's events of one poll in one headline
 * (`[WARNING] orders-prod restore ...9a3f1c07 expires in 49 min, not downloaded yet; FINISHED, ...`);
 * a batch by its summary and how many more events it carries (`(+2 more)`).
 */
export function renderSubject(view: AlertView, options: SubjectOptions): string {
  const primary = view.primary.original;
  const count = view.events.length;
  const prefix = `[${SEVERITY_LABEL[view.severity] ?? 'ALERT'}] `;
  const suffix = count > 1 && !view.headlineCoversAll ? ` (+${count - 1} more)` : '';
  const name =
    truncate(toAsciiLine(primary.targetName ?? ''), SUBJECT_NAME_MAX_CHARS) ||
    toAsciiLine(primary.clusterId ?? '');
  const summary = toAsciiLine(scrubText(view.headline ?? '')) || String(primary.eventType);
  const body = truncate(`${name} ${summary}`.trim(), options.maxChars - prefix.length - suffix.length);
  return `${prefix}${body}${suffix}`;
}

const TRANSLITERATIONS: ReadonlyArray<[RegExp, string]> = [
  [/ß/g, 'ss'],
  [/æ/g, 'ae'],
  [/Æ/g, 'AE'],
  [/œ/g, 'oe'],
  [/Œ/g, 'OE'],
  [/[øØ]/g, 'o'],
  [/[łŁ]/g, 'l'],
  [/[đðĐÐ]/g, 'd'],
  [/[þÞ]/g, 'th'],
  [/ı/g, 'i'],
  [/[\u2018\u2019\u201a\u201b\u2032]/g, "'"],
  [/[\u201c\u201d\u201e\u00ab\u00bb\u2033]/g, '"'],
  [/[\u2010-\u2015\u2212]/g, '-'],
  [/\u2026/g, '...'],
];

/**
 * One line of printable ASCII: accents are dropped (NFKD then marks removed), a few letters are
 * spelled out, control characters and line breaks become spaces, anything else non-ASCII is removed,
 * and whitespace collapses.
 */
export function toAsciiLine(text: string): string {
  let out = text.normalize('NFKD').replace(/\p{M}/gu, '');
  for (const [pattern, replacement] of TRANSLITERATIONS) out = out.replace(pattern, replacement);
  return out
    .replace(/[\p{Cc}\u2028\u2029]/gu, ' ')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
